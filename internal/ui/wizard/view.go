package wizard

import (
	"slices"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/steps"
	"github.com/clubcedille/cedille-tui/internal/ui/common"
	"github.com/clubcedille/cedille-tui/internal/ui/components/table"
	"github.com/clubcedille/cedille-tui/internal/ui/shell"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
)

// The screen: a header, a status line, the body (steps on the left, the current step on the right) and
// the footer's keys. Every size is derived from the window's; nothing is placed at fixed coordinates.

// View draws the whole screen, exactly the terminal's size.
func (m *Model) View() tea.View {
	v := tea.NewView(m.Render())
	v.AltScreen = true
	v.WindowTitle = "cedille-tui install"
	return v
}

// Render is the screen content (what goldens compare).
func (m *Model) Render() string {
	if m.w <= 0 || m.h <= 0 {
		return ""
	}
	if !shell.Fits(m.w, m.h) {
		return shell.TooSmallView(m.w, m.h)
	}
	if m.custody() { // the key ceremony takes the whole screen, above the footer
		return common.Block(strings.Join(m.custodyView(), "\n"), m.w, m.h-1) + "\n" + m.footer()
	}
	bh := m.bodyHeight()
	if m.help { // the keys take the whole body: two columns of them fit at 80×24
		return strings.Join([]string{m.header(), m.statusLine(), m.helpView(), m.footer()}, "\n")
	}
	lw := m.leftWidth()
	left := strings.Split(m.stepList(lw, bh), "\n")
	right := strings.Split(m.pane.View(), "\n")
	sep := m.theme.Subtle.Render("│")
	body := make([]string, bh)
	for i := range body {
		r := ""
		if i < len(right) {
			r = right[i]
		}
		if wide, ok := strings.CutPrefix(r, wideMark); ok {
			body[i] = common.Fit(wide, m.w) // a command wider than the pane: its row is its own
			continue
		}
		body[i] = left[i] + sep + " " + common.Fit(strings.TrimRight(r, " "), m.rightWidth())
	}
	return strings.Join([]string{m.header(), m.statusLine(), strings.Join(body, "\n"), m.footer()}, "\n")
}

// wideMark starts a pane line that takes its whole screen row: a shell command wider than the pane is
// never wrapped inside a word (a terminal copy of it must give the command), it overflows into a row of
// its own, over the steps' list.
const wideMark = "\x1e"

// stepLines lays out a step's lines (its log, what it does) for the pane: prose wrapped to the pane,
// commands (steps.CommandIndent) by commandRows.
func (m *session) stepLines(lines []string) []string {
	var out []string
	for _, l := range lines {
		if cmd, ok := strings.CutPrefix(l, steps.CommandIndent); ok {
			out = append(out, commandRows(strings.TrimSpace(cmd), m.rightWidth(), m.w)...)
			continue
		}
		out = append(out, common.Wrap(l, m.rightWidth())...)
	}
	return out
}

// commandRows lays out a shell command, indented, so that the rows, copied from the terminal, are the
// command: on one row in the pane when it fits there, else on one row of its own (wideMark) when it fits
// the screen, else cut only where sh reads on (after "&&", or at a space before a backslash-newline) —
// never inside a word — on rows of their own unless all fit the pane. A word wider than the screen alone
// is the one thing cut, by the screen's edge.
func commandRows(cmd string, pane, screen int) []string {
	const indent, more = "  ", "    "
	if ansi.StringWidth(indent+cmd) <= pane {
		return []string{indent + cmd}
	}
	if ansi.StringWidth(indent+cmd) <= screen {
		return []string{wideMark + indent + cmd}
	}
	var parts [][]string // the command's parts between "&&"s
	part := []string{}
	for _, w := range shellWords(cmd) {
		if w == "&&" {
			parts, part = append(parts, part), []string{}
			continue
		}
		part = append(part, w)
	}
	parts = append(parts, part)
	var rows []string
	for i, words := range parts {
		row := more
		if i == 0 {
			row = indent
		}
		end := ""
		if i < len(parts)-1 {
			end = " &&"
		}
		for j, w := range words {
			tail := " \\" // room to cut after w, if the next word does not fit
			if j == len(words)-1 {
				tail = end
			}
			switch {
			case j == 0:
				row += w
			case ansi.StringWidth(row+" "+w+tail) > screen && ansi.StringWidth(more+"  "+w+tail) <= screen:
				rows = append(rows, row+" \\")
				row = more + "  " + w
			default:
				row += " " + w
			}
		}
		rows = append(rows, row+end)
	}
	if slices.ContainsFunc(rows, func(r string) bool { return ansi.StringWidth(r) > pane }) {
		for i := range rows {
			rows[i] = wideMark + rows[i]
		}
	}
	return rows
}

