package console

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/clubcedille/cedille-tui/internal/audit"
	"github.com/clubcedille/cedille-tui/internal/ui/common"
	"github.com/clubcedille/cedille-tui/internal/ui/components/table"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
	"github.com/clubcedille/cedille-tui/internal/watch"
)

// AuditTrail is what the audit page shows of the trail: its newest records and whether its chain holds.
type AuditTrail struct {
	// Entries are the trail's newest records, in the file's order (oldest first).
	Entries []audit.Entry
	// Total is how many lines the file holds (more than len(Entries) when only the newest are kept).
	Total int
	// Broken names the chain's first broken line; nil when the whole chain verifies.
	Broken *audit.BrokenError
}

// AuditSource reads the audit trail. It does I/O: the audit page calls it from a tea.Cmd only.
type AuditSource func(ctx context.Context) (AuditTrail, error)

// auditTimeout bounds one read of the trail.
const auditTimeout = 30 * time.Second

// auditLoadedMsg carries one read of the trail to the page that asked for it.
type auditLoadedMsg struct {
	page  *Audit
	trail AuditTrail
	err   error
}

// Audit lists the audit trail's records, newest first, read when the page opens and again on r; enter
// opens a record's fields. It says when the trail's chain does not verify, naming the first broken line.
type Audit struct {
	tablePage
	source  AuditSource
	refresh key.Binding
	loading bool
	trail   AuditTrail
	err     error
	bySeq   map[string]audit.Entry
}

// NewAudit builds the audit page over source.
func NewAudit(t theme.Theme, source AuditSource) *Audit {
	tb := table.New(t,
		table.Column{Title: "TIME", Width: 15},
		table.Column{Title: "EVENT", Width: 19},
		table.Column{Title: "USER", Width: 7, Flex: 1},
		table.Column{Title: "ROLE", Width: 9, Drop: 2},
		table.Column{Title: "ACTION", Width: 20, Flex: 2},
		table.Column{Title: "REASON", Width: 12, Flex: 3, Drop: 1},
	)
	tb.Empty = "Reading the audit trail…"
	return &Audit{
		tablePage: newTablePage(t, tb, "open record"),
		source:    source,
		refresh:   key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "read again")),
		loading:   true,
	}
}

func (p *Audit) Title() string { return "Audit trail" }

// Init reads the trail.
func (p *Audit) Init() tea.Cmd { return p.load() }

// load marks the page loading and returns the read.
func (p *Audit) load() tea.Cmd {
	p.loading = true
	src := p.source
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), auditTimeout)
		defer cancel()
		tr, err := src(ctx)
		return auditLoadedMsg{page: p, trail: tr, err: err}
	}
}

// SetSize gives the table all but the chain's line and the status line.
func (p *Audit) SetSize(w, h int) {
	p.w, p.h = w, h
	p.table.SetSize(w, max(h-2, 0))
}

// Update takes the trail's reads and handles keys.
func (p *Audit) Update(msg tea.Msg) (common.Page, tea.Cmd) {
	switch msg := msg.(type) {
	case auditLoadedMsg:
		if msg.page != p {
			return p, nil
		}
		p.loading, p.trail, p.err = false, msg.trail, msg.err
		p.bySeq = make(map[string]audit.Entry, len(msg.trail.Entries))
		for _, e := range msg.trail.Entries {
			p.bySeq[auditKey(e)] = e
		}
		p.table.SetRows(auditRows(msg.trail.Entries))
		p.table.Empty = "The audit trail holds no record yet."
		if msg.err != nil {
			p.table.Empty = "The audit trail cannot be read: " + common.Inert(msg.err.Error())
		}
		return p, nil
	case common.SnapshotMsg:
		p.snap = msg.Snapshot
		return p, nil
	case tea.KeyPressMsg:
		if !p.table.Filtering() && key.Matches(msg, p.refresh) {
			return p, p.load()
		}
	}
	return p, p.update(msg, func(r table.Row) common.Page {
		return sized(NewAuditDetail(p.theme, p.bySeq[r.Key]), p.snap, p.w, p.h)
	})
}

func auditKey(e audit.Entry) string { return strconv.FormatUint(e.Seq, 10) }

// auditTime is a record's time as the table shows it: "2006-01-02 15:04" in UTC, else the text as stored.
func auditTime(s string) string {
	t, err := time.Parse(audit.TimeFormat, s)
	if err != nil {
		return s
	}
	return t.UTC().Format("01-02 15:04:05")
}

