// Package table is a scrolling, filterable, sortable table that renders only the rows that are visible,
// and drops low-priority columns rather than overflow a narrow terminal.
package table

import (
	"sort"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/clubcedille/cedille-tui/internal/ui/common"
	"github.com/clubcedille/cedille-tui/internal/ui/components/lineinput"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
)

// Column describes one column.
type Column struct {
	Title string
	// Width is the column's minimum width in cells.
	Width int
	// Flex shares out the spare width among flexible columns, in proportion.
	Flex int
	// Drop orders which columns go first when the terminal is too narrow (higher goes first; 0 never).
	Drop int
	// Middle cuts a cell too long for the column in its middle, keeping both ends: for names whose ends
	// tell them apart (generated suffixes, a shared prefix).
	Middle bool
}

// Row is one line of the table.
type Row struct {
	// Key identifies the row across updates, so the cursor stays on the same object.
	Key string
	// Cells are plain text; filtering matches them. They are drawn inert (common.Inert): text from the
	// cluster goes in as it is.
	Cells []string
	// Tones optionally colour cells (theme.Plain where missing). Rows carry plain text and a tone; only
	// visible cells are styled, so building the rows of a 10 000-object table costs no styling at all.
	Tones []theme.Tone
	// Sort optionally gives per-column sort keys (the lower-cased cell is used where missing).
	Sort []string
}

// KeyMap is the table's keys.
type KeyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom, Filter, Sort, Reverse, ClearFilter key.Binding
}

// DefaultKeys are k9s-like.
func DefaultKeys() KeyMap {
	return KeyMap{
		Up:          key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:        key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:      key.NewBinding(key.WithKeys("pgup", "ctrl+b"), key.WithHelp("pgup", "page up")),
		PageDown:    key.NewBinding(key.WithKeys("pgdown", "ctrl+f"), key.WithHelp("pgdn", "page down")),
		Top:         key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g", "top")),
		Bottom:      key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G", "bottom")),
		Filter:      key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		Sort:        key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sort column")),
		Reverse:     key.NewBinding(key.WithKeys("S"), key.WithHelp("S", "reverse sort")),
		ClearFilter: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter")),
	}
}

// Model is the table's state.
type Model struct {
	Keys    KeyMap
	theme   theme.Theme
	columns []Column
	all     []Row
	rows    []Row // filtered and sorted view of all
	cursor  int
	offset  int
	width   int
	height  int

	// filter is the text rows are matched against; input edits it while filtering.
	filter    string
	input     lineinput.Model
	filtering bool
	// blurred hides the cursor while the page's focus is elsewhere.
	blurred  bool
	sortCol  int // -1: as given
	sortDesc bool
	// Empty is shown when there is no row.
	Empty string
}

// New builds a table with the given columns.
func New(t theme.Theme, cols ...Column) Model {
	return Model{Keys: DefaultKeys(), theme: t, columns: cols, sortCol: -1, Empty: "Nothing to show.", input: lineinput.New()}
}

// SetColumns replaces the columns (for a page whose columns follow its rows); the sort stays on its
// column while there is one at that place.
func (m *Model) SetColumns(cols ...Column) {
	m.columns = cols
	if m.sortCol >= len(cols) {
		m.sortCol = -1
	}
	m.apply()
	m.clamp()
}

// SetTheme changes the theme.
func (m *Model) SetTheme(t theme.Theme) { m.theme = t }

// SetSize sets the space the table renders into, header line included.
func (m *Model) SetSize(w, h int) {
	m.width, m.height = w, h
	m.clamp()
}

// SetRows replaces the rows, keeping the cursor on the same key when it is still there.
func (m *Model) SetRows(rows []Row) {
	keep := ""
	if r, ok := m.Selected(); ok {
		keep = r.Key
	}
	m.all = rows
	m.apply()
	if keep != "" {
		for i, r := range m.rows {
			if r.Key == keep {
				m.cursor = i
				break
			}
		}
	}
	m.clamp()
}

// Top puts the cursor on the first row.
func (m *Model) Top() {
	m.cursor = 0
	m.clamp()
}

// Blur hides the cursor (the page has moved its focus elsewhere); Focus shows it again; Blurred tells
// which of the two was last.
func (m *Model) Blur()        { m.blurred = true }
func (m *Model) Focus()       { m.blurred = false }
func (m Model) Blurred() bool { return m.blurred }

