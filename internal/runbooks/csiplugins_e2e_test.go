//go:build e2e

package runbooks

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/hack/lab"
	"github.com/clubcedille/cedille-tui/hack/lab/labtest"
	"github.com/clubcedille/cedille-tui/internal/access"
	"github.com/clubcedille/cedille-tui/internal/actions"
	"github.com/clubcedille/cedille-tui/internal/runbook"
	appsv1 "k8s.io/api/apps/v1"
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

// The node plugin of TestCSIPluginsStaleOnTheLabsAPIServer, its namespace and its nodes.
const (
	csiNS     = "rook-ceph"
	csiDSName = "csi-rbdplugin"
)

var csiNodes = []string{"lab-a", "lab-b"}

// TestCSIPluginsStaleOnTheLabsAPIServer runs `csi-plugins-stale` through the engine against the lab's
// real kube-apiserver serving era 2's CRDs, the Rook operator's, the DaemonSet controller's and the
// kubelets' parts played by the test (none runs): DaemonSet csi-rbdplugin has a Ready pod on each of two
// nodes, and the external CephCluster connects after they started.
//   - while the CephCluster is Connecting, the precheck says the runbook does not apply (nothing changed);
//   - once Connected, a viewer's run reaches the restart step and the dispatcher refuses it;
//   - the operator's run lists both pods; a pod changed since its preview is refused;
//   - the guard rail: the CephCluster back to Connecting, the delete is refused (audited), the pod stays;
//   - Connected again, each pod is deleted in turn, each previewed and its name typed;
//   - the DaemonSet makes them again: the postcheck waits for both newer than the connection and Ready.
func TestCSIPluginsStaleOnTheLabsAPIServer(t *testing.T) {
	l := labtest.StartWith(t, lab.Options{Components: []string{lab.KubeAPIServer}, Era2: true})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	kc, dc := adminClients(t, l.RESTConfig())
	ds := csiSetUp(ctx, t, kc)
	ceph := dc.Resource(actions.CephClustersResource()).Namespace(csiNS)
	if _, err := ceph.Create(ctx, &unstructured.Unstructured{Object: map[string]any{"apiVersion": "ceph.rook.io/v1", "kind": "CephCluster",
		"metadata": map[string]any{"name": "external", "namespace": csiNS},
		"spec":     map[string]any{"external": map[string]any{"enable": true}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	csiCephStatus(ctx, t, ceph, "Connecting", time.Time{})
	bindCSIOperators(ctx, t, kc)

	bed := newTestbed(t, l.RESTConfig())
	world := runbook.World{Kube: kc, Dynamic: dc}
	rb := CSIPluginsStale()
	target := runbook.Target{Kind: "DaemonSet", Namespace: csiNS, Name: csiDSName}
	vic := actions.Actor{Name: "vic", Role: access.Viewer, Session: "s-vic"}
	olive := actions.Actor{Name: "olive", Role: access.Operator, Session: "s-olive"}
	waitAllowedIn(ctx, t, bed.clients, olive, "delete", "", "pods", csiNS)
	waitAllowed(ctx, t, bed.clients, olive, "list", "ceph.rook.io", "cephclusters")

	// Connecting: not applicable, nothing changed.
	s, err := bed.start(bed.engine(), rb, target, olive, world)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := s.Check(ctx); err != nil || v.Applies || !strings.Contains(v.Why, "no CephCluster is Connected") {
		t.Fatalf("precheck while Connecting: %+v %v", v, err)
	}

	// The operator's part: Rook connects after the pods started.
	connected := csiServerTimeAfter(ctx, t, kc, newestPod(ctx, t, kc))
	csiCephStatus(ctx, t, ceph, "Connected", connected)

	sv, err := bed.start(bed.engine(), rb, target, vic, world)
	if err != nil {
		t.Fatal(err)
	}
	first := actions.Target{Kind: actions.KindPod, Namespace: csiNS, Name: csiDSName + "-" + csiNodes[0]}
	viewerRefused(ctx, t, sv, first, "restart-csi-plugin needs operator; you are viewer")

	s, err = bed.start(bed.engine(), rb, target, olive, world)
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.Check(ctx)
	if err != nil || !v.Applies || !strings.Contains(v.Why, "2 of 2 pods started before CephCluster external connected") {
		t.Fatalf("precheck: %+v %v", v, err)
	}
	objs, err := s.Objects(ctx)
	if err != nil || len(objs) != 2 || objs[0].Object != first.String() {
		t.Fatalf("objects %+v %v", objs, err)
	}

	// A pod changed since its preview: refused.
	p, err := s.Preview(ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kc.CoreV1().Pods(csiNS).Patch(ctx, first.Name, types.MergePatchType, []byte(`{"metadata":{"labels":{"edited":"yes"}}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Act(ctx, first, actions.Confirmation{Typed: first.Name, Expect: p.Expect}); !errors.Is(err, actions.ErrChanged) {
		t.Fatalf("a delete bound to a stale preview: %v", err)
	}
	if p, err = s.Preview(ctx, first); err != nil {
		t.Fatal(err)
	}

	// The guard rail: the CephCluster loses its connection between the preview and the delete.
	csiCephStatus(ctx, t, ceph, "Connecting", time.Time{})
	if _, err := s.Act(ctx, first, actions.Confirmation{Typed: first.Name, Expect: p.Expect}); !errors.Is(err, actions.ErrCephNotConnected) {
		t.Fatalf("a delete while Ceph is not Connected: %v", err)
	}
	if _, err := kc.CoreV1().Pods(csiNS).Get(ctx, first.Name, metav1.GetOptions{}); err != nil {
		t.Fatalf("the pod after the refusal: %v", err)
	}
	csiCephStatus(ctx, t, ceph, "Connected", connected)

	for _, o := range objs {
		pod := actions.Target{Kind: actions.KindPod, Namespace: csiNS, Name: strings.TrimPrefix(o.Object, "pod/"+csiNS+"/")}
		p, err := s.Preview(ctx, pod)
		if err != nil {
			t.Fatal(err)
		}
		if res, err := s.Act(ctx, pod, actions.Confirmation{Typed: pod.Name, Expect: p.Expect}); err != nil || res.As != "cedille:olive" {
			t.Fatalf("restart %s: %+v %v", pod, res, err)
		}
		if _, err := kc.CoreV1().Pods(csiNS).Get(ctx, pod.Name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Fatalf("%s after its restart: %v", pod, err)
		}
	}

	// The DaemonSet controller's and the kubelets' part: a new pod on each node, Ready.
	for _, n := range csiNodes {
		csiPluginPod(ctx, t, kc, ds, csiDSName+"-new-"+n, n)
	}
	var lines []string
	if err := s.Wait(ctx, func(p runbook.Progress) { lines = append(lines, p.Line) }); err != nil {
		t.Fatalf("postcheck: %v (read %q)", err, lines)
	}
	if last := lines[len(lines)-1]; last != "DaemonSet rook-ceph/csi-rbdplugin: 2 of 2 pods started after the connection, 2 Ready" {
		t.Fatalf("last reading %q", last)
	}
	run := s.Run()
	if run.Outcome != "done" {
		t.Fatalf("outcome %q", run.Outcome)
	}
	entries, err := bed.entries(run.ID)
	if err != nil {
		t.Fatal(err)
	}
	refusalsRecorded(t, entries, "was modified", "no CephCluster is Connected")
}

// csiSetUp makes the namespace, two nodes, DaemonSet csi-rbdplugin scheduling one pod on each, and those
// pods, Running and Ready.
func csiSetUp(ctx context.Context, t *testing.T, kc kubernetes.Interface) *appsv1.DaemonSet {
	t.Helper()
	if _, err := kc.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: csiNS}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// No controller manager: the default ServiceAccount is made here, as its controller would.
	if _, err := kc.CoreV1().ServiceAccounts(csiNS).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, n := range csiNodes {
		if _, err := kc.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: n}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	labels := map[string]string{"app": csiDSName}
	ds, err := kc.AppsV1().DaemonSets(csiNS).Create(ctx, &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: csiDSName},
		Spec: appsv1.DaemonSetSpec{Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "csi-rbdplugin", Image: "example.invalid/cephcsi"}}}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ds.Status = appsv1.DaemonSetStatus{DesiredNumberScheduled: 2, CurrentNumberScheduled: 2, NumberReady: 2, NumberAvailable: 2}
	if ds, err = kc.AppsV1().DaemonSets(csiNS).UpdateStatus(ctx, ds, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, n := range csiNodes {
		csiPluginPod(ctx, t, kc, ds, csiDSName+"-"+n, n)
	}
	return ds
}

// csiPluginPod makes pod name of ds on node, Running and Ready.
func csiPluginPod(ctx context.Context, t *testing.T, kc kubernetes.Interface, ds *appsv1.DaemonSet, name, node string) {
	t.Helper()
	yes, zero := true, int64(0)
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: csiNS, Labels: ds.Spec.Template.Labels,
		OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "DaemonSet", Name: ds.Name, UID: ds.UID, Controller: &yes}}},
		Spec: corev1.PodSpec{NodeName: node, TerminationGracePeriodSeconds: &zero, Containers: ds.Spec.Template.Spec.Containers}}
	p, err := kc.CoreV1().Pods(csiNS).Create(ctx, p, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p.Status = corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{
		{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.Now()}}}
	if _, err := kc.CoreV1().Pods(csiNS).UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// newestPod is when the last of the namespace's pods was made, as the API server stamped it.
func newestPod(ctx context.Context, t *testing.T, kc kubernetes.Interface) time.Time {
	t.Helper()
	l, err := kc.CoreV1().Pods(csiNS).List(ctx, metav1.ListOptions{})
	if err != nil || len(l.Items) == 0 {
		t.Fatalf("the pods: %v", err)
	}
	var latest time.Time
	for _, p := range l.Items {
		if c := p.CreationTimestamp.Time; c.After(latest) {
			latest = c
		}
	}
	return latest
}

// csiServerTimeAfter waits until the API server stamps a new object later than after (its timestamps
// are whole seconds) and returns that stamp: a time every pod made so far is before, and every pod made
// from now on is not.
func csiServerTimeAfter(ctx context.Context, t *testing.T, kc kubernetes.Interface, after time.Time) time.Time {
	t.Helper()
	var at time.Time
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		cm, err := kc.CoreV1().ConfigMaps(csiNS).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{GenerateName: "clock-"}}, metav1.CreateOptions{})
		if err != nil {
			return false, err
		}
		_ = kc.CoreV1().ConfigMaps(csiNS).Delete(ctx, cm.Name, metav1.DeleteOptions{})
		at = cm.CreationTimestamp.Time
		return at.After(after), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return at
}

// csiCephStatus writes the CephCluster's status as Rook does: phase, and the Connected condition since
// at when Connected.
func csiCephStatus(ctx context.Context, t *testing.T, ceph dynamic.ResourceInterface, phase string, at time.Time) {
	t.Helper()
	u, err := ceph.Get(ctx, "external", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cond := map[string]any{"type": phase, "status": "True", "lastTransitionTime": time.Now().UTC().Format(time.RFC3339)}
	if phase == "Connected" {
		cond["lastTransitionTime"] = at.UTC().Format(time.RFC3339)
	}
	_ = unstructured.SetNestedField(u.Object, map[string]any{"phase": phase, "conditions": []any{cond}}, "status")
	if _, err := ceph.UpdateStatus(ctx, u, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// bindCSIOperators grants group cedille:operator what restart-csi-plugin sends, as the lab's admin.
func bindCSIOperators(ctx context.Context, t *testing.T, kc kubernetes.Interface) {
	t.Helper()
	const name = "cedille-operator-csi"
	if _, err := kc.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "delete"}},
			{APIGroups: []string{"ceph.rook.io"}, Resources: []string{"cephclusters"}, Verbs: []string{"list"}}}},
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