// shellWords splits a command at the spaces sh separates words at: not those inside quotes or escaped.
func shellWords(cmd string) []string {
	var words []string
	var cur strings.Builder
	var quote rune
	escaped := false
	for _, r := range cmd {
		switch {
		case escaped:
			escaped = false
		case r == '\\' && quote != '\'':
			escaped = true
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '\'' || r == '"':
			quote = r
		case r == ' ':
			if cur.Len() > 0 {
				words = append(words, cur.String())
				cur.Reset()
			}
			continue
		}
		cur.WriteRune(r)
	}
	if cur.Len() > 0 {
		words = append(words, cur.String())
	}
	return words
}

func (m *session) bodyHeight() int { return max(m.h-shell.FrameRows, 0) }

// leftWidth fits the longest step title, its symbol and a margin, and the legend's lines.
func (m *session) leftWidth() int {
	w := ansi.StringWidth(" – skipped") + 1
	for _, s := range m.o.Steps {
		w = max(w, ansi.StringWidth(s.Title())+4)
	}
	return min(w, max(m.w/4, 12))
}

// rightWidth is what the current step's pane gets: the rest, after the separator and a space.
func (m *session) rightWidth() int { return max(m.w-m.leftWidth()-2, 1) }

// paneHeight is the right pane's height.
func (m *session) paneHeight() int { return m.bodyHeight() }

// resize gives the screen its size.
func (m *Model) resize() {
	m.pane.SetSize(m.rightWidth(), m.paneHeight())
	m.resizePrompt() // the ceremony's input is the screen's width
}

func (m *Model) header() string {
	left := m.theme.Title.Render("cedille-tui install")
	if m.era == plan.Era2Version {
		left = m.theme.Title.Render("cedille-tui install era 2")
	}
	if m.o.Endpoint != "" {
		left += m.theme.Subtle.Render(" │ ") + "Omni " + m.o.Endpoint
	}
	right := ""
	if n := len(m.o.Steps); n > 0 && m.cur < n && m.loaded {
		right = "step " + strconv.Itoa(m.cur+1) + "/" + strconv.Itoa(n) + " · " + m.o.Steps[m.cur].Title()
	} else if m.allDone() {
		right = m.theme.Style(theme.Good).Render("✔ install done")
	}
	return shell.Header(left, right, m.w)
}

// statusLine says what the pane expects, or a flash, or the quit question.
func (m *Model) statusLine() string {
	st := shell.Status{Hint: m.hint(), Flash: m.flash}
	if m.confirmQuit {
		st.Alert = "a step is running: quit anyway? It stops and resumes next time (y/n)"
	}
	return shell.StatusLine(m.theme, st, m.w)
}

// hint is one line on what to do in the current pane.
func (m *Model) hint() string { return m.pane.Hint() }

// allDone tells whether the end screen is shown.
func (m *Model) allDone() bool {
	_, ok := m.pane.(*doneScreen)
	return ok
}

func (m *Model) footer() string {
	bs := append(m.paneHelp(), m.globalHelp()...)
	switch {
	case m.confirmQuit:
		bs = []key.Binding{key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "quit")),
			key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "stay"))}
	case m.help:
		bs = []key.Binding{m.keys.Back}
	}
	return shell.Footer(m.theme, bs, m.w)
}

func (m *Model) globalHelp() []key.Binding {
	if m.custody() {
		return []key.Binding{m.custodyQuitHelp()}
	}
	if m.capturing() {
		return []key.Binding{m.keys.ForceQuit}
	}
	return []key.Binding{m.keys.Help, m.keys.Quit}
}

// paneHelp is the current pane's keys, most useful first.
func (m *Model) paneHelp() []key.Binding { return m.pane.ShortHelp() }

func withHelp(b key.Binding, desc string) key.Binding {
	h := b.Help()
	return key.NewBinding(key.WithKeys(b.Keys()...), key.WithHelp(h.Key, desc))
}