// auditRows is the pure mapping from the trail's records (oldest first) to table rows, newest first.
func auditRows(entries []audit.Entry) []table.Row {
	rows := make([]table.Row, 0, len(entries))
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		rows = append(rows, table.Row{
			Key:   auditKey(e),
			Cells: []string{auditTime(e.Time), string(e.Event), e.User, e.Role, auditWhat(e), OneLine(e.Reason)},
			Tones: []theme.Tone{theme.Muted, auditTone(e.Event)},
			Sort:  []string{fmt.Sprintf("%020d", e.Seq)},
		})
	}
	return rows
}

// auditWhat is a record's action and target on one line ("cordon node/worker-2"), after its cluster's
// name in a fleet ("k8s-sandbox: cordon node/worker-2").
func auditWhat(e audit.Entry) string {
	what := strings.TrimSpace(e.Action + " " + e.Target)
	if e.Cluster != "" {
		what = e.Cluster + ": " + what
	}
	return OneLine(what)
}

// auditTone colours the events that say something was refused or went wrong.
func auditTone(e audit.Event) theme.Tone {
	switch e {
	case audit.AuthRefused, audit.ActionRefused, audit.CeremonyAborted:
		return theme.Warn
	case audit.ActionFailed:
		return theme.Bad
	}
	return theme.Plain
}

// chainLine says whether the trail's chain holds.
func (p *Audit) chainLine() string {
	switch {
	case p.loading && p.bySeq == nil:
		return p.theme.Subtle.Render("Reading the audit trail…")
	case p.err != nil:
		return p.theme.Style(theme.Bad).Render("✖ the audit trail cannot be read")
	case p.trail.Broken != nil:
		b := p.trail.Broken
		return p.theme.Style(theme.Bad).Render(fmt.Sprintf("✖ the chain breaks at line %d: %s — %s", b.Line, b.What, common.Inert(b.Why)))
	}
	return p.theme.Style(theme.Good).Render("✔ the chain verifies") + p.theme.Subtle.Render(fmt.Sprintf(" (%d records)", p.trail.Total))
}

// View renders the chain's line, the table and a status line.
func (p *Audit) View() string {
	if p.w <= 0 || p.h <= 0 {
		return ""
	}
	summary := fmt.Sprintf("%d audit records", len(p.trail.Entries))
	if p.trail.Total > len(p.trail.Entries) {
		summary = fmt.Sprintf("the newest %d of %d audit records", len(p.trail.Entries), p.trail.Total)
	}
	if p.loading && p.bySeq != nil {
		summary += " · reading again…"
	}
	if p.h == 1 {
		return tableWithStatus(p.theme, p.table, summary, p.w, p.h)
	}
	return common.Block(common.Fit(p.chainLine(), p.w)+"\n"+tableWithStatus(p.theme, p.table, summary, p.w, p.h-1), p.w, p.h)
}

func (p *Audit) ShortHelp() []key.Binding {
	return append([]key.Binding{p.open, p.refresh}, p.table.ShortHelp()...)
}

func (p *Audit) FullHelp() [][]key.Binding {
	return [][]key.Binding{{p.open, p.refresh}, p.table.FullHelp()}
}

// NewAuditDetail shows one audit record's fields.
func NewAuditDetail(t theme.Theme, e audit.Entry) *Detail {
	return newDetail(t, fmt.Sprintf("Record %d", e.Seq), func(t theme.Theme, _ watch.Snapshot, w int) []string {
		lines := []string{t.Title.Render(fmt.Sprintf("Audit record %d  ", e.Seq)) + common.Inert(string(e.Event)), ""}
		for _, f := range []struct{ label, value string }{
			{"Time", e.Time}, {"Event", string(e.Event)}, {"Session", e.Session}, {"User", e.User},
			{"Key", e.Fingerprint}, {"Role", e.Role}, {"From", e.Remote}, {"Action", e.Action},
			{"Cluster", e.Cluster}, {"Target", e.Target}, {"Reason", e.Reason}, {"Ceremony", e.Ceremony}, {"Previous", e.Prev},
		} {
			if f.value == "" {
				continue
			}
			lines = append(lines, common.Labelled(t.Label.Render(f.label), common.Inert(f.value), 10, w)...)
		}
		return lines
	})
}
