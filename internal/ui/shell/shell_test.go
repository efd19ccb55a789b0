package shell

import (
	"strings"
	"testing"

	"charm.land/bubbles/v2/key"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
	"github.com/clubcedille/cedille-tui/internal/ui/uitest"
)

var plain = theme.New(false, true)

func TestFits(t *testing.T) {
	tests := []struct {
		w, h int
		want bool
	}{{80, 24, true}, {200, 60, true}, {79, 24, false}, {80, 23, false}, {0, 0, false}}
	for _, tt := range tests {
		if got := Fits(tt.w, tt.h); got != tt.want {
			t.Errorf("Fits(%d, %d) = %v, want %v", tt.w, tt.h, got, tt.want)
		}
	}
}

func TestTooSmallView(t *testing.T) {
	if got, want := TooSmall(79, 20), "terminal too small (need 80×24), now 79×20: enlarge it, nothing is lost"; got != want {
		t.Errorf("TooSmall = %q, want %q", got, want)
	}
	for _, size := range [][2]int{{79, 24}, {40, 10}, {1, 1}} {
		out := TooSmallView(size[0], size[1])
		uitest.AssertFits(t, out, size[0], size[1])
		first := strings.TrimSuffix(strings.TrimRight(strings.Split(out, "\n")[0], " "), "…")
		if !strings.HasPrefix(TooSmall(size[0], size[1]), first) {
			t.Errorf("%v: first line %q is not the notice", size, first)
		}
	}
}

func TestStatusLine(t *testing.T) {
	var note, bad Flash
	note.Set("saved", false)
	bad.Set("cannot save", true)
	tests := []struct {
		name string
		s    Status
		want string
	}{
		{"hint", Status{Hint: "fill the form"}, "fill the form"},
		{"hint and summary", Status{Hint: "Overview", Right: "all layers ✔"}, "Overview" + strings.Repeat(" ", 19) + "all layers ✔"},
		{"a flash takes the hint's place", Status{Hint: "fill the form", Flash: note}, "saved"},
		{"an error reads as one without colour", Status{Hint: "fill the form", Flash: bad}, "✖ cannot save"},
		{"a flash on the right keeps the hint", Status{Hint: "Overview", Right: "all layers ✔", Flash: note, FlashRight: true},
			"Overview" + strings.Repeat(" ", 26) + "saved"},
		{"an alert wins over a flash", Status{Hint: "h", Alert: "quit anyway? (y/n)", Flash: bad}, "quit anyway? (y/n)"},
		{"a prompt wins over all", Status{Prompt: ":no▏", Alert: "stale", Flash: bad}, ":no▏"},
	}
	for _, tt := range tests {
		got := StatusLine(plain, tt.s, 39)
		if lipgloss.Width(got) != 39 {
			t.Errorf("%s: %d cells wide, want 39", tt.name, lipgloss.Width(got))
		}
		if got := strings.TrimRight(ansi.Strip(got), " "); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestFooterLeavesDisabledOut(t *testing.T) {
	off := key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "hidden"), key.WithDisabled())
	bs := []key.Binding{
		key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open")),
		off,
		key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit")),
	}
	for _, w := range []int{80, 10} {
		got := Footer(plain, bs, w)
		if lipgloss.Width(got) != w {
			t.Errorf("width %d: %d cells", w, lipgloss.Width(got))
		}
		if w == 80 && strings.TrimRight(ansi.Strip(got), " ") != "enter open • q quit" {
			t.Errorf("footer %q", ansi.Strip(got))
		}
	}
}

func TestHelp(t *testing.T) {
	b := func(k, desc string) key.Binding { return key.NewBinding(key.WithKeys(k), key.WithHelp(k, desc)) }
	off := key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "hidden"), key.WithDisabled())
	sections := []Section{
		{Title: "Table", Keys: []key.Binding{b("enter", "open"), b("/", "filter"), off}},
		{Title: "Nothing", Keys: []key.Binding{off}},
		{Title: "Everywhere", Keys: []key.Binding{b("?", "help"), b("ctrl+c", "quit")}},
	}
	const legend = "✔ OK ✖ Down"

	tall := Help(plain, sections, legend, 40, 12)
	uitest.AssertFits(t, tall, 40, 12)
	want := []string{"Table", " enter  open", " /      filter", "", "Everywhere", " ?      help", " ctrl+c quit", "", legend}
	lines := strings.Split(ansi.Strip(tall), "\n")
	for i, w := range want {
		if got := strings.TrimRight(lines[i], " "); got != w {
			t.Errorf("tall line %d = %q, want %q", i, got, w)
		}
	}
	if strings.Contains(tall, "hidden") || strings.Contains(tall, "Nothing") {
		t.Errorf("a disabled key, or a section of only those, shows:\n%s", tall)
	}

	// Four rows for seven lines: two columns, the legend still last.
	short := ansi.Strip(Help(plain, sections, legend, 40, 6))
	uitest.AssertFits(t, short, 40, 6)
	lines = strings.Split(short, "\n")
	if !strings.HasPrefix(lines[0], "Table") || !strings.Contains(lines[0][20:], "Everywhere") {
		t.Errorf("the sections should flow into two columns:\n%s", short)
	}
	if strings.TrimRight(lines[5], " ") != legend {
		t.Errorf("the legend should be last:\n%s", short)
	}

	// Five rows: the first section and the blank after it fit, the second's title too, but its keys not:
	// the title goes with its keys to the next column, never left alone at a column's foot.
	five := strings.Split(ansi.Strip(Help(plain, sections, legend, 40, 7)), "\n")
	for i, l := range five[:5] {
		if strings.HasPrefix(strings.TrimRight(l[:min(len(l), 20)], " "), "Everywhere") && i > 0 {
			t.Errorf("the second section starts at row %d of the first column, split from its keys:\n%s", i, strings.Join(five, "\n"))
		}
	}
	if !strings.Contains(five[0], "Everywhere") || !strings.Contains(five[2], "ctrl+c") {
		t.Errorf("the second section should head the second column:\n%s", strings.Join(five, "\n"))
	}
}

func TestFlashNewerIsNotClearedByAnOlderTick(t *testing.T) {
	var f Flash
	if f.Shown() || f.View(plain) != "" {
		t.Fatal("the zero flash shows nothing")
	}
	if cmd := f.Set("first", false); cmd == nil {
		t.Fatal("Set returns the tick that clears the flash")
	}
	older := clearFlashMsg{id: f.id}
	f.Set("second", true)
	f, _ = f.Update(older)
	if f.Text() != "second" || !f.IsErr() {
		t.Fatalf("the first flash's tick cleared the second: %q", f.Text())
	}
	f, _ = f.Update(clearFlashMsg{id: f.id})
	if f.Shown() {
		t.Fatalf("its own tick should clear the flash, still %q", f.Text())
	}
	f.Set("third", false)
	f.Clear()
	if f.Shown() {
		t.Fatal("Clear hides the flash")
	}
}
