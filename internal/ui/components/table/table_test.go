package table

import (
	tea "charm.land/bubbletea/v2"
	"fmt"
	"strings"
	"testing"

	"charm.land/lipgloss/v2"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
	"github.com/clubcedille/cedille-tui/internal/ui/uitest"
)

func press(m Model, keys ...string) Model {
	for _, k := range keys {
		m, _ = m.Update(uitest.KeyMsg(k))
	}
	return m
}

func rows(n int) []Row {
	out := make([]Row, n)
	for i := range out {
		name := fmt.Sprintf("node-%03d", i)
		out[i] = Row{Key: name, Cells: []string{name, []string{"Ready", "NotReady"}[i%2]},
			Tones: []theme.Tone{theme.Plain, theme.Tone(i % 5)}}
	}
	return out
}

func newTable(w, h int) Model {
	m := New(theme.New(false, true), Column{Title: "NAME", Width: 10, Flex: 1}, Column{Title: "STATUS", Width: 8},
		Column{Title: "WIDE", Width: 30, Drop: 1})
	m.SetSize(w, h)
	return m
}

func TestTable(t *testing.T) {
	tests := []struct {
		name     string
		w, h     int
		n        int
		keys     []string
		selected string
		shown    int
		contains []string
		lacks    []string
	}{
		{"starts at the top", 40, 6, 100, nil, "node-000", 100, []string{"node-000", "node-004"}, []string{"node-005"}},
		{"down and scroll", 40, 6, 100, []string{"j", "j", "j", "j", "j", "j"}, "node-006", 100, []string{"node-006"}, []string{"node-000"}},
		{"bottom renders only the last rows", 40, 6, 100, []string{"G"}, "node-099", 100, []string{"node-099", "node-095"}, []string{"node-094"}},
		{"filter", 40, 6, 100, []string{"/", "0", "4", "enter"}, "node-004", 11, []string{"node-004", "node-040"}, []string{"node-050", "node-005"}},
		{"esc clears a filter", 40, 6, 100, []string{"/", "0", "4", "enter", "esc"}, "node-000", 100, nil, nil},
		{"backspace edits a filter", 40, 6, 100, []string{"/", "0", "4", "backspace", "enter"}, "node-000", 100, nil, nil},
		{"sort by the first column, reversed", 40, 6, 10, []string{"s", "S"}, "node-009", 10, []string{"NAME↓"}, nil},
		{"narrow drops a column", 25, 6, 3, nil, "node-000", 3, []string{"NAME"}, []string{"WIDE"}},
		{"wide keeps it", 60, 6, 3, nil, "node-000", 3, []string{"WIDE"}, nil},
		{"empty", 40, 6, 0, []string{"j"}, "", 0, []string{"Nothing to show."}, nil},
		{"no match says so", 40, 6, 5, []string{"/", "z"}, "", 0, []string{"No row matches"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newTable(tt.w, tt.h)
			m.SetRows(rows(tt.n))
			m = press(m, tt.keys...)
			r, ok := m.Selected()
			if ok != (tt.selected != "") || r.Key != tt.selected {
				t.Errorf("selected %q (%v), want %q", r.Key, ok, tt.selected)
			}
			if m.Len() != tt.shown {
				t.Errorf("shown %d, want %d", m.Len(), tt.shown)
			}
			v := m.View()
			if got := strings.Count(v, "\n") + 1; got != tt.h {
				t.Errorf("%d lines, want %d", got, tt.h)
			}
			for _, l := range strings.Split(v, "\n") {
				if w := lipgloss.Width(l); w != tt.w {
					t.Fatalf("line %q is %d wide, want %d", l, w, tt.w)
				}
			}
			for _, s := range tt.contains {
				if !strings.Contains(v, s) {
					t.Errorf("view lacks %q:\n%s", s, v)
				}
			}
			for _, s := range tt.lacks {
				if strings.Contains(v, s) {
					t.Errorf("view has %q:\n%s", s, v)
				}
			}
		})
	}
}

func TestCursorFollowsItsRowAcrossUpdates(t *testing.T) {
	m := newTable(40, 6)
	m.SetRows(rows(10))
	m = press(m, "j", "j", "j")
	rs := rows(10)
	m.SetRows(append([]Row{{Key: "aaa-new", Cells: []string{"aaa-new", "Ready"}}}, rs...))
	if r, _ := m.Selected(); r.Key != "node-003" {
		t.Fatalf("cursor on %q, want node-003 to stay selected", r.Key)
	}
	m.SetRows(rows(1))
	if r, _ := m.Selected(); r.Key != "node-000" {
		t.Fatalf("cursor on %q after its row went away", r.Key)
	}
}

