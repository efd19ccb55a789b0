package deploy_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/access"
	"github.com/clubcedille/cedille-tui/internal/actions"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"
	k8stesting "k8s.io/client-go/testing"
)

// grant is one (API group, resource, verb) a request needs or a rule gives.
type grant struct{ group, resource, verb string }

func (g grant) String() string {
	if g.group == "" {
		return g.verb + " " + g.resource
	}
	return fmt.Sprintf("%s %s.%s", g.verb, g.resource, g.group)
}

// fakeTargets are objects of each action kind, as the fake clients hold them.
var fakeTargets = map[actions.Kind]actions.Target{
	actions.KindNode:             {Kind: actions.KindNode, Name: "worker-1"},
	actions.KindPod:              {Kind: actions.KindPod, Namespace: "web", Name: "web-1"},
	actions.KindApplication:      {Kind: actions.KindApplication, Namespace: "argocd", Name: "web"},
	actions.KindObject:           {Kind: actions.KindObject, Namespace: "web", Name: "configmap/web"},
	actions.KindCertificate:      {Kind: actions.KindCertificate, Namespace: "web", Name: "web-tls"},
	actions.KindVCluster:         {Kind: actions.KindVCluster, Namespace: "vcluster-web", Name: "web"},
	actions.KindVolumeAttachment: {Kind: actions.KindVolumeAttachment, Name: "csi-web"},
	actions.KindArgoCluster:      {Kind: actions.KindArgoCluster, Namespace: actions.ArgoNamespace, Name: "spoke"},
}

// actionTargets are the objects of the actions that act on objects of their own among their kind's: a
// Ceph CSI node plugin's pod started before its CephCluster connected, for restart-csi-plugin.
var actionTargets = map[string]actions.Target{
	"restart-csi-plugin": {Kind: actions.KindPod, Namespace: "rook-ceph", Name: "csi-rbdplugin-x1"},
}

// fakeSpokes issue a token for reissue-spoke-token and answer its check without a spoke: only what it
// sends to the hub is counted.
func fakeSpokes() actions.Spokes {
	return actions.Spokes{
		Issue: func(context.Context, string) ([]byte, error) {
			return []byte("apiVersion: v1\nkind: Config\nclusters: [{name: s, cluster: {server: 'https://spoke'}}]\n" +
				"users: [{name: u, user: {token: new}}]\ncontexts: [{name: c, context: {cluster: s, user: u}}]\ncurrent-context: c\n"), nil
		},
		Check: func(context.Context, *rest.Config) error { return nil },
	}
}

// moreTargets are further objects of a kind whose action sends other requests for each (one kind of
// object each), as the fake clients hold them.
var moreTargets = map[actions.Kind][]actions.Target{
	actions.KindObject: {{Kind: actions.KindObject, Namespace: "web", Name: "persistentvolumeclaim/data"}},
	// A vcluster not registered yet: register-vcluster creates its cluster Secret (web's it updates).
	actions.KindVCluster: {{Kind: actions.KindVCluster, Namespace: "vcluster-web", Name: "docs"}},
}

