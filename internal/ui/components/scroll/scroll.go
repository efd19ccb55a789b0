// Package scroll is a viewport over lines of text: the detail pages keep their content as lines and let
// it scroll, never overflowing the space they are given. It scrolls sideways too when asked to
// (Sideways): a line wider than the view is then cut with a mark, never wrapped.
package scroll

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/clubcedille/cedille-tui/internal/ui/common"
)

// Step is how many columns one sideways key moves.
const Step = 8

// Model holds the lines, the offsets and the size.
type Model struct {
	lines []string
	// offset is the first line shown, x the first column.
	offset, x int
	// widest is the widest line's width.
	widest      int
	w, h        int
	Up          key.Binding
	Down        key.Binding
	Left, Right key.Binding
	// sideways is the footer's one entry for Left and Right.
	sideways key.Binding
}

// New builds an empty viewport with k9s-like keys; it scrolls sideways only once Sideways is called.
func New() Model {
	return Model{
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "scroll up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "scroll down")),
		Left:     key.NewBinding(key.WithKeys("left", "h"), key.WithHelp("←/h", "scroll left"), key.WithDisabled()),
		Right:    key.NewBinding(key.WithKeys("right", "l"), key.WithHelp("→/l", "scroll right"), key.WithDisabled()),
		sideways: key.NewBinding(key.WithKeys("left", "right"), key.WithHelp("←/→", "scroll sideways")),
	}
}

// Sideways lets ←/→ (h/l) scroll lines wider than the view.
func (m *Model) Sideways() {
	m.Left.SetEnabled(true)
	m.Right.SetEnabled(true)
}

// SetSize sets the viewport's size.
func (m *Model) SetSize(w, h int) {
	m.w, m.h = w, h
	m.clamp()
}

// SetLines replaces the content, keeping the offsets where they still fit.
func (m *Model) SetLines(lines []string) {
	m.lines = lines
	m.widest = 0
	for _, l := range lines {
		m.widest = max(m.widest, lipgloss.Width(l))
	}
	m.clamp()
}

// clamp keeps the offsets in range (x moves only on Left and Right, which match only once Sideways).
func (m *Model) clamp() {
	m.offset = min(max(m.offset, 0), m.maxOffset())
	m.x = min(max(m.x, 0), max(m.widest-m.w, 0))
}

// Update scrolls on the keys.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return m, nil
	}
	switch {
	case key.Matches(k, m.Up):
		m.offset--
	case key.Matches(k, m.Down):
		m.offset++
	case key.Matches(k, m.Left):
		m.x -= Step
	case key.Matches(k, m.Right):
		m.x += Step
	}
	m.clamp()
	return m, nil
}

// maxOffset is the offset that shows the last line at the bottom of the view.
func (m Model) maxOffset() int { return max(len(m.lines)-m.h, 0) }

// Offset is the first line shown (0 at the top).
func (m Model) Offset() int { return m.offset }

// SetOffset shows line n first, kept in range: never above the top nor past the last full view.
func (m *Model) SetOffset(n int) {
	m.offset = n
	m.clamp()
}

// GotoTop shows the first line first.
func (m *Model) GotoTop() { m.offset = 0 }

// GotoBottom shows the last lines, the last one at the bottom of the view (to follow a growing log).
func (m *Model) GotoBottom() { m.offset = m.maxOffset() }

// AtBottom tells whether the last line is in view.
func (m Model) AtBottom() bool { return m.offset >= m.maxOffset() }

// wide tells whether some line is wider than the view (and sideways scrolling is on).
func (m Model) wide() bool { return m.Right.Enabled() && m.widest > m.w }

// View renders the visible lines, exactly w×h: scrolled sideways, a line cut on the left starts with a
// mark, as one cut on the right ends with one.
func (m Model) View() string {
	end := min(m.offset+m.h, len(m.lines))
	lines := append([]string(nil), m.lines[min(m.offset, end):end]...)
	if m.x > 0 {
		for i, l := range lines {
			lines[i] = ""
			if lipgloss.Width(l) > m.x {
				lines[i] = "…" + ansi.TruncateLeft(l, m.x+1, "")
			}
		}
	}
	return common.Block(strings.Join(lines, "\n"), m.w, m.h)
}

// ShortHelp and FullHelp are the viewport's keys (sideways only when a line is wider than the view).
func (m Model) ShortHelp() []key.Binding {
	if m.wide() {
		return []key.Binding{m.Down, m.sideways}
	}
	return []key.Binding{m.Down}
}

func (m Model) FullHelp() [][]key.Binding {
	if m.wide() {
		return [][]key.Binding{{m.Up, m.Down, m.Left, m.Right}}
	}
	return [][]key.Binding{{m.Up, m.Down}}
}
