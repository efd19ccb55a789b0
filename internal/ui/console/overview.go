package console

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/ui/common"
	"github.com/clubcedille/cedille-tui/internal/ui/components/table"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
)

// Overview is the first screen: one line per layer, worst first, then the problems with what to do.
// The cursor is one list: ↓ from the last layer goes on into the problems (which scroll under the
// layers), ↑ from the first problem goes back.
type Overview struct {
	tablePage
	// events opens the Warning events page; openProblem is the open key's help in the problems.
	events, openProblem key.Binding
	// moved is set once the user moves the cursor; until then it stays on the worst layer, at the top.
	moved bool
	probs []problem
	// While the cursor is in the problems (inList), it is on probs[sel], the list shown from probs[top].
	sel, top int
}

// inList tells whether the cursor is in the problems: the layer table is then blurred.
func (p *Overview) inList() bool { return p.table.Blurred() }

// problem is a finding that is not OK, with its layer (to open it).
type problem struct {
	layer health.Layer
	health.Finding
}

// NewOverview builds the overview page.
func NewOverview(t theme.Theme) *Overview {
	tb := table.New(t,
		table.Column{Title: " ", Width: 1},
		table.Column{Title: "LAYER", Width: 12},
		table.Column{Title: "STATUS", Width: 10},
		table.Column{Title: "OBJECTS", Width: 12, Drop: 2},
		table.Column{Title: "WORST", Width: 30, Flex: 1},
	)
	tb.Empty = "Waiting for the first look at the platform…"
	return &Overview{tablePage: newTablePage(t, tb, "open layer"),
		events:      key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "warning events")),
		openProblem: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open problem"))}
}

func (p *Overview) Title() string { return "Overview" }

// SetSize splits the space: the layer table on top (one row per layer), the problems below.
func (p *Overview) SetSize(w, h int) {
	p.w, p.h = w, h
	p.resize()
}

func (p *Overview) tableHeight() int {
	return min(len(p.snap.Report.Layers)+1, max(p.h, 0))
}

func (p *Overview) resize() {
	p.table.SetSize(p.w, max(p.tableHeight(), 2))
	p.follow()
}

// follow scrolls the problems so that the one under the cursor shows.
func (p *Overview) follow() {
	if !p.inList() {
		p.top = 0
		return
	}
	p.top, _ = problemWindow(p.heights(), p.listHeight(), p.sel, p.top)
}

func (p *Overview) heights() []int {
	hs := make([]int, len(p.probs))
	for i, f := range p.probs {
		hs[i] = problemHeight(f.Finding)
	}
	return hs
}

// listHeight is the lines the problems get under the table, a blank line and their heading.
func (p *Overview) listHeight() int { return p.h - max(p.tableHeight(), 2) - 2 }

// Update handles snapshots and keys.
func (p *Overview) Update(msg tea.Msg) (common.Page, tea.Cmd) {
	switch msg := msg.(type) {
	case common.SnapshotMsg:
		p.snap = msg.Snapshot
		p.table.SetRows(layerRows(p.snap.Report))
		if !p.moved {
			p.table.Top()
		}
		p.setProblems(problems(p.snap.Report))
		p.resize()
		return p, nil
	case tea.KeyPressMsg:
		if p.table.Filtering() {
			break
		}
		if key.Matches(msg, p.events) {
			return p, common.Push(OpenEvents(p.theme, p.snap, p.w, p.h))
		}
		if !key.Matches(msg, p.open) {
			p.moved = true // the cursor is the user's from now on
		}
		if cmd, ok := p.listKey(msg); ok {
			p.follow()
			return p, cmd
		}
	}
	return p, p.update(msg, func(r table.Row) common.Page {
		return OpenLayer(p.theme, health.Layer(r.Key), p.snap, p.w, p.h)
	})
}

// setProblems takes a new list, keeping the cursor on the same problem while it is one.
func (p *Overview) setProblems(probs []problem) {
	if p.inList() && p.sel < len(p.probs) {
		was := p.probs[p.sel]
		p.sel = min(p.sel, len(probs)-1)
		for i, pr := range probs {
			if pr.layer == was.layer && pr.Object == was.Object {
				p.sel = i
			}
		}
	}
	p.probs = probs
	if len(probs) == 0 {
		p.focusTable()
	}
}

func (p *Overview) focusTable() {
	p.sel, p.top = 0, 0
	p.table.Focus()
}

func (p *Overview) focusList(sel int) {
	p.sel = sel
	p.table.Blur()
}

// listKey moves the cursor between the layers and the problems, and within the problems; ok is false for
// the keys it leaves to the table.
func (p *Overview) listKey(k tea.KeyPressMsg) (cmd tea.Cmd, ok bool) {
	keys, n := p.table.Keys, len(p.probs)
	if n == 0 {
		return nil, false
	}
	if !p.inList() {
		switch {
		case key.Matches(k, keys.Down, keys.PageDown) && p.table.AtBottom() && p.table.Len() > 0:
			p.focusList(0)
		case key.Matches(k, keys.Bottom):
			p.focusList(n - 1)
		default:
			return nil, false
		}
		return nil, true
	}
	page := max(p.listHeight()/2, 1)
	switch {
	case key.Matches(k, p.open):
		pr := p.probs[p.sel]
		return common.Push(OpenFinding(p.theme, pr.layer, pr.Object, p.snap, p.w, p.h)), true
	case key.Matches(k, keys.Up) && p.sel == 0:
		p.focusTable()
	case key.Matches(k, keys.Up):
		p.sel--
	case key.Matches(k, keys.Down):
		p.sel = min(p.sel+1, n-1)
	case key.Matches(k, keys.PageUp):
		p.sel = max(p.sel-page, 0)
	case key.Matches(k, keys.PageDown):
		p.sel = min(p.sel+page, n-1)
	case key.Matches(k, keys.Bottom):
		p.sel = n - 1
	case key.Matches(k, keys.Top):
		p.focusTable()
		p.table.Top()
	default: // filter, sort: the table's, which takes the cursor back
		p.focusTable()
		return nil, false
	}
	return nil, true
}

