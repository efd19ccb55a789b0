package health

import (
	"fmt"
	"strings"
	"testing"

	"github.com/siderolabs/omni/client/api/omni/specs"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
	corev1 "k8s.io/api/core/v1"
)

// kubelet is a Ready node with the given kubelet version, a control plane when cp.
func kubelet(name, version string, cp bool) *corev1.Node {
	n := node(name, false, cond(corev1.NodeReady, corev1.ConditionTrue, "", ""))
	n.Status.NodeInfo.KubeletVersion = version
	if cp {
		n.Labels = map[string]string{labelControlPlane: ""}
	}
	return n
}

// eraOneNodes are 3 control planes and n workers on the same kubelet version.
func eraOneNodes(version string, workers int) []*corev1.Node {
	var ns []*corev1.Node
	for i := 1; i <= 3; i++ {
		ns = append(ns, kubelet(fmt.Sprintf("controlplane-%d", i), version, true))
	}
	for i := 1; i <= workers; i++ {
		ns = append(ns, kubelet(fmt.Sprintf("worker-%d", i), version, false))
	}
	return ns
}

func TestKubeletSkew(t *testing.T) {
	apiserver := func(v string) []*corev1.Pod {
		return []*corev1.Pod{cpPod("kube-apiserver-controlplane-1", v, corev1.PodRunning, true),
			cpPod("kube-scheduler-controlplane-1", "v1.99.0", corev1.PodRunning, true)} // not the API server
	}
	tests := []struct {
		name      string
		nodes     []*corev1.Node
		pods      []*corev1.Pod
		want      Status
		reasonHas string
		hintHas   string
	}{
		{"uniform, no API server pod", eraOneNodes("v1.27.3", 3), nil, OK, "v1.27.3 on all 6 nodes", ""},
		{"uniform, API server said", eraOneNodes("v1.27.3", 3), apiserver("v1.27.3"), OK, "v1.27.3 on all 6 nodes, API server v1.27.3", ""},
		{"mid patch upgrade", append(eraOneNodes("v1.27.3", 2), kubelet("worker-3", "v1.27.6", false)), apiserver("v1.27.6"),
			Degraded, "mid-upgrade or skew: v1.27.3 on 5 nodes, v1.27.6 on worker-3", "let it finish"},
		{"kubelet newer than the API server", append(eraOneNodes("v1.27.3", 2), kubelet("worker-3", "v1.28.3", false)), apiserver("v1.27.3"),
			Degraded, "kubelet newer than the API server v1.27.3 (not allowed): v1.28.3 on worker-3", "control plane first"},
		{"the oldest API server counts", eraOneNodes("v1.28.3", 0), append(apiserver("v1.28.3"),
			cpPod("kube-apiserver-controlplane-2", "v1.27.3", corev1.PodRunning, true)),
			Degraded, "newer than the API server v1.27.3", ""},
		{"workers newer than the control plane", append(eraOneNodes("v1.27.3", 1), kubelet("worker-2", "v1.28.0", false)), nil,
			Degraded, "kubelet newer than the control plane's kubelets v1.27.3 (not allowed): v1.28.0 on worker-2", ""},
		{"mid minor upgrade of the control plane is no violation", []*corev1.Node{kubelet("controlplane-1", "v1.28.0", true),
			kubelet("controlplane-2", "v1.27.3", true), kubelet("worker-1", "v1.27.3", false)}, nil,
			Degraded, "mid-upgrade or skew: v1.27.3 on controlplane-2, worker-1, v1.28.0 on controlplane-1", ""},
		{"three minors older is allowed", append(eraOneNodes("v1.30.0", 1), kubelet("worker-2", "v1.27.3", false)), apiserver("v1.30.0"),
			Degraded, "mid-upgrade or skew", ""},
		{"four minors older is not", append(eraOneNodes("v1.31.1", 1), kubelet("worker-2", "v1.27.3", false)), apiserver("v1.31.1"),
			Degraded, "kubelet too old for the API server v1.31.1 (not allowed): v1.27.3 on worker-2", "one minor version at a time"},
		{"before 1.25 the limit is two", append(eraOneNodes("v1.26.9", 1), kubelet("worker-2", "v1.23.17", false)), apiserver("v1.26.9"),
			Degraded, "too old", ""},
		{"both ways", append(eraOneNodes("v1.31.1", 0), kubelet("worker-1", "v1.27.3", false), kubelet("worker-2", "v1.32.0", false)),
			apiserver("v1.31.1"), Degraded, "kubelet newer than the API server v1.31.1 (not allowed): v1.32.0 on worker-2; kubelet too old", ""},
		{"unreadable versions are named, not judged", []*corev1.Node{kubelet("e2e-a", "v1.33.0", false), kubelet("e2e-b", "fake", false)}, nil,
			OK, "v1.33.0 on 1 node (no readable version on e2e-b)", ""},
		{"a distribution suffix parses", []*corev1.Node{kubelet("a", "v1.30.4+k3s1", false), kubelet("b", "v1.30.4+k3s1", false)}, nil,
			OK, "v1.30.4+k3s1 on all 2 nodes", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, ok := KubeletSkew(tt.nodes, tt.pods)
			if !ok {
				t.Fatal("no finding")
			}
			if f.Object != "VersionSkew/kubelet" || f.Status != tt.want || !strings.Contains(f.Reason, tt.reasonHas) {
				t.Fatalf("got %+v, want %v ~%q", f, tt.want, tt.reasonHas)
			}
			if !strings.Contains(f.Hint, tt.hintHas) || (f.Status != OK) == (f.Hint == "") {
				t.Errorf("hint %q, want ~%q (and a hint exactly when not OK)", f.Hint, tt.hintHas)
			}
		})
	}
	if f, ok := KubeletSkew([]*corev1.Node{kubelet("kwok", "fake", false), nil}, nil); ok {
		t.Errorf("no readable version, no finding: got %+v", f)
	}
	if _, ok := KubeletSkew(nil, nil); ok {
		t.Error("no nodes, no finding")
	}
}

