package main

import (
	"context"
	"fmt"
	"net"
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
	"github.com/clubcedille/cedille-tui/internal/serve"
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
// runbooks (fleetDispatch) acting as the local person (admin, as on one cluster), the runbooks reading
// through the same connection. Read-only consoles (nil) when the trail at path cannot be opened (held by
// a running serve): nothing unrecorded. The returned func closes the trail.
func (c *cli) fleetTools(p *platform.Platform, path string) (func(cluster string) (consoleExtras, error), func()) {
	trail, err := openTrail(path)
	if err != nil {
		c.logger.Debug("actions off: the audit trail cannot be written", "path", path, "error", err.Error())
		return nil, func() {}
	}
	who := actions.As(actions.LocalActor(c.localUser(p), "local"))
	build := func(cluster string) (consoleExtras, error) {
		acting, d, e, err := c.fleetDispatch(p, cluster, trail, path)
		if err != nil {
			return consoleExtras{}, err
		}
		me, _ := who()
		kube, err := acting.Kube(me)
		if err != nil {
			return consoleExtras{}, err
		}
		hub := &hubRef{}
		return consoleExtras{act: d.Bind(who), audit: ui.AuditFile(path, ui.AuditShown), onHub: hub.set,
			recovery: runbooks.Recovery{Engine: e, Dispatcher: d, Who: who, World: c.fleetWorld(kube, hub.latest)}}, nil
	}
	return build, func() { _ = trail.Close() }
}

// fleetDispatch is one cluster's dispatcher and runbook engine in p's fleet: the dispatcher acting
// through fleet.Acting — Omni's kubeconfig for each person's own identity, cedille:<name> in
// cedille:<role> — each record naming the cluster, in the one trail (at trailPath); the runbooks' runs
// and incident reports under the state directory's fleet/<cluster>.
func (c *cli) fleetDispatch(p *platform.Platform, cluster string, trail *audit.Log, trailPath string) (*fleet.Acting, *actions.Dispatcher, *runbook.Engine, error) {
	acting := &fleet.Acting{Omni: p.Omni, Cluster: cluster, UserAgent: version.Get().UserAgent()}
	sink := func(r audit.Record) error { r.Cluster = cluster; return trail.Append(r) }
	d, err := actions.NewDispatcher(acting, sink, builtinActions(p)...)
	if err != nil {
		return nil, nil, nil, err
	}
	e, err := runbookEngineIn(filepath.Join(steps.DirsFrom(c.lookup).State, "fleet", cluster), sink, trailPath)
	if err != nil {
		return nil, nil, nil, err
	}
	return acting, d, e, nil
}

// fleetWorld is what a fleet cluster's runbooks read with: kube, the cluster's own Vault pods (VAULT_ADDR
// names one Vault, so it is not used; VAULT_CACERT is), and the cluster hub's snapshot.
func (c *cli) fleetWorld(kube *platform.Kube, snapshot func() watch.Snapshot) runbook.World {
	o := platform.VaultOptionsFromEnv(c.lookup)
	o.Addr, o.Token = "", ""
	vault := steps.ClusterVault{Options: o}
	return runbook.World{Kube: kube.Typed, Dynamic: kube.Dynamic, Snapshot: snapshot,
		Vault: func(ctx context.Context) ([]*vaultops.Replica, error) { return vault.Replicas(ctx, plan.Plan{}, kube) }}
}

// serveFleet serves p's fleet over SSH: one fleet watcher and one watch set per cluster for every
// session; a session opens a cluster's console with its actions and runbooks acting as its user
// (fleetDispatch: Omni issues each person's identity, no impersonation), the runbooks reading with the
// fleet's own connection. `ssh HOST status` prints the fleet.
func (c *cli) serveFleet(ctx context.Context, p *platform.Platform, f serveFlags, ready func(net.Addr) error) error {
	o := c.fleetOptions(p)
	o.All = true
	return c.serveSessions(ctx, f, ready, func(ctx context.Context, trail *audit.Log, f serveFlags) (served, func(), error) {
		w := fleet.New(o)
		var running sync.WaitGroup
		running.Go(func() { w.Run(ctx) })
		var mu sync.Mutex
		made := map[string]serve.Services{}
		tools := func(ctx context.Context, cluster string) (serve.Services, error) {
			mu.Lock()
			defer mu.Unlock()
			if sv, ok := made[cluster]; ok {
				return sv, nil
			}
			_, d, e, err := c.fleetDispatch(p, cluster, trail, f.auditLog)
			if err != nil {
				return serve.Services{}, err
			}
			t, err := o.Connect.Connect(ctx, cluster)
			if err != nil {
				return serve.Services{}, err
			}
			hub, err := w.Open(ctx, cluster)
			if err != nil {
				return serve.Services{}, err
			}
			sv := serve.Services{Actions: d, Runbooks: e, RunbookWorld: c.fleetWorld(t.Kube, hub.Latest)}
			made[cluster] = sv
			return sv, nil
		}
		fs := serve.FleetServices{Subscribe: w.Subscribe, Cluster: tools, AuditTrail: f.auditLog,
			Open: func(ctx context.Context, cluster string) (<-chan watch.Snapshot, func(), error) {
				hub, err := w.Open(ctx, cluster)
				if err != nil {
					return nil, nil, err
				}
				ch, unsubscribe := hub.Subscribe()
				return ch, unsubscribe, nil
			}}
		return served{name: "the fleet Omni lists", terminal: serve.FleetTerminal(fs),
			exec: map[string]serve.Command{"status": fleetStatusOverSSH(w)}}, running.Wait, nil
	})
}

// fleetStatusOverSSH is `ssh HOST status` on a served fleet: the fleet's rows once every cluster Omni
// lists has answered (or the session ends), as `status --fleet` prints them.
func fleetStatusOverSSH(w *fleet.Watcher) serve.Command {
	return func(ctx context.Context, s serve.Session) int {
		ch, unsubscribe := w.Subscribe()
		defer unsubscribe()
		snap := w.Latest()
		for !snap.Complete(true) {
			select {
			case snap = <-ch:
			case <-ctx.Done():
				return 1
			}
		}
		if err := printFleet(s, snap, "table"); err != nil {
			return 1
		}
		return 0
	}
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
