package main

import (
	"context"
	"fmt"
	"path/filepath"

	tea "charm.land/bubbletea/v2"
	"github.com/clubcedille/cedille-tui/internal/demo"
	"github.com/clubcedille/cedille-tui/internal/drill"
	"github.com/clubcedille/cedille-tui/internal/fleet"
)

// runFleetDrill is `demo --era 2 --drill NAME`: the simulated fleet, the drill's fault injected across
// it, the fleet console with the drill's banner, each cluster's console with its runbooks; once the
// console quits, the drill's report, printed and written under
// $XDG_STATE_HOME/cedille-tui/demo/drills/<date>-fleet-NAME (with each cluster's audit trail, runs and
// incident reports under its name).
func (c *cli) runFleetDrill(ctx context.Context, name string) error {
	if name == "list" {
		fmt.Fprint(c.out, drill.ListFleet(hasRunbook))
		return nil
	}
	sc, err := drill.LookupFleet(name)
	if err != nil {
		return err
	}
	rb, err := c.drillRunbook(sc.Name, sc.Runbook)
	if err != nil {
		return err
	}
	f, err := demo.StartFleet(ctx, demo.FleetOptions{})
	if err != nil {
		return err
	}
	defer f.Close()
	d, err := drill.StartFleet(ctx, sc, rb, f, drill.Options{})
	if err != nil {
		return err
	}
	dir := c.demoStateDir("drills", d.Progress().Injected.UTC().Format("2006-01-02-150405")+"-fleet-"+sc.Name)
	tools, closeTools := c.fleetDemoTools(f, func(cluster string) string { return filepath.Join(dir, cluster) }, d.Observe)
	wrapTools := func(cluster string) (consoleExtras, error) {
		x, err := tools(cluster)
		x.presence = true
		return x, err
	}
	m := drillModel{d: d, open: func() tea.Cmd { return nil }}
	err = c.runFleetTUIWith(ctx, fleet.Options{Omni: f.Omni(), Connect: demoFleet{f}, Demo: true}, fleetExtras{tools: wrapTools,
		wrap: func(inner tea.Model) tea.Model { m.inner = inner; return m }})
	closeTools()
	incidents := map[string]string{}
	for _, cp := range d.Progress().Clusters {
		if in := incidentOf(filepath.Join(dir, cp.Cluster, "runbooks"), cp.Run); in != "" {
			incidents[cp.Cluster] = in
		}
	}
	rep := d.Report(incidents)
	path, werr := drill.WriteFleet(dir, rep)
	return c.drillReported(rep.Markdown(), path, err, werr)
}
