package ui_test

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/ui"
	"github.com/clubcedille/cedille-tui/internal/ui/app"
	"github.com/clubcedille/cedille-tui/internal/ui/uitest"
)

// longFinding opens, at 80×24, the finding of the demo whose reason and hint are the longest (a
// vault-config-operator object that cannot reconcile), and returns the driver and the finding.
func longFinding(t *testing.T) (*uitest.Driver[*app.Model], health.Finding) {
	t.Helper()
	snap := demoSnapshot(t)
	l, _ := snap.Report.Layer(health.LayerSecrets)
	var f health.Finding
	at := -1
	for i, g := range l.Findings {
		if len(g.Reason)+len(g.Hint) > len(f.Reason)+len(f.Hint) {
			f, at = g, i
		}
	}
	if len(f.Reason) < 80 || len(f.Hint) < 80 {
		t.Fatalf("the demo's secrets layer should hold a finding with a long reason and hint: %+v", f)
	}
	m := ui.NewConsole(ui.ConsoleOptions{Snapshots: oneShot(snap), Color: false})
	drv := uitest.New(t, m, 80, 24)
	drv.Shows("worst first", "secrets")
	keys(drv, ":")
	typed(drv, "secrets")
	keys(drv, "enter")
	for range at {
		drv.Key("j")
	}
	keys(drv, "enter")
	drv.Shows("Why", "YAML")
	return drv, f
}

// field reads a labelled text field of a detail ("Why   …") with its continuation lines.
func field(screen, label string) string {
	var parts []string
	in := false
	for _, l := range strings.Split(ansi.Strip(screen), "\n") {
		switch {
		case strings.HasPrefix(l, label):
			in = true
			parts = append(parts, strings.TrimSpace(strings.TrimPrefix(l, label)))
		case in && strings.HasPrefix(l, strings.Repeat(" ", len(label))) && strings.TrimSpace(l) != "":
			parts = append(parts, strings.TrimSpace(l))
		default:
			in = false
		}
	}
	return strings.Join(parts, " ")
}

// TestFindingDetailWrapsText: at 80×24 a finding's Why and Do are wrapped to the width, whole, under
// their label: nothing of them is cut.
func TestFindingDetailWrapsText(t *testing.T) {
	drv, f := longFinding(t)
	scr := drv.Screen()
	uitest.AssertFits(t, scr, 80, 24)
	if got := field(scr, "Why   "); got != strings.Join(strings.Fields(f.Reason), " ") {
		t.Errorf("Why reads %q, want the whole reason %q:\n%s", got, f.Reason, scr)
	}
	if got := field(scr, "Do    "); got != strings.Join(strings.Fields(f.Hint), " ") {
		t.Errorf("Do reads %q, want the whole hint %q:\n%s", got, f.Hint, scr)
	}
}

// TestDetailScrollsSideways: a YAML line wider than the screen is cut with a mark and never wrapped
// (its indentation is its structure); → and ← (or l and h) scroll the page sideways, as in k9s, and the
// footer says so.
func TestDetailScrollsSideways(t *testing.T) {
	drv, _ := longFinding(t)
	for range 60 {
		drv.Key("j")
	}
	scr := ansi.Strip(drv.Screen())
	const tail = `kubernetes/login"`
	if strings.Contains(scr, tail) || !strings.Contains(scr, "message: 'Put") || !strings.Contains(scr, "…") {
		t.Fatalf("the condition's message should be cut with a mark at 80 columns:\n%s", scr)
	}
	if !strings.Contains(scr, "←/→") {
		t.Errorf("the footer should offer ←/→:\n%s", scr)
	}
	for i := 0; !strings.Contains(ansi.Strip(drv.Screen()), tail); i++ {
		if i == 200 {
			t.Fatalf("l never brought the end of the long line into view:\n%s", ansi.Strip(drv.Screen()))
		}
		drv.Key("l")
		uitest.AssertFits(t, drv.Screen(), 80, 24)
	}
	if strings.Contains(ansi.Strip(drv.Screen()), "  status:") {
		t.Error("scrolled sideways, the left of the page should be out of view")
	}
	atLeft := func() bool {
		for _, l := range strings.Split(ansi.Strip(drv.Screen()), "\n") {
			if strings.HasPrefix(l, "  status:") {
				return true
			}
		}
		return false
	}
	for i := 0; !atLeft(); i++ {
		if i == 200 {
			t.Fatalf("h never brought the page back to its left edge:\n%s", ansi.Strip(drv.Screen()))
		}
		drv.Key("h")
	}
}
