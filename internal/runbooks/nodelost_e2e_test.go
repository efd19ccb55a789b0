//go:build e2e

package runbooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/hack/lab"
	"github.com/clubcedille/cedille-tui/hack/lab/labtest"
	"github.com/clubcedille/cedille-tui/internal/access"
	"github.com/clubcedille/cedille-tui/internal/actions"
	"github.com/clubcedille/cedille-tui/internal/audit"
	"github.com/clubcedille/cedille-tui/internal/runbook"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
)

// TestNodeLostOnTheLabsAPIServer runs `node-lost`, then `node-returned`, through the engine against the
// lab's real kube-apiserver and kube-controller-manager (RBAC on, the operators bound to deploy/'s
// cedille-console-operator role), writing as impersonated console users. Node lab-lost is not kwok's: the
// test is its kubelet, and plays the node lifecycle controller the lab runs without — when the kubelet
// stops posting, Ready turns Unknown, the node is tainted unreachable and its pods not Ready. The rest is
// the real controllers': the disruption controller keeps the PodDisruptionBudget's status, the ReplicaSet
// controller replaces evicted pods, the taint-eviction controller and the pod garbage collector remove the
// pods of a node tainted out of service. The attach-detach controller is off in the lab: the test deletes
// the VolumeAttachment as it would.
//   - while the node is Ready, node-lost does not apply (nothing is changed), nor does node-returned;
//   - its kubelet stops: a viewer's run is refused the cordon; an operator's precheck says the kubelet
//     stopped, what is on the node and which volume is attached; a second operator is locked out;
//   - cordon; the drain evicts the ReplicaSet's pods (replaced elsewhere) and leaves the DaemonSet's and
//     the mirror pod alone; the PodDisruptionBudget refuses the third eviction, naming itself, in the
//     preview and at the write; the pod is left alone, saying why;
//   - the taint cannot come before the manual step; the process crashes there and the run resumes;
//   - the kubelet posts Ready for a moment between the taint's preview and its write: refused (changed),
//     and previewed again, refused (Ready); lost again, the node is tainted;
//   - the postchecks wait until the controllers have removed every pod and the volume is detached;
//   - the node comes back: node-returned removes the taint, uncordons it and waits until it is
//     schedulable; the audit trail verifies and the incident report tells the run.
func TestNodeLostOnTheLabsAPIServer(t *testing.T) {
	l := labtest.Start(t, lab.KubeAPIServer, lab.KubeControllerManager)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	kc, _ := adminClients(t, l.RESTConfig())
	const lost, ns = "lab-lost", "shop"
	lostSetUp(ctx, t, kc, lost, ns)
	lostBindDeployedRoles(ctx, t, kc)

	bed := newTestbed(t, l.RESTConfig())
	trailPath, clients, d, engine := bed.trailPath, bed.clients, bed.d, bed.engine
	world := runbook.World{Kube: kc}
	target := runbook.Target{Kind: "Node", Name: lost}
	node := actions.Target{Kind: actions.KindNode, Name: lost}
	start := func(e *runbook.Engine, rb runbook.Runbook, who actions.Actor) (*runbook.Session, error) {
		return e.Start(rb, target, who, world, runbook.DispatchAs(d, actions.As(who)), false)
	}
	vic := actions.Actor{Name: "vic", Role: access.Viewer, Session: "s-vic"}
	olive := actions.Actor{Name: "olive", Role: access.Operator, Session: "s-olive"}
	otto := actions.Actor{Name: "otto", Role: access.Operator, Session: "s-otto"}
	waitAllowed(ctx, t, clients, olive, "patch", "", "nodes") // the binding is in force (the role with it)

	// The node is Ready: neither runbook applies, and nothing is changed.
	s, err := start(engine(), NodeLost(), olive)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := s.Check(ctx); err != nil || v.Applies || !strings.Contains(v.Why, "lab-lost is Ready: its kubelet posted at") {
		t.Fatalf("node-lost on a Ready node: %+v %v", v, err)
	}
	if out := s.Run().Outcome; !strings.HasPrefix(out, "not applicable: lab-lost is Ready") {
		t.Fatalf("outcome %q", out)
	}
	s, err = start(engine(), NodeReturned(), olive)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := s.Check(ctx); err != nil || v.Applies || !strings.Contains(v.Why, "nothing to undo") {
		t.Fatalf("node-returned on a node in service: %+v %v", v, err)
	}
	if n := lostNode(ctx, t, kc, lost); n.Spec.Unschedulable || len(n.Spec.Taints) > 0 {
		t.Fatalf("a run that did not apply changed the node: %+v", n.Spec)
	}

	// The kubelet stops posting.
	lostKubeletStops(ctx, t, kc, lost)
	lostPoll(ctx, t, "the disruption controller counts db-0 unhealthy", func() (bool, error) {
		pdb, err := kc.PolicyV1().PodDisruptionBudgets(ns).Get(ctx, "db", metav1.GetOptions{})
		return err == nil && pdb.Status.ObservedGeneration == pdb.Generation && pdb.Status.CurrentHealthy == 0, err
	})

	// A viewer's run: the precheck reads, the cordon is refused; the viewer aborts.
	sv, err := start(engine(), NodeLost(), vic)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := sv.Check(ctx); err != nil || !v.Applies {
		t.Fatalf("the viewer's precheck: %+v %v", v, err)
	}
	if _, err := sv.Objects(ctx); err != nil {
		t.Fatal(err)
	}
	var refused *actions.RefusedError
	if _, err := sv.Preview(ctx, node); !errors.As(err, &refused) || !strings.Contains(err.Error(), "cordon needs operator; you are viewer") {
		t.Fatalf("a viewer's cordon: %v", err)
	}
	if err := sv.Abort("a viewer cannot cordon; handing it to an operator"); err != nil {
		t.Fatal(err)
	}

	// The operator's run: the precheck says what it read.
	s, err = start(engine(), NodeLost(), olive)
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.Check(ctx)
	if err != nil || !v.Applies {
		t.Fatalf("precheck: %+v %v", v, err)
	}
	details := strings.Join(v.Details, "\n")
	for _, want := range []string{"lab-lost's kubelet stopped posting status: last at", "Omni is not watched here"} {
		if !strings.Contains(v.Why, want) {
			t.Errorf("the verdict does not say %q: %s", want, v.Why)
		}
	}
	for _, want := range []string{"Ready Unknown since", "NodeStatusUnknown", "taint node.kubernetes.io/unreachable:NoExecute",
		"5 pods on lab-lost: 3 to evict, 1 DaemonSet left alone, 1 mirror left alone",
		"volume attachment csi-db (PV pv-db, csi.lab.example, attached)"} {
		if !strings.Contains(details, want) {
			t.Errorf("the precheck does not say %q:\n%s", want, details)
		}
	}
	if _, err := start(engine(), NodeLost(), otto); err == nil || !strings.Contains(err.Error(), "in progress by olive") {
		t.Fatalf("a second run on the same node: %v", err)
	}
	if so, err := start(engine(), NodeReturned(), otto); err != nil {
		t.Fatal(err)
	} else if v, err := so.Check(ctx); err != nil || v.Applies || !strings.Contains(v.Why, "lab-lost is not Ready: it has not come back (Ready Unknown") {
		t.Fatalf("node-returned while the node is away: %+v %v", v, err)
	}

	// Cordon.
	if objs, err := s.Objects(ctx); err != nil || len(objs) != 1 || objs[0].Object != node.String() {
		t.Fatalf("cordon objects %+v %v", objs, err)
	}
	p, err := s.Preview(ctx, node)
	if err != nil || !slices.ContainsFunc(p.Changes, func(c actions.Change) bool { return c.Path == "spec.unschedulable" && c.After == "true" }) {
		t.Fatalf("cordon preview %+v %v", p, err)
	}
	if _, err := s.Act(ctx, node, actions.Confirmation{Expect: p.Expect}); err != nil {
		t.Fatal(err)
	}
	if !lostNode(ctx, t, kc, lost).Spec.Unschedulable {
		t.Fatal("not cordoned")
	}

	// The drain: the ReplicaSet's pods are evicted, the DaemonSet's and the mirror pod stay.
	objs, err := s.Objects(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, o := range objs {
		names = append(names, o.Object)
	}
	if want := []string{"pod/shop/db-0", "pod/shop/web-a", "pod/shop/web-b"}; !slices.Equal(names, want) {
		t.Fatalf("drain objects %v, want %v", names, want)
	}
	for _, name := range []string{"web-a", "web-b"} {
		pod := actions.Target{Kind: actions.KindPod, Namespace: ns, Name: name}
		p, err := s.Preview(ctx, pod)
		if err != nil || !slices.Contains(p.Notes, "ReplicaSet web makes a new one") {
			t.Fatalf("preview of %s: %+v %v", name, p, err)
		}
		if _, err := s.Act(ctx, pod, actions.Confirmation{Typed: name, Expect: p.Expect}); err != nil {
			t.Fatalf("evict %s: %v", name, err)
		}
		got, err := kc.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil || got.DeletionTimestamp == nil || !slices.ContainsFunc(got.Status.Conditions, func(c corev1.PodCondition) bool {
			return c.Type == corev1.DisruptionTarget && c.Reason == "EvictionByEvictionAPI"
		}) {
			t.Fatalf("%s after its eviction: %+v %v", name, got, err)
		}
	}
	lostPoll(ctx, t, "the ReplicaSet replaces its evicted pods, off lab-lost", func() (bool, error) {
		l, err := kc.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
		if err != nil {
			return false, err
		}
		fresh := 0
		for _, p := range l.Items {
			if p.DeletionTimestamp == nil && p.Spec.NodeName != lost {
				fresh++
			}
		}
		return fresh == 2, nil
	})
	// The budget refuses db-0, in the preview and at the write, naming itself.
	db := actions.Target{Kind: actions.KindPod, Namespace: ns, Name: "db-0"}
	var refusal *actions.DisruptionError
	if _, err := s.Preview(ctx, db); !errors.As(err, &refusal) || refusal.Budget != "db" ||
		!strings.Contains(err.Error(), "eviction refused by PodDisruptionBudget shop/db: The disruption budget db needs 1 healthy pods and has 0 currently") {
		t.Fatalf("the preview of a pod its budget protects: %v", err)
	}
	dbPod, err := kc.CoreV1().Pods(ns).Get(ctx, "db-0", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	seen := actions.Precondition{UID: dbPod.UID, ResourceVersion: dbPod.ResourceVersion}
	if _, err := s.Act(ctx, db, actions.Confirmation{Typed: "db-0", Expect: seen}); !errors.As(err, &refusal) || refusal.Budget != "db" {
		t.Fatalf("the eviction of a pod its budget protects: %v", err)
	}
	if got, err := kc.CoreV1().Pods(ns).Get(ctx, "db-0", metav1.GetOptions{}); err != nil || got.DeletionTimestamp != nil {
		t.Fatalf("db-0 after the refusal: %v %v", got.DeletionTimestamp, err)
	}
	if err := s.Skip(db, "PodDisruptionBudget shop/db allows no disruption; the out-of-service taint removes it once the machine is off"); err != nil {
		t.Fatal(err)
	}

	// The manual step: the taint cannot come first. The process dies here; the run resumes.
	if _, err := s.Objects(ctx); !errors.Is(err, runbook.ErrWrongStep) {
		t.Fatalf("the taint's objects before the machine is confirmed off: %v", err)
	}
	s, err = start(engine(), NodeLost(), olive)
	if err != nil {
		t.Fatal(err)
	}
	if st, ok := s.Current(); !ok || st.ID != "powered-off" ||
		!strings.Contains(strings.Join(st.Instructions(target, s.Run().Earlier), "\n"), "If it is not completely shut down, do not proceed: filesystem corruption can occur") {
		t.Fatalf("resumed at %+v", st.ID)
	}
	if err := s.Tick("Proxmox: VM lab-lost stopped"); err != nil {
		t.Fatal(err)
	}

	// The taint: refused while the node changed since the preview, and on a Ready node.
	if objs, err := s.Objects(ctx); err != nil || len(objs) != 1 || objs[0].Object != node.String() {
		t.Fatalf("taint objects %+v %v", objs, err)
	}
	p, err = s.Preview(ctx, node)
	if err != nil || len(p.Changes) != 1 || p.Changes[0].Path != "spec.taints" || !strings.Contains(p.Changes[0].After, `{"effect":"NoExecute","key":"node.kubernetes.io/out-of-service","value":"nodeshutdown"}`) {
		t.Fatalf("taint preview %+v %v", p, err)
	}
	lostKubeletPosts(ctx, t, kc, lost) // back for a moment
	if _, err := s.Act(ctx, node, actions.Confirmation{Typed: lost, Expect: p.Expect}); !errors.Is(err, actions.ErrChanged) {
		t.Fatalf("a taint bound to a stale preview: %v", err)
	}
	if _, err := s.Preview(ctx, node); !errors.Is(err, actions.ErrNodeReady) {
		t.Fatalf("the taint's preview on a Ready node: %v", err)
	}
	if lostHasTaint(lostNode(ctx, t, kc, lost), corev1.TaintNodeOutOfService) {
		t.Fatal("tainted while Ready")
	}
	lostKubeletStops(ctx, t, kc, lost)
	if p, err = s.Preview(ctx, node); err != nil {
		t.Fatal(err)
	}
	if res, err := s.Act(ctx, node, actions.Confirmation{Typed: lost, Expect: p.Expect}); err != nil || res.As != "cedille:olive" {
		t.Fatalf("taint: %+v %v", res, err)
	}
	if !lostHasTaint(lostNode(ctx, t, kc, lost), corev1.TaintNodeOutOfService) {
		t.Fatal("not tainted")
	}

	// The controllers remove the node's pods; the postcheck waits for it.
	var lines []string
	if err := s.Wait(ctx, func(p runbook.Progress) { lines = append(lines, p.Line) }); err != nil {
		t.Fatalf("pods-gone: %v (read %q)", err, lines)
	}
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "no pod left on lab-lost") {
		t.Fatalf("pods-gone's last reading %q", last)
	}
	for _, name := range []string{"db-0", "web-a", "web-b"} {
		if _, err := kc.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("%s is still there: %v", name, err)
		}
	}

	// The attach-detach controller's part: once the postcheck has seen the volume attached, it is detached.
	seenAttached := make(chan struct{})
	var once sync.Once
	detached := make(chan error, 1)
	go func() {
		select {
		case <-seenAttached:
			detached <- kc.StorageV1().VolumeAttachments().Delete(ctx, "csi-db", metav1.DeleteOptions{})
		case <-ctx.Done():
			detached <- ctx.Err()
		}
	}()
	lines = nil
	if err := s.Wait(ctx, func(p runbook.Progress) {
		lines = append(lines, p.Line)
		if strings.Contains(p.Line, "csi-db") {
			once.Do(func() { close(seenAttached) })
		}
	}); err != nil {
		t.Fatalf("volumes-detached: %v (read %q)", err, lines)
	}
	if err := <-detached; err != nil {
		t.Fatal(err)
	}
	if lines[0] != "1 volume attachment still on lab-lost: csi-db (PV pv-db, csi.lab.example, attached)" || lines[len(lines)-1] != "no volume attached to lab-lost" {
		t.Fatalf("volumes-detached read %q", lines)
	}
	// The scheduler's and the kubelet's part: the ReplicaSet's new pods are placed on lab-spare and Ready.
	lines = nil
	if err := s.Wait(ctx, func(p runbook.Progress) {
		lines = append(lines, p.Line)
		if !p.Done {
			lostPlaceReplacements(ctx, t, kc, ns, "lab-spare")
		}
	}); err != nil {
		t.Fatalf("rescheduled: %v (read %q)", err, lines)
	}
	if !strings.HasPrefix(lines[0], "ReplicaSet shop/web 0 of 2 Ready elsewhere") ||
		lines[len(lines)-1] != "the pods of 1 controller are Ready again elsewhere; not recreated by any controller (recreate from its manifest): shop/db-0" {
		t.Fatalf("rescheduled read %q", lines)
	}
	run := s.Run()
	if run.Outcome != "done" {
		t.Fatalf("outcome %q", run.Outcome)
	}
	report, err := os.ReadFile(run.Report)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"A node lost: its kubelet stopped posting status — Node/lab-lost",
		"| olive | run of node-lost started: resumed at step 4 |",
		"| olive | evict-pod pod/shop/db-0 refused: ", "eviction refused by PodDisruptionBudget shop/db",
		"- pod/shop/db-0 (left alone: PodDisruptionBudget shop/db allows no disruption",
		"| olive | step powered-off: done by hand: Proxmox: VM lab-lost stopped |",
		"taint-out-of-service node/lab-lost refused: node/lab-lost was modified",
		"| olive | taint-out-of-service node/lab-lost done |",
		"- node/lab-lost (step out-of-service, as cedille:olive)"} {
		if !strings.Contains(string(report), want) {
			t.Errorf("the report lacks %q:\n%s", want, report)
		}
	}

	// The machine is powered on again: its kubelet posts Ready; node-returned puts it back in service.
	lostKubeletPosts(ctx, t, kc, lost)
	s, err = start(engine(), NodeReturned(), olive)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := s.Check(ctx); err != nil || !v.Applies || !strings.Contains(v.Why, "and still tainted out of service and cordoned") {
		t.Fatalf("node-returned's precheck: %+v %v", v, err)
	}
	for _, step := range []struct{ id, path string }{{"untaint", "spec.taints"}, {"uncordon", "spec.unschedulable"}} {
		if st, _ := s.Current(); st.ID != step.id {
			t.Fatalf("at step %s, want %s", st.ID, step.id)
		}
		if _, err := s.Objects(ctx); err != nil {
			t.Fatal(err)
		}
		p, err := s.Preview(ctx, node)
		if err != nil || len(p.Changes) != 1 || p.Changes[0].Path != step.path {
			t.Fatalf("%s preview %+v %v", step.id, p, err)
		}
		if _, err := s.Act(ctx, node, actions.Confirmation{Expect: p.Expect}); err != nil {
			t.Fatalf("%s: %v", step.id, err)
		}
	}
	lines = nil
	if err := s.Wait(ctx, func(p runbook.Progress) { lines = append(lines, p.Line) }); err != nil || s.Run().Outcome != "done" {
		t.Fatalf("schedulable: %v (read %q, outcome %q)", err, lines, s.Run().Outcome)
	}
	if n := lostNode(ctx, t, kc, lost); n.Spec.Unschedulable || lostHasTaint(n, corev1.TaintNodeOutOfService) {
		t.Fatalf("the node back: %+v", n.Spec)
	}

	f, err := os.Open(trailPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := audit.Verify(f); err != nil {
		t.Fatal(err)
	}
}

