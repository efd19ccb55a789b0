//go:build e2e

package runbooks

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/hack/lab"
	"github.com/clubcedille/cedille-tui/hack/lab/labtest"
	"github.com/clubcedille/cedille-tui/internal/access"
	"github.com/clubcedille/cedille-tui/internal/actions"
	"github.com/clubcedille/cedille-tui/internal/audit"
	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/runbook"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"
)

// TestStuckTerminatingOnTheLabsAPIServer runs `stuck-terminating` through the engine against the lab's
// real kube-apiserver and kube-controller-manager (its namespace controller deletes the namespace's
// content, pods first, and writes the deletion conditions), as impersonated console users bound by
// deploy/'s own operator role. The fault is made for real: ConfigMap held, which carries a finalizer,
// is deleted, then namespace shop, while pod web on node worker-1 still mounts it (the test plays the
// node's kubelet, which the lab has not: the pod is Running, and ends when the test says so). Argo CD's Application shop,
// deployed by Application root (app of apps), deploys into the namespace with automated sync (no
// controller runs: the Applications are objects only).
//   - the precheck says the runbook does not apply to a namespace not being deleted;
//   - a viewer's run reaches the pause and the dispatcher refuses it;
//   - an operator's precheck reads the deletion conditions, what is held and by what, the pod left,
//     both Applications; a second operator is locked out while it runs;
//   - both Applications' automated sync is paused, root first, their syncPolicy recorded;
//   - the process "crashes": a new engine resumes at the manual step;
//   - remove-finalizers is refused, preview and write, while the pod lives; once it is gone, a write
//     bound to a preview the ConfigMap has changed since is refused; previewed again, it goes through;
//   - the postcheck waits until the namespace controller has removed the namespace;
//   - the automated sync is put back exactly as it was, shop first;
//   - the audit trail verifies, and holds the refusals; the incident report is written.
func TestStuckTerminatingOnTheLabsAPIServer(t *testing.T) {
	began := time.Now()
	l := labtest.Start(t, lab.KubeAPIServer, lab.KubeControllerManager)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	kc, dc := adminClients(t, l.RESTConfig())
	applyOperatorRole(ctx, t, dc)

	// Argo CD: root deploys Application shop, which deploys into namespace shop; both sync by themselves.
	apps := dc.Resource(actions.ApplicationsResource()).Namespace("argocd")
	if _, err := kc.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "argocd"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	policies := map[string]map[string]any{
		"root": {"automated": map[string]any{"selfHeal": true}},
		"shop": {"automated": map[string]any{"prune": true, "selfHeal": true}, "syncOptions": []any{"CreateNamespace=true"},
			"retry": map[string]any{"limit": int64(5)}},
	}
	for name, dest := range map[string]string{"root": "argocd", "shop": "shop"} {
		md := map[string]any{"name": name, "namespace": "argocd"}
		if name == "shop" {
			md["labels"] = map[string]any{"app.kubernetes.io/instance": "root"}
		}
		app := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": md,
			"spec": map[string]any{"project": "default",
				"source":      map[string]any{"repoURL": "https://github.com/ClubCedille/k8s-shared", "path": "apps/" + name, "targetRevision": "HEAD"},
				"destination": map[string]any{"server": "https://kubernetes.default.svc", "namespace": dest},
				"syncPolicy":  policies[name]}}}
		if _, err := apps.Create(ctx, app, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	// The fault: namespace shop deleted while ConfigMap held has a finalizer and pod web mounts it.
	if _, err := kc.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "worker-1"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := kc.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop",
		Labels: map[string]string{"app.kubernetes.io/instance": "shop"}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cms := kc.CoreV1().ConfigMaps("shop")
	if _, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "held", Finalizers: []string{"cedille.test/hold"}},
		Data: map[string]string{"mode": "shop"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	stuckPoll(ctx, t, "the default ServiceAccount of shop", func() bool {
		_, err := kc.CoreV1().ServiceAccounts("shop").Get(ctx, "default", metav1.GetOptions{})
		return err == nil
	})
	grace := int64(1)
	pods := kc.CoreV1().Pods("shop")
	pod, err := pods.Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: corev1.PodSpec{NodeName: "worker-1", TerminationGracePeriodSeconds: &grace,
			Containers: []corev1.Container{{Name: "web", Image: "example.invalid/web", VolumeMounts: []corev1.VolumeMount{{Name: "cfg", MountPath: "/etc/shop"}}}},
			Volumes: []corev1.Volume{{Name: "cfg", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
				LocalObjectReference: corev1.LocalObjectReference{Name: "held"}}}}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pod.Status.Phase = corev1.PodRunning // the kubelet's part
	if _, err := pods.UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	// ConfigMap held is deleted (pruned), then the namespace: the namespace controller deletes the pods
	// first, and goes on with the rest only once none is left.
	if err := cms.Delete(ctx, "held", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := kc.CoreV1().Namespaces().Delete(ctx, "shop", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	stuckPoll(ctx, t, "the namespace controller's conditions on shop", func() bool {
		ns, err := dc.Resource(corev1.SchemeGroupVersion.WithResource("namespaces")).Get(ctx, "shop", metav1.GetOptions{})
		if err != nil {
			return false
		}
		c, ok := health.FindCondition(health.Conditions(ns), string(corev1.NamespaceDeletionContentFailure))
		return ok && c.Status == "True"
	})

	bed := newTestbed(t, l.RESTConfig())
	trailPath, clients, d, entries, engine := bed.trailPath, bed.clients, bed.d, bed.entries, bed.engine
	world := runbook.World{Kube: kc, Dynamic: dc}
	rb := StuckTerminating()
	target := runbook.Target{Kind: "Namespace", Name: "shop"}
	start := func(e *runbook.Engine, who actions.Actor, t runbook.Target) (*runbook.Session, error) {
		return e.Start(rb, t, who, world, runbook.DispatchAs(d, actions.As(who)), false)
	}
	vic := actions.Actor{Name: "vic", Role: access.Viewer, Session: "s-vic"}
	olive := actions.Actor{Name: "olive", Role: access.Operator, Session: "s-olive"}
	otto := actions.Actor{Name: "otto", Role: access.Operator, Session: "s-otto"}
	waitAllowed(ctx, t, clients, olive, "patch", "", "configmaps")
	root := actions.Target{Kind: actions.KindApplication, Namespace: "argocd", Name: "root"}
	shopApp := actions.Target{Kind: actions.KindApplication, Namespace: "argocd", Name: "shop"}
	held := actions.Target{Kind: actions.KindObject, Namespace: "shop", Name: "configmap/held"}

	// Where nothing is stuck, the runbook does not apply and changes nothing.
	s, err := start(engine(), olive, runbook.Target{Kind: "Namespace", Name: "argocd"})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := s.Check(ctx); err != nil || v.Applies || v.Why != "Namespace/argocd is not being deleted: nothing is stuck" {
		t.Fatalf("precheck on an Active namespace: %+v %v", v, err)
	}
	if r := s.Run(); r.Outcome != "not applicable: Namespace/argocd is not being deleted: nothing is stuck" {
		t.Fatalf("outcome %q", r.Outcome)
	}

	// A viewer reads, and is refused the pause by the dispatcher.
	sv, err := start(engine(), vic, target)
	if err != nil {
		t.Fatal(err)
	}
	viewerRefused(ctx, t, sv, root, "argocd-pause-sync needs operator; you are viewer")

	// The operator's precheck: the deletion conditions, what holds the namespace, who still uses it,
	// which Applications deploy it.
	s, err = start(engine(), olive, target)
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.Check(ctx)
	if err != nil || !v.Applies || !strings.Contains(v.Why, "1 object held by finalizers (configmap/held)") {
		t.Fatalf("precheck: %+v %v", v, err)
	}
	details := strings.Join(v.Details, "\n")
	for _, want := range []string{
		"NamespaceDeletionContentFailure: Failed to delete all resource types, 1 remaining: unexpected items still remain in namespace: shop for gvr: /v1, Resource=pods",
		"held by finalizers: configmap/held (cedille.test/hold)", "left: pod/web (being deleted, no finalizer: a pod ends when its kubelet says so",
		"spec.finalizers kubernetes: the namespace controller removes it once nothing is left",
		"live consumer: pod shop/web (Running, being deleted, on worker-1) — no finalizer is removed while it lives",
		"Argo CD Application argocd/root deploys Application argocd/shop (app of apps), automated sync on: paused first, restored after",
		"Argo CD Application argocd/shop deploys into namespace shop, automated sync on",
	} {
		if !strings.Contains(details, want) {
			t.Errorf("the precheck does not say %q:\n%s", want, details)
		}
	}
	if _, err := start(engine(), otto, target); err == nil || !strings.Contains(err.Error(), "in progress by olive") {
		t.Fatalf("a second run on the same namespace: %v", err)
	}

	// The pause: root first (it would put shop's automated back), then shop; both recorded.
	act := func(s *runbook.Session, o actions.Target) actions.Preview {
		t.Helper()
		p, err := s.Preview(ctx, o)
		if err != nil {
			t.Fatalf("preview %s: %v", o, err)
		}
		name := o.Name
		if o.Kind == actions.KindObject {
			name = "configmap/held"
		}
		if res, err := s.Act(ctx, o, actions.Confirmation{Typed: name, Expect: p.Expect}); err != nil || res.As != "cedille:olive" {
			t.Fatalf("%s: %+v %v", o, res, err)
		}
		return p
	}
	objs, err := s.Objects(ctx)
	if err != nil || len(objs) != 2 || objs[0].Object != root.String() || objs[1].Object != shopApp.String() {
		t.Fatalf("to pause: %+v %v", objs, err)
	}
	p := act(s, root)
	act(s, shopApp)
	if !strings.Contains(p.String(), "spec.syncPolicy.automated: {\"selfHeal\":true} → (unset)") {
		t.Errorf("the pause's preview:\n%s", p)
	}
	for name, policy := range policies {
		u, err := apps.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		rec, ok, err := actions.PausedSyncOf(u)
		if _, on := actions.AutomatedOf(u); on || !ok || err != nil || rec.By != "cedille:olive" || !sameJSON(rec.SyncPolicy, policy) {
			t.Fatalf("%s after the pause: automated %v, record %+v %v %v", name, on, rec, ok, err)
		}
	}

	// The process dies; a new engine resumes at the manual step.
	s, err = start(engine(), olive, target)
	if err != nil {
		t.Fatal(err)
	}
	if st, ok := s.Current(); !ok || st.ID != "cleanup" {
		t.Fatalf("resumed at %v", st.ID)
	}
	if err := s.Tick("cedille.test/hold is the test's own: nothing to clean up"); err != nil {
		t.Fatal(err)
	}

	// The release: refused while pod web lives, at the preview and at the write.
	objs, err = s.Objects(ctx)
	if err != nil || len(objs) != 1 || objs[0].Object != held.String() {
		t.Fatalf("to release: %+v %v", objs, err)
	}
	_, err = s.Preview(ctx, held)
	if !errors.Is(err, actions.ErrLiveConsumer) || !strings.Contains(err.Error(), "pod shop/web (Running, being deleted, on worker-1) mounts it as volume cfg") {
		t.Fatalf("a preview while the pod lives: %v", err)
	}
	cm, err := cms.Get(ctx, "held", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	seen := actions.Precondition{UID: cm.UID, ResourceVersion: cm.ResourceVersion}
	if _, err := s.Act(ctx, held, actions.Confirmation{Typed: "configmap/held", Expect: seen}); !errors.Is(err, actions.ErrLiveConsumer) {
		t.Fatalf("a write while the pod lives: %v", err)
	}
	if cm, err := cms.Get(ctx, "held", metav1.GetOptions{}); err != nil || len(cm.Finalizers) != 1 {
		t.Fatalf("the refused write changed the ConfigMap: %v %v", cm.Finalizers, err)
	}

	// The pod ends (its kubelet confirms it): nothing uses the ConfigMap any more.
	zero := int64(0)
	if err := pods.Delete(ctx, "web", metav1.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
		t.Fatal(err)
	}
	stuckPoll(ctx, t, "pod web gone", func() bool {
		_, err := pods.Get(ctx, "web", metav1.GetOptions{})
		return apierrors.IsNotFound(err)
	})
	p, err = s.Preview(ctx, held)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Changes) != 1 || p.Changes[0] != (actions.Change{Path: "metadata.finalizers", Before: `["cedille.test/hold"]`, After: actions.Unset}) {
		t.Fatalf("the release's preview:\n%s", p)
	}
	// Someone edits the ConfigMap between the preview and the write: refused, looked at again.
	if _, err := cms.Patch(ctx, "held", types.MergePatchType, []byte(`{"metadata":{"labels":{"edited":"yes"}}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Act(ctx, held, actions.Confirmation{Typed: "configmap/held", Expect: p.Expect}); !errors.Is(err, actions.ErrChanged) {
		t.Fatalf("a write bound to a stale preview: %v", err)
	}
	act(s, held)

	// The namespace controller finishes: the namespace is gone.
	var lines []string
	if err := s.Wait(ctx, func(p runbook.Progress) { lines = append(lines, p.Line) }); err != nil {
		t.Fatalf("postcheck: %v (read %q)", err, lines)
	}
	if last := lines[len(lines)-1]; last != "Namespace/shop is gone" {
		t.Fatalf("last reading %q", last)
	}

	// The automated sync comes back exactly as it was, shop first.
	objs, err = s.Objects(ctx)
	if err != nil || len(objs) != 2 || objs[0].Object != shopApp.String() || objs[1].Object != root.String() {
		t.Fatalf("to restore: %+v %v", objs, err)
	}
	act(s, shopApp)
	act(s, root)
	for name, policy := range policies {
		u, err := apps.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got, _, _ := unstructured.NestedMap(u.Object, "spec", "syncPolicy")
		if _, paused := u.GetAnnotations()[actions.PausedSyncAnnotation]; paused || !sameJSON(got, policy) {
			t.Fatalf("%s restored: %v (record left: %v), want %v", name, got, paused, policy)
		}
	}
	run := s.Run()
	if run.Outcome != "done" {
		t.Fatalf("outcome %q", run.Outcome)
	}

	// The trail verifies and holds the refusals; the report tells the run.
	f, err := os.Open(trailPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := audit.Verify(f); err != nil {
		t.Fatal(err)
	}
	all, err := entries(run.ID)
	if err != nil {
		t.Fatal(err)
	}
	refusalsRecorded(t, all, "live consumer", "changed since you looked")
	report, err := os.ReadFile(run.Report)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# Incident ", "A namespace or an object stuck Terminating — Namespace/shop",
		"| olive | run of stuck-terminating started: resumed at step 3 |", "| olive | argocd-pause-sync application/argocd/root done",
		"| olive | step cleanup: done by hand: cedille.test/hold is the test's own", "| olive | remove-finalizers object/shop/configmap/held done",
		"| olive | step gone: Namespace/shop is gone |", "object/shop/configmap/held (step release, as cedille:olive)", "## Failure, response and repair"} {
		if !strings.Contains(string(report), want) {
			t.Errorf("the report lacks %q:\n%s", want, report)
		}
	}
	t.Logf("stuck-terminating on the lab: %s (the lab's start included)", time.Since(began).Round(time.Second))
}

// applyOperatorRole applies deploy/clusterrole-operator.yaml as it ships: the role the console's
// operators write with, and its bindings to groups cedille:operator and cedille:admin.
func applyOperatorRole(ctx context.Context, t *testing.T, dc dynamic.Interface) {
	t.Helper()
	applyDeployed(ctx, t, dc, "clusterrole-operator.yaml")
}

// applyDeployed applies one of deploy/'s files as it ships, making the namespaces its objects are in
// when the lab has none by that name.
func applyDeployed(ctx context.Context, t *testing.T, dc dynamic.Interface, file string) {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "deploy", file))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	namespaces := schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	dec := utilyaml.NewYAMLOrJSONDecoder(f, 4096)
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); err != nil {
			if errors.Is(err, io.EOF) {
				return
			}
			t.Fatal(err)
		}
		if ns := u.GetNamespace(); ns != "" {
			n := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns}}}
			if _, err := dc.Resource(namespaces).Create(ctx, n, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
				t.Fatal(err)
			}
		}
		res := schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: strings.ToLower(u.GetKind()) + "s"}
		if _, err := dc.Resource(res).Namespace(u.GetNamespace()).Create(ctx, u, metav1.CreateOptions{}); err != nil {
			t.Fatalf("%s %s/%s: %v", u.GetKind(), u.GetNamespace(), u.GetName(), err)
		}
	}
}

// stuckPoll waits until cond holds (the context bounds it).
func stuckPoll(ctx context.Context, t *testing.T, what string, cond func() bool) {
	t.Helper()
	err := wait.PollUntilContextCancel(ctx, 50*time.Millisecond, true, func(context.Context) (bool, error) { return cond(), nil })
	if err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// sameJSON tells whether a and b are the same JSON (a record's numbers decode as float64).
func sameJSON(a, b any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && string(ja) == string(jb)
}
