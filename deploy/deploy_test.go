package deploy_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/clubcedille/cedille-tui/internal/access"
	"github.com/clubcedille/cedille-tui/internal/platform"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// rendered is what `kubectl apply -k deploy/` sends: the kustomization built, in its order.
func rendered(t *testing.T) []*unstructured.Unstructured {
	t.Helper()
	rm, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), ".")
	if err != nil {
		t.Fatalf("kustomize build deploy/: %v", err)
	}
	out, err := rm.AsYaml()
	if err != nil {
		t.Fatal(err)
	}
	objs, err := decodeAll(out)
	if err != nil {
		t.Fatalf("kustomize build deploy/: %v", err)
	}
	return objs
}

// examples are the manifests shown but not applied (the host key Secret's shape).
func examples(t *testing.T) []*unstructured.Unstructured {
	t.Helper()
	files, err := filepath.Glob("*.example.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no *.example.yaml: %v", err)
	}
	var objs []*unstructured.Unstructured
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		o, err := decodeAll(b)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		objs = append(objs, o...)
	}
	return objs
}

func decodeAll(b []byte) ([]*unstructured.Unstructured, error) {
	d := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
	var objs []*unstructured.Unstructured
	for {
		u := &unstructured.Unstructured{}
		err := d.Decode(&u.Object)
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, err
		}
		if len(u.Object) > 0 {
			objs = append(objs, u)
		}
	}
}

// typed converts every object of kind into T, strictly (an unknown field fails).
func typed[T any](t *testing.T, objs []*unstructured.Unstructured, kind string) []T {
	t.Helper()
	var out []T
	for _, o := range objs {
		if o.GetKind() != kind {
			continue
		}
		var v T
		if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(o.Object, &v, true); err != nil {
			t.Fatalf("%s %s: %v", kind, o.GetName(), err)
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		t.Fatalf("no %s in deploy/", kind)
	}
	return out
}

func TestKustomizationListsEveryManifest(t *testing.T) {
	b, err := os.ReadFile("kustomization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var k struct {
		Resources []string `json:"resources"`
	}
	if err := yaml.Unmarshal(b, &k); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("*.yaml")
	var want []string
	for _, f := range files {
		if f != "kustomization.yaml" && !strings.HasSuffix(f, ".example.yaml") {
			want = append(want, f)
		}
	}
	got := slices.Sorted(slices.Values(k.Resources))
	if !slices.Equal(got, want) {
		t.Fatalf("kustomization.yaml lists %v; the manifests here are %v (examples, *.example.yaml, stay out)", got, want)
	}
}

// readVerbs are the verbs a read-only rule may hold.
var readVerbs = []string{"get", "list", "watch"}

// ruleProblems says what makes a ClusterRole rule more than the console's: a wildcard anywhere, a verb
// other than reading, non-resource URLs, or an impersonation not limited by name to cedille:
// identities (an empty resourceNames means every name).
func ruleProblems(r rbacv1.PolicyRule) []string {
	var p []string
	for _, field := range [][]string{r.Verbs, r.APIGroups, r.Resources, r.ResourceNames, r.NonResourceURLs} {
		for _, v := range field {
			if strings.Contains(v, "*") {
				p = append(p, fmt.Sprintf("wildcard %q", v))
			}
		}
	}
	if len(r.NonResourceURLs) > 0 {
		p = append(p, "non-resource URLs")
	}
	if slices.Contains(r.Verbs, "impersonate") {
		if len(r.Verbs) != 1 {
			p = append(p, fmt.Sprintf("impersonate shares its rule with %v", r.Verbs))
		}
		if !slices.Equal(r.APIGroups, []string{""}) {
			p = append(p, fmt.Sprintf("impersonate in groups %v", r.APIGroups))
		}
		for _, res := range r.Resources {
			if res != "users" && res != "groups" {
				p = append(p, "impersonate on "+res)
			}
		}
		if len(r.ResourceNames) == 0 {
			p = append(p, "impersonate on any name")
		}
		for _, n := range r.ResourceNames {
			if !strings.HasPrefix(n, "cedille:") {
				p = append(p, "impersonate "+n)
			}
		}
		return p
	}
	for _, v := range r.Verbs {
		if !slices.Contains(readVerbs, v) {
			p = append(p, "write verb "+v)
		}
	}
	return p
}

func TestRuleProblemsRefusesMoreThanReading(t *testing.T) {
	read := []string{"get", "list", "watch"}
	for _, tc := range []struct {
		name string
		rule rbacv1.PolicyRule
		ok   bool
	}{
		{"read", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: read}, true},
		{"impersonate named groups", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"groups"}, Verbs: []string{"impersonate"}, ResourceNames: []string{"cedille:admin"}}, true},
		{"write verb", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "delete"}}, false},
		{"wildcard verb", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"*"}}, false},
		{"wildcard resource", rbacv1.PolicyRule{APIGroups: []string{"redhatcop.redhat.io"}, Resources: []string{"*"}, Verbs: read}, false},
		{"wildcard group", rbacv1.PolicyRule{APIGroups: []string{"*"}, Resources: []string{"pods"}, Verbs: read}, false},
		{"non-resource URL", rbacv1.PolicyRule{NonResourceURLs: []string{"/metrics"}, Verbs: []string{"get"}}, false},
		{"impersonate any user", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"users"}, Verbs: []string{"impersonate"}}, false},
		{"impersonate another user", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"users"}, Verbs: []string{"impersonate"}, ResourceNames: []string{"system:admin"}}, false},
		{"impersonate service accounts", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"serviceaccounts"}, Verbs: []string{"impersonate"}, ResourceNames: []string{"cedille:x"}}, false},
		{"impersonate with a write", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"users"}, Verbs: []string{"impersonate", "create"}, ResourceNames: []string{"cedille:x"}}, false},
		{"impersonate userextras", rbacv1.PolicyRule{APIGroups: []string{"authentication.k8s.io"}, Resources: []string{"userextras/scopes"}, Verbs: []string{"impersonate"}, ResourceNames: []string{"cedille:x"}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if p := ruleProblems(tc.rule); (len(p) == 0) != tc.ok {
				t.Fatalf("problems %v, want ok=%v", p, tc.ok)
			}
		})
	}
}

