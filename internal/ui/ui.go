// Package ui assembles the console from the app shell and its pages, and runs it on a terminal (the local
// one, or an SSH session's).
package ui

import (
	"context"
	"errors"
	"io"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/ui/app"
	"github.com/clubcedille/cedille-tui/internal/ui/common"
	"github.com/clubcedille/cedille-tui/internal/ui/console"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
	"github.com/clubcedille/cedille-tui/internal/watch"
)

// ConsoleOptions configure one console (one per terminal).
type ConsoleOptions struct {
	Snapshots <-chan watch.Snapshot
	// Color is false under NO_COLOR or on a monochrome console.
	Color bool
	// Dark is the starting guess for the background; the terminal is asked when DetectBackground is set.
	Dark             bool
	DetectBackground bool
	Actions          []app.Action
	ActionsTitle     string
	// Presence and PageChanged: the console served over SSH (app.Options).
	Presence    bool
	PageChanged func(title string)
	// Act runs actions on the cluster as this console's person (app.Options); nil offers none.
	Act console.Act
	// Audit reads the audit trail for the `:audit` page; nil (anyone but an admin) offers no such page.
	Audit console.AuditSource
	// Ceremonies are the server's Vault ceremonies bound to this session, for the `:ceremony` page; nil
	// (a local console) offers no such page. The board's state comes as console.CeremonyMsg.
	Ceremonies console.Ceremonies
	// Recovery runs runbooks as this console's person (r on an object a finding names one for); nil
	// offers none.
	Recovery console.Recovery
	// Leave, for a console opened from the fleet overview, names it: esc on the first page and `:fleet`
	// go back (app.LeaveMsg).
	Leave string
}

// NewConsole builds the console's root model, opening on the overview.
func NewConsole(o ConsoleOptions) *app.Model {
	t := theme.New(o.Color, o.Dark)
	return app.New(app.Options{
		Theme: t, Snapshots: o.Snapshots, Root: console.NewOverview(t),
		Actions: o.Actions, ActionsTitle: o.ActionsTitle, DetectBackground: o.DetectBackground,
		Presence: o.Presence, PageChanged: o.PageChanged, Act: o.Act, Recovery: o.Recovery, Leave: o.Leave,
		Jump: func(target string, s watch.Snapshot, w, h int) (common.Page, bool) {
			switch target {
			case "overview":
				return nil, true
			case "nodes":
				return sized(console.NewNodes(t), s, w, h), true
			case "events":
				return console.OpenEvents(t, s, w, h), true
			case "audit":
				if o.Audit == nil {
					return nil, false
				}
				return sized(console.NewAudit(t, o.Audit), s, w, h), true
			case "ceremony":
				if o.Ceremonies == nil {
					return nil, false
				}
				return sized(console.NewCeremonyPage(t, o.Ceremonies), s, w, h), true
			}
			return console.OpenLayer(t, health.Layer(target), s, w, h), true
		},
		Targets: targets(o),
	})
}

// targets are the console's `:` targets: JumpTargets, audit when the console reads the trail, ceremony
// when it is served with a ceremony board.
func targets(o ConsoleOptions) []string {
	t := JumpTargets()
	if o.Audit != nil {
		t = append(t, "audit")
	}
	if o.Ceremonies != nil {
		t = append(t, "ceremony")
	}
	return t
}

// sized gives a new page its size and the current snapshot.
func sized(p common.Page, s watch.Snapshot, w, h int) common.Page {
	p.SetSize(w, h)
	p.Update(common.SnapshotMsg{Snapshot: s})
	return p
}

// JumpTargets are the pages `:` reaches: the overview, the node list, the Warning events and every layer.
func JumpTargets() []string {
	return []string{"overview", "nodes", "events", string(health.LayerCluster), string(health.LayerStorage), string(health.LayerMesh),
		string(health.LayerGitOps), string(health.LayerVClusters), string(health.LayerCertificates),
		string(health.LayerIngress), string(health.LayerNetwork), string(health.LayerDatabases), string(health.LayerBackups),
		string(health.LayerSecrets), string(health.LayerWorkloads)}
}

// ColorFromEnv tells whether colour is wanted: not under NO_COLOR (any value) nor TERM=dumb.
func ColorFromEnv(lookup func(string) (string, bool)) bool {
	if _, ok := lookup("NO_COLOR"); ok {
		return false
	}
	if t, _ := lookup("TERM"); t == "dumb" {
		return false
	}
	return true
}

// Run runs a model on the given terminal until it quits or ctx ends. Signals reach it through ctx (the
// command's signal context), not Bubble Tea's own handler: that handler, given SIGTERM while ctx already
// ends the program, blocks sending its quit message to an event loop that has stopped, and the program
// never returns.
func Run(ctx context.Context, m tea.Model, in io.Reader, out io.Writer, env []string) error {
	p := tea.NewProgram(m, tea.WithContext(ctx), tea.WithInput(in), tea.WithOutput(out), tea.WithEnvironment(env),
		tea.WithoutSignalHandler())
	_, err := p.Run()
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return nil
	}
	return err
}

// KeyAction turns a key, its help text and a function into a console action (the demo's faults).
func KeyAction(k, help string, run func(context.Context) (string, error)) app.Action {
	return app.Action{Key: key.NewBinding(key.WithKeys(k), key.WithHelp(k, help)), Run: run}
}
