package runbooks

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/actions"
	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/runbook"
	"github.com/clubcedille/cedille-tui/internal/watch"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
)

var t0 = time.Date(2025, 8, 13, 10, 1, 0, 0, time.UTC)

// node is a node whose Ready condition is ready, last posted by its kubelet at t0.
func node(name string, ready corev1.ConditionStatus, edit ...func(*corev1.Node)) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if ready != "" {
		reason := map[corev1.ConditionStatus]string{corev1.ConditionTrue: "KubeletReady", corev1.ConditionFalse: "KubeletNotReady",
			corev1.ConditionUnknown: "NodeStatusUnknown"}[ready]
		n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: ready, Reason: reason,
			LastHeartbeatTime: metav1.NewTime(t0), LastTransitionTime: metav1.NewTime(t0.Add(40 * time.Second))}}
	}
	for _, e := range edit {
		e(n)
	}
	return n
}

func cordoned(n *corev1.Node) { n.Spec.Unschedulable = true }
func taintedOutOfService(n *corev1.Node) {
	n.Spec.Taints = append(n.Spec.Taints, actions.OutOfService())
}

func TestJudgeLost(t *testing.T) {
	now := t0.Add(4 * time.Minute)
	machineDown := &health.Finding{Object: "Machine/worker-3", Status: health.Down, Reason: "not connected to Omni (last known: RUNNING)"}
	machineUp := &health.Finding{Object: "Machine/worker-3", Status: health.OK, Reason: "RUNNING in cedille"}
	for _, tc := range []struct {
		name      string
		state     nodeState
		applies   bool
		why       string
		detail    string
		notDetail string
	}{
		{name: "no such node", state: nodeState{from: "the API server"}, why: "there is no node worker-3 (read from the API server)"},
		{name: "not registered", state: nodeState{node: node("worker-3", "")}, why: "has no Ready condition"},
		{name: "Ready", state: nodeState{node: node("worker-3", corev1.ConditionTrue)},
			why: "worker-3 is Ready: its kubelet posted at 10:01:00 UTC, 4m0s ago; nothing to recover"},
		{name: "Ready, still out of service and cordoned",
			state: nodeState{node: node("worker-3", corev1.ConditionTrue, cordoned, taintedOutOfService)},
			why:   "still tainted out of service and cordoned: runbook node-returned"},
		{name: "Ready while Omni lost the machine", state: nodeState{node: node("worker-3", corev1.ConditionTrue), omni: true, machine: machineDown},
			why: "is Ready", detail: "Omni's link to the machine is what is down"},
		{name: "NotReady, its kubelet posting", state: nodeState{node: node("worker-3", corev1.ConditionFalse)},
			why: "is NotReady but its kubelet still posts"},
		{name: "kubelet stopped, Omni not watched", state: nodeState{node: node("worker-3", corev1.ConditionUnknown)}, applies: true,
			why: "worker-3's kubelet stopped posting status: last at 10:01:00 UTC, 4m0s ago; Omni is not watched here", detail: "Ready Unknown since 10:01:40 UTC"},
		{name: "kubelet stopped, no machine in Omni", state: nodeState{node: node("worker-3", corev1.ConditionUnknown), omni: true}, applies: true,
			why: "Omni knows no machine named worker-3"},
		{name: "kubelet stopped, machine lost too", state: nodeState{node: node("worker-3", corev1.ConditionUnknown), omni: true, machine: machineDown},
			applies: true, why: "Omni lost its machine too: it is off, or cut off", detail: "Omni: Machine/worker-3 is Down: not connected to Omni",
			notDetail: "must not be tainted"},
		{name: "kubelet stopped, machine still reached", state: nodeState{node: node("worker-3", corev1.ConditionUnknown), omni: true, machine: machineUp},
			applies: true, why: "Omni still reaches its machine: the machine runs", detail: "must not be tainted out of service"},
		{name: "kubelet stopped, already cordoned and tainted",
			state:   nodeState{node: node("worker-3", corev1.ConditionUnknown, cordoned, taintedOutOfService)},
			applies: true, why: "stopped posting", detail: "taint node.kubernetes.io/out-of-service=nodeshutdown:NoExecute\nalready cordoned"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := judgeLost(tc.state, "worker-3", now)
			details := strings.Join(v.Details, "\n")
			if v.Applies != tc.applies || !strings.Contains(v.Why, tc.why) || !strings.Contains(details, tc.detail) {
				t.Fatalf("applies %v, why %q, details:\n%s\nwant applies %v, why %q, detail %q", v.Applies, v.Why, details, tc.applies, tc.why, tc.detail)
			}
			if tc.notDetail != "" && strings.Contains(details, tc.notDetail) {
				t.Fatalf("details say %q:\n%s", tc.notDetail, details)
			}
		})
	}
}