// stepList is the left pane: each step with its state's symbol, the current one highlighted, and a
// legend of the symbols at the bottom when there is room.
func (m *Model) stepList(w, h int) string {
	lines := make([]string, 0, h)
	if _, choosing := m.pane.(*eraScreen); choosing {
		return common.Block("", w, h) // the steps are the era's, not chosen yet
	}
	for i, s := range m.o.Steps {
		line := common.Fit(" "+m.symbol(i)+" "+s.Title(), w)
		if i == m.cur && m.loaded && !m.allDone() {
			line = m.theme.Selected.Render(common.Fit(" "+m.plainSymbol(i)+" "+s.Title(), w))
		}
		lines = append(lines, line)
	}
	legend := []string{"", m.theme.Label.Render(" Legend"), " · pending", " ✔ done", " ✖ failed", " – skipped"}
	if len(lines)+len(legend) <= h {
		for len(lines)+len(legend) < h {
			lines = append(lines, "")
		}
		lines = append(lines, legend...)
	}
	return common.Block(strings.Join(lines, "\n"), w, h)
}

// symbol is a step's state: · pending, a spinner while checking or running, ✔ done, ✖ failed, – skipped.
func (m *session) symbol(i int) string {
	st := m.st[i]
	switch {
	case st.checking || st.state == steps.Running || st.state == steps.Checking:
		return m.theme.Key.Render(m.spin.View())
	case st.state == steps.Done:
		return m.theme.Style(theme.Good).Render("✔")
	case st.state == steps.Failed:
		return m.theme.Style(theme.Bad).Render("✖")
	case st.state == steps.Skipped:
		return m.theme.Subtle.Render("–")
	}
	return m.theme.Subtle.Render("·")
}

// plainSymbol is the symbol without colour (inside the highlighted line); ▸ while checking or running.
func (m *session) plainSymbol(i int) string {
	st := m.st[i]
	switch {
	case st.checking || st.state == steps.Running || st.state == steps.Checking:
		return "▸"
	case st.state == steps.Done:
		return "✔"
	case st.state == steps.Failed:
		return "✖"
	case st.state == steps.Skipped:
		return "–"
	}
	return "·"
}

func (m *session) startView() string {
	t := m.theme
	switch {
	case m.loadErr != nil:
		return t.Error.Render("✖ the saved install could not be read") + "\n\n" +
			wrap(m.loadErr.Error(), m.rightWidth()) + "\n\n" + "r retries once it is fixed; q quits."
	case !m.loaded:
		return "Reading the saved install…"
	case m.waitInv:
		return m.spin.View() + " Reading Omni's machines and versions…"
	}
	var b strings.Builder
	b.WriteString(t.Label.Render("Checking every step from the top") + "\n\n")
	for i, s := range m.o.Steps {
		d := m.st[i].detail
		if m.st[i].checking {
			d = "checking…"
		}
		b.WriteString(" " + m.symbol(i) + " " + common.Fit(s.Title(), 10) + " " + t.Subtle.Render(d) + "\n")
	}
	return b.String()
}

func (m *Model) helpView() string {
	k := m.keys
	return shell.Help(m.theme, []shell.Section{
		{Title: "Everywhere", Keys: []key.Binding{k.Help, k.Quit, k.ForceQuit, k.Prev, k.Next}},
		{Title: "A step's result", Keys: []key.Binding{withHelp(k.Enter, "continue / run"), k.Retry, withHelp(k.Edit, "edit the step's form again")}},
		{Title: "Machines", Keys: []key.Binding{k.CP, k.Worker, k.Out, table.DefaultKeys().Filter}},
		{Title: "Disks", Keys: []key.Binding{k.NextMachine, k.PrevMachine, k.Install, withHelp(k.Pool, "pool disk (workers)"), withHelp(k.Encrypt, "disk encryption")}},
	}, "State by symbol: · pending ✔ done ✖ failed – skipped", m.w, m.bodyHeight())
}

// wrap breaks text to width at spaces, as common.Wrap, as one string.
func wrap(s string, width int) string { return strings.Join(common.Wrap(s, width), "\n") }

// wrapLines wraps each line and returns them all.
func wrapLines(lines []string, width int) []string {
	var out []string
	for _, l := range lines {
		out = append(out, common.Wrap(l, width)...)
	}
	return out
}
