// Package scroll is a vertical viewport over lines of text: the detail pages keep their content as lines
// and let it scroll, never overflowing the space they are given.
package scroll

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/clubcedille/cedille-tui/internal/ui/common"
)

// Model holds the lines, the offset and the size.
type Model struct {
	lines  []string
	offset int
	w, h   int
	Up     key.Binding
	Down   key.Binding
}

// New builds an empty viewport with k9s-like keys.
func New() Model {
	return Model{
		Up:   key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "scroll up")),
		Down: key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "scroll down")),
	}
}

// SetSize sets the viewport's size.
func (m *Model) SetSize(w, h int) {
	m.w, m.h = w, h
	m.clamp()
}

// SetLines replaces the content, keeping the offset where it still fits.
func (m *Model) SetLines(lines []string) {
	m.lines = lines
	m.clamp()
}

func (m *Model) clamp() { m.offset = min(max(m.offset, 0), max(len(m.lines)-m.h, 0)) }

// Update scrolls on the keys.
func (m *Model) Update(msg tea.Msg) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return
	}
	switch {
	case key.Matches(k, m.Up):
		m.offset--
	case key.Matches(k, m.Down):
		m.offset++
	}
	m.clamp()
}

// View renders the visible lines, exactly w×h.
func (m Model) View() string {
	end := min(m.offset+m.h, len(m.lines))
	return common.Block(strings.Join(m.lines[min(m.offset, end):end], "\n"), m.w, m.h)
}

// ShortHelp and FullHelp are the viewport's keys.
func (m Model) ShortHelp() []key.Binding  { return []key.Binding{m.Down} }
func (m Model) FullHelp() [][]key.Binding { return [][]key.Binding{{m.Up, m.Down}} }
