package scroll

import (
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/clubcedille/cedille-tui/internal/ui/uitest"
)

func TestScroll(t *testing.T) {
	lines := make([]string, 10)
	for i := range lines {
		lines[i] = fmt.Sprintf("line %d", i)
	}
	down := uitest.KeyMsg("j")
	up := uitest.KeyMsg("k")
	tests := []struct {
		name  string
		keys  []tea.KeyPressMsg
		h     int
		first string
	}{
		{"starts at the top", nil, 4, "line 0"},
		{"scrolls down", []tea.KeyPressMsg{down, down}, 4, "line 2"},
		{"stops at the end", []tea.KeyPressMsg{down, down, down, down, down, down, down, down, down}, 4, "line 6"},
		{"never above the top", []tea.KeyPressMsg{up, up}, 4, "line 0"},
		{"content shorter than the view does not scroll", []tea.KeyPressMsg{down}, 20, "line 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New()
			m.SetSize(12, tt.h)
			m.SetLines(lines)
			for _, k := range tt.keys {
				m, _ = m.Update(k)
			}
			out := strings.Split(m.View(), "\n")
			if len(out) != tt.h || strings.TrimSpace(out[0]) != tt.first {
				t.Fatalf("%d lines, first %q; want %d, %q", len(out), out[0], tt.h, tt.first)
			}
		})
	}
	m := New()
	m.SetSize(12, 4)
	m.SetLines(lines)
	for i := 0; i < 9; i++ {
		m, _ = m.Update(down)
	}
	m.SetLines(lines[:5]) // content shrinks: the offset follows
	if got := strings.TrimSpace(strings.Split(m.View(), "\n")[0]); got != "line 1" {
		t.Fatalf("after shrinking, first line %q", got)
	}
}

func TestSideways(t *testing.T) {
	lines := []string{"short", "0123456789abcdefghijklmnopqrstuvwxyz"} // 36 wide
	right := uitest.KeyMsg("right")
	left := uitest.KeyMsg("left")
	l := uitest.KeyMsg("l")
	tests := []struct {
		name     string
		sideways bool
		keys     []tea.KeyPressMsg
		want     []string
	}{
		{"cut with a mark", true, nil, []string{"short     ", "012345678…"}},
		{"off unless asked", false, []tea.KeyPressMsg{right, l}, []string{"short     ", "012345678…"}},
		{"one step right", true, []tea.KeyPressMsg{right}, []string{"          ", "…9abcdefg…"}},
		{"l as well", true, []tea.KeyPressMsg{l}, []string{"          ", "…9abcdefg…"}},
		{"stops with the widest line's end in view", true, []tea.KeyPressMsg{right, right, right, right, right}, []string{"          ", "…rstuvwxyz"}},
		{"and back", true, []tea.KeyPressMsg{right, right, left, left, left}, []string{"short     ", "012345678…"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New()
			if tt.sideways {
				m.Sideways()
			}
			m.SetSize(10, 2)
			m.SetLines(lines)
			for _, k := range tt.keys {
				m, _ = m.Update(k)
			}
			if got := strings.Split(m.View(), "\n"); strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Fatalf("view %q, want %q", got, tt.want)
			}
			help := fmt.Sprint(m.ShortHelp())
			if offered := strings.Contains(help, "←/→"); offered != tt.sideways {
				t.Errorf("the help offers ←/→: %v, want %v", offered, tt.sideways)
			}
		})
	}
	// Nothing wider than the view: no sideways scrolling, and the help does not offer it.
	m := New()
	m.Sideways()
	m.SetSize(10, 2)
	m.SetLines([]string{"short"})
	m, _ = m.Update(right)
	if got := strings.Split(m.View(), "\n")[0]; got != "short     " {
		t.Errorf("a narrow page moved sideways: %q", got)
	}
	if strings.Contains(fmt.Sprint(m.ShortHelp()), "←/→") {
		t.Error("the help offers ←/→ with nothing to scroll")
	}
}

func TestOffsets(t *testing.T) {
	ten := make([]string, 10)
	for i := range ten {
		ten[i] = fmt.Sprintf("line %d", i)
	}
	tests := []struct {
		name       string
		lines      []string
		h          int
		move       func(m *Model)
		wantOffset int
		wantBottom bool
	}{
		{"starts at the top", ten, 4, func(*Model) {}, 0, false},
		{"bottom shows the last line last", ten, 4, (*Model).GotoBottom, 6, true},
		{"top after bottom", ten, 4, func(m *Model) { m.GotoBottom(); m.GotoTop() }, 0, false},
		{"an offset in range", ten, 4, func(m *Model) { m.SetOffset(3) }, 3, false},
		{"an offset past the end stops at the bottom", ten, 4, func(m *Model) { m.SetOffset(99) }, 6, true},
		{"a negative offset stops at the top", ten, 4, func(m *Model) { m.SetOffset(-5) }, 0, false},
		{"content shorter than the view is always at the bottom", ten[:3], 4, (*Model).GotoBottom, 0, true},
		{"no content", nil, 4, (*Model).GotoBottom, 0, true},
		{"a taller view keeps the last line at the bottom", ten, 4, func(m *Model) { m.GotoBottom(); m.SetSize(12, 8) }, 2, true},
		{"more lines leave the bottom", ten[:6], 4, func(m *Model) { m.GotoBottom(); m.SetLines(ten) }, 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New()
			m.SetSize(12, 4)
			m.SetLines(tt.lines)
			tt.move(&m)
			if m.Offset() != tt.wantOffset || m.AtBottom() != tt.wantBottom {
				t.Fatalf("offset %d, at bottom %v; want %d, %v", m.Offset(), m.AtBottom(), tt.wantOffset, tt.wantBottom)
			}
			if want := fmt.Sprintf("line %d", tt.wantOffset); len(tt.lines) > 0 && strings.TrimSpace(strings.Split(m.View(), "\n")[0]) != want {
				t.Fatalf("first line shown %q, want %q", strings.Split(m.View(), "\n")[0], want)
			}
		})
	}
}

// TestGotoBottomIsWhereKeysEnd: GotoBottom lands where pressing down to the end does.
func TestGotoBottomIsWhereKeysEnd(t *testing.T) {
	lines := make([]string, 50)
	for i := range lines {
		lines[i] = fmt.Sprintf("line %d", i)
	}
	keys, jump := New(), New()
	for _, m := range []*Model{&keys, &jump} {
		m.SetSize(20, 7)
		m.SetLines(lines)
	}
	for range lines {
		keys, _ = keys.Update(uitest.KeyMsg("down"))
	}
	jump.GotoBottom()
	if keys.Offset() != jump.Offset() || keys.View() != jump.View() {
		t.Fatalf("GotoBottom at %d, keys at %d", jump.Offset(), keys.Offset())
	}
}