func TestJudgeBack(t *testing.T) {
	for _, tc := range []struct {
		name    string
		node    *corev1.Node
		applies bool
		why     string
	}{
		{"no such node", nil, false, "it has not registered again"},
		{"still away", node("worker-3", corev1.ConditionUnknown, cordoned, taintedOutOfService), false,
			"worker-3 is not Ready: it has not come back (Ready Unknown since 10:01:40 UTC"},
		{"back and in service", node("worker-3", corev1.ConditionTrue), false, "nothing to undo"},
		{"back, tainted and cordoned", node("worker-3", corev1.ConditionTrue, taintedOutOfService, cordoned), true,
			"worker-3 is Ready again (its kubelet posted at 10:01:00 UTC) and still tainted out of service and cordoned"},
		{"back, only cordoned", node("worker-3", corev1.ConditionTrue, cordoned), true, "and still cordoned"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := judgeBack(nodeState{node: tc.node, from: "the API server"}, "worker-3", t0)
			if v.Applies != tc.applies || !strings.Contains(v.Why, tc.why) {
				t.Fatalf("applies %v, why %q; want %v, %q", v.Applies, v.Why, tc.applies, tc.why)
			}
		})
	}
}

// snapshot is a health snapshot holding nodes, with Omni watched or not and the report's findings.
func snapshot(omni, stale bool, nodes []*corev1.Node, findings ...health.Finding) func() watch.Snapshot {
	kube := watch.SourceState{Configured: true, Synced: true}
	if stale {
		kube.StaleSince = t0
	}
	s := watch.Snapshot{Objects: health.Objects{Nodes: nodes},
		Sources: map[platform.Source]watch.SourceState{platform.SourceKubernetes: kube, platform.SourceOmni: {Configured: omni}},
		Report:  health.NewReport(health.NewLayer(health.LayerCluster, findings))}
	return func() watch.Snapshot { return s }
}

func TestReadNode(t *testing.T) {
	inSnapshot := node("worker-3", corev1.ConditionUnknown)
	inCluster := node("worker-3", corev1.ConditionTrue)
	machine := health.Finding{Object: "Machine/worker-3", Status: health.Down, Reason: "not connected to Omni"}
	missing := func() watch.Snapshot {
		s := snapshot(true, false, nil)()
		s.Unavailable = map[string]error{health.ResourceNodes: errors.New("nodes is forbidden")}
		return s
	}
	unsynced := func() watch.Snapshot {
		s := snapshot(true, false, nil)()
		s.Sources[platform.SourceKubernetes] = watch.SourceState{Configured: true}
		return s
	}
	for _, tc := range []struct {
		name     string
		w        runbook.World
		wantFrom string
		wantNode *corev1.Node
		omni     bool
		machine  bool
		wantErr  string
	}{
		{"from the snapshot, with Omni's machine", runbook.World{Snapshot: snapshot(true, false, []*corev1.Node{inSnapshot}, machine), Kube: fake.NewClientset(inCluster)},
			"the health snapshot", inSnapshot, true, true, ""},
		{"not in the snapshot: read directly", runbook.World{Snapshot: snapshot(false, false, nil), Kube: fake.NewClientset(inCluster)},
			"the API server", inCluster, false, false, ""},
		{"not in the snapshot, no cluster: absent", runbook.World{Snapshot: snapshot(false, false, nil)}, "the health snapshot", nil, false, false, ""},
		{"a stale snapshot: read directly, Omni's finding kept", runbook.World{Snapshot: snapshot(true, true, []*corev1.Node{inSnapshot}, machine), Kube: fake.NewClientset(inCluster)},
			"the API server", inCluster, true, true, ""},
		{"a stale snapshot and no cluster", runbook.World{Snapshot: snapshot(true, true, []*corev1.Node{inSnapshot})}, "", nil, true, false,
			"no cluster to read Node/worker-3 from (the health snapshot's Kubernetes data is stale since 10:01:00)"},
		{"a snapshot not synced yet: read directly", runbook.World{Snapshot: unsynced, Kube: fake.NewClientset(inCluster)}, "the API server", inCluster, true, false, ""},
		{"a snapshot not synced yet, no cluster", runbook.World{Snapshot: unsynced}, "", nil, true, false, "has not read the cluster's nodes yet"},
		{"nodes not readable in the snapshot, no cluster", runbook.World{Snapshot: missing}, "", nil, true, false, "nodes is forbidden"},
		{"directly", runbook.World{Kube: fake.NewClientset(inCluster)}, "the API server", inCluster, false, false, ""},
		{"directly, not found", runbook.World{Kube: fake.NewClientset()}, "the API server", nil, false, false, ""},
		{"nothing to read from", runbook.World{}, "", nil, false, false, "no cluster to read Node/worker-3 from"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := readNode(context.Background(), tc.w, runbook.Target{Kind: "Node", Name: "worker-3"})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.from != tc.wantFrom || (s.node == nil) != (tc.wantNode == nil) || s.omni != tc.omni || (s.machine != nil) != tc.machine {
				t.Fatalf("read %+v", s)
			}
			if s.node != nil && readyOf(s.node).Status != readyOf(tc.wantNode).Status {
				t.Fatalf("read the node as %v, want %v", readyOf(s.node).Status, readyOf(tc.wantNode).Status)
			}
		})
	}
}