// fakeClient is a fresh pair of fake clients holding one object of each kind in fakeTargets, as the
// API server would serve them.
func fakeClient() (actions.Client, func() []k8stesting.Action) {
	meta := func(ns, name string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID("uid-" + name), ResourceVersion: "7"}
	}
	n, p, a := fakeTargets[actions.KindNode], fakeTargets[actions.KindPod], fakeTargets[actions.KindApplication]
	pvWeb, yes := "pv-web", true
	kc := fake.NewClientset(
		&corev1.Node{ObjectMeta: meta("", n.Name)},
		&corev1.Pod{ObjectMeta: meta(p.Namespace, p.Name), Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx"}}}},
		&corev1.Namespace{ObjectMeta: meta("", p.Namespace)},
		// Two vclusters' own Secrets, and web's stale ArgoCD registration: register-vcluster acts on them.
		&corev1.Secret{ObjectMeta: meta("vcluster-web", "vc-web"), Data: map[string][]byte{"certificate-authority": []byte("CA"),
			"client-certificate": []byte("CERT"), "client-key": []byte("KEY")}},
		&corev1.Secret{ObjectMeta: meta("vcluster-web", "vc-docs"), Data: map[string][]byte{"certificate-authority": []byte("CA"),
			"client-certificate": []byte("CERT"), "client-key": []byte("KEY")}},
		&corev1.Secret{ObjectMeta: meta(actions.ArgoNamespace, "cluster-web"), Data: map[string][]byte{"server": []byte("https://old")}},
		// The hub's cluster Secret for spoke: reissue-spoke-token patches it.
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: actions.ArgoNamespace, Name: "cluster-spoke", UID: "uid-cluster-spoke", ResourceVersion: "7",
			Labels: map[string]string{"argocd.argoproj.io/secret-type": "cluster"}},
			Data: map[string][]byte{"name": []byte("spoke"), "server": []byte("https://spoke"), "config": []byte(`{"bearerToken":"old"}`)}},
		// A Ceph CSI node plugin's pod, started before its CephCluster connected: restart-csi-plugin acts on it.
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "rook-ceph", Name: "csi-rbdplugin-x1", UID: "uid-csi-rbdplugin-x1", ResourceVersion: "7",
			CreationTimestamp: metav1.NewTime(time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)),
			OwnerReferences:   []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "DaemonSet", Name: "csi-rbdplugin", UID: "uid-ds", Controller: &yes}}}},
		// A volume attached to worker-1, not Ready: delete-volumeattachment acts on it.
		&storagev1.VolumeAttachment{ObjectMeta: meta("", "csi-web"), Spec: storagev1.VolumeAttachmentSpec{NodeName: n.Name,
			Source: storagev1.VolumeAttachmentSource{PersistentVolumeName: &pvWeb}}},
		&corev1.PersistentVolume{ObjectMeta: meta("", pvWeb), Spec: corev1.PersistentVolumeSpec{ClaimRef: &corev1.ObjectReference{Namespace: p.Namespace, Name: "data"}}},
	)
	app := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
		"metadata": map[string]any{"name": a.Name, "namespace": a.Namespace, "uid": "uid-web", "resourceVersion": "7"},
		"spec":     map[string]any{"source": map[string]any{"repoURL": "https://example.org/apps", "path": "web", "targetRevision": "HEAD"}},
	}}
	// Automated sync on, and a pause record: both argocd-pause-sync and argocd-restore-sync act on it.
	_ = unstructured.SetNestedField(app.Object, map[string]any{"selfHeal": true}, "spec", "syncPolicy", "automated")
	app.SetAnnotations(map[string]string{actions.PausedSyncAnnotation: `{"by":"cedille:ada","syncPolicy":{"automated":{"selfHeal":true}}}`})
	// A ConfigMap and a bound claim being deleted, held by finalizers: remove-finalizers acts on them.
	held := func(kind, name string, spec map[string]any) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": kind, "spec": spec,
			"metadata": map[string]any{"name": name, "namespace": "web", "uid": "uid-" + name, "resourceVersion": "7",
				"deletionTimestamp": "2026-12-07T03:12:00Z", "finalizers": []any{"example.com/hold"}}}}
	}
	// A Certificate due for renewal: renew-certificate acts on it.
	crt := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
		"metadata": map[string]any{"name": "web-tls", "namespace": "web", "uid": "uid-web-tls", "resourceVersion": "7"},
		"status":   map[string]any{"conditions": []any{map[string]any{"type": "Ready", "status": "True"}}}}}
	// An external CephCluster Connected since 03:10: the node plugin pod above predates it.
	ceph := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "ceph.rook.io/v1", "kind": "CephCluster",
		"metadata": map[string]any{"name": "external", "namespace": "rook-ceph"},
		"spec":     map[string]any{"external": map[string]any{"enable": true}},
		"status": map[string]any{"phase": "Connected", "conditions": []any{map[string]any{"type": "Connected", "status": "True",
			"lastTransitionTime": "2026-12-07T03:10:00Z"}}}}}
	dc := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{actions.ApplicationsResource(): "ApplicationList", actions.CephClustersResource(): "CephClusterList"}, app,
		held("ConfigMap", "web", nil), held("PersistentVolumeClaim", "data", map[string]any{"volumeName": "pv-data"}), crt, ceph)
	return actions.Client{Kube: kc, Dynamic: dc, User: "cedille:test"}, func() []k8stesting.Action {
		return append(kc.Actions(), dc.Actions()...)
	}
}

// requestsOf is what the action asks of the API server, dry runs included: its preview, its run bound
// to that preview, and its run unbound, each on fresh fake clients, every request recorded.
func requestsOf(t *testing.T, a actions.Action) []grant {
	t.Helper()
	target, ok := fakeTargets[a.Kind]
	if at, mine := actionTargets[a.Name]; mine {
		target = at
	}
	if a.Kind == actions.KindArgoCluster {
		a = actions.WithSpokes([]actions.Action{a}, fakeSpokes())[0]
	}
	if !ok {
		t.Fatalf("action %s acts on a %s: add one to fakeTargets", a.Name, a.Kind)
	}
	ctx := context.Background()
	var sent []k8stesting.Action
	for _, target := range append([]actions.Target{target}, moreTargets[a.Kind]...) {
		c, recorded := fakeClient()
		p, err := a.Preview(ctx, c, target)
		if err != nil {
			t.Fatalf("%s preview on fake clients: %v", a.Name, err)
		}
		sent = append(sent, recorded()...)
		for _, expect := range []actions.Precondition{p.Expect, {}} {
			c, recorded := fakeClient()
			if err := a.Run(ctx, c, target, expect); err != nil {
				t.Fatalf("%s run (bound to %+v) on fake clients: %v", a.Name, expect, err)
			}
			sent = append(sent, recorded()...)
		}
	}
	var out []grant
	for _, r := range sent {
		res := r.GetResource().Resource
		if sub := r.GetSubresource(); sub != "" {
			res += "/" + sub
		}
		out = append(out, grant{r.GetResource().Group, res, r.GetVerb()})
	}
	return out
}