func TestFilteringCapturesKeys(t *testing.T) {
	m := newTable(40, 6)
	m.SetRows(rows(10))
	m = press(m, "/", "q")
	if !m.Filtering() || m.Filter() != "q" {
		t.Fatalf("filtering=%v filter=%q: printable keys belong to the filter", m.Filtering(), m.Filter())
	}
	if !strings.Contains(m.StatusLine(), "/q") {
		t.Fatalf("status line %q", m.StatusLine())
	}
}

// TestPasteLandsInTheFilter: a paste (bracketed, from the terminal) goes into the filter being typed, at
// the caret; it is not a filter while none is typed.
func TestPasteLandsInTheFilter(t *testing.T) {
	m := newTable(40, 6)
	m.SetRows(rows(100))
	m, _ = m.Update(tea.PasteMsg{Content: "node-04"})
	if m.Filter() != "" || m.Len() != 100 {
		t.Fatalf("a paste outside the filter changed it to %q", m.Filter())
	}
	m = press(m, "/", "0", "left")
	m, _ = m.Update(tea.PasteMsg{Content: "node-04"})
	if m.Filter() != "node-040" || !strings.Contains(m.StatusLine(), "/node-04▏0") {
		t.Fatalf("filter %q, status %q", m.Filter(), m.StatusLine())
	}
	if m.Len() != 1 {
		t.Fatalf("%d rows match node-040, want 1", m.Len())
	}
	m = press(m, "enter", "/", "backspace", "enter")
	if m.Filter() != "node-04" || m.Len() != 10 {
		t.Fatalf("reopened, the filter edits on from its text: %q, %d rows", m.Filter(), m.Len())
	}
}

func TestFitMiddle(t *testing.T) {
	tests := []struct {
		s     string
		width int
		want  string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"clickhouse-otel-monitoring", 15, "clickho…itoring"},
		{"clickhouse-operator", 15, "clickho…perator"},
		{"abcdef", 2, "abcdef"}, // too narrow to cut in the middle: left to the end cut
	}
	for _, tt := range tests {
		if got := fitMiddle(tt.s, tt.width); got != tt.want {
			t.Errorf("fitMiddle(%q, %d) = %q, want %q", tt.s, tt.width, got, tt.want)
		}
	}
}

func TestMiddleColumnAndSetColumns(t *testing.T) {
	m := New(theme.New(false, true), Column{Title: "NAME", Width: 12, Middle: true}, Column{Title: "X", Width: 3})
	m.SetSize(16, 3)
	m.SetRows([]Row{{Key: "a", Cells: []string{"clickhouse-operator", "1"}}, {Key: "b", Cells: []string{"clickhouse-otel-monitoring", "2"}}})
	v := m.View()
	if !strings.Contains(v, "clickh…rator") || !strings.Contains(v, "clickh…oring") {
		t.Fatalf("middle cut:\n%s", v)
	}
	m = press(m, "s", "s") // sort by the second column
	m.SetColumns(Column{Title: "ONLY", Width: 10})
	if v := m.View(); !strings.Contains(v, "ONLY") || strings.Contains(v, "ONLY↑") {
		t.Fatalf("a sort column gone is forgotten:\n%s", v)
	}
}

// TestCellsDrawnInert: text from the cluster goes into the cells as it is; escape sequences in it (clear
// the screen, set the clipboard) are drawn as text, never sent to the terminal.
func TestCellsDrawnInert(t *testing.T) {
	m := newTable(80, 5)
	m.SetRows([]Row{{Key: "evil", Cells: []string{"evil\x1b[2J", "ok", "\x1b]52;c;eA==\x07"}}})
	out := m.View()
	if strings.Contains(out, "\x1b[2J") || strings.Contains(out, "\x1b]52") || strings.Contains(out, "\a") {
		t.Fatalf("a control character reached the screen: %q", out)
	}
	if !strings.Contains(out, "evil^[[2J") || !strings.Contains(out, "^[]52;c;eA==^G") {
		t.Fatalf("the cells are not drawn as text:\n%s", out)
	}
}
