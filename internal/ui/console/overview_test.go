package console

import (
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/ui/common"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
	"github.com/clubcedille/cedille-tui/internal/ui/uitest"
	"github.com/clubcedille/cedille-tui/internal/watch"
)

func TestProblemWindow(t *testing.T) {
	twos := []int{2, 2, 2, 2, 2, 2, 2, 2, 2, 2}
	tests := []struct {
		name             string
		heights          []int
		h, sel, top      int
		wantTop, wantEnd int
	}{
		{"none", nil, 10, 0, 0, 0, 0},
		{"no room", twos, 0, 0, 0, 0, 0},
		{"all fit", []int{2, 2, 1}, 10, 0, 0, 0, 3},
		{"all fit exactly, no note needed", []int{2, 2, 2, 2, 2}, 10, 0, 0, 0, 5},
		{"a line kept for the note", twos, 10, 0, 0, 0, 4},
		{"the cursor within the window stays", twos, 10, 3, 0, 0, 4},
		{"the cursor below scrolls by one", twos, 10, 4, 0, 1, 5},
		{"the last: no note, five fit", twos, 10, 9, 0, 5, 10},
		{"the cursor above moves the top up", twos, 10, 2, 5, 2, 6},
		{"one-line problems", []int{1, 1, 1, 1, 1, 1}, 4, 0, 0, 0, 3},
		{"taller than the space: shown alone", []int{2, 2}, 1, 1, 0, 1, 2},
		{"out-of-range cursor clamped", twos, 10, 42, 0, 5, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			top, end := problemWindow(tt.heights, tt.h, tt.sel, tt.top)
			if top != tt.wantTop || end != tt.wantEnd {
				t.Errorf("problemWindow(%v, h=%d, sel=%d, top=%d) = %d, %d; want %d, %d",
					tt.heights, tt.h, tt.sel, tt.top, top, end, tt.wantTop, tt.wantEnd)
			}
		})
	}
}

// TestOverviewManyProblems: with more problems than lines, every one is reached with ↓, the window always
// fills the page exactly, and the note counts what is left below.
func TestOverviewManyProblems(t *testing.T) {
	var fs []health.Finding
	for i := range 40 {
		f := health.Finding{Object: fmt.Sprintf("Node/worker-%02d", i), Status: health.Down, Reason: "lost"}
		if i%3 == 0 {
			f.Hint = "check its power"
		}
		fs = append(fs, f)
	}
	s := watch.Snapshot{Report: health.NewReport(health.NewLayer(health.LayerCluster, fs),
		health.NewLayer(health.LayerStorage, nil))}
	p := NewOverview(theme.New(false, true))
	p.SetSize(80, 21)
	p.Update(common.SnapshotMsg{Snapshot: s})
	if v := ansi.Strip(p.View()); !strings.Contains(v, "… ") || !strings.Contains(v, "more") {
		t.Fatalf("no note of the problems left below:\n%s", v)
	}
	p.Update(uitest.KeyMsg("j")) // the second layer
	for i := range fs {
		p.Update(uitest.KeyMsg("j"))
		v := p.View()
		if lines := strings.Split(v, "\n"); len(lines) != 21 {
			t.Fatalf("%d lines, want 21", len(lines))
		}
		if !p.inList() || p.sel != i {
			t.Fatalf("after %d presses the cursor is on problem %d (in the list: %v)", i+2, p.sel, p.inList())
		}
		if !strings.Contains(v, "\x1b[7m"+fs[i].Status.Symbol()+" "+fs[i].Object) {
			t.Fatalf("problem %d is not shown selected:\n%s", i, ansi.Strip(v))
		}
	}
	if v := ansi.Strip(p.View()); strings.Contains(v, "more") || !strings.Contains(v, "40/40") {
		t.Fatalf("at the last problem, nothing is left below and the position is 40/40:\n%s", v)
	}
}
