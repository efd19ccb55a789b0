package health

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/siderolabs/omni/client/api/omni/specs"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func node(name string, unschedulable bool, conds ...corev1.NodeCondition) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}
	n.Spec.Unschedulable = unschedulable
	n.Status.Conditions = conds
	n.Status.NodeInfo.KubeletVersion = "v1.27.3"
	return n
}

func cond(t corev1.NodeConditionType, s corev1.ConditionStatus, reason, msg string) corev1.NodeCondition {
	return corev1.NodeCondition{Type: t, Status: s, Reason: reason, Message: msg,
		LastTransitionTime: metav1.NewTime(time.Date(2025, 8, 13, 9, 58, 0, 0, time.UTC))}
}

func TestNode(t *testing.T) {
	ready := cond(corev1.NodeReady, corev1.ConditionTrue, "KubeletReady", "kubelet is posting ready status")
	tests := []struct {
		name       string
		node       *corev1.Node
		want       Status
		reasonHas  string
		wantNoHint bool
	}{
		{"ready", node("worker-1", false, ready), OK, "Ready, kubelet v1.27.3", true},
		{"no conditions yet", node("worker-2", false), Unknown, "no Ready condition", false},
		{"kubelet silent after power loss", node("worker-3", false,
			cond(corev1.NodeReady, corev1.ConditionUnknown, "NodeStatusUnknown", "Kubelet stopped posting node status.")),
			Down, "since 2025-08-13 09:58:00Z", false},
		{"not ready", node("controlplane-1", false,
			cond(corev1.NodeReady, corev1.ConditionFalse, "KubeletNotReady", "container runtime network not ready\nmore")),
			Down, "NotReady: KubeletNotReady (container runtime network not ready …)", false},
		{"memory pressure", node("worker-1", false, ready,
			cond(corev1.NodeMemoryPressure, corev1.ConditionTrue, "KubeletHasInsufficientMemory", "")),
			Degraded, "MemoryPressure", false},
		{"pressure false is fine", node("worker-1", false, ready,
			cond(corev1.NodeDiskPressure, corev1.ConditionFalse, "", "")), OK, "Ready", true},
		{"cordoned", node("worker-2", true, ready), Degraded, "cordoned", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := Node(tt.node)
			if f.Status != tt.want {
				t.Fatalf("status = %v, want %v (%s)", f.Status, tt.want, f.Reason)
			}
			if !strings.Contains(f.Reason, tt.reasonHas) {
				t.Errorf("reason %q lacks %q", f.Reason, tt.reasonHas)
			}
			if (f.Hint == "") != tt.wantNoHint {
				t.Errorf("hint = %q, want empty: %v", f.Hint, tt.wantNoHint)
			}
			if f.Object != "Node/"+tt.node.Name {
				t.Errorf("object = %q", f.Object)
			}
		})
	}
}

func machine(id, host string, spec *specs.MachineStatusSpec) *omni.MachineStatus {
	m := omni.NewMachineStatus(id)
	if host != "" {
		spec.Network = &specs.MachineStatusSpec_NetworkStatus{Hostname: host}
	}
	m.TypedSpec().Value = spec
	return m
}

func TestMachine(t *testing.T) {
	tests := []struct {
		name       string
		m          *omni.MachineStatus
		want       Status
		wantObject string
		reasonHas  string
	}{
		{"connected", machine("a1", "worker-1", &specs.MachineStatusSpec{Connected: true, TalosVersion: "v1.5.5"}),
			OK, "Machine/worker-1", "Talos v1.5.5"},
		{"no hostname uses the id", machine("4c4c4544-0042", "", &specs.MachineStatusSpec{Connected: true}),
			OK, "Machine/4c4c4544-0042", "connected"},
		{"disconnected", machine("a2", "worker-2", &specs.MachineStatusSpec{Connected: false}),
			Down, "Machine/worker-2", "not connected"},
		{"last error", machine("a3", "worker-3", &specs.MachineStatusSpec{Connected: true,
			LastError: "failed to install: disk /dev/sdb not found\ntrace"}),
			Degraded, "Machine/worker-3", "disk /dev/sdb not found …"},
		{"maintenance", machine("a4", "controlplane-1", &specs.MachineStatusSpec{Connected: true, Maintenance: true}),
			Degraded, "Machine/controlplane-1", "maintenance"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := Machine(tt.m)
			if f.Status != tt.want || f.Object != tt.wantObject || !strings.Contains(f.Reason, tt.reasonHas) {
				t.Fatalf("got %+v, want %v %s ~%q", f, tt.want, tt.wantObject, tt.reasonHas)
			}
		})
	}
}