// talosMachine is an allocated machine on a Talos version.
func talosMachine(id, host, cluster, version string) *omni.MachineStatus {
	return machine(id, host, &specs.MachineStatusSpec{Connected: true, TalosVersion: version, Cluster: cluster})
}

func TestTalosSkew(t *testing.T) {
	cedille := func(ms ...*omni.MachineStatus) []*omni.MachineStatus {
		out := []*omni.MachineStatus{
			talosMachine("1", "controlplane-1", "cedille-cluster", "v1.5.5"),
			talosMachine("2", "worker-1", "cedille-cluster", "v1.5.5"),
		}
		return append(out, ms...)
	}
	wants := func(v string) []*omni.ClusterStatus {
		return []*omni.ClusterStatus{clusterStatus("cedille-cluster", with(healthyCluster(3), func(s *specs.ClusterStatusSpec) {
			s.TalosVersion = v
		}))}
	}
	tests := []struct {
		name      string
		machines  []*omni.MachineStatus
		clusters  []*omni.ClusterStatus
		want      Status
		reasonHas string
	}{
		{"uniform, as the cluster asks", cedille(talosMachine("3", "worker-2", "cedille-cluster", "v1.5.5")), wants("1.5.5"),
			OK, "v1.5.5 on all 3 machines of cedille-cluster"},
		{"uniform, no ClusterStatus", cedille(), nil, OK, "v1.5.5 on all 2 machines"},
		{"mid-upgrade", cedille(talosMachine("3", "worker-2", "cedille-cluster", "v1.6.7")), wants("1.6.7"),
			Degraded, "mid-upgrade or skew: v1.5.5 on controlplane-1, worker-1, v1.6.7 on worker-2; the cluster asks for v1.6.7"},
		{"upgrade not started", cedille(), wants("1.6.7"), Degraded, "all 2 machines on v1.5.5; the cluster asks for v1.6.7: upgrade pending or stuck"},
		{"the label names the cluster", []*omni.MachineStatus{func() *omni.MachineStatus {
			m := machine("9", "worker-9", &specs.MachineStatusSpec{Connected: true, TalosVersion: "v1.8.0"})
			m.Metadata().Labels().Set(omni.LabelCluster, "cedille-cluster")
			return m
		}()}, nil, OK, "v1.8.0 on 1 machine of cedille-cluster"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := TalosSkew(tt.machines, tt.clusters)
			if len(fs) != 1 {
				t.Fatalf("%d findings: %+v", len(fs), fs)
			}
			f := fs[0]
			if f.Object != "VersionSkew/talos/cedille-cluster" || f.Status != tt.want || !strings.Contains(f.Reason, tt.reasonHas) {
				t.Fatalf("got %+v, want %v ~%q", f, tt.want, tt.reasonHas)
			}
			if (f.Status != OK) == (f.Hint == "") {
				t.Errorf("hint %q: want one exactly when not OK", f.Hint)
			}
		})
	}

	// Clusters are judged apart (era 2 runs several, on different versions); free machines are not judged.
	fs := TalosSkew([]*omni.MachineStatus{
		talosMachine("1", "a", "k8s-shared", "v1.8.0"), talosMachine("2", "b", "k8s-poc", "v1.7.6"),
		talosMachine("3", "c", "", "v1.9.0"), talosMachine("4", "d", "k8s-poc", ""), nil,
	}, nil)
	if len(fs) != 2 || fs[0].Object != "VersionSkew/talos/k8s-poc" || fs[1].Object != "VersionSkew/talos/k8s-shared" ||
		fs[0].Status != OK || fs[1].Status != OK {
		t.Fatalf("per-cluster findings: %+v", fs)
	}
}
