package demo

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/clubcedille/cedille-tui/internal/platform"
)

// TestNodesJoinWhenTheirClusterIsBuilt: era 1's nodes joined in 2023; those a Blank demo's install makes
// joined a moment ago (a console right after the install says seconds, not years).
func TestNodesJoinWhenTheirClusterIsBuilt(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name             string
		o                Options
		earliest, latest time.Time
	}{
		{"era 1", Options{Now: func() time.Time { return now }}, installedAt(), installedAt().Add(time.Hour)},
		{"a Blank demo's install", Options{Blank: true, Now: func() time.Time { return now }}, now.Add(-time.Minute), now},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := newKubeFakes(eraOne())
			if err != nil {
				t.Fatal(err)
			}
			if err := f.seed(DemoMachines(), eraOne(), tt.o); err != nil {
				t.Fatal(err)
			}
			nodes, err := f.typed.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
			if err != nil || len(nodes.Items) != 6 {
				t.Fatalf("%d nodes, %v", len(nodes.Items), err)
			}
			for _, n := range nodes.Items {
				if c := n.CreationTimestamp.Time; c.Before(tt.earliest) || c.After(tt.latest) {
					t.Errorf("node %s created %s, want between %s and %s", n.Name, c, tt.earliest, tt.latest)
				}
			}
		})
	}
}

// TestPoolsOfALostNodeAreUnknown: a worker that loses power (fault N) takes its pools' state with it —
// Mayastor cannot reach their io-engine, so they are Unknown, not Online — and gives it back when it
// returns, a pool fault (P) made meanwhile included.
func TestPoolsOfALostNodeAreUnknown(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := startDemo(t, Options{Installed: true})
	fault := faultsByKey(d)
	pools := d.Kube.Dynamic.Resource(platform.DiskPool.GVR)
	states := func() map[string]string {
		l, err := pools.List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, u := range l.Items {
			if n, _, _ := unstructured.NestedString(u.Object, "spec", "node"); n == faultNode {
				out[u.GetName()], _, _ = unstructured.NestedString(u.Object, "status", "pool_status")
			}
		}
		if len(out) == 0 {
			t.Fatalf("no pool on %s", faultNode)
		}
		return out
	}
	want := func(step string, w map[string]string) {
		t.Helper()
		got := states()
		for name, st := range got {
			ws, ok := w[name]
			if !ok {
				ws = w["*"]
			}
			if st != ws {
				t.Errorf("after %s: pool %s is %s, want %s", step, name, st, ws)
			}
		}
	}
	press := func(k string) {
		t.Helper()
		if _, err := fault[k].Run(ctx); err != nil {
			t.Fatal(err)
		}
	}
	want("the start", map[string]string{"*": "Online"})
	press("P")
	want("P", map[string]string{faultPool: "Degraded", "*": "Online"})
	press("N")
	want("N", map[string]string{"*": "Unknown"})
	press("N")
	want("N again", map[string]string{faultPool: "Degraded", "*": "Online"})
	press("P")
	want("P again", map[string]string{"*": "Online"})
}
