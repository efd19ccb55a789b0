package watch

import (
	"context"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/platform"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
)

// clubPod is a pod of namespace ns on worker-1, created an hour before evNow, its container in state.
func clubPod(ns, name string, state corev1.ContainerState, claims ...string) *corev1.Pod {
	created := metav1.NewTime(evNow.Add(-time.Hour))
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID("uid-" + name),
		CreationTimestamp: created, ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubelet"}}},
		Spec: corev1.PodSpec{NodeName: "worker-1", Containers: []corev1.Container{{Name: "app", Image: "registry.k8s.io/" + name + ":v1.30.2"}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{Name: "app", State: state}},
			Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: created}}}}
	for _, c := range claims {
		p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: c, VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: c}}})
	}
	if state.Running != nil {
		p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: corev1.PodReady, Status: corev1.ConditionTrue})
		p.Status.ContainerStatuses[0].Ready = true
	} else {
		p.Status.Phase = corev1.PodPending
	}
	return p
}

func running() corev1.ContainerState {
	return corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}
}

func containerCreating() corev1.ContainerState {
	return corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}
}

func controlPlanePod(name string) *corev1.Pod {
	p := clubPod(metav1.NamespaceSystem, name, running())
	p.Labels = map[string]string{"tier": "control-plane", "k8s-app": "kube-apiserver"}
	return p
}

func TestSummarizePod(t *testing.T) {
	web := clubPod("club", "web-1", running())
	got, err := SummarizePod(web)
	if err != nil {
		t.Fatal(err)
	}
	e, ok := got.(*podEntry)
	if !ok || e.full != nil || e.Name != "web-1" || e.Phase != corev1.PodRunning || !e.Ready {
		t.Fatalf("SummarizePod(pod) = %#v, want its summary only", got)
	}
	if key, err := cache.MetaNamespaceKeyFunc(e); err != nil || key != "club/web-1" {
		t.Fatalf("entry keyed %q (%v), want the pod's key", key, err)
	}
	if again, _ := SummarizePod(e); again != any(e) {
		t.Fatal("an entry already summarised must pass through unchanged (the watch-list transforms it twice)")
	}
	other, _ := SummarizePod(clubPod(strings.Clone("club"), "web-2", running()))
	if unsafe.StringData(other.(*podEntry).Namespace) != unsafe.StringData(e.Namespace) {
		t.Error("pods of a namespace must share its name (interned)")
	}

	cp, _ := SummarizePod(controlPlanePod("kube-apiserver-cp-1"))
	ce := cp.(*podEntry)
	if ce.full == nil || ce.full.Name != "kube-apiserver-cp-1" || ce.full.ManagedFields != nil || ce.full.Spec.Containers[0].Image == "" {
		t.Fatalf("a control-plane pod is kept whole, stripped: %#v", ce.full)
	}
	tomb := cache.DeletedFinalStateUnknown{Key: "club/web-1", Obj: e}
	if got, _ := SummarizePod(tomb); got != any(tomb) {
		t.Fatal("tombstones pass through")
	}
}

