package console

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/ui/common"
	"github.com/clubcedille/cedille-tui/internal/ui/components/table"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
	"github.com/clubcedille/cedille-tui/internal/watch"
)

func TestLayerColumns(t *testing.T) {
	tests := []struct {
		name          string
		objectWidth   int
		w             int
		wantObject    int
		statusDropped bool
	}{
		{"room for the longest object, STATUS kept", 44, 80, 44, false},
		{"no finding yet", 0, 80, 12, false},
		{"a short object still gets a readable column", 8, 80, 12, false},
		{"a longer object takes STATUS's place", 56, 80, 56, true},
		{"too long for 80: cut, REASON keeps its minimum", 90, 80, 60, true},
		{"wide terminals give every object its room", 90, 200, 90, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cols := layerColumns(tt.objectWidth, tt.w)
			var object table.Column
			need := 0
			for _, c := range cols {
				if c.Title == "OBJECT" {
					object = c
				}
				need += c.Width + 1
			}
			if object.Width != tt.wantObject || !object.Middle {
				t.Errorf("OBJECT is %d wide (middle cut %v), want %d, cut in the middle", object.Width, object.Middle, tt.wantObject)
			}
			if dropped := need > tt.w; dropped != tt.statusDropped {
				t.Errorf("the columns need %d of %d: STATUS dropped %v, want %v", need, tt.w, dropped, tt.statusDropped)
			}
			if statusless := need - 10; statusless > tt.w {
				t.Errorf("even without STATUS the columns need %d of %d", statusless, tt.w)
			}
		})
	}
}

// TestLayerPageRelaysOnResize: the OBJECT column follows the width when the page is resized after its
// snapshot, not only when a snapshot comes.
func TestLayerPageRelaysOnResize(t *testing.T) {
	long := "ClusterSecretStore/" + strings.Repeat("x", 60) + "-end"
	s := watch.Snapshot{Report: health.NewReport(health.NewLayer(health.LayerSecrets,
		[]health.Finding{{Object: long, Status: health.Down, Reason: "lost"}}))}
	p := NewLayerPage(theme.New(false, true), health.LayerSecrets)
	p.SetSize(80, 10)
	p.Update(common.SnapshotMsg{Snapshot: s})
	if v := ansi.Strip(p.View()); strings.Contains(v, long) {
		t.Fatalf("at 80 columns the object should be cut:\n%s", v)
	}
	p.SetSize(200, 10)
	if v := ansi.Strip(p.View()); !strings.Contains(v, long) {
		t.Fatalf("at 200 columns the object should show whole:\n%s", v)
	}
}

// TestPodFindingShowsItsSummary: a pod's finding shows what the console keeps of it (the watch holds no
// whole pod), found in the sorted summaries or, in a snapshot built by hand, among unsorted ones.
func TestPodFindingShowsItsSummary(t *testing.T) {
	pods := []*health.Pod{
		{Namespace: "club", Name: "web-1", Node: "worker-1", Phase: "Running"},
		{Namespace: "club", Name: "db-0", Node: "worker-2", Phase: "Pending", Claims: []string{"data-db-0"},
			Containers: []health.Container{{Name: "postgres", Waiting: "ContainerCreating"}}},
	}
	s := watch.Snapshot{Objects: health.Objects{Pods: pods}, Report: health.NewReport(health.NewLayer(health.LayerWorkloads,
		[]health.Finding{{Object: "Pod/club/db-0", Status: health.Down, Reason: "still ContainerCreating after 12m"}}))}
	lines := ansi.Strip(strings.Join(findingLines(theme.New(false, true), health.LayerWorkloads, "Pod/club/db-0", s, 80), "\n"))
	for _, want := range []string{"Pod (the summary the console keeps)", "name: db-0", "node: worker-2", "- data-db-0", "waiting: ContainerCreating"} {
		if !strings.Contains(lines, want) {
			t.Errorf("detail lacks %q:\n%s", want, lines)
		}
	}
	if FindPod(s.Objects, "Pod/club/web-1") != pods[0] || FindPod(s.Objects, "Pod/club/gone") != nil || FindPod(s.Objects, "Node/x") != nil {
		t.Error("FindPod finds the named pod, and only it")
	}
}
