// Package lineinput is the one-line text editor of the console's `:` prompt and table filters: bubbles'
// textinput (←/→, word moves, deletions, and a paste from the terminal) drawn as plain text with a ▏
// caret, so it reads the same in a status line as in a test.
package lineinput

import (
	"strings"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
)

// Caret marks where typing goes.
const Caret = "▏"

// Model is the editor; its owner routes to it the keys and pastes (tea.PasteMsg) while it reads text. The
// zero value is an empty editor, as New's.
type Model struct {
	in   textinput.Model
	mask bool
}

// New builds an empty editor, ready to type into.
func New() Model {
	in := textinput.New()
	in.Prompt = ""
	in.SetVirtualCursor(false) // View draws the caret: no blinking cursor, no commands
	// A paste comes from the terminal (tea.PasteMsg). ctrl+v would read the clipboard of the machine the
	// program runs on — the SSH server's, for a remote console — so it is off.
	in.KeyMap.Paste.SetEnabled(false)
	in.Focus()
	return Model{in: in}
}

// NewMasked builds an empty editor whose View draws a • for each character typed: a key share typed or
// pasted never reaches the screen (nor a terminal's scrollback).
func NewMasked() Model {
	m := New()
	m.mask = true
	return m
}

// Update edits the text on a key or a paste.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg.(type) {
	case tea.KeyPressMsg, tea.PasteMsg:
		if !m.in.Focused() { // the zero value, perhaps given a text
			v, mask := m.in.Value(), m.mask
			m = New()
			m.mask = mask
			m.SetValue(v)
		}
		var cmd tea.Cmd
		m.in, cmd = m.in.Update(msg)
		return m, cmd
	}
	return m, nil
}

// Value is the text typed.
func (m Model) Value() string { return m.in.Value() }

// SetValue replaces the text, the caret at its end.
func (m *Model) SetValue(s string) {
	m.in.SetValue(s)
	m.in.CursorEnd()
}

// View is the text with the caret where typing goes.
func (m Model) View() string {
	r := []rune(m.in.Value())
	if m.mask {
		r = []rune(strings.Repeat("•", len(r)))
	}
	pos := min(max(m.in.Position(), 0), len(r))
	return string(r[:pos]) + Caret + string(r[pos:])
}