// lostSetUp makes the platform of the test: nodes lab-lost (its kubelet played by the test) and lab-spare,
// Ready; on lab-lost two pods of ReplicaSet web, pod db-0 under PodDisruptionBudget db (minAvailable 1),
// a pod of DaemonSet agent, a mirror pod in kube-system, all Running and Ready; a VolumeAttachment of
// volume pv-db to lab-lost. The controllers adopt the pods as they would a kubelet's.
func lostSetUp(ctx context.Context, t *testing.T, kc kubernetes.Interface, lost, ns string) {
	t.Helper()
	if _, err := kc.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	lostPoll(ctx, t, "the default ServiceAccount of "+ns, func() (bool, error) {
		_, err := kc.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{})
		return err == nil, nil
	})
	for _, name := range []string{lost, "lab-spare"} {
		n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"lab/agent": fmt.Sprint(name == lost)}}}
		if _, err := kc.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		lostKubeletPosts(ctx, t, kc, name)
		// The TTL controller annotates a new node once: wait for it, so that no write of its own lands
		// between a preview and an action of the test.
		lostPoll(ctx, t, "the TTL controller's annotation on "+name, func() (bool, error) {
			_, ok := lostNode(ctx, t, kc, name).Annotations["node.alpha.kubernetes.io/ttl"]
			return ok, nil
		})
	}
	pods := []*corev1.Pod{
		lostPod(ns, "web-a", lost, "web"), lostPod(ns, "web-b", lost, "web"), lostPod(ns, "db-0", lost, "db"),
		lostPod(ns, "agent-lab-lost", lost, "agent"), lostPod(metav1.NamespaceSystem, "kube-proxy-lab-lost", lost, "kube-proxy"),
	}
	pods[4].Annotations = map[string]string{corev1.MirrorPodAnnotationKey: "5f1c0ffee"}
	for _, p := range pods {
		created, err := kc.CoreV1().Pods(p.Namespace).Create(ctx, p, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		created.Status = corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{
			{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.Now()}}}
		if _, err := kc.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	two := int32(2)
	tmpl := func(app string) corev1.PodTemplateSpec {
		return corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": app}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: app, Image: "example.invalid/" + app}}}}
	}
	if _, err := kc.AppsV1().ReplicaSets(ns).Create(ctx, &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: appsv1.ReplicaSetSpec{Replicas: &two, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}, Template: tmpl("web")},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	agent := tmpl("agent")
	agent.Spec.NodeSelector = map[string]string{"lab/agent": "true"}
	if _, err := kc.AppsV1().DaemonSets(ns).Create(ctx, &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: "agent"},
		Spec: appsv1.DaemonSetSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "agent"}}, Template: agent},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []struct{ name, owner string }{{"web-a", "ReplicaSet"}, {"web-b", "ReplicaSet"}, {"agent-lab-lost", "DaemonSet"}} {
		lostPoll(ctx, t, p.owner+" adopting "+p.name, func() (bool, error) {
			got, err := kc.CoreV1().Pods(ns).Get(ctx, p.name, metav1.GetOptions{})
			c := metav1.GetControllerOf(got)
			return err == nil && c != nil && c.Kind == p.owner, err
		})
	}
	lostPoll(ctx, t, "the ReplicaSet and the DaemonSet content with the pods they adopted", func() (bool, error) {
		rs, err := kc.AppsV1().ReplicaSets(ns).Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		ds, err := kc.AppsV1().DaemonSets(ns).Get(ctx, "agent", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		l, err := kc.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		return err == nil && rs.Status.ObservedGeneration == rs.Generation && rs.Status.Replicas == 2 &&
			ds.Status.ObservedGeneration == ds.Generation && ds.Status.DesiredNumberScheduled == 1 && ds.Status.CurrentNumberScheduled == 1 &&
			len(l.Items) == 4, err
	})

	one := intstr.FromInt32(1)
	if _, err := kc.PolicyV1().PodDisruptionBudgets(ns).Create(ctx, &policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Name: "db"},
		Spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: &one, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	lostPoll(ctx, t, "the disruption controller counts db-0 healthy", func() (bool, error) {
		pdb, err := kc.PolicyV1().PodDisruptionBudgets(ns).Get(ctx, "db", metav1.GetOptions{})
		return err == nil && pdb.Status.ObservedGeneration == pdb.Generation && pdb.Status.CurrentHealthy == 1, err
	})

	pv := "pv-db"
	va, err := kc.StorageV1().VolumeAttachments().Create(ctx, &storagev1.VolumeAttachment{ObjectMeta: metav1.ObjectMeta{Name: "csi-db"},
		Spec: storagev1.VolumeAttachmentSpec{Attacher: "csi.lab.example", NodeName: lost, Source: storagev1.VolumeAttachmentSource{PersistentVolumeName: &pv}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	va.Status.Attached = true
	if _, err := kc.StorageV1().VolumeAttachments().UpdateStatus(ctx, va, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// lostPlaceReplacements plays the scheduler and the kubelets: every pod of ns not bound to a node is bound
// to node, Running and Ready.
func lostPlaceReplacements(ctx context.Context, t *testing.T, kc kubernetes.Interface, ns, node string) {
	t.Helper()
	l, err := kc.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range l.Items {
		if p.Spec.NodeName != "" || p.DeletionTimestamp != nil {
			continue
		}
		if err := kc.CoreV1().Pods(ns).Bind(ctx, &corev1.Binding{ObjectMeta: metav1.ObjectMeta{Name: p.Name},
			Target: corev1.ObjectReference{Kind: "Node", Name: node}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		got, err := kc.CoreV1().Pods(ns).Get(ctx, p.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got.Status = corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{
			{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.Now()}}}
		if _, err := kc.CoreV1().Pods(ns).UpdateStatus(ctx, got, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

func lostPod(ns, name, node, app string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{"app": app}},
		Spec: corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: app, Image: "example.invalid/" + app}}}}
}

func lostNode(ctx context.Context, t *testing.T, kc kubernetes.Interface, name string) *corev1.Node {
	t.Helper()
	n, err := kc.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func lostHasTaint(n *corev1.Node, key string) bool {
	return slices.ContainsFunc(n.Spec.Taints, func(t corev1.Taint) bool { return t.Key == key })
}

// lostKubeletPosts is the node's kubelet posting Ready now; as the node lifecycle controller does when a
// node is Ready, the unreachable and not-ready taints go (the API server's admission taints a new node
// not-ready).
func lostKubeletPosts(ctx context.Context, t *testing.T, kc kubernetes.Interface, name string) {
	t.Helper()
	lostEditNode(ctx, t, kc, name, func(n *corev1.Node) {
		now := metav1.Now()
		n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
			Message: "kubelet is posting ready status", LastHeartbeatTime: now, LastTransitionTime: now}}
	}, func(n *corev1.Node) {
		n.Spec.Taints = slices.DeleteFunc(n.Spec.Taints, func(t corev1.Taint) bool {
			return t.Key == corev1.TaintNodeUnreachable || t.Key == corev1.TaintNodeNotReady
		})
	})
}

// lostKubeletStops is what the node lifecycle controller does once the kubelet has stopped posting for its
// grace period: Ready Unknown (the last heartbeat kept), the unreachable taints, the node's pods not Ready.
func lostKubeletStops(ctx context.Context, t *testing.T, kc kubernetes.Interface, name string) {
	t.Helper()
	lostEditNode(ctx, t, kc, name, func(n *corev1.Node) {
		for i, c := range n.Status.Conditions {
			if c.Type == corev1.NodeReady {
				n.Status.Conditions[i].Status, n.Status.Conditions[i].Reason = corev1.ConditionUnknown, "NodeStatusUnknown"
				n.Status.Conditions[i].Message, n.Status.Conditions[i].LastTransitionTime = "Kubelet stopped posting node status.", metav1.Now()
			}
		}
	}, func(n *corev1.Node) {
		now := metav1.Now()
		for _, effect := range []corev1.TaintEffect{corev1.TaintEffectNoSchedule, corev1.TaintEffectNoExecute} {
			tn := corev1.Taint{Key: corev1.TaintNodeUnreachable, Effect: effect}
			if effect == corev1.TaintEffectNoExecute {
				tn.TimeAdded = &now
			}
			if !slices.ContainsFunc(n.Spec.Taints, func(x corev1.Taint) bool { return x.MatchTaint(&tn) }) {
				n.Spec.Taints = append(n.Spec.Taints, tn)
			}
		}
	})
	pods, err := kc.CoreV1().Pods(metav1.NamespaceAll).List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=" + name})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods.Items {
		err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			got, err := kc.CoreV1().Pods(p.Namespace).Get(ctx, p.Name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			for i, c := range got.Status.Conditions {
				if c.Type == corev1.PodReady {
					got.Status.Conditions[i].Status, got.Status.Conditions[i].LastTransitionTime = corev1.ConditionFalse, metav1.Now()
				}
			}
			_, err = kc.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, got, metav1.UpdateOptions{})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// lostEditNode writes the node's status, then its spec, each edited.
func lostEditNode(ctx context.Context, t *testing.T, kc kubernetes.Interface, name string, status, spec func(*corev1.Node)) {
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		n, err := kc.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		status(n)
		if n, err = kc.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
			return err
		}
		spec(n)
		_, err = kc.CoreV1().Nodes().Update(ctx, n, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// lostBindDeployedRoles creates deploy/'s ClusterRole cedille-console-operator and its bindings as they
// are: the operators act with exactly what the console's deployment grants them.
func lostBindDeployedRoles(ctx context.Context, t *testing.T, kc kubernetes.Interface) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "deploy", "clusterrole-operator.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
	for {
		var doc map[string]any
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			return
		} else if err != nil {
			t.Fatal(err)
		}
		switch doc["kind"] {
		case "ClusterRole":
			var r rbacv1.ClusterRole
			if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(doc, &r, true); err != nil {
				t.Fatal(err)
			}
			_, err = kc.RbacV1().ClusterRoles().Create(ctx, &r, metav1.CreateOptions{})
		case "ClusterRoleBinding":
			var r rbacv1.ClusterRoleBinding
			if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(doc, &r, true); err != nil {
				t.Fatal(err)
			}
			_, err = kc.RbacV1().ClusterRoleBindings().Create(ctx, &r, metav1.CreateOptions{})
		default:
			t.Fatalf("deploy/clusterrole-operator.yaml holds a %v", doc["kind"])
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// lostPoll waits for cond, a minute at most.
func lostPoll(ctx context.Context, t *testing.T, what string, cond func() (bool, error)) {
	t.Helper()
	var last error
	err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, time.Minute, true, func(context.Context) (bool, error) {
		ok, err := cond()
		last = err
		return ok, nil
	})
	if err != nil {
		t.Fatalf("waiting for %s: %v (last error: %v)", what, err, last)
	}
}
