package lineinput

import (
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/clubcedille/cedille-tui/internal/ui/uitest"
)

func TestEditing(t *testing.T) {
	key := uitest.KeyMsg
	tests := []struct {
		name      string
		msgs      []tea.Msg
		value     string
		view      string
		startWith string
	}{
		{"typed", []tea.Msg{key("n"), key("o")}, "no", "no▏", ""},
		{"backspace", []tea.Msg{key("n"), key("o"), key("backspace")}, "n", "n▏", ""},
		{"a paste lands at the caret", []tea.Msg{tea.PasteMsg{Content: "storage"}}, "storage", "storage▏", ""},
		{"a pasted newline is a space", []tea.Msg{tea.PasteMsg{Content: "a\nb"}}, "a b", "a b▏", ""},
		{"the caret moves", []tea.Msg{key("left"), key("x")}, "abxc", "abx▏c", "abc"},
		{"ctrl+v does not read a clipboard", []tea.Msg{key("ctrl+v")}, "", "▏", ""},
		{"other messages are ignored", []tea.Msg{tea.WindowSizeMsg{Width: 3}}, "", "▏", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New()
			m.SetValue(tt.startWith)
			for _, msg := range tt.msgs {
				var cmd tea.Cmd
				m, cmd = m.Update(msg)
				if cmd != nil {
					t.Fatalf("%T returned a command: the editor does no I/O", msg)
				}
			}
			if m.Value() != tt.value || m.View() != tt.view {
				t.Fatalf("value %q view %q, want %q %q", m.Value(), m.View(), tt.value, tt.view)
			}
		})
	}
}

func TestZeroValueEdits(t *testing.T) {
	var m Model
	m.SetValue(":")
	m, _ = m.Update(tea.PasteMsg{Content: "nodes"})
	if m.Value() != ":nodes" || m.View() != ":nodes▏" {
		t.Fatalf("value %q view %q", m.Value(), m.View())
	}
}

func TestMaskedShowsNoCharacter(t *testing.T) {
	key := uitest.KeyMsg
	m := NewMasked()
	for _, msg := range []tea.Msg{tea.PasteMsg{Content: "q1Vh8mZ3"}, key("x"), key("left"), key("backspace")} {
		m, _ = m.Update(msg)
	}
	if m.Value() != "q1Vh8mZx" {
		t.Fatalf("value %q", m.Value())
	}
	if v := m.View(); v != "•••••••▏•" {
		t.Fatalf("view %q: the masked editor must draw one • per character, the caret where typing goes", v)
	}
}
