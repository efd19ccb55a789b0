package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/clubcedille/cedille-tui/internal/fleet"
	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/version"
	"github.com/clubcedille/cedille-tui/internal/watch"
)

// fleetOptions are the fleet's connections: Omni lists the clusters and issues each one's kubeconfig.
func (c *cli) fleetOptions(p *platform.Platform) fleet.Options {
	return fleet.Options{Omni: p.Omni, Connect: fleet.OmniConnector{Omni: p.Omni, VaultCACert: p.VaultCACert,
		UserAgent: version.Get().UserAgent()}}
}

// runFleetStatus is `status --fleet` and `status --cluster NAME`.
func (c *cli) runFleetStatus(ctx context.Context, f statusFlags) error {
	p := c.openPlatform()
	defer p.Close()
	if p.Omni == nil {
		fmt.Fprintln(c.err, "cedille-tui: "+oneLine(p.OmniErr.Error()))
		fmt.Fprintln(c.err, "cedille-tui: the fleet is the clusters Omni lists: set OMNI_ENDPOINT and OMNI_SERVICE_ACCOUNT_KEY")
		return exitCode(2)
	}
	o := c.fleetOptions(p)
	if f.cluster != "" {
		return c.clusterStatus(ctx, o.Connect, f)
	}
	s := fleet.Collect(ctx, o, f.timeout)
	for _, fd := range s.Report.Findings {
		if fd.Object == "API/omni" {
			fmt.Fprintln(c.err, "cedille-tui: "+fd.Reason)
		}
	}
	if err := printFleet(c.out, s, f.output); err != nil {
		return err
	}
	return exitCode(s.Report.Overall.ExitCode())
}

// clusterStatus reads one cluster of the fleet, as `status` reads a single cluster.
func (c *cli) clusterStatus(ctx context.Context, conn fleet.Connector, f statusFlags) error {
	cctx, cancel := context.WithTimeout(ctx, f.timeout)
	t, err := conn.Connect(cctx, f.cluster)
	cancel()
	if err != nil {
		fmt.Fprintln(c.err, "cedille-tui: "+oneLine(err.Error()))
		return exitCode(2)
	}
	s := watch.Collect(ctx, t, f.timeout, time.Now())
	c.reportSourceErrors(s, map[platform.Source]string{})
	s.Report = withoutReconnectHints(s.Report)
	if err := printReport(c.out, s, f.output, false); err != nil {
		return err
	}
	return exitCode(s.Report.Overall.ExitCode())
}

func printFleet(w io.Writer, s fleet.Snapshot, format string) error {
	switch format {
	case "json":
		b, err := json.MarshalIndent(s.Report, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(w, string(b))
		return err
	case "yaml":
		return writeYAML(w, s.Report)
	}
	r := s.Report
	fmt.Fprintf(w, "fleet  %s  %d clusters\n", statusCell(r.Overall), len(r.Clusters))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CLUSTER\tSTATUS\tOMNI\tMACHINES\tARGOCD\tSTACK\tVERSIONS\tWORST\tBACKUP\tREASON")
	for _, row := range r.Clusters {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", row.Cluster, statusCell(row.Status), fleet.PhaseCell(row),
			fleet.MachinesCell(row), fleet.ArgoCell(row), dash(row.Stack), fleet.VersionsCell(row), dash(string(row.WorstLayer)),
			dash(row.LastBackupAge), row.Reason)
	}
	for _, fd := range r.Findings {
		fmt.Fprintf(tw, "%s\t%s\t\t\t\t\t\t\t\t%s\n", fd.Object, statusCell(fd.Status), fd.Reason)
	}
	if len(r.Clusters) == 0 && len(r.Findings) == 0 {
		fmt.Fprintln(tw, "-\t"+statusCell(health.Unknown)+"\t\t\t\t\t\t\t\tOmni lists no cluster")
	}
	return tw.Flush()
}

func dash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}