// pod is a pod of namespace shop on node, edited.
func pod(name, node string, edit ...func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name}, Spec: corev1.PodSpec{NodeName: node},
		Status: corev1.PodStatus{Phase: corev1.PodRunning}}
	for _, e := range edit {
		e(p)
	}
	return p
}

func ownedBy(kind string) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		yes := true
		p.OwnerReferences = []metav1.OwnerReference{{Kind: kind, Name: "x", Controller: &yes}}
	}
}

func mirror(p *corev1.Pod) { p.Annotations = map[string]string{corev1.MirrorPodAnnotationKey: "abc"} }
func terminating(p *corev1.Pod) {
	ts := metav1.NewTime(t0)
	p.DeletionTimestamp = &ts
}

func TestStays(t *testing.T) {
	for _, tc := range []struct {
		name string
		pod  *corev1.Pod
		want string
	}{
		{"a ReplicaSet's pod is evicted", pod("web", "n", ownedBy("ReplicaSet")), ""},
		{"a bare pod is evicted", pod("db", "n"), ""},
		{"a DaemonSet's pod stays", pod("agent", "n", ownedBy("DaemonSet")), stayDaemonSet},
		{"a mirror pod stays", pod("etcd", "n", mirror), stayMirror},
		{"a mirror pod owned by its node stays", pod("etcd", "n", mirror, ownedBy("Node")), stayMirror},
		{"a terminating pod is not evicted again", pod("web", "n", ownedBy("ReplicaSet"), terminating), stayTerminating},
		{"a terminating DaemonSet pod is a DaemonSet's", pod("agent", "n", ownedBy("DaemonSet"), terminating), stayDaemonSet},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := stays(*tc.pod); got != tc.want {
				t.Fatalf("stays %q, want %q", got, tc.want)
			}
		})
	}
}

func attachment(name, node string, attached bool) *storagev1.VolumeAttachment {
	pv := "pv-" + name
	return &storagev1.VolumeAttachment{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: storagev1.VolumeAttachmentSpec{Attacher: "csi.example", NodeName: node,
			Source: storagev1.VolumeAttachmentSource{PersistentVolumeName: &pv}},
		Status: storagev1.VolumeAttachmentStatus{Attached: attached}}
}

// lostWorld is a world reading fake clients that hold objs.
func lostWorld(objs ...runtime.Object) runbook.World {
	return runbook.World{Kube: fake.NewClientset(objs...), Now: func() time.Time { return t0.Add(time.Minute) }}
}

