package console

import (
	"fmt"
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/ui/common"
	"github.com/clubcedille/cedille-tui/internal/ui/components/table"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
	"github.com/clubcedille/cedille-tui/internal/units"
	"github.com/clubcedille/cedille-tui/internal/watch"
)

// RecentEvents is how many events an object's detail lists.
const RecentEvents = 5

// eventsKept says how long Kubernetes keeps events (the API server's --event-ttl default).
const eventsKept = "Kubernetes keeps events for about an hour"

// OpenEvents builds the Warning events page, sized and filled, ready to push.
func OpenEvents(t theme.Theme, s watch.Snapshot, w, h int) common.Page {
	return sized(NewEvents(t), s, w, h)
}

// Events lists the cluster's Warning events, newest first, live; enter opens what an event is about.
type Events struct {
	tablePage
	byKey map[string]watch.Event
}

// previewLines is the height of the selected event's message under the table.
const previewLines = 2

// NewEvents builds the Warning events page.
func NewEvents(t theme.Theme) *Events {
	tb := table.New(t,
		// Widths leave room for the sort arrow after each title; 80 columns show them all.
		table.Column{Title: "SEEN", Width: 5},
		table.Column{Title: "NAMESPACE", Width: 10, Flex: 1, Drop: 2},
		table.Column{Title: "OBJECT", Width: 17, Flex: 3},
		table.Column{Title: "REASON", Width: 19, Flex: 1},
		table.Column{Title: "COUNT", Width: 6, Drop: 3},
		table.Column{Title: "MESSAGE", Width: 17, Flex: 6},
	)
	tb.Empty = "Waiting for the first look at the platform…"
	return &Events{tablePage: newTablePage(t, tb, "open object")}
}

func (p *Events) Title() string { return "Warning events" }

// SetSize gives the table all but the message preview and the status line.
func (p *Events) SetSize(w, h int) {
	p.w, p.h = w, h
	p.table.SetSize(w, max(h-1-p.preview(), 0))
}

// preview is how many lines the selected event's message gets (none on a tiny page).
func (p *Events) preview() int {
	if p.h >= 8 {
		return previewLines
	}
	return 0
}

// Update handles snapshots and keys.
func (p *Events) Update(msg tea.Msg) (common.Page, tea.Cmd) {
	switch msg := msg.(type) {
	case common.SnapshotMsg:
		p.snap = msg.Snapshot
		p.byKey = make(map[string]watch.Event, len(p.snap.Events))
		for _, e := range p.snap.Events {
			p.byKey[e.Key()] = e
		}
		p.table.SetRows(eventRows(p.snap))
		p.table.Empty = p.emptyText()
		return p, nil
	}
	return p, p.update(msg, func(r table.Row) common.Page {
		return OpenEvent(p.theme, p.byKey[r.Key], p.snap, p.w, p.h)
	})
}

func (p *Events) emptyText() string {
	st := p.snap.Source(platform.SourceKubernetes)
	switch {
	case !st.Configured:
		return "Kubernetes is not configured: set KUBECONFIG or pass --kubeconfig."
	case p.snap.Unavailable[watch.EventsKey] != nil:
		return "Events cannot be read: " + p.snap.Unavailable[watch.EventsKey].Error()
	case st.Err != nil && !st.Synced:
		return st.Err.Error()
	case !st.Synced:
		return "Loading events…"
	}
	return "No Warning event. " + eventsKept + "."
}

// eventRows is the pure mapping from a snapshot's events (newest first) to table rows.
func eventRows(s watch.Snapshot) []table.Row {
	rows := make([]table.Row, 0, len(s.Events))
	warn := theme.Warn
	for _, e := range s.Events {
		age := s.At.Sub(e.LastSeen)
		rows = append(rows, table.Row{
			Key: e.Key(),
			Cells: []string{units.Duration(age), e.Object.Namespace, e.Object.Kind + "/" + e.Object.Name, e.Reason,
				strconv.Itoa(int(e.Count)), OneLine(e.Message)},
			Tones: []theme.Tone{theme.Muted, theme.Plain, theme.Plain, warn},
			Sort:  []string{sortableDuration(age), "", "", "", fmt.Sprintf("%010d", e.Count)},
		})
	}
	return rows
}

