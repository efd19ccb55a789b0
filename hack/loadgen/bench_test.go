package main

import (
	"testing"

	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/watch"
)

// TestJudged: the first frame's judged pods are read off the workloads layer's census; none when the
// layer has no census (pods unreadable, or no workloads layer).
func TestJudged(t *testing.T) {
	snap := func(layers ...health.LayerReport) watch.Snapshot {
		return watch.Snapshot{Report: health.NewReport(layers...)}
	}
	tests := []struct {
		name string
		s    watch.Snapshot
		want int
	}{
		{"every pod counted", snap(health.Workloads(health.Objects{Pods: []*health.Pod{
			{Namespace: "a", Name: "p", Phase: "Succeeded"}, {Namespace: "a", Name: "q", Phase: "Succeeded"}}})), 2},
		{"no workloads layer", snap(health.NewLayer(health.LayerCluster, nil)), 0},
		{"pods unreadable", snap(health.NewLayer(health.LayerWorkloads, []health.Finding{{Object: "API/pods", Status: health.Unknown}})), 0},
	}
	for _, tt := range tests {
		if got, census := judged(tt.s); got != tt.want {
			t.Errorf("%s: judged %d (%q), want %d", tt.name, got, census, tt.want)
		}
	}
	if targetRSSMB(10000) != 100 || targetRSSMB(30000) != 150 {
		t.Error("RSS targets: 100 MB up to 10 000 pods, 150 MB at 30 000")
	}
}