func TestDrainObjectsAndPodsGone(t *testing.T) {
	target := runbook.Target{Kind: "Node", Name: "worker-3"}
	ctx := context.Background()
	w := lostWorld(pod("web-2", "worker-3", ownedBy("ReplicaSet")), pod("db-0", "worker-3"),
		pod("agent", "worker-3", ownedBy("DaemonSet")), pod("etcd", "worker-3", mirror),
		pod("old", "worker-3", terminating), pod("web-1", "worker-1", ownedBy("ReplicaSet")))
	objs, err := evictablePods(ctx, w, target)
	if err != nil {
		t.Fatal(err)
	}
	want := []actions.Target{{Kind: actions.KindPod, Namespace: "shop", Name: "db-0"}, {Kind: actions.KindPod, Namespace: "shop", Name: "web-2"}}
	if !slices.Equal(objs, want) {
		t.Fatalf("drain objects %v, want %v", objs, want)
	}
	p, err := podsGone(ctx, w, target)
	if err != nil || p.Done || p.Line != "3 pods still on worker-3: shop/db-0 (Running), shop/old (Terminating), shop/web-2 (Running)" {
		t.Fatalf("pods gone: %+v %v", p, err)
	}
	pods, _ := podsOn(ctx, w, "worker-3")
	if got := podsSummary("worker-3", pods); got != "5 pods on worker-3: 2 to evict, 1 DaemonSet left alone, 1 mirror left alone, 1 already terminating left alone" {
		t.Fatalf("summary %q", got)
	}

	w = lostWorld(pod("agent", "worker-3", ownedBy("DaemonSet")), pod("etcd", "worker-3", mirror), pod("web-1", "worker-1"))
	if p, err := podsGone(ctx, w, target); err != nil || !p.Done || p.Line != "no pod left on worker-3 (2 DaemonSet or mirror pods aside)" {
		t.Fatalf("pods gone: %+v %v", p, err)
	}
	if p, err := podsGone(ctx, lostWorld(), target); err != nil || !p.Done || p.Line != "no pod left on worker-3" {
		t.Fatalf("pods gone from an empty node: %+v %v", p, err)
	}
}

func TestVolumesDetached(t *testing.T) {
	target := runbook.Target{Kind: "Node", Name: "worker-3"}
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		objs []runtime.Object
		done bool
		line string
	}{
		{"two still attached", []runtime.Object{attachment("csi-b", "worker-3", true), attachment("csi-a", "worker-3", false), attachment("csi-c", "worker-1", true)},
			false, "2 volume attachments still on worker-3: csi-a (PV pv-csi-a, csi.example, detached), csi-b (PV pv-csi-b, csi.example, attached)"},
		{"one left", []runtime.Object{attachment("csi-a", "worker-3", true)}, false, "1 volume attachment still on worker-3: csi-a (PV pv-csi-a, csi.example, attached)"},
		{"only another node's", []runtime.Object{attachment("csi-c", "worker-1", true)}, true, "no volume attached to worker-3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := volumesDetached(ctx, lostWorld(tc.objs...), target)
			if err != nil || p.Done != tc.done || p.Line != tc.line {
				t.Fatalf("got %+v %v, want done %v %q", p, err, tc.done, tc.line)
			}
		})
	}
}

func TestNodeLostPrecheckReadsPodsAndVolumes(t *testing.T) {
	w := lostWorld(node("worker-3", corev1.ConditionUnknown), pod("db-0", "worker-3"), pod("agent", "worker-3", ownedBy("DaemonSet")),
		attachment("csi-a", "worker-3", true))
	v, err := nodeLost(context.Background(), w, runbook.Target{Kind: "Node", Name: "worker-3"})
	if err != nil || !v.Applies {
		t.Fatalf("%+v %v", v, err)
	}
	details := strings.Join(v.Details, "\n")
	for _, want := range []string{"2 pods on worker-3: 1 to evict, 1 DaemonSet left alone", "volume attachment csi-a (PV pv-csi-a, csi.example, attached)"} {
		if !strings.Contains(details, want) {
			t.Errorf("details lack %q:\n%s", want, details)
		}
	}
	// A Ready node: the verdict alone, nothing more read.
	v, err = nodeLost(context.Background(), lostWorld(node("worker-3", corev1.ConditionTrue)), runbook.Target{Kind: "Node", Name: "worker-3"})
	if err != nil || v.Applies || strings.Contains(strings.Join(v.Details, "\n"), "pods on") {
		t.Fatalf("%+v %v", v, err)
	}
}

