package main

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/clubcedille/cedille-tui/internal/actions"
	"github.com/clubcedille/cedille-tui/internal/audit"
	"github.com/clubcedille/cedille-tui/internal/demo"
	"github.com/clubcedille/cedille-tui/internal/fleet"
	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/runbook"
	"github.com/clubcedille/cedille-tui/internal/runbooks"
	"github.com/clubcedille/cedille-tui/internal/steps"
	"github.com/clubcedille/cedille-tui/internal/ui"
	"github.com/clubcedille/cedille-tui/internal/ui/fleetview"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
	"github.com/clubcedille/cedille-tui/internal/vaultops"
	"github.com/clubcedille/cedille-tui/internal/version"
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
// opening the console of one, with its actions and runbooks acting as the person at this terminal
// through a kubeconfig Omni issues for them (fleetTools), recorded in the default audit trail.
func (c *cli) runFleetTUI(ctx context.Context, p *platform.Platform) error {
	tools, closeTools := c.fleetTools(p, c.serveDefaults(serveFlags{}).auditLog)
	defer closeTools()
	return c.runFleetTUIWith(ctx, c.fleetOptions(p), fleetExtras{tools: tools})
}

// fleetTools makes, for each cluster of p's fleet when it is first opened, the console's actions and
// runbooks: the dispatcher acting as the local person (admin, as on one cluster) through
// fleet.Acting — Omni's kubeconfig for user cedille:<name>, group cedille:admin — each record naming the
// cluster, in the one trail at path; the runbooks' runs and incident reports under the state
// directory's fleet/<cluster>. Read-only consoles (nil) when the trail cannot be opened (held by a
// running serve): nothing unrecorded. The returned func closes the trail.
func (c *cli) fleetTools(p *platform.Platform, path string) (func(cluster string) (consoleExtras, error), func()) {
	trail, err := openTrail(path)
	if err != nil {
		c.logger.Debug("actions off: the audit trail cannot be written", "path", path, "error", err.Error())
		return nil, func() {}
	}
	state := steps.DirsFrom(c.lookup).State
	vaultOpts := platform.VaultOptionsFromEnv(c.lookup)
	vaultOpts.Addr, vaultOpts.Token = "", "" // VAULT_ADDR names one Vault: each cluster's is found in it
	who := actions.As(actions.LocalActor(c.localUser(p), "local"))
	build := func(cluster string) (consoleExtras, error) {
		acting := &fleet.Acting{Omni: p.Omni, Cluster: cluster, UserAgent: version.Get().UserAgent()}
		sink := func(r audit.Record) error { r.Cluster = cluster; return trail.Append(r) }
		d, err := actions.NewDispatcher(acting, sink, builtinActions(p)...)
		if err != nil {
			return consoleExtras{}, err
		}
		x := consoleExtras{act: d.Bind(who), audit: ui.AuditFile(path, ui.AuditShown)}
		me, _ := who()
		kube, err := acting.Kube(me)
		if err != nil {
			return consoleExtras{}, err
		}
		e, err := runbookEngineIn(filepath.Join(state, "fleet", cluster), sink, path)
		if err != nil {
			return consoleExtras{}, err
		}
		hub := &hubRef{}
		vault := steps.ClusterVault{Options: vaultOpts}
		x.recovery = runbooks.Recovery{Engine: e, Dispatcher: d, Who: who,
			World: runbook.World{Kube: kube.Typed, Dynamic: kube.Dynamic, Snapshot: hub.latest,
				Vault: func(ctx context.Context) ([]*vaultops.Replica, error) { return vault.Replicas(ctx, plan.Plan{}, kube) }}}
		x.onHub = hub.set
		return x, nil
	}
	return build, func() { _ = trail.Close() }
}

// fleetExtras are what the fleet console offers besides watching: each cluster's actions and runbooks
// (tools, nil for none: read-only consoles), and a wrap of the whole (a drill's banner).
type fleetExtras struct {
	// tools are the cluster's console extras, made once when it is first opened.
	tools func(cluster string) (consoleExtras, error)
	wrap  func(tea.Model) tea.Model
}

