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

// Overview is the first screen: one line per layer, worst first, then the worst findings with what to do.
type Overview struct {
	tablePage
	// events opens the Warning events page.
	events key.Binding
	// moved is set once the user moves the cursor; until then it stays on the worst layer, at the top.
	moved bool
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
		events: key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "warning events"))}
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

func (p *Overview) resize() { p.table.SetSize(p.w, max(p.tableHeight(), 2)) }

// Update handles snapshots and keys.
func (p *Overview) Update(msg tea.Msg) (common.Page, tea.Cmd) {
	switch msg := msg.(type) {
	case common.SnapshotMsg:
		p.snap = msg.Snapshot
		p.table.SetRows(layerRows(p.snap.Report))
		if !p.moved {
			p.table.Top()
		}
		p.resize()
		return p, nil
	case tea.KeyPressMsg:
		if !p.table.Filtering() && key.Matches(msg, p.events) {
			return p, common.Push(OpenEvents(p.theme, p.snap, p.w, p.h))
		}
		if p.table.Filtering() || !key.Matches(msg, p.open) {
			p.moved = true // the cursor is the user's from now on
		}
	}
	return p, p.update(msg, func(r table.Row) common.Page {
		return OpenLayer(p.theme, health.Layer(r.Key), p.snap, p.w, p.h)
	})
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
			Tones: []table.Tone{table.ToneOf(l.Status), table.Plain, table.ToneOf(l.Status), table.Plain, table.ToneOf(l.Worst().Status)},
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
func problems(r health.Report) []health.Finding {
	var out []health.Finding
	for _, s := range []health.Status{health.Down, health.Degraded, health.Unknown} {
		for _, l := range r.Layers {
			for _, f := range l.Findings {
				if f.Status == s {
					out = append(out, f)
				}
			}
		}
	}
	return out
}

// View renders the layer table and as many problems as fit.
func (p *Overview) View() string {
	if p.w <= 0 || p.h <= 0 {
		return ""
	}
	lines := []string{p.table.View()}
	rest := p.h - max(p.tableHeight(), 2)
	probs := problems(p.snap.Report)
	if rest >= 2 {
		head := "Nothing needs attention."
		if len(probs) > 0 {
			head = fmt.Sprintf("%d problem(s), worst first", len(probs))
		}
		lines = append(lines, "", p.theme.Label.Render(head))
		rest -= 2
		for _, f := range probs {
			if rest <= 0 {
				break
			}
			lines = append(lines, p.theme.Symbol(f.Status)+" "+f.Object+" — "+f.Reason)
			rest--
			if f.Hint != "" && rest > 0 {
				lines = append(lines, p.theme.Subtle.Render("  → "+f.Hint))
				rest--
			}
		}
	}
	return common.Block(strings.Join(lines, "\n"), p.w, p.h)
}

func (p *Overview) ShortHelp() []key.Binding { return []key.Binding{p.open, p.events} }
func (p *Overview) FullHelp() [][]key.Binding {
	return [][]key.Binding{{p.open, p.events}, p.table.FullHelp()}
}
