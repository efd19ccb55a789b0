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