// consoleSA and consoleNS name the service account the console runs as.
const consoleSA, consoleNS = "cedille-console", "cedille-console"

// bindingsOf says which ClusterRoles deploy/ binds to the console's service account, and which to each
// group — cluster-wide or, through a RoleBinding, in a namespace; it fails on a subject that is neither
// the service account nor a group.
func bindingsOf(t *testing.T, objs []*unstructured.Unstructured) (sa map[string]bool, groups map[string][]string) {
	t.Helper()
	sa, groups = map[string]bool{}, map[string][]string{}
	var bindings []rbacv1.ClusterRoleBinding
	bindings = append(bindings, typed[rbacv1.ClusterRoleBinding](t, objs, "ClusterRoleBinding")...)
	for _, rb := range typed[rbacv1.RoleBinding](t, objs, "RoleBinding") {
		if rb.RoleRef.Kind != "ClusterRole" {
			continue // a namespace's own Role (the Vault port-forward's): not a ClusterRole's grant
		}
		bindings = append(bindings, rbacv1.ClusterRoleBinding{ObjectMeta: rb.ObjectMeta, RoleRef: rb.RoleRef, Subjects: rb.Subjects})
	}
	for _, b := range bindings {
		if b.RoleRef.Kind != "ClusterRole" {
			t.Errorf("ClusterRoleBinding %s binds a %s", b.Name, b.RoleRef.Kind)
		}
		for _, s := range b.Subjects {
			switch {
			case s.Kind == rbacv1.ServiceAccountKind && s.Name == consoleSA && s.Namespace == consoleNS:
				sa[b.RoleRef.Name] = true
			case s.Kind == rbacv1.GroupKind:
				groups[s.Name] = append(groups[s.Name], b.RoleRef.Name)
			default:
				t.Errorf("ClusterRoleBinding %s binds %s %s/%s: only the console's service account and its groups", b.Name, s.Kind, s.Namespace, s.Name)
			}
		}
	}
	return sa, groups
}