func TestClusterLayer(t *testing.T) {
	ready := cond(corev1.NodeReady, corev1.ConditionTrue, "", "")
	forbidden := errors.New(`nodes is forbidden: User "reader" cannot list resource "nodes"`)
	tests := []struct {
		name     string
		o        Objects
		want     Status
		first    string
		findings int
	}{
		{"nothing seen is unknown", Objects{}, Unknown, "", 0},
		{"all ready, one kubelet version", Objects{
			Nodes:    []*corev1.Node{node("b", false, ready), node("a", false, ready)},
			Machines: []*omni.MachineStatus{machine("m", "a", &specs.MachineStatusSpec{Connected: true})},
		}, OK, "Machine/a", 4},
		{"worst first", Objects{Nodes: []*corev1.Node{node("a", false, ready), node("b", true, ready),
			node("c", false, cond(corev1.NodeReady, corev1.ConditionFalse, "", ""))}}, Down, "Node/c", 4},
		{"nil entries are skipped", Objects{Nodes: []*corev1.Node{nil, node("a", false, ready)},
			Machines: []*omni.MachineStatus{nil}, ClusterStatuses: []*omni.ClusterStatus{nil},
			ClusterMachines: []*omni.ClusterMachineStatus{nil}, ControlPlanePods: []*corev1.Pod{nil}}, OK, "Node/a", 2},
		{"forbidden nodes are unknown", Objects{Unavailable: map[string]error{ResourceNodes: forbidden}},
			Unknown, "API/nodes", 1},
		{"forbidden pods are unknown beside readable nodes", Objects{
			Unavailable: map[string]error{ResourcePods: errors.New("pods is forbidden")},
			Nodes:       []*corev1.Node{node("a", false, ready)},
		}, Unknown, "API/pods", 3},
		{"a machine folds its cluster membership", Objects{
			Machines: []*omni.MachineStatus{machine("m1", "worker-1", &specs.MachineStatusSpec{Connected: true,
				TalosVersion: "v1.5.5", Cluster: "c"})},
			ClusterMachines: []*omni.ClusterMachineStatus{clusterMachine("m1", "worker-1", "c", true,
				&specs.ClusterMachineStatusSpec{Stage: specs.ClusterMachineStatusSpec_INSTALLING})},
		}, Degraded, "Machine/worker-1", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := Cluster(tt.o)
			if l.Status != tt.want {
				t.Fatalf("status = %v, want %v: %+v", l.Status, tt.want, l.Findings)
			}
			if got := l.Worst().Object; got != tt.first {
				t.Errorf("worst = %q, want %q", got, tt.first)
			}
			if len(l.Findings) != tt.findings {
				t.Errorf("%d findings, want %d: %+v", len(l.Findings), tt.findings, l.Findings)
			}
		})
	}
}

