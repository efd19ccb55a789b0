package scroll

import (
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
)

func TestScroll(t *testing.T) {
	lines := make([]string, 10)
	for i := range lines {
		lines[i] = fmt.Sprintf("line %d", i)
	}
	down := tea.KeyPressMsg{Code: 'j', Text: "j"}
	up := tea.KeyPressMsg{Code: 'k', Text: "k"}
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
				m.Update(k)
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
		m.Update(down)
	}
	m.SetLines(lines[:5]) // content shrinks: the offset follows
	if got := strings.TrimSpace(strings.Split(m.View(), "\n")[0]); got != "line 1" {
		t.Fatalf("after shrinking, first line %q", got)
	}
}

func TestSideways(t *testing.T) {
	lines := []string{"short", "0123456789abcdefghijklmnopqrstuvwxyz"} // 36 wide
	right := tea.KeyPressMsg{Code: tea.KeyRight}
	left := tea.KeyPressMsg{Code: tea.KeyLeft}
	l := tea.KeyPressMsg{Code: 'l', Text: "l"}
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
				m.Update(k)
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
	m.Update(right)
	if got := strings.Split(m.View(), "\n")[0]; got != "short     " {
		t.Errorf("a narrow page moved sideways: %q", got)
	}
	if strings.Contains(fmt.Sprint(m.ShortHelp()), "←/→") {
		t.Error("the help offers ←/→ with nothing to scroll")
	}
}
