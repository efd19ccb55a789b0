package console

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/clubcedille/cedille-tui/internal/ui/common"
	"github.com/clubcedille/cedille-tui/internal/ui/components/scroll"
	"github.com/clubcedille/cedille-tui/internal/ui/components/table"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
	"github.com/clubcedille/cedille-tui/internal/watch"
)

// Detail is a live, scrollable page whose lines are rebuilt from every snapshot and at every width: a
// node, a finding, an event. Its text is wrapped to the width; what must not be wrapped (YAML, tables)
// scrolls sideways.
type Detail struct {
	theme   theme.Theme
	title   string
	snap    watch.Snapshot
	view    scroll.Model
	w       int
	content func(t theme.Theme, s watch.Snapshot, width int) []string
	// object is the cluster object the page shows ("Node/worker-2"), for the actions key; "" for none.
	object string
}

func newDetail(t theme.Theme, title string, content func(theme.Theme, watch.Snapshot, int) []string) *Detail {
	v := scroll.New()
	v.Sideways()
	return &Detail{theme: t, title: title, view: v, content: content}
}

func (p *Detail) Init() tea.Cmd { return nil }
func (p *Detail) Title() string { return p.title }

func (p *Detail) SetSize(w, h int) {
	p.w = w
	p.view.SetSize(w, h)
	p.rebuild()
}

func (p *Detail) rebuild() { p.view.SetLines(p.content(p.theme, p.snap, p.w)) }

// Update rebuilds the lines on a snapshot or a theme change and scrolls on keys.
func (p *Detail) Update(msg tea.Msg) (common.Page, tea.Cmd) {
	switch msg := msg.(type) {
	case common.SnapshotMsg:
		p.snap = msg.Snapshot
		p.rebuild()
	case common.ThemeMsg:
		p.theme = msg.Theme
		p.rebuild()
	case tea.KeyPressMsg:
		var cmd tea.Cmd
		p.view, cmd = p.view.Update(msg)
		return p, cmd
	}
	return p, nil
}

// Target is the object the page shows, when it shows one.
func (p *Detail) Target() (string, bool) { return p.object, p.object != "" }

func (p *Detail) View() string              { return p.view.View() }
func (p *Detail) ShortHelp() []key.Binding  { return p.view.ShortHelp() }
func (p *Detail) FullHelp() [][]key.Binding { return p.view.FullHelp() }

// sized gives a new page its size and the current snapshot, ready to push.
func sized(p common.Page, s watch.Snapshot, w, h int) common.Page {
	p.SetSize(w, h)
	p.Update(common.SnapshotMsg{Snapshot: s})
	return p
}

// openSelected handles the open key on a table page: it pushes the page build makes of the selected row.
// handled is false when the key is not the open key (or the table is reading a filter).
func openSelected(tb table.Model, open key.Binding, msg tea.KeyPressMsg, build func(table.Row) common.Page) (cmd tea.Cmd, handled bool) {
	if tb.Filtering() || !key.Matches(msg, open) {
		return nil, false
	}
	if r, ok := tb.Selected(); ok {
		return common.Push(build(r)), true
	}
	return nil, true
}

// tableWithStatus renders a table page: the table, then a status line of summary and position.
func tableWithStatus(t theme.Theme, tb table.Model, summary string, w, h int) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	status := common.Join(summary, t.Subtle.Render(tb.StatusLine()), w)
	if h == 1 {
		return status
	}
	return tb.View() + "\n" + status
}

// tablePage is what the console's table pages share: a table whose rows each page builds from the
// snapshots, an open key pushing the selected row's page, the theme and the size.
type tablePage struct {
	theme theme.Theme
	table table.Model
	snap  watch.Snapshot
	open  key.Binding
	w, h  int
}

func newTablePage(t theme.Theme, tb table.Model, openHelp string) tablePage {
	return tablePage{theme: t, table: tb, open: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", openHelp))}
}

func (p *tablePage) Init() tea.Cmd   { return nil }
func (p *tablePage) Capturing() bool { return p.table.Filtering() }

// SetSize gives the table all but the page's status line.
func (p *tablePage) SetSize(w, h int) {
	p.w, p.h = w, h
	p.table.SetSize(w, max(h-1, 0))
}

// update handles what every table page handles alike — a new theme, the open key (build makes the
// selected row's page), the table's own keys — once the page has taken the snapshots.
func (p *tablePage) update(msg tea.Msg, build func(table.Row) common.Page) tea.Cmd {
	switch msg := msg.(type) {
	case common.ThemeMsg:
		p.theme = msg.Theme
		p.table.SetTheme(msg.Theme)
		return nil
	case tea.KeyPressMsg:
		if cmd, ok := openSelected(p.table, p.open, msg, build); ok {
			return cmd
		}
	}
	var cmd tea.Cmd
	p.table, cmd = p.table.Update(msg)
	return cmd
}

// selected is the selected row's key, when a row is selected.
func (p *tablePage) selected() (string, bool) {
	r, ok := p.table.Selected()
	return r.Key, ok && r.Key != ""
}

func (p *tablePage) ShortHelp() []key.Binding {
	return append([]key.Binding{p.open}, p.table.ShortHelp()...)
}

func (p *tablePage) FullHelp() [][]key.Binding { return [][]key.Binding{{p.open}, p.table.FullHelp()} }
