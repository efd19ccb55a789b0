package fleet

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/watch"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The fleet of the benchmarks: the 5 clusters of 2 000 pods, each on 20 nodes.
const (
	benchClusters = 5
	benchPods     = 2000
	benchNodes    = 20
	// benchCrashEvery: one pod in benchCrashEvery of each cluster is in CrashLoopBackOff.
	benchCrashEvery = 250
)

// bigCluster is one cluster's snapshot as its watch set publishes it once synced: benchNodes Ready nodes,
// benchPods summarised pods (Deployments' replicas, one in benchCrashEvery crash-looping), an era-2
// discovery, and its own report already evaluated (watch.Evaluate), as the fleet receives it.
func bigCluster(name string) *watch.Snapshot {
	s := &watch.Snapshot{At: now, Platform: name, Objects: health.Objects{Now: now,
		Serves: map[string]bool{health.ResourceBackups: true}}}
	s.Sources = map[platform.Source]watch.SourceState{platform.SourceKubernetes: {Configured: true, Synced: true}}
	for i := 0; i < benchNodes; i++ {
		s.Nodes = append(s.Nodes, &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("worker-%02d", i+1), CreationTimestamp: metav1.NewTime(now.Add(-90 * 24 * time.Hour))},
			Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue,
				LastHeartbeatTime: metav1.NewTime(now.Add(-10 * time.Second))}}},
		})
	}
	for i := 0; i < benchPods; i++ {
		ns := fmt.Sprintf("club-%02d", i%10)
		deploy := fmt.Sprintf("app-%03d", i/10%100)
		p := &health.Pod{Namespace: ns, Name: fmt.Sprintf("%s-7c9f8d6b5-%05d", deploy, i), UID: fmt.Sprintf("%s-uid-%05d", name, i),
			OwnerKind: "Deployment", OwnerName: deploy, Node: s.Nodes[i%benchNodes].Name, Phase: corev1.PodRunning,
			Created: now.Add(-48 * time.Hour), Scheduled: now.Add(-48 * time.Hour), Ready: true, ReadyChanged: now.Add(-47 * time.Hour),
			Containers: []health.Container{{Name: "app", Ready: true, Running: true}}}
		if i%benchCrashEvery == benchCrashEvery-1 {
			p.Ready, p.ReadyChanged = false, now.Add(-20*time.Minute)
			p.Containers = []health.Container{{Name: "app", Waiting: "CrashLoopBackOff", Restarts: 14, LastReason: "Error", LastExit: 1}}
		}
		s.Pods = append(s.Pods, p)
	}
	s.Report = watch.Evaluate(*s)
	return s
}

// bigFleet is the fleet's inputs: Omni lists benchClusters running clusters, each watched and synced.
func bigFleet() Inputs {
	in := Inputs{Now: now, OmniSynced: true, Watched: map[string]Watched{}}
	for i := 0; i < benchClusters; i++ {
		name := fmt.Sprintf("k8s-bench-%d", i+1)
		in.Omni = append(in.Omni, running(name, 3, 3))
		in.Watched[name] = Watched{Started: true, Snapshot: bigCluster(name)}
	}
	return in
}

// census is the number of pods a cluster's workloads layer counted (its Pods/all finding: "2,000 pods…").
func census(layers []health.LayerReport) int {
	for _, l := range layers {
		for _, f := range l.Findings {
			if f.Object == health.PodsObject {
				n, _ := strconv.Atoi(strings.ReplaceAll(strings.Fields(f.Reason)[0], ",", ""))
				return n
			}
		}
	}
	return -1
}

// checkBigFleet fails unless the report has a row per cluster, each judged from its own report with every
// pod counted and its crash-looping pods making the workloads layer its worst.
func checkBigFleet(tb testing.TB, r Report) {
	tb.Helper()
	if len(r.Clusters) != benchClusters {
		tb.Fatalf("%d rows, want %d", len(r.Clusters), benchClusters)
	}
	for _, row := range r.Clusters {
		if n := census(row.Layers); n != benchPods {
			tb.Fatalf("%s: %d pods counted, want %d", row.Cluster, n, benchPods)
		}
		if row.WorstLayer != health.LayerWorkloads || row.Status == health.OK || row.Era != "era 2" {
			tb.Fatalf("%s: worst layer %q, status %v, era %q: the crash-looping pods are not its worst", row.Cluster, row.WorstLayer, row.Status, row.Era)
		}
	}
}

// TestEvaluateBigFleet: the benchmarks' fleet is judged in full — a row per cluster, every pod counted.
func TestEvaluateBigFleet(t *testing.T) {
	checkBigFleet(t, Evaluate(bigFleet()))
}

// BenchmarkEvaluate is the fleet's verdict over 5 clusters of 2 000 pods whose own reports are already
// evaluated: what each fleet publish costs beyond the clusters' own watch sets.
func BenchmarkEvaluate(b *testing.B) {
	in := bigFleet()
	checkBigFleet(b, Evaluate(in))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		_ = Evaluate(in)
	}
}

// BenchmarkEvaluateWithClusters is every cluster's own report evaluated again (watch.Evaluate over its
// 2 000 pods) and then the fleet's verdict: the cost when all 5 clusters changed at once.
func BenchmarkEvaluateWithClusters(b *testing.B) {
	in := bigFleet()
	names := make([]string, 0, len(in.Watched))
	for name := range in.Watched {
		names = append(names, name)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		fresh := Inputs{Now: in.Now, Omni: in.Omni, OmniSynced: true, Watched: make(map[string]Watched, len(names))}
		for _, name := range names {
			s := *in.Watched[name].Snapshot
			s.Report = watch.Evaluate(s)
			fresh.Watched[name] = Watched{Started: true, Snapshot: &s}
		}
		checkRows(b, Evaluate(fresh))
	}
}

// checkRows is the cheap part of checkBigFleet, kept inside the timed loop so that nothing is optimised away.
func checkRows(b *testing.B, r Report) {
	if len(r.Clusters) != benchClusters {
		b.Fatalf("%d rows, want %d", len(r.Clusters), benchClusters)
	}
}
