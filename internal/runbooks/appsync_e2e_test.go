//go:build e2e

package runbooks

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/hack/lab"
	"github.com/clubcedille/cedille-tui/hack/lab/labtest"
	"github.com/clubcedille/cedille-tui/internal/access"
	"github.com/clubcedille/cedille-tui/internal/actions"
	"github.com/clubcedille/cedille-tui/internal/audit"
	"github.com/clubcedille/cedille-tui/internal/runbook"
	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
)

// TestAppSyncOnTheLabsAPIServer runs `app-sync` through the engine against the lab's real kube-apiserver
// (RBAC on), writing as impersonated console users, with the Application made OutOfSync and Degraded for
// real and the Argo CD controller's part played by the test (no controller runs in the lab):
//   - a viewer's run reaches the sync step and the dispatcher refuses it; the viewer aborts;
//   - an operator's run: the precheck names what drifts, what a sync leaves to prune and self-heal;
//     a second operator is refused the same object while it runs ("in progress by olive");
//   - the process "crashes" after the precheck: a new engine resumes at the sync step;
//   - the Application changes between the preview and the write: refused, previewed again, then synced
//     (the operation set by cedille:olive);
//   - the postcheck waits until the controller reports Synced and Healthy;
//   - the audit trail verifies and the run's records — the dispatcher's included — make the incident
//     report's timeline.
func TestAppSyncOnTheLabsAPIServer(t *testing.T) {
	l := labtest.Start(t, lab.KubeAPIServer)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	kc, dc := adminClients(t, l.RESTConfig())
	apps := dc.Resource(actions.ApplicationsResource()).Namespace("argocd")
	if _, err := kc.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "argocd"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	app := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
		"metadata": map[string]any{"name": "shop", "namespace": "argocd"},
		"spec": map[string]any{"project": "default",
			"source":      map[string]any{"repoURL": "https://github.com/ClubCedille/k8s-shared", "path": "apps/shop", "targetRevision": "HEAD"},
			"destination": map[string]any{"server": "https://kubernetes.default.svc", "namespace": "shop"},
			"syncPolicy":  map[string]any{"automated": map[string]any{"selfHeal": true}}},
		"status": map[string]any{"sync": map[string]any{"status": "OutOfSync", "revision": "abc123"},
			"health":         map[string]any{"status": "Degraded", "message": "Deployment shop/web has 0 of 2 ready replicas"},
			"operationState": map[string]any{"phase": "Succeeded"},
			"resources": []any{
				map[string]any{"kind": "Deployment", "namespace": "shop", "name": "web", "status": "OutOfSync"},
				map[string]any{"kind": "ConfigMap", "namespace": "shop", "name": "old-config", "status": "OutOfSync", "requiresPruning": true},
				map[string]any{"kind": "Service", "namespace": "shop", "name": "web", "status": "Synced"},
			}},
	}}
	if _, err := apps.Create(ctx, app, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	bindOperators(ctx, t, kc)

	bed := newTestbed(t, l.RESTConfig())
	trailPath, clients, d, engine := bed.trailPath, bed.clients, bed.d, bed.engine
	world := runbook.World{Kube: kc, Dynamic: dc}
	rb := AppSync()
	target := runbook.Target{Kind: "Application", Namespace: "argocd", Name: "shop"}
	shop := actions.Target{Kind: actions.KindApplication, Namespace: "argocd", Name: "shop"}
	start := func(e *runbook.Engine, who actions.Actor) (*runbook.Session, error) {
		return e.Start(rb, target, who, world, runbook.DispatchAs(d, actions.As(who)), false)
	}
	vic := actions.Actor{Name: "vic", Role: access.Viewer, Session: "s-vic"}
	olive := actions.Actor{Name: "olive", Role: access.Operator, Session: "s-olive"}
	otto := actions.Actor{Name: "otto", Role: access.Operator, Session: "s-otto"}
	waitAllowed(ctx, t, clients, olive, "patch", "argoproj.io", "applications")

	// A viewer: the precheck reads, the sync is refused by the dispatcher; the viewer aborts.
	sv, err := start(engine(), vic)
	if err != nil {
		t.Fatal(err)
	}
	viewerRefused(ctx, t, sv, shop, "argocd-sync needs operator; you are viewer")

	// The operator's run: the precheck says what drifts.
	e := engine()
	s, err := start(e, olive)
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.Check(ctx)
	if err != nil || !v.Applies {
		t.Fatalf("precheck: %+v %v", v, err)
	}
	details := strings.Join(v.Details, "\n")
	for _, want := range []string{"sync OutOfSync, health Degraded", "drifts: Deployment/shop/web OutOfSync",
		"a sync does not prune it", "ConfigMap/shop/old-config", "self-heal is on"} {
		if !strings.Contains(details, want) {
			t.Errorf("the precheck does not say %q:\n%s", want, details)
		}
	}
	if strings.Contains(details, "Service/shop/web") {
		t.Error("a Synced resource is listed as drifting")
	}
	// A second operator is refused while olive's run holds the Application.
	if _, err := start(engine(), otto); err == nil || !strings.Contains(err.Error(), "in progress by olive") {
		t.Fatalf("a second run on the same object: %v", err)
	}

	// The process dies after the precheck; a new engine resumes at the sync.
	s, err = start(engine(), olive)
	if err != nil {
		t.Fatal(err)
	}
	if st, ok := s.Current(); !ok || st.ID != "sync" {
		t.Fatalf("resumed at %v", st.ID)
	}
	objs, err := s.Objects(ctx)
	if err != nil || len(objs) != 1 || objs[0].Object != shop.String() {
		t.Fatalf("objects %+v %v", objs, err)
	}
	p, err := s.Preview(ctx, shop)
	if err != nil {
		t.Fatal(err)
	}
	// Someone edits the Application between the preview and the write: refused.
	if _, err := apps.Patch(ctx, "shop", types.MergePatchType, []byte(`{"metadata":{"labels":{"edited":"yes"}}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Act(ctx, shop, actions.Confirmation{Typed: "shop", Expect: p.Expect}); !errors.Is(err, actions.ErrChanged) {
		t.Fatalf("a write bound to a stale preview: %v", err)
	}
	if op := operationOf(ctx, t, apps); op != nil {
		t.Fatal("the refused sync set an operation")
	}
	if p, err = s.Preview(ctx, shop); err != nil {
		t.Fatal(err)
	}
	res, err := s.Act(ctx, shop, actions.Confirmation{Typed: "shop", Expect: p.Expect})
	if err != nil || res.As != "cedille:olive" {
		t.Fatalf("sync: %+v %v", res, err)
	}
	op := operationOf(ctx, t, apps)
	if who, _, _ := unstructured.NestedString(op, "initiatedBy", "username"); who != "cedille:olive" {
		t.Fatalf("the operation: %v", op)
	}

	// The controller's part: it runs the sync and reports.
	controller := make(chan error, 1)
	go func() {
		u, err := apps.Get(ctx, "shop", metav1.GetOptions{})
		if err != nil {
			controller <- err
			return
		}
		delete(u.Object, "operation")
		_ = unstructured.SetNestedField(u.Object, "Synced", "status", "sync", "status")
		_ = unstructured.SetNestedField(u.Object, "Healthy", "status", "health", "status")
		_ = unstructured.SetNestedField(u.Object, "Succeeded", "status", "operationState", "phase")
		_, err = apps.Update(ctx, u, metav1.UpdateOptions{})
		controller <- err
	}()
	var lines []string
	if err := s.Wait(ctx, func(p runbook.Progress) { lines = append(lines, p.Line) }); err != nil {
		t.Fatalf("postcheck: %v (read %q)", err, lines)
	}
	if err := <-controller; err != nil {
		t.Fatal(err)
	}
	run := s.Run()
	if run.Outcome != "done" || lines[len(lines)-1] != "sync Synced, health Healthy, operation Succeeded" {
		t.Fatalf("outcome %q, last reading %q", run.Outcome, lines[len(lines)-1])
	}

	// The trail verifies; the run's records, the dispatcher's included, make the report.
	f, err := os.Open(trailPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := audit.Verify(f); err != nil {
		t.Fatal(err)
	}
	report, err := os.ReadFile(run.Report)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# Incident ", "An Argo CD Application out of sync or degraded — Application/argocd/shop",
		"| olive | run of app-sync started: resumed at step 2 |", "| olive | argocd-sync application/argocd/shop done",
		"application/argocd/shop (step sync, as cedille:olive)", "## Failure, response and repair"} {
		if !strings.Contains(string(report), want) {
			t.Errorf("the report lacks %q:\n%s", want, report)
		}
	}
}

func operationOf(ctx context.Context, t *testing.T, apps dynamic.ResourceInterface) map[string]any {
	t.Helper()
	u, err := apps.Get(ctx, "shop", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	op, _, _ := unstructured.NestedMap(u.Object, "operation")
	return op
}

// bindOperators grants group cedille:operator what the built-in actions write, as the lab's admin.
func bindOperators(ctx context.Context, t *testing.T, kc kubernetes.Interface) {
	t.Helper()
	const name = "cedille-operator-runbooks"
	if _, err := kc.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{"argoproj.io"}, Resources: []string{"applications"}, Verbs: []string{"get", "patch"}}}},
		metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := kc.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name},
		Subjects: []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: actions.GroupPrefix + "operator"}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// waitAllowed waits until the API server's authorizer sees the new binding for who.
func waitAllowed(ctx context.Context, t *testing.T, clients *actions.Clients, who actions.Actor, verb, group, resource string) {
	t.Helper()
	waitAllowedIn(ctx, t, clients, who, verb, group, resource, "")
}

// waitAllowedIn waits until the API server's authorizer sees the new binding for who in namespace ns
// ("": cluster-wide).
func waitAllowedIn(ctx context.Context, t *testing.T, clients *actions.Clients, who actions.Actor, verb, group, resource, ns string) {
	t.Helper()
	c, err := clients.For(who)
	if err != nil {
		t.Fatal(err)
	}
	err = wait.PollUntilContextTimeout(ctx, 20*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		r, err := c.Kube.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authzv1.SelfSubjectAccessReview{
			Spec: authzv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authzv1.ResourceAttributes{Verb: verb, Group: group, Resource: resource, Namespace: ns}},
		}, metav1.CreateOptions{})
		return err == nil && r.Status.Allowed, nil
	})
	if err != nil {
		t.Fatalf("%s may not %s %s in %q: %v", c.User, verb, resource, ns, err)
	}
}
