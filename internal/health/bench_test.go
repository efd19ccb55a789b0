package health

import (
	"fmt"
	"testing"

	"github.com/siderolabs/omni/client/api/omni/specs"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
	corev1 "k8s.io/api/core/v1"
)

// BenchmarkClusterLayer evaluates the cluster layer of a big cluster: 5000 nodes and their machines.
func BenchmarkClusterLayer(b *testing.B) {
	ready := cond(corev1.NodeReady, corev1.ConditionTrue, "KubeletReady", "")
	nodes := make([]*corev1.Node, 5000)
	machines := make([]*omni.MachineStatus, 5000)
	for i := range nodes {
		nodes[i] = node(fmt.Sprintf("worker-%04d", i), i%97 == 0, ready)
		machines[i] = machine(fmt.Sprint(i), fmt.Sprintf("worker-%04d", i), &specs.MachineStatusSpec{Connected: i%211 != 0})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		l := Cluster(Objects{Nodes: nodes, Machines: machines})
		if len(l.Findings) != 10001 { // every node and machine, and VersionSkew/kubelet
			b.Fatal(len(l.Findings))
		}
	}
}
