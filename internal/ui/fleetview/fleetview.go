// Package fleetview is the fleet overview (era 2): one row per cluster, worst first, `:find` across
// clusters, and enter opening the console of one cluster — the same console as for a single cluster,
// its name in the header — until esc or `:fleet` comes back. Update never does I/O: a cluster is opened
// (its watch set started and connected) in a command.
package fleetview

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/clubcedille/cedille-tui/internal/fleet"
	"github.com/clubcedille/cedille-tui/internal/ui/app"
	"github.com/clubcedille/cedille-tui/internal/ui/common"
	"github.com/clubcedille/cedille-tui/internal/ui/components/lineinput"
	"github.com/clubcedille/cedille-tui/internal/ui/components/table"
	"github.com/clubcedille/cedille-tui/internal/ui/console"
	"github.com/clubcedille/cedille-tui/internal/ui/shell"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
	"github.com/clubcedille/cedille-tui/internal/watch"
)

// LeaveTarget is what a cluster's console names the way back (`:fleet`).
const LeaveTarget = "fleet"

// OpenTimeout bounds how long opening a cluster waits for its connection before saying why not.
const OpenTimeout = 20 * time.Second

// Options configure the fleet view.
type Options struct {
	Theme theme.Theme
	// Fleet delivers the fleet's snapshots (fleet.Watcher.Subscribe).
	Fleet <-chan fleet.Snapshot
	// Open starts (or finds) a cluster's watch set and subscribes to it; it does I/O and is called from
	// a command. The returned function unsubscribes.
	Open func(ctx context.Context, cluster string) (<-chan watch.Snapshot, func(), error)
	// Console builds the console of one cluster over its snapshots (ui.NewConsole with Leave set to
	// LeaveTarget).
	Console func(cluster string, snapshots <-chan watch.Snapshot) tea.Model
	Demo    bool
}

type keyMap struct {
	common.RootKeys
	Open, Find key.Binding
}

func defaultKeys() keyMap {
	return keyMap{
		RootKeys: common.NewRootKeys(),
		Open:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open cluster")),
		Find:     key.NewBinding(key.WithKeys(":"), key.WithHelp(":", "find / cluster…")),
	}
}

// Model is the fleet view's root model.
type Model struct {
	opts  Options
	theme theme.Theme
	keys  keyMap
	snap  fleet.Snapshot
	w, h  int

	clusters table.Model
	// found holds the matches of the last `:find`; finding says the matches are shown.
	found   table.Model
	finding bool
	query   string

	prompting bool
	prompt    lineinput.Model
	flash     shell.Flash

	// child is the console of the cluster opened, until LeaveMsg; unsub ends its subscription.
	child   tea.Model
	cluster string
	unsub   func()
	opening string
	// presence is the last app.PresenceMsg's line (a drill's banner), shown on the status line and given
	// to each cluster's console opened.
	presence string
}

type snapMsg struct{ s fleet.Snapshot }

type openedMsg struct {
	cluster string
	ch      <-chan watch.Snapshot
	unsub   func()
	err     error
}

// New builds the fleet view.
func New(o Options) *Model {
	t := o.Theme
	cl := table.New(t,
		table.Column{Title: " ", Width: 1},
		table.Column{Title: "CLUSTER", Width: 18, Flex: 1, Middle: true},
		table.Column{Title: "OMNI", Width: 8, Drop: 9},
		table.Column{Title: "MACHINES", Width: 11, Drop: 5},
		table.Column{Title: "ARGOCD", Width: 7, Drop: 3},
		table.Column{Title: "STACK", Width: 8, Drop: 7},
		table.Column{Title: "VERSIONS", Width: 12, Drop: 8},
		table.Column{Title: "WORST", Width: 9, Drop: 2},
		table.Column{Title: "BACKUP", Width: 6, Drop: 4},
		table.Column{Title: "REASON", Width: 24, Flex: 5},
	)
	cl.Empty = "Waiting for Omni's clusters…"
	found := table.New(t,
		table.Column{Title: " ", Width: 1},
		table.Column{Title: "CLUSTER", Width: 12, Flex: 1, Middle: true},
		table.Column{Title: "LAYER", Width: 9, Drop: 2},
		table.Column{Title: "OBJECT", Width: 18, Flex: 2, Middle: true},
		table.Column{Title: "REASON", Width: 16, Flex: 3},
	)
	return &Model{opts: o, theme: t, keys: defaultKeys(), clusters: cl, found: found, prompt: lineinput.New()}
}