// TestKubeSourcePods: one informer over every namespace keeps the pods' summaries, the control plane's
// whole; the mount problems come from the Warning events; the workloads layer judges the pods.
func TestKubeSourcePods(t *testing.T) {
	mount := warning("club", "db-0.1", "db-0", "FailedMount", time.Minute)
	mount.Message = `MountVolume.MountDevice failed for volume "pvc-1" : failed to stat /var/lib/kubelet/plugins`
	kube, _ := fakeKube(readyNode("worker-1", true), controlPlanePod("kube-apiserver-cp-1"),
		clubPod("club", "web-1", running()), clubPod("club", "db-0", containerCreating(), "data-db-0"), mount,
		warning("club", "web-1.1", "web-1", "BackOff", time.Minute))
	src := NewKubeSource(kube)
	src.ProbeEvery = time.Hour
	s := Collect(context.Background(), Targets{Name: "t", Kube: kube}, 10*time.Second, evNow)
	if st := s.Source(platform.SourceKubernetes); !st.Synced || st.Err != nil {
		t.Fatalf("source %+v", st)
	}
	var names []string
	for _, p := range s.Pods {
		names = append(names, p.Key())
	}
	if strings.Join(names, " ") != "club/db-0 club/web-1 kube-system/kube-apiserver-cp-1" {
		t.Fatalf("pods %v, want every namespace's, sorted", names)
	}
	if len(s.ControlPlanePods) != 1 || s.ControlPlanePods[0].Spec.Containers[0].Image != "registry.k8s.io/kube-apiserver-cp-1:v1.30.2" {
		t.Fatalf("control-plane pods %v, want the apiserver whole", s.ControlPlanePods)
	}
	if mp := s.MountProblems["club/db-0"]; mp.Reason != "FailedMount" || len(s.MountProblems) != 1 {
		t.Fatalf("mount problems %+v, want db-0's FailedMount only", s.MountProblems)
	}
	wl := health.Workloads(s.Objects)
	var db health.Finding
	for _, f := range wl.Findings {
		if f.Object == "Pod/club/db-0" {
			db = f
		}
	}
	if db.Status != health.Down || !strings.Contains(db.Reason, "waiting on its volumes for 1h: FailedMount: MountVolume.MountDevice") {
		t.Fatalf("db-0: %+v, want Down waiting on its volumes, with the event's reason", db)
	}
	cl, _ := s.Report.Layer(health.LayerCluster)
	if cl.Status != health.OK || len(cl.Findings) < 2 {
		t.Fatalf("cluster layer %+v: the control-plane pod judged from the same watch", cl)
	}
}

// TestPodsCacheHoldsSummaries: the informer's store holds no *corev1.Pod but the control plane's, inside
// their entries.
func TestPodsCacheHoldsSummaries(t *testing.T) {
	kube, cs := fakeKube(controlPlanePod("kube-apiserver-cp-1"), clubPod("club", "web-1", running()))
	ctx := context.Background()
	src, ch := hubOver(t, kube)
	waitFor(t, ch, "the new pod", func(s Snapshot) bool { return len(s.Pods) == 2 && s.Source(platform.SourceKubernetes).Synced })
	if _, err := cs.CoreV1().Pods("club").Create(ctx, clubPod("club", "web-2", running()), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ch, "the new pod", func(s Snapshot) bool { return len(s.Pods) == 3 })
	src.mu.Lock()
	store := src.kinds[health.ResourcePods].inf.GetStore()
	src.mu.Unlock()
	for _, it := range store.List() {
		if _, ok := it.(*podEntry); !ok {
			t.Fatalf("the pods cache holds a %T", it)
		}
	}
}

// hubOver runs a hub over a Kubernetes source on kube until the test ends, and subscribes to it.
func hubOver(t *testing.T, kube *platform.Kube) (*KubeSource, <-chan Snapshot) {
	src := NewKubeSource(kube)
	src.ProbeEvery = time.Hour // a fake clientset's discovery cannot answer the probe
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	hub := NewHub(HubOptions{MinInterval: time.Millisecond, Clock: func() time.Time { return evNow }}, src)
	go hub.Run(ctx)
	ch, unsub := hub.Subscribe()
	t.Cleanup(unsub)
	return src, ch
}

// waitFor reads snapshots until one is ok, for at most 10 s.
func waitFor(t *testing.T, ch <-chan Snapshot, what string, ok func(Snapshot) bool) Snapshot {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case s := <-ch:
			if ok(s) {
				return s
			}
		case <-deadline:
			t.Fatalf("never saw %s", what)
		}
	}
}