// granted expands rules into what they give; a rule that names objects or non-resource URLs is said so,
// as none of the actions' targets can be known ahead.
func granted(t *testing.T, role string, rules []rbacv1.PolicyRule) []grant {
	t.Helper()
	var out []grant
	for i, r := range rules {
		if len(r.ResourceNames) > 0 || len(r.NonResourceURLs) > 0 {
			t.Errorf("ClusterRole %s rule %d names objects or URLs", role, i)
		}
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				for _, v := range r.Verbs {
					out = append(out, grant{g, res, v})
				}
			}
		}
	}
	return out
}

// set sorts and deduplicates grants.
func set(gs []grant) []grant {
	slices.SortFunc(gs, func(a, b grant) int { return strings.Compare(a.String(), b.String()) })
	return slices.Compact(gs)
}

// TestRequestsOfSeesWhatAnActionSends: the recorder reports each request, dry runs included.
func TestRequestsOfSeesWhatAnActionSends(t *testing.T) {
	want := []grant{{"", "nodes", "get"}, {"", "nodes", "patch"}}
	if got := set(requestsOf(t, actions.Cordon())); !slices.Equal(got, want) {
		t.Fatalf("cordon sends %v, want %v", got, want)
	}
	if got := set(requestsOf(t, actions.ArgoSync())); !slices.Contains(got, grant{"argoproj.io", "applications", "patch"}) {
		t.Fatalf("argocd-sync sends %v: its patch is missing", got)
	}
}

// TestGroupRolesAreWhatTheActionsWrite: what deploy/ grants group cedille:<role> is exactly what the
// actions that role may do send to the API server (read from the actions themselves, run against fake
// clients): no verb missing (the action would be refused by the cluster), none more (a person could
// do with kubectl and the console's impersonation what no action does). cedille:viewer is bound to
// nothing.
func TestGroupRolesAreWhatTheActionsWrite(t *testing.T) {
	objs := rendered(t)
	_, groups := bindingsOf(t, objs)
	rules := map[string][]rbacv1.PolicyRule{}
	for _, cr := range typed[rbacv1.ClusterRole](t, objs, "ClusterRole") {
		rules[cr.Name] = cr.Rules
	}
	known := map[string]bool{}
	for _, r := range []access.Role{access.Viewer, access.Operator, access.Admin} {
		group := actions.GroupPrefix + r.String()
		known[group] = true
		var want []grant
		for _, a := range actions.Builtin() {
			if r.Allows(a.Role) {
				want = append(want, requestsOf(t, a)...)
			}
		}
		var got []grant
		for _, role := range groups[group] {
			got = append(got, granted(t, role, rules[role])...)
		}
		if got, want := set(got), set(want); !slices.Equal(got, want) {
			t.Errorf("group %s is granted %v; its actions send %v", group, got, want)
		}
		if r == access.Viewer && len(groups[group]) > 0 {
			t.Errorf("group %s is bound to %v: a viewer writes nothing", group, groups[group])
		}
	}
	for g := range groups {
		if !known[g] {
			t.Errorf("group %s is bound, and is none of the console's", g)
		}
	}
}

// TestSecretsAreWrittenNamespaceByNamespace: no ClusterRoleBinding gives people's groups any right on
// Secrets (they hold credentials): register-vcluster's are given by RoleBindings, in ArgoCD's namespace
// and the vclusters'; reissue-spoke-token's in ArgoCD's only.
func TestSecretsAreWrittenNamespaceByNamespace(t *testing.T) {
	objs := rendered(t)
	roles := map[string][]rbacv1.PolicyRule{}
	for _, cr := range typed[rbacv1.ClusterRole](t, objs, "ClusterRole") {
		roles[cr.Name] = cr.Rules
	}
	for _, b := range typed[rbacv1.ClusterRoleBinding](t, objs, "ClusterRoleBinding") {
		for _, s := range b.Subjects {
			if s.Kind != rbacv1.GroupKind {
				continue
			}
			for _, g := range granted(t, b.RoleRef.Name, roles[b.RoleRef.Name]) {
				if g.group == "" && g.resource == "secrets" {
					t.Errorf("ClusterRoleBinding %s gives group %s %s cluster-wide", b.Name, s.Name, g)
				}
			}
		}
	}
	var where []string
	for _, rb := range typed[rbacv1.RoleBinding](t, objs, "RoleBinding") {
		if rb.RoleRef.Name == "cedille-console-register-vcluster" {
			where = append(where, rb.Namespace)
		}
	}
	slices.Sort(where)
	if want := []string{actions.ArgoNamespace, "vcluster-prod", "vcluster-sandbox", "vcluster-staging"}; !slices.Equal(where, want) {
		t.Fatalf("register-vcluster's rights are bound in %v, want %v", where, want)
	}
	where = nil
	for _, rb := range typed[rbacv1.RoleBinding](t, objs, "RoleBinding") {
		if rb.RoleRef.Name == "cedille-console-spoke-token" {
			where = append(where, rb.Namespace)
		}
	}
	if want := []string{actions.ArgoNamespace}; !slices.Equal(where, want) {
		t.Fatalf("reissue-spoke-token's rights are bound in %v, want %v", where, want)
	}
}