func waitFleet(ch <-chan fleet.Snapshot) tea.Cmd {
	if ch == nil {
		return nil
	}
	return func() tea.Msg {
		s, ok := <-ch
		if !ok {
			return nil
		}
		return snapMsg{s}
	}
}

// Init listens to the fleet.
func (m *Model) Init() tea.Cmd { return waitFleet(m.opts.Fleet) }

// Update routes messages; it never does I/O.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case snapMsg:
		m.snap = msg.s
		m.clusters.SetRows(clusterRows(m.snap.Report))
		if m.finding {
			m.found.SetRows(matchRows(fleet.Find(m.snap.Report, m.query)))
		}
		return m, waitFleet(m.opts.Fleet)
	case tea.WindowSizeMsg:
		m.w, m.h = msg.Width, msg.Height
		m.resize()
		if m.child != nil {
			return m.forward(msg)
		}
		return m, nil
	case openedMsg:
		m.opening = ""
		m.flash.Clear()
		if msg.err != nil {
			return m, m.flash.Set("cannot open "+msg.cluster+": "+oneLine(msg.err.Error()), true)
		}
		m.child, m.cluster, m.unsub = m.opts.Console(msg.cluster, msg.ch), msg.cluster, msg.unsub
		init := m.child.Init()
		_, sized := m.forward(tea.WindowSizeMsg{Width: m.w, Height: m.h})
		var presence tea.Cmd
		if m.presence != "" {
			_, presence = m.forward(app.PresenceMsg{Line: m.presence})
		}
		return m, tea.Batch(init, sized, presence)
	case app.PresenceMsg:
		m.presence = msg.Line
		if m.child != nil {
			return m.forward(msg)
		}
		return m, nil
	case app.LeaveMsg:
		m.close()
		return m, nil
	}
	if m.child != nil {
		if k, ok := msg.(tea.KeyPressMsg); ok && key.Matches(k, m.keys.ForceQuit) {
			return m, tea.Quit
		}
		return m.forward(msg)
	}
	if k, ok := msg.(tea.KeyPressMsg); ok {
		return m.key(k)
	}
	var cmd tea.Cmd
	m.flash, cmd = m.flash.Update(msg)
	return m, cmd
}

// forward gives a message to the cluster's console.
func (m *Model) forward(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	m.child, cmd = m.child.Update(msg)
	return m, cmd
}

// close leaves the cluster's console for the overview; its watch set keeps running (the overview reads it).
func (m *Model) close() {
	if m.unsub != nil {
		m.unsub()
	}
	m.child, m.cluster, m.unsub = nil, "", nil
}

func (m *Model) key(k tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	if key.Matches(k, m.keys.ForceQuit) {
		return m, tea.Quit
	}
	if m.prompting {
		return m.promptKey(k)
	}
	tb := m.table()
	if tb.Filtering() {
		var cmd tea.Cmd
		*tb, cmd = tb.Update(k)
		return m, cmd
	}
	switch {
	case key.Matches(k, m.keys.Quit):
		m.close()
		return m, tea.Quit
	case key.Matches(k, m.keys.Find):
		m.prompting, m.prompt = true, lineinput.New()
		return m, nil
	case key.Matches(k, m.keys.Back) && m.finding && tb.Filter() == "":
		m.finding = false
		return m, nil
	case key.Matches(k, m.keys.Open):
		if r, ok := tb.Selected(); ok {
			return m.open(clusterOfRow(r.Key))
		}
		return m, nil
	}
	var cmd tea.Cmd
	*tb, cmd = tb.Update(k)
	return m, cmd
}

