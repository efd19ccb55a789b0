package main

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/clubcedille/cedille-tui/internal/demo"
	"github.com/clubcedille/cedille-tui/internal/fleet"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/ui"
	"github.com/clubcedille/cedille-tui/internal/ui/fleetview"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
	"github.com/clubcedille/cedille-tui/internal/watch"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
)

// omniClusters counts the clusters Omni lists (within timeout); an error counts none.
func omniClusters(ctx context.Context, om *platform.Omni, timeout time.Duration) int {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	l, err := om.State().List(ctx, omni.NewClusterStatus("").Metadata())
	if err != nil {
		return 0
	}
	return len(l.Items)
}

// runFleetTUI runs the fleet overview: every cluster Omni lists watched by its own watch set, enter
// opening the console of one. The clusters' consoles are read-only here: actions and runbooks act on
// one cluster, from `cedille-tui console` pointed at it.
func (c *cli) runFleetTUI(ctx context.Context, o fleet.Options) error {
	ctx, cancel := context.WithCancel(ctx)
	o.All = true
	w := fleet.New(o)
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	defer func() { cancel(); <-done }()
	ch, unsubscribe := w.Subscribe()
	defer unsubscribe()
	color := ui.ColorFromEnv(c.lookup)
	m := fleetview.New(fleetview.Options{
		Theme: theme.New(color, true), Fleet: ch, Demo: o.Demo,
		Open: func(ctx context.Context, cluster string) (<-chan watch.Snapshot, func(), error) {
			hub, err := w.Open(ctx, cluster)
			if err != nil {
				return nil, nil, err
			}
			snaps, unsub := hub.Subscribe()
			return snaps, unsub, nil
		},
		Console: func(cluster string, snaps <-chan watch.Snapshot) tea.Model {
			return ui.NewConsole(ui.ConsoleOptions{Snapshots: snaps, Color: color, Dark: true, Leave: fleetview.LeaveTarget})
		},
	})
	return ui.Run(ctx, m, c.in, c.out, c.environ)
}

// runFleetDemo is `demo --era 2`: the fleet console on the simulated era-2 fleet.
func (c *cli) runFleetDemo(ctx context.Context) error {
	if err := c.needTerminal("the demo", "`cedille-tui status --fleet` prints a real fleet's health as text or JSON"); err != nil {
		return err
	}
	f, err := demo.StartFleet(ctx, demo.FleetOptions{})
	if err != nil {
		return err
	}
	defer f.Close()
	return c.runFleetTUI(ctx, fleet.Options{Omni: f.Omni(), Connect: demoFleet{f}, Demo: true})
}

// demoFleet reaches the simulated fleet's clusters.
type demoFleet struct{ f *demo.Fleet }

func (d demoFleet) Connect(ctx context.Context, cluster string) (watch.Targets, error) {
	return d.f.Targets(ctx, cluster)
}