// OneLine flattens a message onto one line (probe output spans many).
// Its control characters are shown, not obeyed (common.Inert).
func OneLine(s string) string { return strings.Join(strings.Fields(common.Inert(s)), " ") }

// View renders the table, the selected event's message and a status line.
func (p *Events) View() string {
	if p.w <= 0 || p.h <= 0 {
		return ""
	}
	objects := map[watch.ObjectRef]bool{}
	for _, e := range p.snap.Events {
		objects[e.Object] = true
	}
	summary := fmt.Sprintf("%d Warning events about %d objects", len(p.snap.Events), len(objects))
	if len(p.snap.Events) >= watch.MaxEvents {
		summary += fmt.Sprintf(" (the newest %d)", watch.MaxEvents)
	}
	n := p.preview()
	if n == 0 {
		return tableWithStatus(p.theme, p.table, summary, p.w, p.h)
	}
	var preview []string
	if r, ok := p.table.Selected(); ok {
		e := p.byKey[r.Key]
		wrapped := common.Wrap(OneLine(e.Message), p.w-2)
		if len(wrapped) > n {
			wrapped[n-1] += " …"
			wrapped = wrapped[:n]
		}
		for i, l := range wrapped {
			lead := "  "
			if i == 0 {
				lead = "› "
			}
			preview = append(preview, p.theme.Subtle.Render(lead+l))
		}
	}
	for len(preview) < n {
		preview = append(preview, "")
	}
	status := common.Join(summary, p.theme.Subtle.Render(p.table.StatusLine()), p.w)
	return common.Block(strings.Join(append(append([]string{p.table.View()}, preview...), status), "\n"), p.w, p.h)
}

// OpenEvent opens what an event is about when the console knows it — a node's detail, a finding's
// detail — and else the event itself. The workloads layer's pod findings come last: a finding that names
// the pod through what it serves (a Vault server) says more.
func OpenEvent(t theme.Theme, e watch.Event, s watch.Snapshot, w, h int) common.Page {
	if e.Object.Kind == "Node" {
		for _, n := range s.Nodes {
			if n.Name == e.Object.Name {
				return sized(NewNodeDetail(t, n.Name), s, w, h)
			}
		}
	}
	for _, workloads := range []bool{false, true} {
		for _, l := range s.Report.Layers {
			if (l.Name == health.LayerWorkloads) != workloads {
				continue
			}
			for _, f := range l.Findings {
				for _, ref := range EventRefs(f.Object) {
					if ref == e.Object {
						return OpenFinding(t, l.Name, f.Object, s, w, h)
					}
				}
			}
		}
	}
	return sized(NewEventDetail(t, e), s, w, h)
}

// vaultNamespace is where the Vault chart runs its server pods (named as the Vault findings).
const vaultNamespace = "vault"

// EventRefs are the Kubernetes objects whose events concern a finding's object ("Kind/ns/name" or
// "Kind/name"): the object itself, under its API kind (a PVC is a PersistentVolumeClaim, a vcluster its
// StatefulSet, a Vault server its pod, an Omni machine its node). None for what is not a Kubernetes
// object (an API, a CRD).
func EventRefs(object string) []watch.ObjectRef {
	parts := strings.Split(object, "/")
	if len(parts) < 2 || len(parts) > 3 {
		return nil
	}
	ref := watch.ObjectRef{Kind: parts[0], Name: parts[len(parts)-1]}
	if len(parts) == 3 {
		ref.Namespace = parts[1]
	}
	switch ref.Kind {
	case "API", "CRD":
		return nil
	case "PVC":
		ref.Kind = "PersistentVolumeClaim"
	case "VCluster":
		ref.Kind = "StatefulSet"
	case "Machine":
		ref.Kind = "Node"
	case "Vault":
		return []watch.ObjectRef{{Kind: "Pod", Namespace: vaultNamespace, Name: ref.Name}}
	case "VaultCluster":
		return []watch.ObjectRef{{Kind: "StatefulSet", Namespace: vaultNamespace, Name: ref.Name}}
	}
	return []watch.ObjectRef{ref}
}

