package ui_test

import (
	"strings"
	"testing"

	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/ui"
	"github.com/clubcedille/cedille-tui/internal/ui/uitest"
)

// selectedLine is the line of the screen drawn in reverse video (the cursor), without styles.
func selectedLine(screen string) string {
	for _, l := range strings.Split(screen, "\n") {
		if strings.Contains(l, "\x1b[7m") {
			return l
		}
	}
	return ""
}

// TestOverviewReachesEveryProblem: at 80×24 the overview lists the problems that fit and says how many
// more there are; ↓ goes on from the last layer into the problems, and every one of them can be reached
// and opened with the keyboard.
func TestOverviewReachesEveryProblem(t *testing.T) {
	snap := demoSnapshot(t)
	var probs []string // worst first, as the overview lists them
	for _, s := range []health.Status{health.Down, health.Degraded, health.Unknown} {
		for _, l := range snap.Report.Layers {
			for _, f := range l.Findings {
				if f.Status == s {
					probs = append(probs, f.Object)
				}
			}
		}
	}
	if len(probs) < 8 {
		t.Fatalf("the demo should have more problems than fit at 80×24, has %d", len(probs))
	}
	m := ui.NewConsole(ui.ConsoleOptions{Snapshots: oneShot(snap), Color: false})
	drv := uitest.New(t, m, 80, 24)
	scr := drv.Shows("worst first")
	uitest.AssertFits(t, scr, 80, 24)
	if !strings.Contains(scr, "more") {
		t.Fatalf("the overview must say that more problems than it shows exist:\n%s", scr)
	}
	if strings.Contains(scr, probs[len(probs)-1]) {
		t.Fatalf("the last problem should not fit at first:\n%s", scr)
	}
	for range snap.Report.Layers[1:] {
		drv.Key("j")
	}
	if sel := selectedLine(drv.Screen()); !strings.Contains(sel, "ingress") && !strings.Contains(sel, "certificates") {
		t.Fatalf("the cursor should be on the last layer: %q", sel)
	}
	for i, obj := range probs {
		drv.Key("j")
		scr := drv.Screen()
		uitest.AssertFits(t, scr, 80, 24)
		if sel := selectedLine(scr); !strings.Contains(sel, obj) {
			t.Fatalf("problem %d (%s) should be under the cursor, the selected line is %q:\n%s", i+1, obj, sel, scr)
		}
	}
	drv.Key("j") // the last one stays selected
	if sel := selectedLine(drv.Screen()); !strings.Contains(sel, probs[len(probs)-1]) {
		t.Fatalf("↓ on the last problem should stay there: %q", sel)
	}
	drv.Key("enter")
	drv.Shows("Overview › "+probs[len(probs)-1], "Why")
	drv.Key("esc")
	// Back up: the first problem, then the last layer again.
	for range probs[1:] {
		drv.Key("k")
	}
	if sel := selectedLine(drv.Screen()); !strings.Contains(sel, probs[0]) {
		t.Fatalf("↑ should come back to the first problem: %q", sel)
	}
	drv.Key("k")
	if sel := selectedLine(drv.Screen()); strings.Contains(sel, "/") {
		t.Fatalf("↑ from the first problem should go back to the layers: %q", sel)
	}
	drv.Key("G")
	if sel := selectedLine(drv.Screen()); !strings.Contains(sel, probs[len(probs)-1]) {
		t.Fatalf("G should go to the last problem: %q", sel)
	}
	drv.Key("g")
	if sel := selectedLine(drv.Screen()); !strings.Contains(sel, "secrets") {
		t.Fatalf("g should go back to the first layer: %q", sel)
	}
}