// TestClusterRolesReadOnlyButForNamedImpersonation: the roles the console's own token holds read and
// impersonate named identities, nothing else; the roles of its people's groups are not its own; every
// role is bound, none aggregates.
func TestClusterRolesReadOnlyButForNamedImpersonation(t *testing.T) {
	objs := rendered(t)
	sa, groups := bindingsOf(t, objs)
	ofGroups := map[string]bool{}
	for _, roles := range groups {
		for _, r := range roles {
			ofGroups[r] = true
		}
	}
	for _, cr := range typed[rbacv1.ClusterRole](t, objs, "ClusterRole") {
		if cr.AggregationRule != nil {
			t.Errorf("ClusterRole %s aggregates other roles", cr.Name)
		}
		switch {
		case sa[cr.Name] && ofGroups[cr.Name]:
			t.Errorf("ClusterRole %s is bound to the service account and to people's groups: the console's token would write", cr.Name)
		case ofGroups[cr.Name]:
			continue // TestGroupRolesAreWhatTheActionsWrite
		case !sa[cr.Name]:
			t.Errorf("ClusterRole %s is bound to no one", cr.Name)
		}
		for i, r := range cr.Rules {
			for _, p := range ruleProblems(r) {
				t.Errorf("ClusterRole %s rule %d: %s", cr.Name, i, p)
			}
		}
	}
}

// allowed tells whether some rule of the roles grants verb on resource of group.
func allowed(roles []rbacv1.ClusterRole, group, resource, verb string) bool {
	for _, cr := range roles {
		for _, r := range cr.Rules {
			if slices.Contains(r.APIGroups, group) && slices.Contains(r.Resources, resource) && slices.Contains(r.Verbs, verb) && len(r.ResourceNames) == 0 {
				return true
			}
		}
	}
	return false
}

// TestReadRoleCoversWhatTheConsoleWatches: every kind the console watches may be listed and watched by
// the service account (a kind left out would show as forbidden on its layer).
func TestReadRoleCoversWhatTheConsoleWatches(t *testing.T) {
	objs := rendered(t)
	bound, _ := bindingsOf(t, objs)
	var mine []rbacv1.ClusterRole
	for _, cr := range typed[rbacv1.ClusterRole](t, objs, "ClusterRole") {
		if bound[cr.Name] {
			mine = append(mine, cr)
		}
	}
	type gr struct{ group, resource string }
	want := []gr{{"", "nodes"}, {"", "pods"}, {"", "events"}, {"", "persistentvolumeclaims"}, {"", "secrets"}, {"", "namespaces"},
		{"storage.k8s.io", "storageclasses"}, {"apps", "deployments"}, {"apps", "statefulsets"}, {"apps", "daemonsets"}, {"", "services"}}
	for _, k := range append(append(platform.CRDKinds(), platform.Era2Kinds()...), platform.VaultSecret) {
		want = append(want, gr{k.GVR.Group, k.GVR.Resource})
	}
	for _, w := range want {
		for _, verb := range []string{"list", "watch"} {
			if !allowed(mine, w.group, w.resource, verb) {
				t.Errorf("the console may not %s %s in group %q", verb, w.resource, w.group)
			}
		}
	}
}

