package ui_test

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/clubcedille/cedille-tui/internal/ui"
	"github.com/clubcedille/cedille-tui/internal/ui/uitest"
)

// statusLine is the screen's second line (the breadcrumb, or the `:` prompt), without styles.
func statusLine(screen string) string { return ansi.Strip(strings.Split(screen, "\n")[1]) }

// TestJumpSuggestionsNarrow: the `:` prompt lists the pages it can open, and each character typed leaves
// only the names it still matches (a prefix, as enter resolves it).
func TestJumpSuggestionsNarrow(t *testing.T) {
	m := ui.NewConsole(ui.ConsoleOptions{Snapshots: oneShot(demoSnapshot(t)), Color: false})
	drv := uitest.New(t, m, 80, 24)
	drv.Shows("worst first")
	all := ui.JumpTargets()
	for _, tc := range []struct {
		typed string
		want  []string
	}{
		{"", nil}, // all of them, as many as fit
		{"s", []string{"storage", "secrets"}},
		{"se", []string{"secrets"}},
		{"c", []string{"cluster", "certificates"}},
		{"ce", []string{"certificates"}},
		{"x", nil},
	} {
		t.Run("typed "+tc.typed, func(t *testing.T) {
			keys(drv, ":")
			typed(drv, tc.typed)
			line := statusLine(drv.Screen())
			if !strings.HasPrefix(line, ":"+tc.typed+"▏") {
				t.Fatalf("the prompt should read %q: %q", ":"+tc.typed, line)
			}
			suggested := strings.Fields(strings.TrimPrefix(line, ":"+tc.typed+"▏"))
			switch {
			case tc.typed == "":
				if n := len(suggested); n < 2 || strings.Join(suggested[:n-1], " ") != strings.Join(all[:n-1], " ") {
					t.Errorf("the empty prompt should list the pages in order: %q", line)
				}
			case tc.want == nil:
				if !strings.Contains(line, "no page") {
					t.Errorf("nothing matches %q: the prompt should say so: %q", tc.typed, line)
				}
			case strings.Join(suggested, " ") != strings.Join(tc.want, " "):
				t.Errorf("after %q the prompt suggests %v, want %v", tc.typed, suggested, tc.want)
			}
			keys(drv, "esc")
		})
	}
	// Backspace widens the list again.
	keys(drv, ":", "s", "e", "backspace")
	if got := strings.Fields(strings.TrimPrefix(statusLine(drv.Screen()), ":s▏")); strings.Join(got, " ") != "storage secrets" {
		t.Errorf("after a backspace the prompt suggests %v, want [storage secrets]", got)
	}
}

// TestQuitEverywhereButTextInput: q quits from the help overlay and from any page; it is text in the `:`
// prompt and in a filter; esc and ? close the help.
func TestQuitEverywhereButTextInput(t *testing.T) {
	snap := demoSnapshot(t)
	for _, tc := range []struct {
		name string
		keys []string
		quit bool
	}{
		{"overview", nil, true},
		{"help overlay", []string{"?"}, true},
		{"help over a finding", []string{"enter", "enter", "?"}, true},
		{"layer page", []string{"enter"}, true},
		{"jump prompt", []string{":"}, false},
		{"filter", []string{"enter", "/"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := ui.NewConsole(ui.ConsoleOptions{Snapshots: oneShot(snap), Color: false})
			drv := uitest.New(t, m, 80, 24)
			drv.Shows("worst first")
			keys(drv, tc.keys...)
			if quit := drv.Key("q"); quit != tc.quit {
				t.Fatalf("q quit=%v, want %v:\n%s", quit, tc.quit, drv.Screen())
			}
		})
	}
	for _, closeKey := range []string{"esc", "?"} {
		m := ui.NewConsole(ui.ConsoleOptions{Snapshots: oneShot(snap), Color: false})
		drv := uitest.New(t, m, 80, 24)
		drv.Shows("worst first")
		keys(drv, "?")
		drv.Shows("Everywhere")
		if drv.Key(closeKey) {
			t.Fatalf("%s must close the help, not quit", closeKey)
		}
		drv.Until("the overview again", func(s string) bool {
			return strings.Contains(s, "worst first") && !strings.Contains(s, "Everywhere")
		})
	}
}

// TestPasteLandsInLineEditors: a paste from the terminal goes into the `:` prompt and into a table's
// filter being typed; enter then uses what was pasted.
func TestPasteLandsInLineEditors(t *testing.T) {
	m := ui.NewConsole(ui.ConsoleOptions{Snapshots: oneShot(demoSnapshot(t)), Color: false})
	drv := uitest.New(t, m, 80, 24)
	drv.Shows("worst first")

	keys(drv, ":")
	drv.Paste("node")
	if line := statusLine(drv.Screen()); !strings.HasPrefix(line, ":node▏") {
		t.Fatalf("the paste should be in the prompt: %q", line)
	}
	keys(drv, "enter")
	drv.Shows("Overview › Nodes")

	keys(drv, "/")
	drv.Paste("worker-1")
	drv.Shows("/worker-1▏", "1/1 of 6")
}
