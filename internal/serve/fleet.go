package serve

import (
	"context"
	"fmt"
	"sync"

	tea "charm.land/bubbletea/v2"
	"github.com/clubcedille/cedille-tui/internal/fleet"
	"github.com/clubcedille/cedille-tui/internal/ui"
	"github.com/clubcedille/cedille-tui/internal/ui/fleetview"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
	"github.com/clubcedille/cedille-tui/internal/watch"
)

// FleetServices are what a served fleet offers every session: the fleet's snapshots, each cluster's
// watch set (one per cluster for the whole process: N sessions cost each cluster what one does), and
// each cluster's tools.
type FleetServices struct {
	// Subscribe gives the fleet's snapshots (fleet.Watcher.Subscribe).
	Subscribe func() (<-chan fleet.Snapshot, func())
	// Open starts or finds a cluster's watch set and subscribes to it; it does I/O (a command calls it).
	Open func(ctx context.Context, cluster string) (<-chan watch.Snapshot, func(), error)
	// Cluster gives a cluster's actions, runbooks and what the runbooks read with, made the first time
	// and shared by every session (the zero Services: none). It does I/O (called before Open).
	Cluster func(ctx context.Context, cluster string) (Services, error)
	// AuditTrail is the trail's path, for the `:audit` page of admins ("" for none).
	AuditTrail string
}

// FleetTerminal serves the fleet to a session with a terminal: the fleet view, enter opening a
// cluster's console whose actions and runbooks run as the session's user on that cluster — each
// confirmation naming it. No ceremonies: a cluster's Vault is unsealed from `serve` on that cluster.
func FleetTerminal(fs FleetServices) func(Session) {
	return func(s Session) {
		snaps, unsubscribe := fs.Subscribe()
		defer unsubscribe()
		tm := s.terminal()
		var mu sync.Mutex
		tools := map[string]Services{}
		m := fleetview.New(fleetview.Options{Theme: theme.New(ui.ColorFromEnv(lookup(tm.env)), true), Fleet: snaps,
			Open: func(ctx context.Context, cluster string) (<-chan watch.Snapshot, func(), error) {
				sv, err := fs.Cluster(ctx, cluster)
				if err != nil {
					return nil, nil, fmt.Errorf("%s's actions and runbooks: %w", cluster, err)
				}
				sv.AuditTrail = fs.AuditTrail
				mu.Lock()
				tools[cluster] = sv
				mu.Unlock()
				return fs.Open(ctx, cluster)
			},
			Console: func(cluster string, ch <-chan watch.Snapshot) tea.Model {
				mu.Lock()
				sv := tools[cluster] // set by Open, which came first
				mu.Unlock()
				o := s.consoleOptions(ch, tm.env, sv)
				o.Leave = fleetview.LeaveTarget
				return ui.NewConsole(o)
			}})
		s.runProgram(m, tm, nil, nil)
	}
}
