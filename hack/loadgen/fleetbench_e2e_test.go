//go:build e2e

package main

import (
	"bytes"
	"context"
	"testing"
	"time"
)

// TestFleetBenchOnLabs runs the fleet benchmark on two small labs of its own (an era-2 API server and
// kwok each, no kube-controller-manager): every pod of both is listed by the floor and judged in the first
// complete overview, and no LIST follows it. The figures are logged, never asserted.
func TestFleetBenchOnLabs(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var out bytes.Buffer
	s := Sizes{Nodes: 3, Pods: 40, Namespaces: 2}
	r, err := FleetBench(ctx, FleetOptions{StateDir: t.TempDir(), Clusters: 2, Sizes: s, Workers: 8, QPS: 500,
		Idle: 2 * time.Second, Timeout: 3 * time.Minute, Down: true, Out: &out})
	t.Logf("progress:\n%s", out.String())
	if err != nil {
		t.Fatalf("FleetBench: %v", err)
	}
	out.Reset()
	PrintFleet(&out, r)
	t.Logf("figures:\n%s", out.String())
	if len(r.Clusters) != 2 {
		t.Fatalf("clusters: %+v", r.Clusters)
	}
	for _, c := range r.Clusters {
		if c.Pods != s.Pods || c.Judged != s.Pods {
			t.Errorf("%s: %d pods listed, %d judged, want %d", c.Name, c.Pods, c.Judged, s.Pods)
		}
	}
	if r.ListsAfterSync != 0 {
		t.Errorf("%d LISTs after the first complete overview", r.ListsAfterSync)
	}
	if r.IdleRequests["LIST"] != 0 {
		t.Errorf("requests while idle: %v", r.IdleRequests)
	}
}