// AtBottom tells whether the cursor is on the last row (or there is none).
func (m Model) AtBottom() bool { return m.cursor >= len(m.rows)-1 }

// Selected is the row under the cursor.
func (m Model) Selected() (Row, bool) {
	if m.cursor < 0 || m.cursor >= len(m.rows) {
		return Row{}, false
	}
	return m.rows[m.cursor], true
}

// Len is the number of rows shown (after the filter), Total the number of rows.
func (m Model) Len() int   { return len(m.rows) }
func (m Model) Total() int { return len(m.all) }

// Filter is the current filter text.
func (m Model) Filter() string { return m.filter }

// Filtering tells whether the filter is being typed (printable keys belong to the table then).
func (m Model) Filtering() bool { return m.filtering }

// SetFilter sets the filter text.
func (m *Model) SetFilter(f string) {
	m.input.SetValue(f)
	m.filter = f
	m.apply()
	m.clamp()
}

func (m *Model) apply() {
	q := strings.ToLower(m.filter)
	m.rows = m.rows[:0:0]
	for _, r := range m.all {
		if q == "" || rowMatches(r, q) {
			m.rows = append(m.rows, r)
		}
	}
	if m.sortCol >= 0 {
		c := m.sortCol
		sort.SliceStable(m.rows, func(i, j int) bool {
			a, b := sortKey(m.rows[i], c), sortKey(m.rows[j], c)
			if m.sortDesc {
				return a > b
			}
			return a < b
		})
	}
}

func rowMatches(r Row, q string) bool {
	for _, c := range r.Cells {
		if strings.Contains(strings.ToLower(c), q) {
			return true
		}
	}
	return false
}

func sortKey(r Row, c int) string {
	if c < len(r.Sort) && r.Sort[c] != "" {
		return r.Sort[c]
	}
	if c < len(r.Cells) {
		return strings.ToLower(r.Cells[c])
	}
	return ""
}

func (m *Model) bodyHeight() int { return max(m.height-1, 0) }

func (m *Model) clamp() {
	n := len(m.rows)
	m.cursor = min(max(m.cursor, 0), max(n-1, 0))
	h := m.bodyHeight()
	if h <= 0 {
		m.offset = 0
		return
	}
	if m.cursor < m.offset {
		m.offset = m.cursor
	}
	if m.cursor >= m.offset+h {
		m.offset = m.cursor - h + 1
	}
	m.offset = min(max(m.offset, 0), max(n-h, 0))
}

// Update handles navigation, sorting and the filter (typed or pasted).
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	if m.filtering {
		return m.filterUpdate(msg)
	}
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return m, nil
	}
	h := max(m.bodyHeight(), 1)
	switch {
	case key.Matches(k, m.Keys.Up):
		m.cursor--
	case key.Matches(k, m.Keys.Down):
		m.cursor++
	case key.Matches(k, m.Keys.PageUp):
		m.cursor -= h
	case key.Matches(k, m.Keys.PageDown):
		m.cursor += h
	case key.Matches(k, m.Keys.Top):
		m.cursor = 0
	case key.Matches(k, m.Keys.Bottom):
		m.cursor = len(m.rows) - 1
	case key.Matches(k, m.Keys.Filter):
		m.filtering = true
		m.input.SetValue(m.filter)
	case key.Matches(k, m.Keys.Sort):
		m.sortCol++
		if m.sortCol >= len(m.columns) {
			m.sortCol = -1
		}
		m.apply()
	case key.Matches(k, m.Keys.Reverse):
		m.sortDesc = !m.sortDesc
		m.apply()
	case key.Matches(k, m.Keys.ClearFilter) && m.filter != "":
		m.SetFilter("")
	}
	m.clamp()
	return m, nil
}

// filterUpdate edits the filter: enter keeps it, esc clears it, the rest goes to the line editor.
func (m Model) filterUpdate(msg tea.Msg) (Model, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch k.String() {
		case "enter":
			m.filtering = false
			return m, nil
		case "esc":
			m.filtering = false
			m.SetFilter("")
			return m, nil
		}
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(msg)
	if f := m.input.Value(); f != m.filter {
		m.filter = f
		m.apply()
		m.clamp()
	}
	return m, cmd
}