// TestReadRoleReadsGatewayAPICRDsByName: the service account may get, list and watch each Gateway API
// CRD the console reads the metadata of, by name, and no other CRD: a rule on every CRD would let it read
// every schema in the cluster.
func TestReadRoleReadsGatewayAPICRDsByName(t *testing.T) {
	objs := rendered(t)
	bound, _ := bindingsOf(t, objs)
	crds := platform.CustomResourceDefinitions
	var named []string
	for _, cr := range typed[rbacv1.ClusterRole](t, objs, "ClusterRole") {
		if !bound[cr.Name] {
			continue
		}
		for _, r := range cr.Rules {
			if !slices.Contains(r.APIGroups, crds.Group) || !slices.Contains(r.Resources, crds.Resource) {
				continue
			}
			if len(r.ResourceNames) == 0 {
				t.Errorf("ClusterRole %s reads every CRD: name the Gateway API ones", cr.Name)
				continue
			}
			if !slices.Equal(slices.Sorted(slices.Values(r.Verbs)), readVerbs) {
				t.Errorf("ClusterRole %s: verbs %v on CRDs, want %v", cr.Name, r.Verbs, readVerbs)
			}
			named = append(named, r.ResourceNames...)
		}
	}
	want := platform.GatewayAPICRDNames()
	if !slices.Equal(slices.Sorted(slices.Values(named)), slices.Sorted(slices.Values(want))) {
		t.Errorf("the console may read the CRDs %v, want exactly the Gateway API ones it reads: %v", named, want)
	}
}

// TestAccessExampleAndImpersonation: the shipped access file is one serve accepts, and the impersonation
// names exactly the roles' groups and a cedille: user for each of its users.
func TestAccessExampleAndImpersonation(t *testing.T) {
	objs := rendered(t)
	var data string
	for _, cm := range typed[corev1.ConfigMap](t, objs, "ConfigMap") {
		if cm.Name == "cedille-console-access" {
			data = cm.Data["access.yaml"]
		}
	}
	if data == "" {
		t.Fatal("ConfigMap cedille-console-access has no access.yaml")
	}
	f, err := access.Parse([]byte(data), "access.yaml")
	if err != nil {
		t.Fatalf("serve would refuse the shipped access file: %v", err)
	}
	var users, groups []string
	for _, cr := range typed[rbacv1.ClusterRole](t, objs, "ClusterRole") {
		for _, r := range cr.Rules {
			if !slices.Contains(r.Verbs, "impersonate") {
				continue
			}
			if slices.Contains(r.Resources, "users") {
				users = append(users, r.ResourceNames...)
			}
			if slices.Contains(r.Resources, "groups") {
				groups = append(groups, r.ResourceNames...)
			}
		}
	}
	var roles []string
	for _, r := range []access.Role{access.Viewer, access.Operator, access.Admin} {
		roles = append(roles, "cedille:"+r.String())
	}
	if !slices.Equal(slices.Sorted(slices.Values(groups)), slices.Sorted(slices.Values(roles))) {
		t.Errorf("impersonated groups %v, want the roles' %v", groups, roles)
	}
	for _, u := range f.Users() {
		if !slices.Contains(users, "cedille:"+u.Name) {
			t.Errorf("access file user %s cannot be impersonated: add cedille:%s", u.Name, u.Name)
		}
	}
	if len(users) == 0 {
		t.Error("no user may be impersonated by name: an empty list would mean any user")
	}
}

