package watch

import (
	"fmt"
	"runtime"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// BenchmarkHubPublish is one publish of a 5000-node snapshot to 100 subscribers (100 SSH sessions).
func BenchmarkHubPublish(b *testing.B) {
	src := newFakeSource()
	for i := 0; i < 5000; i++ {
		src.nodes = append(src.nodes, readyNode(fmt.Sprintf("worker-%04d", i), i%50 != 0))
	}
	hub := NewHub(HubOptions{}, src)
	for i := 0; i < 100; i++ {
		hub.Subscribe()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		hub.publish()
	}
}

// BenchmarkSummarizePod turns a kwok-like running pod into its summary, and reports what 10 000 summaries
// keep on the heap (the informer's cache holds them and nothing else of the pods).
func BenchmarkSummarizePod(b *testing.B) {
	pod := func(i int) *corev1.Pod {
		p := clubPod(fmt.Sprintf("club-%02d", i%50), fmt.Sprintf("club-web-5f7b9c6d48-%05d", i), running())
		p.Labels = map[string]string{"app.kubernetes.io/name": "club-web", "pod-template-hash": "5f7b9c6d48"}
		yes := true
		p.OwnerReferences = []metav1.OwnerReference{{Kind: "ReplicaSet", Name: "club-web-5f7b9c6d48", Controller: &yes}}
		p.Spec.NodeName = fmt.Sprintf("worker-%d", i%97)
		return p
	}
	var before, after runtime.MemStats
	pods := make([]*corev1.Pod, 10000)
	for i := range pods {
		pods[i] = pod(i)
	}
	runtime.GC()
	runtime.ReadMemStats(&before)
	kept := make([]any, len(pods))
	for i, p := range pods {
		kept[i], _ = SummarizePod(p)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(kept)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_, _ = SummarizePod(pods[i%len(pods)])
		i++
	}
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(len(kept)), "heap-B/pod")
}
