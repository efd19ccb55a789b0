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
