package main

import (
	"context"
	"errors"
	"time"

	"github.com/clubcedille/cedille-tui/internal/actions"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/runbook"
	"github.com/clubcedille/cedille-tui/internal/runbooks"
	"github.com/clubcedille/cedille-tui/internal/ui"
	"github.com/clubcedille/cedille-tui/internal/ui/app"
	"github.com/clubcedille/cedille-tui/internal/ui/console"
	"github.com/clubcedille/cedille-tui/internal/watch"
	"github.com/spf13/cobra"

	tea "charm.land/bubbletea/v2"
)

func (c *cli) consoleCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "console",
		Short: "Open the live console on the configured platform (the default command)",
		Long: `Open the live console: the platform's health as it changes, on this terminal.

It opens on the overview: every layer (cluster, storage, mesh, gitops, vclusters, certificates, ingress,
network, databases, backups, secrets, workloads — those the cluster's era has: era 2's Rook, Velero,
CloudNativePG and vault-secrets-operator are read when the cluster serves them) with its worst finding,
worst first, and the problems with what to do about each.

When Omni (OMNI_ENDPOINT) lists more than one cluster, it opens on the fleet instead: one row per
cluster, worst first — Omni's phase, machines, ArgoCD's connection, stack, versions, worst layer, last
backup — each cluster read with a kubeconfig Omni issues for the service account. enter opens that
cluster's console (its name in the header and in every confirmation), whose actions and runbooks act
as you: Omni issues a kubeconfig for user cedille:$USER in group cedille:admin (1 h, renewed), and each
audit record names the cluster. esc or :fleet comes back; :find QUERY searches every cluster's findings
(":find CephCluster bad"), :NAME opens a cluster by name.

Keys: ↑↓/jk move, enter opens a layer then a finding, esc goes back, / filters, : jumps (:nodes,
:storage, …), ? shows every key, q quits.
The console needs at least 80×24; a smaller terminal shows a single "too small" line.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return c.runConsole(cmd.Context()) },
	}
}

func (c *cli) runConsole(ctx context.Context) error {
	p := c.openPlatform()
	defer p.Close()
	if !p.Configured() {
		return errors.Join(append(p.Errors(), errors.New("nothing to watch: no connection could be made (`cedille-tui demo` shows the console on a simulated platform)"))...)
	}
	if err := c.needTerminal("the console", "`cedille-tui status` prints the same health as text or JSON"); err != nil {
		return err
	}
	if p.Omni != nil && omniClusters(ctx, p.Omni, 5*time.Second) > 1 {
		// Era 2: a fleet. The overview first; enter opens one cluster's console.
		return c.runFleetTUI(ctx, p)
	}
	t := watch.TargetsFor(p)
	trail := c.serveDefaults(serveFlags{}).auditLog
	extras, closeTools := c.localTools(p, trail)
	defer closeTools()
	// The local user is the platform's admin: the `:audit` page reads the default trail.
	extras.audit = ui.AuditFile(trail, ui.AuditShown)
	return c.runTUI(ctx, t, t.Sources(), extras)
}

// localTools are the local console's actions and runbooks: the dispatcher writing with the kubeconfig's
// own user (role admin, not impersonated), recording to the audit trail at path. None without a
// Kubernetes connection, or when the trail at path cannot be opened (held by a running serve): nothing
// unrecorded.
func (c *cli) localTools(p *platform.Platform, path string) (consoleExtras, func()) {
	kube := kubeConfig(p)
	if kube == nil {
		return consoleExtras{}, func() {}
	}
	trail, err := openTrail(path)
	if err != nil {
		c.logger.Debug("actions off: the audit trail cannot be written", "path", path, "error", err.Error())
		return consoleExtras{}, func() {}
	}
	closeTrail := func() { _ = trail.Close() }
	d, err := actions.NewDispatcher(actions.NewClients(kube), trail.Append, builtinActions(p)...)
	if err != nil {
		closeTrail()
		return consoleExtras{}, func() {}
	}
	who := actions.As(c.localActor(kube))
	x := consoleExtras{act: d.Bind(who)}
	if e, err := c.runbookEngine(trail.Append, path); err == nil {
		x.recovery = runbooks.Recovery{Engine: e, Dispatcher: d, Who: who,
			World: runbook.World{Kube: p.Kube.Typed, Dynamic: p.Kube.Dynamic, Vault: c.vaultFinder(p)}}
	}
	return x, closeTrail
}

// consoleExtras are what a console offers besides watching: actions, runbooks, extra keys (the demo's
// faults), the audit page.
type consoleExtras struct {
	act       console.Act
	recovery  console.Recovery
	keys      []app.Action
	keysTitle string
	audit     console.AuditSource
	// onHub is told the hub once it exists (what the runbooks' World.Snapshot reads); wrap, when set,
	// wraps the console's model (the demo's drill banner), presence showing its line under the header.
	onHub    func(*watch.Hub)
	wrap     func(tea.Model) tea.Model
	presence bool
}

// runTUI runs one hub over the sources and a console subscribed to it, until the console quits; trail,
// when not nil, gives it the `:audit` page.
func (c *cli) runTUI(ctx context.Context, t watch.Targets, sources []watch.Source, x consoleExtras) error {
	ctx, cancel := context.WithCancel(ctx)
	hub := watch.NewHub(watch.HubOptions{Platform: t.Name, Demo: t.Demo}, sources...)
	if x.onHub != nil {
		x.onHub(hub)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		hub.Run(ctx)
	}()
	defer func() {
		cancel()
		<-done
	}()
	ch, unsubscribe := hub.Subscribe()
	defer unsubscribe()
	m := ui.NewConsole(ui.ConsoleOptions{
		Snapshots: ch, Color: ui.ColorFromEnv(c.lookup), Dark: true, DetectBackground: true,
		Actions: x.keys, ActionsTitle: x.keysTitle, Act: x.act, Audit: x.audit, Recovery: x.recovery, Presence: x.presence,
	})
	var model tea.Model = m
	if x.wrap != nil {
		model = x.wrap(m)
	}
	return ui.Run(ctx, model, c.in, c.out, c.environ)
}
