package watch

import (
	"fmt"
	"testing"
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