func (m *Model) table() *table.Model {
	if m.finding {
		return &m.found
	}
	return &m.clusters
}

// promptKey edits the `:` prompt: `find QUERY` searches every cluster, a cluster's name opens it,
// `fleet` comes back to the overview.
func (m *Model) promptKey(k tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	switch k.String() {
	case "esc":
		m.prompting = false
		return m, nil
	case "enter":
		m.prompting = false
		text := strings.TrimSpace(m.prompt.Value())
		if q, ok := strings.CutPrefix(text, "find"); ok && (q == "" || q[0] == ' ') {
			q = strings.TrimSpace(q)
			if q == "" {
				return m, m.flash.Set("find what? e.g. `:find CephCluster bad`, `:find VaultStaticSecret refreshed`", true)
			}
			m.query, m.finding = q, true
			m.found.SetRows(matchRows(fleet.Find(m.snap.Report, q)))
			m.found.Empty = "No finding in any cluster matches “" + q + "”."
			m.found.Top()
			return m, nil
		}
		if text == LeaveTarget || text == "" {
			m.finding = false
			return m, nil
		}
		if name, ok := m.clusterNamed(text); ok {
			return m.open(name)
		}
		return m, m.flash.Set("no cluster named “"+text+"” (`:find QUERY` searches every cluster)", true)
	}
	var cmd tea.Cmd
	m.prompt, cmd = m.prompt.Update(k)
	return m, cmd
}

// clusterNamed finds the cluster a prefix names (an exact name wins).
func (m *Model) clusterNamed(text string) (string, bool) {
	var found []string
	for _, r := range m.snap.Report.Clusters {
		if r.Cluster == text {
			return text, true
		}
		if strings.HasPrefix(r.Cluster, text) {
			found = append(found, r.Cluster)
		}
	}
	if len(found) == 1 {
		return found[0], true
	}
	return "", false
}

// open starts opening a cluster's console in a command.
func (m *Model) open(cluster string) (tea.Model, tea.Cmd) {
	if cluster == "" || m.opts.Open == nil || m.opts.Console == nil {
		return m, nil
	}
	m.opening = cluster
	open := m.opts.Open
	return m, tea.Batch(m.flash.Set("opening "+cluster+"…", false), func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), OpenTimeout)
		defer cancel()
		ch, unsub, err := open(ctx, cluster)
		return openedMsg{cluster: cluster, ch: ch, unsub: unsub, err: err}
	})
}

func (m *Model) resize() {
	h := max(m.h-shell.FrameRows, 0)
	m.clusters.SetSize(m.w, h)
	m.found.SetSize(m.w, h)
}

// View draws the screen (the cluster's console while one is open).
func (m *Model) View() tea.View {
	if m.child != nil {
		return m.child.View()
	}
	v := tea.NewView(m.Render())
	v.AltScreen = true
	v.WindowTitle = "cedille-tui · fleet"
	return v
}

// Render is the screen's content (what goldens compare): the cluster's console while one is open.
func (m *Model) Render() string {
	if r, ok := m.child.(interface{ Render() string }); ok {
		return r.Render()
	}
	if m.w <= 0 || m.h <= 0 {
		return ""
	}
	if !shell.Fits(m.w, m.h) {
		return shell.TooSmallView(m.w, m.h)
	}
	return strings.Join([]string{m.header(), m.statusLine(), m.table().View(), m.footer()}, "\n")
}

