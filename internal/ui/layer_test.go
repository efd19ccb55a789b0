package ui_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/clubcedille/cedille-tui/internal/demo"
	"github.com/clubcedille/cedille-tui/internal/ui"
	"github.com/clubcedille/cedille-tui/internal/ui/uitest"
)

// TestLayerTablesTellObjectsApart: at 80×24, on the demo as era 1 left it and as the install leaves it,
// no two rows of a layer's table read the same, and each row shows its object's name whole.
func TestLayerTablesTellObjectsApart(t *testing.T) {
	for _, installed := range []bool{false, true} {
		snap := demoSnapshotOf(t, demo.Options{Installed: installed})
		for _, l := range snap.Report.Layers {
			t.Run(fmt.Sprintf("%s installed=%v", l.Name, installed), func(t *testing.T) {
				m := ui.NewConsole(ui.ConsoleOptions{Snapshots: oneShot(snap), Color: false})
				drv := uitest.New(t, m, 80, 24)
				drv.Shows("LAYER", string(l.Name)) // the snapshot has arrived
				keys(drv, ":")
				typed(drv, string(l.Name))
				keys(drv, "enter")
				scr := ansi.Strip(drv.Shows("› " + string(l.Name)))
				uitest.AssertFits(t, scr, 80, 24)
				lines := strings.Split(scr, "\n")
				rows := lines[3 : 3+len(l.Findings)] // under the header line, one row a finding
				seen := map[string]bool{}
				for _, r := range rows {
					if seen[r] {
						t.Errorf("two rows read %q:\n%s", r, scr)
					}
					seen[r] = true
				}
				for i, f := range l.Findings {
					name := f.Object[strings.LastIndex(f.Object, "/")+1:]
					found := false
					for _, r := range rows {
						found = found || strings.Contains(r, " "+name+" ") || strings.Contains(r, "/"+name+" ")
					}
					if !found {
						t.Errorf("finding %d: no row shows %q whole:\n%s", i, name, scr)
					}
				}
			})
		}
	}
}
