package wizard

import (
	"strings"
	"testing"

	"github.com/clubcedille/cedille-tui/internal/steps"
)

// TestFormKeysSaidAreTheKeysThatWork: in a form, printable keys are the form's — q is typed, it does not
// quit — so what the screen says to press is what works: esc on a form the step cannot do without says to
// fill it or press ctrl+c, never q, and the footer offers no esc "cancel" there; ctrl+c quits with the
// plan saved. On a form reopened to change a done step, esc cancels it, as the footer says.
func TestFormKeysSaidAreTheKeysThatWork(t *testing.T) {
	dir := t.TempDir()
	d := newDriver(t, newFake(t, dir, nil), 80, 24)
	d.shows("Preflight ✔ done")
	d.key("enter")
	scr := d.shows("step 2/5 · Talos ISO", "Talos version", "ctrl+c")
	footer := lastLine(scr)
	if strings.Contains(footer, "esc") || strings.Contains(footer, "q quit") {
		t.Errorf("esc does not cancel this form and q is typed into it; the footer says %q", footer)
	}
	d.key("esc")
	scr = d.shows("this step needs its form", "ctrl+c")
	if strings.Contains(scr, "q to quit") || !strings.Contains(scr, "Talos version") {
		t.Errorf("esc must say what works (ctrl+c), and leave the form open:\n%s", scr)
	}

	// q is the field's: on the download directory it is typed, and the wizard goes on.
	d.keys("enter", "enter", "enter", "enter", "enter")
	d.shows("Download directory")
	d.typed("q")
	if d.quit {
		t.Fatal("q in a form quit the wizard")
	}
	d.shows("Download directory", "> q")

	// Submitted, the form's step runs; the flash about the form is gone with it.
	d.keys("backspace", "enter", "enter")
	scr = d.shows("Talos ISO ✔ done")
	if strings.Contains(scr, "this step needs its form") {
		t.Errorf("the flash about the form outlived it:\n%s", scr)
	}

	// ctrl+c quits, the plan saved.
	d.key("ctrl+c")
	d.waitQuit()
	if sv := load(t, dir); sv.Plan.ISO.TalosVersion != testTalos || sv.Steps[steps.ISO].State != steps.Done {
		t.Errorf("ctrl+c must save the plan: %+v", sv.Plan.ISO)
	}

	// A done step's form, opened to change it: esc cancels it, as its footer says.
	d, _ = resumed(t, steps.ISO, 80, 24)
	d.shows("step 3/5 · Machines")
	d.keys("[")
	d.shows("step 2/5 · Talos ISO", "its outcome holds")
	d.key("e")
	scr = d.shows("Talos version", "esc cancel")
	d.key("esc")
	d.shows("Talos ISO ✔ its outcome holds")
}

func lastLine(s string) string {
	lines := strings.Split(s, "\n")
	return lines[len(lines)-1]
}