// layerRows is one row per layer, worst first (the report's order among equals).
func layerRows(r health.Report) []table.Row {
	layers := append([]health.LayerReport(nil), r.Layers...)
	stableSortByStatus(layers)
	rows := make([]table.Row, 0, len(layers))
	for _, l := range layers {
		worst := "—"
		if w := l.Worst(); w.Status != health.OK && w.Object != "" {
			worst = w.Object + ": " + w.Reason
		}
		rows = append(rows, table.Row{
			Key:   string(l.Name),
			Cells: []string{l.Status.Symbol(), string(l.Name), l.Status.String(), counts(l), worst},
			Tones: []theme.Tone{ToneOf(l.Status), theme.Plain, ToneOf(l.Status), theme.Plain, ToneOf(l.Worst().Status)},
		})
	}
	return rows
}

func stableSortByStatus(ls []health.LayerReport) {
	sort.SliceStable(ls, func(i, j int) bool { return ls[i].Status > ls[j].Status })
}

// counts renders "12✔ 1▲ 2✖" (OK first, then the others that occur).
func counts(l health.LayerReport) string {
	c := l.Counts()
	var parts []string
	for _, s := range []health.Status{health.OK, health.Degraded, health.Down, health.Unknown} {
		if c[s] > 0 {
			parts = append(parts, strconv.Itoa(c[s])+s.Symbol())
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, " ")
}

// problems are the findings that are not OK, worst first, across layers.
func problems(r health.Report) []problem {
	var out []problem
	for _, s := range []health.Status{health.Down, health.Degraded, health.Unknown} {
		for _, l := range r.Layers {
			for _, f := range l.Findings {
				if f.Status == s {
					out = append(out, problem{layer: l.Name, Finding: f})
				}
			}
		}
	}
	return out
}

// problemHeight is the lines a problem takes: itself, and what to do when there is a hint.
func problemHeight(f health.Finding) int {
	if f.Hint != "" {
		return 2
	}
	return 1
}

// problemWindow picks the problems that h lines show, given each one's height: from top, moved just
// enough to show sel, as many whole problems as fit, the last line kept for "… N more" while some are
// left below. It returns the new top and the end (exclusive); a problem taller than h is shown alone.
func problemWindow(heights []int, h, sel, top int) (newTop, end int) {
	n := len(heights)
	if n == 0 || h <= 0 {
		return 0, 0
	}
	sel = min(max(sel, 0), n-1)
	top = min(max(top, 0), sel)
	for {
		end = fitFrom(heights, h, top)
		if sel < end {
			return top, end
		}
		if top == sel {
			return top, top + 1
		}
		top++
	}
}

// fitFrom is where the problems from top stop filling h lines, a line kept for the note when some are left.
func fitFrom(heights []int, h, top int) int {
	used, end := 0, top
	for end < len(heights) && used+heights[end] <= h {
		used += heights[end]
		end++
	}
	for end > top && end < len(heights) && used > h-1 {
		end--
		used -= heights[end]
	}
	return end
}

// View renders the layer table and the problems that fit, with how many more there are.
func (p *Overview) View() string {
	if p.w <= 0 || p.h <= 0 {
		return ""
	}
	lines := []string{p.table.View()}
	rest := p.listHeight()
	if rest < 0 {
		return common.Block(strings.Join(lines, "\n"), p.w, p.h)
	}
	head, pos := "Nothing needs attention.", ""
	if n := len(p.probs); n > 0 {
		head = fmt.Sprintf("%d problem(s), worst first", n)
		if p.inList() {
			pos = p.theme.Subtle.Render(fmt.Sprintf("%d/%d", p.sel+1, n))
		}
	}
	lines = append(lines, "", common.Join(p.theme.Label.Render(head), pos, p.w))
	top, end := problemWindow(p.heights(), rest, p.sel, p.top)
	for i := top; i < end; i++ {
		lines = append(lines, p.problemLines(p.probs[i].Finding, p.inList() && i == p.sel)...)
	}
	if more := len(p.probs) - end; more > 0 {
		lines = append(lines, p.theme.Subtle.Render(fmt.Sprintf("… %d more (↓ to reach them)", more)))
	}
	return common.Block(strings.Join(lines, "\n"), p.w, p.h)
}

// problemLines is a problem and what to do about it, in reverse video under the cursor.
func (p *Overview) problemLines(f health.Finding, selected bool) []string {
	line, hint := f.Object+" — "+f.Reason, ""
	if f.Hint != "" {
		hint = "  → " + f.Hint
	}
	if selected {
		out := []string{p.theme.Selected.Render(common.Fit(f.Status.Symbol()+" "+line, p.w))}
		if hint != "" {
			out = append(out, p.theme.Selected.Render(common.Fit(hint, p.w)))
		}
		return out
	}
	out := []string{Symbol(p.theme, f.Status) + " " + line}
	if hint != "" {
		out = append(out, p.theme.Subtle.Render(hint))
	}
	return out
}

func (p *Overview) ShortHelp() []key.Binding {
	if p.inList() {
		return []key.Binding{p.openProblem, p.events}
	}
	return []key.Binding{p.open, p.events}
}

func (p *Overview) FullHelp() [][]key.Binding {
	return [][]key.Binding{{p.open, p.openProblem, p.events}, p.table.FullHelp()}
}