func TestHeartbeatOnly(t *testing.T) {
	base := readyNode("worker-1", true)
	base.ResourceVersion = "1"
	base.Status.Conditions[0].LastHeartbeatTime = metav1.NewTime(evNow.Add(-time.Minute))
	change := func(f func(n *corev1.Node)) *corev1.Node {
		n := base.DeepCopy()
		n.ResourceVersion = "2"
		f(n)
		return n
	}
	tests := []struct {
		name  string
		after *corev1.Node
		same  bool
	}{
		{"heartbeat renewed", change(func(n *corev1.Node) { n.Status.Conditions[0].LastHeartbeatTime = metav1.NewTime(evNow) }), true},
		{"managed fields", change(func(n *corev1.Node) { n.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "kubelet"}} }), true},
		{"not ready", change(func(n *corev1.Node) { n.Status.Conditions[0].Status = corev1.ConditionFalse }), false},
		{"a condition's transition", change(func(n *corev1.Node) { n.Status.Conditions[0].LastTransitionTime = metav1.NewTime(evNow) }), false},
		{"a new condition", change(func(n *corev1.Node) {
			n.Status.Conditions = append(n.Status.Conditions, corev1.NodeCondition{Type: corev1.NodeDiskPressure})
		}), false},
		{"cordoned", change(func(n *corev1.Node) { n.Spec.Unschedulable = true }), false},
		{"a label", change(func(n *corev1.Node) { n.Labels = map[string]string{"x": "y"} }), false},
	}
	for _, tt := range tests {
		if got := HeartbeatOnly(base, tt.after); got != tt.same {
			t.Errorf("%s: HeartbeatOnly = %v, want %v", tt.name, got, tt.same)
		}
	}
	if base.Status.Conditions[0].LastHeartbeatTime.IsZero() {
		t.Error("HeartbeatOnly modified its input")
	}
	if HeartbeatOnly("x", base) {
		t.Error("a non-node is never the same")
	}
}

// TestKubeSourceIgnoresHeartbeats: a node update that only renews the heartbeat makes no new snapshot;
// the next real change does.
func TestKubeSourceIgnoresHeartbeats(t *testing.T) {
	kube, cs := fakeKube(readyNode("worker-1", true))
	ctx := context.Background()
	src, ch := hubOver(t, kube)
	waitFor(t, ch, "the synced node", func(s Snapshot) bool { return len(s.Nodes) == 1 && s.Source(platform.SourceKubernetes).Synced })
	gen := func() uint64 {
		src.mu.Lock()
		defer src.mu.Unlock()
		return src.kinds["nodes"].gen
	}
	before := gen()
	nodes := cs.CoreV1().Nodes()
	n, err := nodes.Get(ctx, "worker-1", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n.Status.Conditions[0].LastHeartbeatTime = metav1.NewTime(evNow)
	if n, err = nodes.UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	n.Status.Conditions[0].Status = corev1.ConditionFalse
	if _, err = nodes.UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ch, "the node NotReady", func(s Snapshot) bool {
		return len(s.Nodes) == 1 && s.Nodes[0].Status.Conditions[0].Status == corev1.ConditionFalse
	})
	if got := gen(); got != before+1 {
		t.Fatalf("nodes changed %d times, want once: the heartbeat alone is no change", got-before)
	}
}

// TestFillLeavesOutKindsStillListing: a kind whose first list is not complete contributes nothing to a
// snapshot, not half a list.
func TestFillLeavesOutKindsStillListing(t *testing.T) {
	kube, _ := fakeKube()
	src := NewKubeSource(kube)
	inf := informers.NewSharedInformerFactory(kube.Typed, 0).Core().V1().Nodes().Informer() // never started
	if err := inf.GetStore().Add(readyNode("worker-1", true)); err != nil {
		t.Fatal(err)
	}
	src.add("nodes", inf, builtins()[0].put, func() {}, StripForCache, nil)
	s := Snapshot{Sources: map[platform.Source]SourceState{}}
	src.Fill(&s)
	if len(s.Nodes) != 0 || s.Unavailable["nodes"] != nil {
		t.Fatalf("a kind still listing gave %d nodes (unavailable: %v)", len(s.Nodes), s.Unavailable["nodes"])
	}
}
