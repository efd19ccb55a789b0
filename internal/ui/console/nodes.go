package console

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/ui/common"
	"github.com/clubcedille/cedille-tui/internal/ui/components/table"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
	"github.com/clubcedille/cedille-tui/internal/units"
	"github.com/clubcedille/cedille-tui/internal/watch"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
)

// Nodes is the node list, fed live by the hub's node informer and joined with Omni's machines.
type Nodes struct {
	tablePage
	counts map[health.Status]int
}

// NewNodes builds the node list page.
func NewNodes(t theme.Theme) *Nodes {
	tb := table.New(t,
		table.Column{Title: " ", Width: 1},
		table.Column{Title: "NAME", Width: 14, Flex: 2},
		table.Column{Title: "STATUS", Width: 8, Flex: 1},
		table.Column{Title: "ROLES", Width: 13, Flex: 1, Drop: 3},
		table.Column{Title: "VERSION", Width: 8, Drop: 4},
		table.Column{Title: "INTERNAL-IP", Width: 12, Drop: 5},
		table.Column{Title: "OMNI", Width: 11, Drop: 6},
		table.Column{Title: "OS-IMAGE", Width: 18, Flex: 1, Drop: 9},
		table.Column{Title: "AGE", Width: 5, Drop: 2},
	)
	tb.Empty = "Waiting for nodes…"
	return &Nodes{tablePage: newTablePage(t, tb, "details")}
}

func (p *Nodes) Title() string { return "Nodes" }

// Target is the selected node.
func (p *Nodes) Target() (string, bool) {
	name, ok := p.selected()
	return "Node/" + name, ok
}

// Update handles snapshots and keys.
func (p *Nodes) Update(msg tea.Msg) (common.Page, tea.Cmd) {
	switch msg := msg.(type) {
	case common.SnapshotMsg:
		p.snap = msg.Snapshot
		var rows []table.Row
		rows, p.counts = nodeRows(p.snap)
		p.table.SetRows(rows)
		p.table.Empty = p.emptyText()
		return p, nil
	}
	return p, p.update(msg, func(r table.Row) common.Page {
		return sized(NewNodeDetail(p.theme, r.Key), p.snap, p.w, p.h)
	})
}

func (p *Nodes) emptyText() string {
	st := p.snap.Source(platform.SourceKubernetes)
	switch {
	case !st.Configured:
		return "Kubernetes is not configured: set KUBECONFIG or pass --kubeconfig."
	case st.Err != nil:
		return st.Err.Error()
	case !st.Synced:
		return "Loading nodes…"
	}
	return "The cluster has no nodes yet."
}

// nodeRows is the pure mapping from a snapshot to table rows, with the per-status counts.
func nodeRows(s watch.Snapshot) ([]table.Row, map[health.Status]int) {
	byHost := make(map[string]*omni.MachineStatus, len(s.Machines))
	for _, m := range s.Machines {
		byHost[health.MachineName(m)] = m
	}
	counts := map[health.Status]int{}
	rows := make([]table.Row, 0, len(s.Nodes))
	for _, n := range s.Nodes {
		f := health.Node(n)
		counts[f.Status]++
		omniCell, omniTone := "—", theme.Muted
		if m := byHost[n.Name]; m != nil {
			mf := health.Machine(m)
			word := "connected"
			if mf.Status == health.Down {
				word = "offline"
			} else if mf.Status != health.OK {
				word = "attention"
			}
			omniCell, omniTone = mf.Status.Symbol()+" "+word, ToneOf(mf.Status)
		}
		age := s.At.Sub(n.CreationTimestamp.Time)
		tone := ToneOf(f.Status)
		rows = append(rows, table.Row{
			Key: n.Name,
			Cells: []string{
				f.Status.Symbol(), n.Name, NodeState(n), Roles(n),
				n.Status.NodeInfo.KubeletVersion, InternalIP(n), omniCell, n.Status.NodeInfo.OSImage, units.Duration(age),
			},
			Tones: []theme.Tone{tone, theme.Plain, tone, theme.Plain, theme.Plain, theme.Plain, omniTone},
			Sort:  []string{string(rune('9' - int(f.Status))), "", "", "", "", "", "", "", sortableDuration(age)},
		})
	}
	return rows, counts
}

// sortableDuration orders durations as strings.
func sortableDuration(d time.Duration) string {
	const digits = 20
	s := strconv.FormatInt(int64(max(d, 0)), 10)
	return strings.Repeat("0", digits-len(s)) + s
}

// View renders the table and a status line.
func (p *Nodes) View() string {
	if p.w <= 0 || p.h <= 0 {
		return ""
	}
	counts := p.counts
	summary := fmt.Sprintf("%d nodes", len(p.snap.Nodes))
	for _, s := range []health.Status{health.Down, health.Degraded, health.Unknown} {
		if counts[s] > 0 {
			summary += "  " + p.theme.Style(ToneOf(s)).Render(fmt.Sprintf("%s %d %s", s.Symbol(), counts[s], s))
		}
	}
	return tableWithStatus(p.theme, p.table, summary, p.w, p.h)
}
