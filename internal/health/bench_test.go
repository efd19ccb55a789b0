package health

import (
	"fmt"
	"testing"

	"github.com/siderolabs/omni/client/api/omni/specs"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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

// BenchmarkWorkloadsLayer judges 10 000 pods (1 in 100 failing) of 2 000 Deployments on 100 nodes: what
// every snapshot of the load generator's lab costs.
func BenchmarkWorkloadsLayer(b *testing.B) {
	o := Objects{Now: wlNow, Nodes: wlNodes()}
	for i := range 2000 {
		o.Deployments = append(o.Deployments, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "club",
			Name: fmt.Sprintf("app-%04d", i)}, Spec: appsv1.DeploymentSpec{Replicas: replicas(5)}, Status: appsv1.DeploymentStatus{ReadyReplicas: 5}})
	}
	for i := range 10000 {
		p := wlPod(fmt.Sprintf("app-%04d-x-%d", i/5, i%5))
		p.OwnerName = fmt.Sprintf("app-%04d", i/5)
		if i%100 == 0 {
			p.Ready, p.Containers[0] = false, Container{Name: "app", Waiting: "CrashLoopBackOff", Restarts: 7}
		}
		o.Pods = append(o.Pods, p)
	}
	b.ReportAllocs()
	for b.Loop() {
		if l := Workloads(o); len(l.Findings) != 100+1+2000 {
			b.Fatal(len(l.Findings))
		}
	}
}