// runFleetTUIWith is runFleetTUI with x.
func (c *cli) runFleetTUIWith(ctx context.Context, o fleet.Options, x fleetExtras) error {
	ctx, cancel := context.WithCancel(ctx)
	o.All = true
	w := fleet.New(o)
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	defer func() { cancel(); <-done }()
	ch, unsubscribe := w.Subscribe()
	defer unsubscribe()
	color := ui.ColorFromEnv(c.lookup)
	tools := &clusterTools{build: x.tools, made: map[string]consoleExtras{}}
	var m tea.Model = fleetview.New(fleetview.Options{
		Theme: theme.New(color, true), Fleet: ch, Demo: o.Demo,
		Open: func(ctx context.Context, cluster string) (<-chan watch.Snapshot, func(), error) {
			hub, err := w.Open(ctx, cluster)
			if err != nil {
				return nil, nil, err
			}
			if t, err := tools.of(cluster); err != nil {
				return nil, nil, err
			} else if t.onHub != nil {
				t.onHub(hub)
			}
			snaps, unsub := hub.Subscribe()
			return snaps, unsub, nil
		},
		Console: func(cluster string, snaps <-chan watch.Snapshot) tea.Model {
			t, _ := tools.of(cluster) // made by Open, which came first
			return ui.NewConsole(ui.ConsoleOptions{Snapshots: snaps, Color: color, Dark: true, Leave: fleetview.LeaveTarget,
				Act: t.act, Recovery: t.recovery, Audit: t.audit, Presence: t.presence})
		},
	})
	if x.wrap != nil {
		m = x.wrap(m)
	}
	return ui.Run(ctx, m, c.in, c.out, c.environ)
}

// clusterTools makes and keeps each cluster's console extras. Safe for concurrent use (Open runs in a
// command, Console in Update).
type clusterTools struct {
	build func(cluster string) (consoleExtras, error)
	mu    sync.Mutex
	made  map[string]consoleExtras
}

// of is the cluster's extras, made the first time (none without make).
func (t *clusterTools) of(cluster string) (consoleExtras, error) {
	if t.build == nil {
		return consoleExtras{}, nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if x, ok := t.made[cluster]; ok {
		return x, nil
	}
	x, err := t.build(cluster)
	if err != nil {
		return consoleExtras{}, fmt.Errorf("%s's actions and runbooks: %w", cluster, err)
	}
	t.made[cluster] = x
	return x, nil
}

// runFleetDemo is `demo --era 2`: the fleet console on the simulated era-2 fleet, each cluster's
// console with its actions and runbooks acting as the demo's person, its audit trail and runbook runs
// under the demo's state directory (fleet/CLUSTER).
func (c *cli) runFleetDemo(ctx context.Context) error {
	if err := c.needTerminal("the demo", "`cedille-tui status --fleet` prints a real fleet's health as text or JSON"); err != nil {
		return err
	}
	f, err := demo.StartFleet(ctx, demo.FleetOptions{})
	if err != nil {
		return err
	}
	defer f.Close()
	tools, closeTools := c.fleetDemoTools(f, func(cluster string) string { return c.demoStateDir("fleet", cluster) }, nil)
	defer closeTools()
	return c.runFleetTUIWith(ctx, fleet.Options{Omni: f.Omni(), Connect: demoFleet{f}, Demo: true}, fleetExtras{tools: tools})
}

// fleetDemoTools makes a simulated fleet cluster's console extras (simulatedTools on its fakes), with
// its state under dirOf(cluster), observe told each record it writes (a drill); the returned func
// closes every trail opened.
func (c *cli) fleetDemoTools(f *demo.Fleet, dirOf func(cluster string) string, observe func(cluster string, r audit.Record)) (func(string) (consoleExtras, error), func()) {
	var mu sync.Mutex
	var closers []func()
	build := func(cluster string) (consoleExtras, error) {
		clients, err := f.FleetClients(cluster)
		if err != nil {
			return consoleExtras{}, err
		}
		kube, err := f.FleetKube(cluster)
		if err != nil {
			return consoleExtras{}, err
		}
		vault, err := f.FleetVaultReplicas(cluster)
		if err != nil {
			return consoleExtras{}, err
		}
		var obs func(audit.Record)
		if observe != nil {
			obs = func(r audit.Record) { observe(cluster, r) }
		}
		x, closeTrail, err := c.simulatedTools(clients, kube, vault, dirOf(cluster), obs)
		if err != nil {
			return consoleExtras{}, err
		}
		mu.Lock()
		closers = append(closers, closeTrail)
		mu.Unlock()
		return x, nil
	}
	return build, func() {
		mu.Lock()
		defer mu.Unlock()
		for _, cl := range closers {
			cl()
		}
	}
}

// demoFleet reaches the simulated fleet's clusters.
type demoFleet struct{ f *demo.Fleet }

func (d demoFleet) Connect(ctx context.Context, cluster string) (watch.Targets, error) {
	return d.f.Targets(ctx, cluster)
}