// layout decides which columns show and how wide each is.
func (m Model) layout() ([]int, []int) {
	visible := make([]int, 0, len(m.columns))
	for i := range m.columns {
		visible = append(visible, i)
	}
	need := func(v []int) int {
		n := 0
		for _, i := range v {
			n += m.columns[i].Width + 1
		}
		return n
	}
	for need(visible) > m.width {
		worst, at := 0, -1
		for j, i := range visible {
			if d := m.columns[i].Drop; d > worst {
				worst, at = d, j
			}
		}
		if at < 0 {
			break
		}
		visible = append(visible[:at], visible[at+1:]...)
	}
	widths := make([]int, len(visible))
	spare, flex := m.width-need(visible), 0
	for j, i := range visible {
		widths[j] = m.columns[i].Width
		flex += m.columns[i].Flex
	}
	if spare > 0 && flex > 0 {
		given := 0
		for j, i := range visible {
			add := spare * m.columns[i].Flex / flex
			widths[j] += add
			given += add
		}
		for j, i := range visible { // rounding leftovers to the first flexible column
			if m.columns[i].Flex > 0 {
				widths[j] += spare - given
				break
			}
		}
	}
	return visible, widths
}

// View renders the header line and the visible rows only, exactly width×height.
func (m Model) View() string {
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	visible, widths := m.layout()
	var b strings.Builder
	head := make([]string, len(visible))
	for j, i := range visible {
		t := m.columns[i].Title
		if i == m.sortCol {
			if m.sortDesc {
				t += "↓"
			} else {
				t += "↑"
			}
		}
		head[j] = common.Fit(t, widths[j])
	}
	b.WriteString(m.theme.TableHead.Render(common.Fit(strings.Join(head, " "), m.width)))
	h := m.bodyHeight()
	if len(m.rows) == 0 {
		msg := m.Empty
		if m.filter != "" {
			msg = "No row matches “" + m.filter + "” (esc clears the filter)."
		}
		b.WriteString("\n" + common.Block(m.theme.Subtle.Render(msg), m.width, h))
		return b.String()
	}
	end := min(m.offset+h, len(m.rows))
	for idx := m.offset; idx < end; idx++ {
		r := m.rows[idx]
		selected := idx == m.cursor && !m.blurred
		cells := make([]string, len(visible))
		for j, i := range visible {
			c := ""
			if i < len(r.Cells) {
				c = common.Inert(r.Cells[i])
			}
			if m.columns[i].Middle {
				c = fitMiddle(c, widths[j])
			}
			c = common.Fit(c, widths[j])
			if !selected && i < len(r.Tones) {
				c = m.theme.Style(r.Tones[i]).Render(c)
			}
			cells[j] = c
		}
		line := common.Fit(strings.Join(cells, " "), m.width)
		if selected {
			line = m.theme.Selected.Render(line)
		}
		b.WriteString("\n" + line)
	}
	for i := end - m.offset; i < h; i++ {
		b.WriteString("\n" + strings.Repeat(" ", m.width))
	}
	return b.String()
}

// fitMiddle shortens s to width cells by cutting its middle ("clickhouse…monitoring"); shorter text is
// left as it is.
func fitMiddle(s string, width int) string {
	w := ansi.StringWidth(s)
	if w <= width || width < 3 {
		return s
	}
	tail := (width - 1) / 2
	head := width - 1 - tail
	return ansi.Truncate(s, head, "") + "…" + ansi.TruncateLeft(s, w-tail, "")
}

// StatusLine describes the position and filter, for the page's own footer line.
func (m Model) StatusLine() string {
	var parts []string
	if m.filtering {
		parts = append(parts, "/"+m.input.View())
	} else if m.filter != "" {
		parts = append(parts, "filter: "+m.filter)
	}
	if len(m.rows) > 0 {
		parts = append(parts, strconv.Itoa(m.cursor+1)+"/"+strconv.Itoa(len(m.rows)))
	}
	if len(m.rows) != len(m.all) {
		parts = append(parts, "of "+strconv.Itoa(len(m.all)))
	}
	return strings.Join(parts, " ")
}

// ShortHelp is the table's main keys.
func (m Model) ShortHelp() []key.Binding { return []key.Binding{m.Keys.Filter} }

// FullHelp is all of the table's keys.
func (m Model) FullHelp() []key.Binding {
	return []key.Binding{m.Keys.Up, m.Keys.Down, m.Keys.PageUp, m.Keys.PageDown, m.Keys.Top, m.Keys.Bottom,
		m.Keys.Filter, m.Keys.Sort, m.Keys.Reverse}
}