func (m *Model) header() string {
	n := len(m.snap.Report.Clusters)
	left := m.theme.Title.Render("cedille-tui") + m.theme.Subtle.Render(" │ ") + fmt.Sprintf("fleet · %d clusters", n)
	if m.opts.Demo {
		left += " " + m.theme.Subtle.Render("[demo]")
	}
	right := console.Status(m.theme, m.snap.Report.Overall)
	if !m.snap.At.IsZero() {
		right += m.theme.Subtle.Render("  " + m.snap.At.Format("15:04:05"))
	}
	return shell.Header(left, right, m.w)
}

func (m *Model) statusLine() string {
	st := shell.Status{Flash: m.flash, FlashRight: true}
	if m.prompting {
		st.Prompt = m.theme.Key.Render(":"+m.prompt.View()) + m.theme.Subtle.Render("  find QUERY · a cluster's name · fleet")
	}
	if m.finding {
		st.Hint = fmt.Sprintf("Fleet › find “%s”: %d", m.query, m.found.Len())
	} else {
		st.Hint = "Fleet"
		if m.presence != "" {
			st.Hint += " · " + common.Inert(m.presence)
		}
	}
	var across []string
	for _, f := range m.snap.Report.Findings {
		across = append(across, console.Symbol(m.theme, f.Status)+" "+common.Inert(f.Reason))
	}
	if len(across) > 0 {
		st.Right = strings.Join(across, "  ")
	}
	if m.opening != "" && !m.flash.Shown() {
		st.Right = "opening " + m.opening + "…"
	}
	return shell.StatusLine(m.theme, st, m.w)
}

func (m *Model) footer() string {
	bs := []key.Binding{m.keys.Open, m.keys.Find, m.table().Keys.Filter}
	if m.finding {
		bs = append(bs, m.keys.Back)
	}
	return shell.Footer(m.theme, append(bs, m.keys.Quit), m.w)
}

// Cluster is the cluster whose console is open ("" on the overview).
func (m *Model) Cluster() string { return m.cluster }

// clusterRows are the overview's rows, worst first as the report orders them.
func clusterRows(r fleet.Report) []table.Row {
	rows := make([]table.Row, 0, len(r.Clusters))
	for _, c := range r.Clusters {
		tone := console.ToneOf(c.Status)
		argo := fleet.ArgoCell(c)
		argoTone := theme.Plain
		if c.ArgoCD.State == "Failed" {
			argoTone = theme.Bad
		}
		rows = append(rows, table.Row{
			Key: "cluster:" + c.Cluster,
			Cells: []string{c.Status.Symbol(), c.Cluster, fleet.PhaseCell(c), fleet.MachinesCell(c), argo, orDash(c.Stack),
				fleet.VersionsCell(c), worstCell(c), orDash(c.LastBackupAge), c.Reason},
			Tones: []theme.Tone{tone, theme.Plain, theme.Plain, theme.Plain, argoTone, theme.Plain, theme.Plain, tone},
			Sort:  []string{fmt.Sprint(9 - int(c.Status))},
		})
	}
	return rows
}

// matchRows are `:find`'s rows.
func matchRows(ms []fleet.Match) []table.Row {
	rows := make([]table.Row, 0, len(ms))
	for _, mt := range ms {
		rows = append(rows, table.Row{
			Key:   "cluster:" + mt.Cluster + "\x00" + mt.Finding.Object,
			Cells: []string{mt.Finding.Status.Symbol(), mt.Cluster, string(mt.Layer), mt.Finding.Object, mt.Finding.Reason},
			Tones: []theme.Tone{console.ToneOf(mt.Finding.Status)},
			Sort:  []string{fmt.Sprint(9 - int(mt.Finding.Status))},
		})
	}
	return rows
}

func clusterOfRow(k string) string {
	k = strings.TrimPrefix(k, "cluster:")
	name, _, _ := strings.Cut(k, "\x00")
	return name
}

// worstCell is the worst layer, or "no API" when the cluster's own API cannot be read: said even when
// something worse (ArgoCD refused) takes the reason.
func worstCell(c fleet.Row) string {
	if c.Unreachable != "" {
		return "no API"
	}
	return orDash(string(c.WorstLayer))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
