package main

import (
	"context"
	"errors"

	"github.com/clubcedille/cedille-tui/internal/ui"
	"github.com/clubcedille/cedille-tui/internal/ui/app"
	"github.com/clubcedille/cedille-tui/internal/watch"
	"github.com/spf13/cobra"
)

func (c *cli) consoleCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "console",
		Short: "Open the live console on the configured platform (the default command)",
		Long: `Open the live console: the platform's health as it changes, on this terminal.

It opens on the overview: every layer (cluster, storage, mesh, gitops, vclusters, certificates, ingress,
secrets) with its worst finding, worst first, and the problems with what to do about each.

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
	t := watch.TargetsFor(p)
	return c.runTUI(ctx, t, t.Sources(), nil, "")
}

// runTUI runs one hub over the sources and a console subscribed to it, until the console quits.
func (c *cli) runTUI(ctx context.Context, t watch.Targets, sources []watch.Source, actions []app.Action, actionsTitle string) error {
	ctx, cancel := context.WithCancel(ctx)
	hub := watch.NewHub(watch.HubOptions{Platform: t.Name, Demo: t.Demo}, sources...)
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
		Actions: actions, ActionsTitle: actionsTitle,
	})
	return ui.Run(ctx, m, c.in, c.out, c.environ)
}