func TestDeploymentIsHardened(t *testing.T) {
	objs := rendered(t)
	ds := typed[appsv1.Deployment](t, objs, "Deployment")
	if len(ds) != 1 {
		t.Fatalf("%d Deployments", len(ds))
	}
	d := ds[0]
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 1 || d.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
		t.Error("one replica, replaced with Recreate: the audit trail's lock is per process")
	}
	ps := d.Spec.Template.Spec
	if ps.SecurityContext == nil || ps.SecurityContext.RunAsNonRoot == nil || !*ps.SecurityContext.RunAsNonRoot ||
		ps.SecurityContext.RunAsUser == nil || *ps.SecurityContext.RunAsUser == 0 {
		t.Error("the pod must run as a non-root user")
	}
	if ps.ServiceAccountName != "cedille-console" {
		t.Errorf("service account %q", ps.ServiceAccountName)
	}
	vols := map[string]corev1.Volume{}
	for _, v := range ps.Volumes {
		vols[v.Name] = v
	}
	for _, c := range append(slices.Clone(ps.InitContainers), ps.Containers...) {
		sc := c.SecurityContext
		switch {
		case sc == nil:
			t.Errorf("%s: no securityContext", c.Name)
			continue
		case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
			t.Errorf("%s: privilege escalation allowed", c.Name)
		case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
			t.Errorf("%s: root filesystem writable", c.Name)
		case sc.Privileged != nil && *sc.Privileged:
			t.Errorf("%s: privileged", c.Name)
		case sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0:
			t.Errorf("%s: capabilities must all be dropped", c.Name)
		}
		for _, m := range c.VolumeMounts {
			if _, ok := vols[m.Name]; !ok {
				t.Errorf("%s mounts %s, which is no volume", c.Name, m.Name)
			}
			if m.SubPath != "" {
				t.Errorf("%s mounts %s with a subPath, which never sees updates", c.Name, m.Name)
			}
		}
	}
	if len(ps.Containers) != 1 {
		t.Fatalf("%d containers", len(ps.Containers))
	}
	c := ps.Containers[0]
	if c.LivenessProbe == nil || c.LivenessProbe.TCPSocket == nil || c.LivenessProbe.TCPSocket.Port.IntValue() != 2222 {
		t.Error("liveness must be a TCP check on 2222")
	}
	// Each file flag points into a mount of the volume that holds it.
	wantVolume := map[string]string{"--host-key": "host-key", "--access": "access", "--audit-log": "audit"}
	if len(c.Args) == 0 || c.Args[0] != "serve" {
		t.Fatalf("args %v: serve first", c.Args)
	}
	seen := map[string]bool{}
	for _, a := range c.Args[1:] {
		flag, path, _ := strings.Cut(a, "=")
		vol, ok := wantVolume[flag]
		if !ok {
			continue
		}
		seen[flag] = true
		mounted := false
		for _, m := range c.VolumeMounts {
			if m.Name == vol && filepath.Dir(path) == m.MountPath {
				mounted = true
			}
		}
		if !mounted {
			t.Errorf("%s=%s is not in a mount of volume %s", flag, path, vol)
		}
	}
	if len(seen) != len(wantVolume) {
		t.Errorf("args %v: each of %v must be given", c.Args, wantVolume)
	}
	if v := vols["access"]; v.ConfigMap == nil || v.ConfigMap.Name != "cedille-console-access" {
		t.Error("the access file comes from ConfigMap cedille-console-access")
	}
	if v := vols["audit"]; v.PersistentVolumeClaim == nil {
		t.Error("the audit trail must outlive the pod: a PersistentVolumeClaim")
	}
	if v := vols["host-key-secret"]; v.Secret == nil || v.Secret.SecretName != "cedille-console-host-key" {
		t.Error("the host key comes from Secret cedille-console-host-key")
	}
	if v := vols["host-key"]; v.EmptyDir == nil || v.EmptyDir.Medium != corev1.StorageMediumMemory {
		t.Error("the host key's copy lives in memory only")
	}
	for _, o := range objs {
		if o.GetKind() == "Secret" {
			t.Errorf("Secret %s is applied by the kustomization: an apply would replace the real host key", o.GetName())
		}
	}
}

// TestNoKeyInGit: the host key Secret is a placeholder, not a key.
func TestNoKeyInGit(t *testing.T) {
	files, _ := filepath.Glob("*.yaml")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte("PRIVATE KEY-----")) {
			t.Errorf("%s holds a private key", f)
		}
	}
	secrets := typed[corev1.Secret](t, examples(t), "Secret")
	for _, s := range secrets {
		for k, v := range s.StringData {
			if !strings.HasPrefix(v, "PLACEHOLDER") {
				t.Errorf("Secret %s key %s is not a placeholder", s.Name, k)
			}
		}
		if len(s.Data) > 0 {
			t.Errorf("Secret %s carries data", s.Name)
		}
	}
}
