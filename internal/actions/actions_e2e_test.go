//go:build e2e

package actions

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/hack/lab"
	"github.com/clubcedille/cedille-tui/hack/lab/labtest"
	"github.com/clubcedille/cedille-tui/internal/access"
	"github.com/clubcedille/cedille-tui/internal/audit"
	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
)

// TestActionsOnTheLabsAPIServer runs the actions through the dispatcher against the lab's real
// kube-apiserver (RBAC authorization, as the lab always runs it), writing as impersonated console
// users: the API server's RBAC refuses a viewer bound to nothing and allows an operator once a
// ClusterRoleBinding grants group cedille:operator; previews are dry runs that change nothing; a
// write bound to a preview is refused once the object changed; every step is in the audit trail.
func TestActionsOnTheLabsAPIServer(t *testing.T) {
	l := labtest.Start(t, lab.KubeAPIServer)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	kc, err := kubernetes.NewForConfig(l.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	dc, err := dynamic.NewForConfig(l.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	clients := NewClients(l.RESTConfig()) // the lab's admin (system:masters) may impersonate
	tr := &trail{}
	d, err := NewDispatcher(clients, tr.sink, Builtin()...)
	if err != nil {
		t.Fatal(err)
	}
	viewer := Actor{Name: "vic", Role: access.Viewer, Fingerprint: fp, Session: "s-vic", Remote: "192.0.2.7:5000"}
	operator := Actor{Name: "olive", Role: access.Operator, Fingerprint: fp, Session: "s-olive", Remote: "192.0.2.8:5000"}
	node := Target{Kind: KindNode, Name: "worker-1"}
	if _, err := kc.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: node.Name}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	getNode := func() *corev1.Node {
		t.Helper()
		n, err := kc.CoreV1().Nodes().Get(ctx, node.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	refusedWith := func(err error, want string) {
		t.Helper()
		var ref *RefusedError
		if !errors.As(err, &ref) || !strings.Contains(err.Error(), want) {
			t.Fatalf("want a refusal saying %q, got %v", want, err)
		}
	}

	// The dispatcher refuses a viewer before the API server is asked.
	_, err = d.Do(ctx, viewer, "cordon", node, Confirmation{})
	refusedWith(err, "cordon needs operator; you are viewer")
	// And the API server refuses the viewer's impersonated write on its own: group cedille:viewer is
	// bound to nothing.
	vc, err := clients.For(viewer)
	if err != nil {
		t.Fatal(err)
	}
	err = Cordon().Run(ctx, vc, node, Precondition{})
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), `User "cedille:vic" cannot patch resource "nodes"`) {
		t.Fatalf("the API server must refuse the viewer's cordon, naming the user: %v", err)
	}
	// An operator before any binding: the dry run is refused by the cluster's RBAC, said clearly.
	_, err = d.Preview(ctx, operator, "cordon", node)
	refusedWith(err, `cordon: the cluster's RBAC refuses cedille:olive: nodes "worker-1" is forbidden: User "cedille:olive" cannot get resource "nodes"`)
	if n := getNode(); n.Spec.Unschedulable {
		t.Fatal("a refused cordon cordoned")
	}

	bindOperators(ctx, t, kc)
	oc, err := clients.For(operator)
	if err != nil {
		t.Fatal(err)
	}
	waitAllowed(ctx, t, oc, "patch", "", "nodes")
	waitAllowed(ctx, t, oc, "delete", "", "pods")
	waitAllowed(ctx, t, oc, "patch", "argoproj.io", "applications")

	// Cordon: the preview is a dry run showing the one field, and changes nothing.
	before := getNode()
	p, err := d.Preview(ctx, operator, "cordon", node)
	if err != nil {
		t.Fatal(err)
	}
	if want := []Change{{"spec.unschedulable", Unset, "true"}}; !reflect.DeepEqual(p.Changes, want) {
		t.Fatalf("cordon preview %+v, want %+v", p.Changes, want)
	}
	if p.Expect != (Precondition{UID: before.UID, ResourceVersion: before.ResourceVersion}) {
		t.Fatalf("preview bound to %+v, the node is %s/%s", p.Expect, before.UID, before.ResourceVersion)
	}
	if n := getNode(); n.Spec.Unschedulable || n.ResourceVersion != before.ResourceVersion {
		t.Fatal("the dry run changed the node")
	}
	res, err := d.Do(ctx, operator, "cordon", node, Confirmation{Expect: p.Expect})
	if err != nil || res.As != "cedille:olive" {
		t.Fatalf("cordon: %+v %v", res, err)
	}
	if !getNode().Spec.Unschedulable {
		t.Fatal("cordon did not cordon")
	}
	// Uncordon bound to the preview made before the cordon: the node changed since.
	_, err = d.Do(ctx, operator, "uncordon", node, Confirmation{Expect: p.Expect})
	refusedWith(err, "node/worker-1 was modified: changed since you looked; look again")
	if !getNode().Spec.Unschedulable {
		t.Fatal("a refused uncordon uncordoned")
	}
	p, err = d.Preview(ctx, operator, "uncordon", node)
	if err != nil {
		t.Fatal(err)
	}
	if want := []Change{{"spec.unschedulable", "true", Unset}}; !reflect.DeepEqual(p.Changes, want) {
		t.Fatalf("uncordon preview %+v, want %+v", p.Changes, want)
	}
	if _, err := d.Do(ctx, operator, "uncordon", node, Confirmation{Expect: p.Expect}); err != nil {
		t.Fatal(err)
	}
	if getNode().Spec.Unschedulable {
		t.Fatal("uncordon did not uncordon")
	}

	// Delete a pod: the dry run leaves it; a label added since the preview refuses the delete.
	pod := Target{Kind: KindPod, Namespace: "default", Name: "web-1"}
	if _, err := kc.CoreV1().ServiceAccounts("default").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	if _, err := kc.CoreV1().Pods(pod.Namespace).Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: pod.Name},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx"}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	p, err = d.Preview(ctx, operator, "delete-pod", pod)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Changes) != 1 || p.Changes[0].After != "deleted" || !strings.Contains(strings.Join(p.Notes, ";"), "a bare pod") {
		t.Fatalf("delete preview %+v", p)
	}
	if _, err := kc.CoreV1().Pods(pod.Namespace).Get(ctx, pod.Name, metav1.GetOptions{}); err != nil {
		t.Fatalf("the dry-run delete deleted: %v", err)
	}
	_, err = d.Do(ctx, operator, "delete-pod", pod, Confirmation{Typed: "web", Expect: p.Expect})
	refusedWith(err, `type the name "web-1" to confirm`)
	if _, err := kc.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.MergePatchType,
		[]byte(`{"metadata":{"labels":{"touched":"yes"}}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err = d.Do(ctx, operator, "delete-pod", pod, Confirmation{Typed: pod.Name, Expect: p.Expect})
	refusedWith(err, "pod/default/web-1 was modified: changed since you looked; look again")
	if _, err := kc.CoreV1().Pods(pod.Namespace).Get(ctx, pod.Name, metav1.GetOptions{}); err != nil {
		t.Fatalf("a refused delete deleted: %v", err)
	}
	if p, err = d.Preview(ctx, operator, "delete-pod", pod); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Do(ctx, operator, "delete-pod", pod, Confirmation{Typed: pod.Name, Expect: p.Expect}); err != nil {
		t.Fatal(err)
	}
	if _, err := kc.CoreV1().Pods(pod.Namespace).Get(ctx, pod.Name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("the pod is still there: %v", err)
	}

	// Argo CD: refresh sets the annotation; sync sets .operation as the person; a second sync is
	// refused while the first is pending.
	app := Target{Kind: KindApplication, Namespace: "argocd", Name: "web"}
	createApp(ctx, t, kc, dc, app)
	p, err = d.Preview(ctx, operator, "argocd-refresh", app)
	if err != nil {
		t.Fatal(err)
	}
	if want := []Change{{"metadata.annotations", Unset, `{"argocd.argoproj.io/refresh":"normal"}`}}; !reflect.DeepEqual(p.Changes, want) {
		t.Fatalf("refresh preview %+v, want %+v", p.Changes, want)
	}
	if _, err := d.Do(ctx, operator, "argocd-refresh", app, Confirmation{Expect: p.Expect}); err != nil {
		t.Fatal(err)
	}
	got := getApp(ctx, t, dc, app)
	if got.GetAnnotations()[RefreshAnnotation] != "normal" {
		t.Fatalf("refresh: annotations %v", got.GetAnnotations())
	}
	p, err = d.Preview(ctx, operator, "argocd-sync", app)
	if err != nil {
		t.Fatal(err)
	}
	wantSync := []Change{
		{"operation", Unset, `{"initiatedBy":{"username":"cedille:olive"},"sync":{"syncStrategy":{"hook":{}}}}`},
		{"status.operationState", `{"phase":"Succeeded"}`, Unset},
	}
	if !reflect.DeepEqual(p.Changes, wantSync) {
		t.Fatalf("sync preview %+v, want %+v", p.Changes, wantSync)
	}
	if _, ok := getApp(ctx, t, dc, app).Object["operation"]; ok {
		t.Fatal("the dry-run sync set an operation")
	}
	if _, err := d.Do(ctx, operator, "argocd-sync", app, Confirmation{Typed: app.Name, Expect: p.Expect}); err != nil {
		t.Fatal(err)
	}
	if by, _, _ := unstructured.NestedString(getApp(ctx, t, dc, app).Object, "operation", "initiatedBy", "username"); by != "cedille:olive" {
		t.Fatalf("sync initiated by %q", by)
	}
	if _, err := d.Preview(ctx, operator, "argocd-sync", app); !errors.Is(err, ErrOperationInProgress) || !strings.Contains(err.Error(), "started by cedille:olive") {
		t.Fatalf("a second sync while one is pending: %v", err)
	}

	// The trail: every step, each saying who, with what key and role, did what to what.
	want := []string{
		"action_attempted vic cordon node/worker-1", "action_refused vic cordon node/worker-1",
		"action_refused olive cordon node/worker-1",
		"action_attempted olive cordon node/worker-1", "action_done olive cordon node/worker-1",
		"action_attempted olive uncordon node/worker-1", "action_refused olive uncordon node/worker-1",
		"action_attempted olive uncordon node/worker-1", "action_done olive uncordon node/worker-1",
		"action_attempted olive delete-pod pod/default/web-1", "action_refused olive delete-pod pod/default/web-1",
		"action_attempted olive delete-pod pod/default/web-1", "action_refused olive delete-pod pod/default/web-1",
		"action_attempted olive delete-pod pod/default/web-1", "action_done olive delete-pod pod/default/web-1",
		"action_attempted olive argocd-refresh application/argocd/web", "action_done olive argocd-refresh application/argocd/web",
		"action_attempted olive argocd-sync application/argocd/web", "action_done olive argocd-sync application/argocd/web",
	}
	var have []string
	for _, r := range tr.recs {
		have = append(have, strings.Join([]string{string(r.Event), r.User, r.Action, r.Target}, " "))
		who := viewer
		if r.User == operator.Name {
			who = operator
		}
		if r.Fingerprint != fp || r.Role != who.Role.String() || r.Session != who.Session || r.Remote != who.Remote {
			t.Errorf("record %+v does not carry its actor's key, role, session and address", r)
		}
		if r.Event == audit.ActionRefused && r.Reason == "" {
			t.Errorf("refusal without its reason: %+v", r)
		}
	}
	if !reflect.DeepEqual(have, want) {
		t.Errorf("audit trail:\n%s\nwant:\n%s", strings.Join(have, "\n"), strings.Join(want, "\n"))
	}
}

// bindOperators grants group cedille:operator what the first actions write, as the lab's admin.
func bindOperators(ctx context.Context, t *testing.T, kc kubernetes.Interface) {
	t.Helper()
	const name = "cedille-operator-actions"
	if _, err := kc.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: []string{"get", "patch"}},
			{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "delete"}},
			{APIGroups: []string{"argoproj.io"}, Resources: []string{"applications"}, Verbs: []string{"get", "patch"}},
		}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := kc.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name},
		Subjects: []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: GroupPrefix + "operator"}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// waitAllowed waits until the API server's authorizer (fed by informers) sees the new binding: it
// asks, as c's impersonated user, whether it may verb the resource.
func waitAllowed(ctx context.Context, t *testing.T, c Client, verb, group, resource string) {
	t.Helper()
	err := wait.PollUntilContextTimeout(ctx, 20*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		r, err := c.Kube.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authzv1.SelfSubjectAccessReview{
			Spec: authzv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authzv1.ResourceAttributes{Verb: verb, Group: group, Resource: resource}},
		}, metav1.CreateOptions{})
		return err == nil && r.Status.Allowed, nil
	})
	if err != nil {
		t.Fatalf("%s may not %s %s: %v", c.User, verb, resource, err)
	}
}

// createApp makes an Application as the Argo CD controller would have left it after a sync.
func createApp(ctx context.Context, t *testing.T, kc kubernetes.Interface, dc dynamic.Interface, app Target) {
	t.Helper()
	if _, err := kc.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: app.Namespace}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
		"metadata": map[string]any{"name": app.Name, "namespace": app.Namespace},
		"spec": map[string]any{"project": "default",
			"source":      map[string]any{"repoURL": "https://github.com/ClubCedille/k8s-shared", "path": "apps/web", "targetRevision": "HEAD"},
			"destination": map[string]any{"server": "https://kubernetes.default.svc", "namespace": "web"}},
		"status": map[string]any{"sync": map[string]any{"status": "OutOfSync", "revision": "abc123"},
			"health": map[string]any{"status": "Healthy"}, "operationState": map[string]any{"phase": "Succeeded"}},
	}}
	if _, err := dc.Resource(ApplicationsResource()).Namespace(app.Namespace).Create(ctx, u, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func getApp(ctx context.Context, t *testing.T, dc dynamic.Interface, app Target) *unstructured.Unstructured {
	t.Helper()
	u, err := dc.Resource(ApplicationsResource()).Namespace(app.Namespace).Get(ctx, app.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return u
}