// TestClusterLayerEveryObject: every node, machine, cluster and control-plane pod is a finding, a
// cluster machine folded into its machine's, plus the version findings.
func TestClusterLayerEveryObject(t *testing.T) {
	ready := cond(corev1.NodeReady, corev1.ConditionTrue, "", "")
	o := Objects{
		Now:   time.Date(2025, 8, 13, 10, 0, 0, 0, time.UTC),
		Nodes: []*corev1.Node{node("controlplane-1", false, ready), node("worker-1", false, ready)},
		Machines: []*omni.MachineStatus{
			machine("id-cp1", "controlplane-1", &specs.MachineStatusSpec{Connected: true, TalosVersion: "v1.5.5", Cluster: "cedille-cluster"}),
			machine("id-w1", "worker-1", &specs.MachineStatusSpec{Connected: true, TalosVersion: "v1.5.5", Cluster: "cedille-cluster"}),
		},
		ClusterMachines: []*omni.ClusterMachineStatus{
			clusterMachine("id-cp1", "controlplane-1", "cedille-cluster", true, runningMachine()),
			clusterMachine("id-w1", "worker-1", "cedille-cluster", true, runningMachine()),
			clusterMachine("id-gone", "worker-9", "cedille-cluster", true, runningMachine()),
		},
		ClusterStatuses:  []*omni.ClusterStatus{clusterStatus("cedille-cluster", healthyCluster(2))},
		ControlPlanePods: []*corev1.Pod{cpPod("kube-apiserver-controlplane-1", "v1.27.3", corev1.PodRunning, true)},
	}
	l := Cluster(o)
	want := []string{"Machine/controlplane-1", "Machine/worker-1", "Machine/worker-9", "Node/controlplane-1", "Node/worker-1",
		"OmniCluster/cedille-cluster", "Pod/kube-system/kube-apiserver-controlplane-1", "VersionSkew/kubelet",
		"VersionSkew/talos/cedille-cluster"}
	var got []string
	for _, f := range l.Findings {
		got = append(got, f.Object)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("findings %v\nwant       %v", got, want)
	}
	if l.Status != OK {
		t.Fatalf("status %v: %+v", l.Status, l.Findings)
	}
	if f := findingNamed(t, l, "Machine/worker-1"); f.Reason != "connected, Talos v1.5.5, RUNNING in cedille-cluster" {
		t.Errorf("worker-1: %q", f.Reason)
	}
	if f := findingNamed(t, l, "Machine/worker-9"); !strings.Contains(f.Reason, "no MachineStatus") {
		t.Errorf("worker-9: %q", f.Reason)
	}
}

func TestReportAndExitCodes(t *testing.T) {
	tests := []struct {
		name   string
		layers []LayerReport
		want   Status
		code   int
	}{
		{"none", nil, Unknown, 1},
		{"ok", []LayerReport{NewLayer(LayerCluster, []Finding{{Object: "Node/a", Status: OK}})}, OK, 0},
		{"unknown counts as not healthy", []LayerReport{
			NewLayer(LayerCluster, []Finding{{Status: OK}}),
			UnavailableLayer(LayerStorage, "CRD/diskpools.openebs.io", Unknown, "CRD absent", ""),
		}, Unknown, 1},
		{"degraded", []LayerReport{NewLayer(LayerCluster, []Finding{{Status: Degraded}, {Status: OK}})}, Degraded, 1},
		{"down wins", []LayerReport{
			NewLayer(LayerCluster, []Finding{{Status: Degraded}}),
			UnavailableLayer(LayerSecrets, "Vault", Down, "unreachable", ""),
		}, Down, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReport(tt.layers...)
			if r.Overall != tt.want || r.Overall.ExitCode() != tt.code {
				t.Fatalf("overall %v code %d, want %v %d", r.Overall, r.Overall.ExitCode(), tt.want, tt.code)
			}
		})
	}
}

func TestStatusText(t *testing.T) {
	for _, s := range []Status{OK, Unknown, Degraded, Down} {
		b, _ := s.MarshalText()
		var back Status
		if err := back.UnmarshalText(b); err != nil || back != s {
			t.Fatalf("%v round-trips to %v (%v)", s, back, err)
		}
		if s.Symbol() == "" {
			t.Fatalf("%v has no symbol", s)
		}
	}
	var s Status
	if err := s.UnmarshalText([]byte("Sick")); err == nil {
		t.Fatal("an unknown status name must be refused")
	}
	if got := Status(9).String(); got != "Status(9)" {
		t.Fatalf("out of range status prints %q", got)
	}
}