// eventsSection is a detail's "Recent Warning events" lines: the newest few about any of refs, one line
// each, from the snapshot (so the section stays live).
func eventsSection(t theme.Theme, s watch.Snapshot, refs ...watch.ObjectRef) []string {
	return titledEventsSection(t, s, "Recent Warning events", refs...)
}

func titledEventsSection(t theme.Theme, s watch.Snapshot, title string, refs ...watch.ObjectRef) []string {
	lines := []string{"", t.Label.Render(title)}
	if err := s.Unavailable[watch.EventsKey]; err != nil {
		return append(lines, t.Subtle.Render("  cannot be read: "+err.Error()))
	}
	var found []watch.Event
	for _, e := range s.Events {
		for _, r := range refs {
			if e.Object == r {
				found = append(found, e)
				break
			}
		}
		if len(found) == RecentEvents {
			break
		}
	}
	if len(found) == 0 {
		return append(lines, t.Subtle.Render("  none — "+eventsKept))
	}
	warn := t.Style(theme.Warn)
	for _, e := range found {
		lines = append(lines, fmt.Sprintf("  %s %s %s  %s", t.Subtle.Render(fmt.Sprintf("%-5s", units.Duration(s.At.Sub(e.LastSeen)))),
			warn.Render(fmt.Sprintf("%-18s", common.Inert(e.Reason))), fmt.Sprintf("%6s", "×"+strconv.Itoa(int(e.Count))), OneLine(e.Message)))
	}
	return lines
}

// NewEventDetail shows one event live: what it is about, when, how often, who reported it, its whole
// message, and the other recent events about the same object.
func NewEventDetail(t theme.Theme, e watch.Event) *Detail {
	k := e.Key()
	return newDetail(t, common.Inert(e.Object.Kind+"/"+e.Object.Name+" "+e.Reason), func(t theme.Theme, s watch.Snapshot, w int) []string {
		var ev *watch.Event
		for i := range s.Events {
			if s.Events[i].Key() == k {
				ev = &s.Events[i]
				break
			}
		}
		if ev == nil {
			return []string{t.Subtle.Render("This event is gone: " + eventsKept + " after they last occur."),
				t.Subtle.Render("esc goes back.")}
		}
		label := func(s string) string { return t.Label.Render(fmt.Sprintf("%-9s", s)) }
		lines := []string{
			t.Title.Render("Warning "+common.Inert(ev.Reason)) + "  " + t.Style(theme.Warn).Render("▲") + " " + common.Inert(ev.Object.String()),
			"",
			label("Seen") + fmt.Sprintf("%d× — last %s ago (%s), first %s ago", ev.Count, units.Duration(s.At.Sub(ev.LastSeen)),
				ev.LastSeen.UTC().Format("2006-01-02 15:04:05Z"), units.Duration(s.At.Sub(ev.FirstSeen))),
			label("Source") + common.Inert(ev.Source),
			label("Event") + common.Inert(ev.Namespace+"/"+ev.Name),
			"", t.Label.Render("Message"),
		}
		lines = append(lines, common.Labelled("", common.Inert(strings.TrimRight(ev.Message, "\n")), 2, w)...)
		return append(lines, titledEventsSection(t, s, "Recent Warning events about "+common.Inert(ev.Object.String()), ev.Object)...)
	})
}