func TestNodeReturnedSteps(t *testing.T) {
	target := runbook.Target{Kind: "Node", Name: "worker-3"}
	ctx := context.Background()
	w := lostWorld(node("worker-3", corev1.ConditionTrue, cordoned))
	if objs, err := nodeIf(outOfService)(ctx, w, target); err != nil || len(objs) != 0 {
		t.Fatalf("untaint objects of an untainted node: %v %v", objs, err)
	}
	objs, err := nodeIf(func(n *corev1.Node) bool { return n.Spec.Unschedulable })(ctx, w, target)
	if err != nil || !slices.Equal(objs, []actions.Target{{Kind: actions.KindNode, Name: "worker-3"}}) {
		t.Fatalf("uncordon objects: %v %v", objs, err)
	}
	if _, err := nodeIf(outOfService)(ctx, lostWorld(), target); err == nil {
		t.Fatal("objects of a node that does not exist")
	}
	for _, tc := range []struct {
		node *corev1.Node
		done bool
		line string
	}{
		{node("worker-3", corev1.ConditionTrue, cordoned, taintedOutOfService), false, "worker-3 is cordoned, tainted out of service"},
		{node("worker-3", corev1.ConditionUnknown), false, "worker-3 is not Ready"},
		{node("worker-3", corev1.ConditionTrue), true, "worker-3 is Ready and schedulable"},
	} {
		p, err := nodeSchedulable(ctx, lostWorld(tc.node), target)
		if err != nil || p.Done != tc.done || p.Line != tc.line {
			t.Errorf("got %+v %v, want %v %q", p, err, tc.done, tc.line)
		}
	}
}

// TestNodeLostDryRun: a dry run on a lost node lists the drain's pods and stops at nothing; on a Ready one
// it stops after the precheck. The manual step says not to go on with a machine that runs.
func TestNodeLostDryRun(t *testing.T) {
	target := runbook.Target{Kind: "Node", Name: "worker-3"}
	w := lostWorld(node("worker-3", corev1.ConditionUnknown), pod("db-0", "worker-3"), pod("agent", "worker-3", ownedBy("DaemonSet")))
	steps, err := runbook.DryRun(context.Background(), NodeLost(), target, w)
	if err != nil || len(steps) != len(NodeLost().Steps) {
		t.Fatalf("%d steps, %v", len(steps), err)
	}
	var ids []string
	for _, s := range steps {
		if s.Err != nil {
			t.Errorf("step %s: %v", s.Step.ID, s.Err)
		}
		ids = append(ids, s.Step.ID)
	}
	if want := []string{"lost", "cordon", "drain", "powered-off", "out-of-service", "pods-gone", "volumes-detached", "rescheduled"}; !slices.Equal(ids, want) {
		t.Fatalf("steps %v, want %v", ids, want)
	}
	if p := steps[2].Previews; len(p) != 1 || p[0].Target.Name != "db-0" || p[0].Action != "evict-pod" {
		t.Fatalf("drain previews %+v", p)
	}
	if ins := strings.Join(steps[3].Instructions, "\n"); !strings.Contains(ins, "If it is not completely shut down, do not proceed: filesystem corruption can occur") ||
		!strings.Contains(ins, "Omni") || !strings.Contains(ins, "Proxmox") || !strings.Contains(ins, "BMC") {
		t.Fatalf("instructions:\n%s", ins)
	}
	if steps[5].Reading == nil || steps[5].Reading.Done {
		t.Fatalf("pods-gone reads %+v before anything was done", steps[5].Reading)
	}
	if r := steps[7].Reading; r == nil || !r.Done || !strings.Contains(r.Line, "not recreated by any controller (recreate from its manifest): shop/db-0") {
		t.Fatalf("rescheduled reads %+v: db-0 has no controller, the DaemonSet's pod stays", r)
	}

	steps, err = runbook.DryRun(context.Background(), NodeLost(), target, lostWorld(node("worker-3", corev1.ConditionTrue)))
	if err != nil || len(steps) != 1 || steps[0].Verdict.Applies {
		t.Fatalf("a dry run on a Ready node: %d steps, %v", len(steps), err)
	}
	if _, err := runbook.DryRun(context.Background(), NodeLost(), runbook.Target{Kind: "Machine", Name: "worker-3"}, w); err == nil {
		t.Fatal("aimed at a Machine")
	}
}
