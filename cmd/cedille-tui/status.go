package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/clubcedille/cedille-tui/internal/fleet"
	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/watch"
	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"
)

type statusFlags struct {
	output  string
	watch   bool
	timeout time.Duration
	verbose bool
	fleet   bool
	cluster string
}

func (c *cli) statusCmd() *cobra.Command {
	var f statusFlags
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Print the platform's health without a TUI (exit 0 healthy, 1 degraded, 2 down)",
		Long: `Print the platform's health, evaluated by the same rules as the console.

Exit code: 0 when everything is OK, 1 when something is Degraded or Unknown, 2 when something is Down
or the platform cannot be reached. A connection that cannot be made or read is said once, on stderr, in
one line that says what to set or check; the report is printed all the same, the layers it keeps from
being read Down with the connection (API/kubernetes, API/omni, API/vault) as their finding — with
nothing configured too (overall Down, exit 2).

-o json prints {"overall": STATUS, "layers": [{"name", "status", "findings": [{"object", "status",
"reason", "hint"}]}]} with STATUS one of OK, Degraded, Down, Unknown; every object evaluated is a
finding, the OK ones included. --watch prints a new report each time the health changes (one JSON
document per line with -o json) until interrupted.

Era 2 (a fleet of Omni clusters): --fleet reads every cluster Omni lists, each with a kubeconfig Omni
issues for the service account (as ` + "`omnictl kubeconfig --service-account`" + ` does; the clusters bind the
group ` + fleet.DefaultGroup + ` to the console's read role), and prints one row per cluster, worst first; -o json
prints {"overall", "clusters": [{"cluster", "status", "reason", "hint", "phase", "ready", "machines",
"machinesHealthy", "machinesConnected", "talos", "kubernetes", "hub", "argocd": {"state", "message"},
"stack", "labels", "era", "worstLayer", "lastBackupAge", "layers": [as above]}], "findings": [what is
wrong across clusters]}. A cluster that cannot be read is Unknown with the reason; the others are read
all the same. --cluster NAME prints one cluster's report, as for a single cluster. Exit codes as above.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch f.output {
			case "table", "json", "yaml":
			default:
				return fmt.Errorf("unknown output %q: use -o table, json or yaml", f.output)
			}
			if f.fleet && f.cluster != "" {
				return errors.New("--fleet and --cluster exclude each other: --fleet reads every cluster, --cluster one")
			}
			if (f.fleet || f.cluster != "") && f.watch {
				return errors.New("--watch reads one cluster: for the fleet, run the console (it watches every cluster)")
			}
			if f.fleet || f.cluster != "" {
				return c.runFleetStatus(cmd.Context(), f)
			}
			return c.runStatus(cmd.Context(), f)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.output, "output", "o", "table", "output format: table, json or yaml")
	fl.BoolVarP(&f.watch, "watch", "w", false, "keep watching and print each change")
	fl.DurationVar(&f.timeout, "timeout", 10*time.Second, "how long to wait for each server")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "also say which connections are not configured")
	fl.BoolVar(&f.fleet, "fleet", false, "every cluster Omni lists, one row each (era 2)")
	fl.StringVar(&f.cluster, "cluster", "", "one cluster of the fleet, by its Omni name (era 2)")
	return cmd
}

func (c *cli) runStatus(ctx context.Context, f statusFlags) error {
	p := c.openPlatform()
	defer p.Close()
	configured := p.Configured()
	for _, err := range p.Errors() {
		// A connection nothing points at is said with -v, or when none is configured at all.
		if f.verbose || !configured || !platform.IsNotConfigured(err) {
			fmt.Fprintln(c.err, "cedille-tui: "+oneLine(err.Error()))
		}
	}
	if !configured {
		s := watch.Snapshot{At: time.Now(), Platform: p.Name, Report: unreadReport(p)}
		if err := printReport(c.out, s, f.output, f.watch); err != nil {
			return err
		}
		return exitCode(2)
	}
	t := watch.TargetsFor(p)
	if f.watch {
		return c.watchStatus(ctx, t, f)
	}
	s := watch.Collect(ctx, t, f.timeout, time.Now())
	c.reportSourceErrors(s, map[platform.Source]string{})
	s.Report = withoutReconnectHints(s.Report)
	if err := printReport(c.out, s, f.output, false); err != nil {
		return err
	}
	return exitCode(s.Report.Overall.ExitCode())
}

// unreadReport is the report when no connection could be made: each layer Down, its finding the
// connection it is read through and what to set. Scripts get a document with overall Down, as for an
// unreachable platform, and the exit code 2.
func unreadReport(p *platform.Platform) health.Report {
	s := watch.Snapshot{Sources: map[platform.Source]watch.SourceState{}}
	for src, err := range map[platform.Source]error{platform.SourceKubernetes: p.KubeErr, platform.SourceOmni: p.OmniErr,
		platform.SourceVault: p.VaultErr} {
		if err != nil {
			s.Sources[src] = watch.SourceState{Configured: true, Err: err}
		}
	}
	var layers []health.LayerReport
	for _, l := range watch.Evaluate(s).Layers {
		fs := slices.Clone(l.Findings)
		for i := range fs {
			fs[i].Status = health.Down
		}
		layers = append(layers, health.NewLayer(l.Name, fs))
	}
	return health.NewReport(layers...)
}

// connections are the platform's connections, in the order their errors are said.
var connections = []platform.Source{platform.SourceKubernetes, platform.SourceOmni, platform.SourceVault}

// outage tells whether a finding is a connection's failure (API/kubernetes, API/omni, API/vault) and
// which connection.
func outage(f health.Finding) (platform.Source, bool) {
	name, ok := strings.CutPrefix(f.Object, "API/")
	src := platform.Source(name)
	if !ok || f.Status == health.OK ||
		!slices.Contains(connections, src) {
		return "", false
	}
	return src, true
}

// withoutReconnectHints drops the console's "reconnects by itself" from the outages: a one-shot status
// does not reconnect, and the error names what to check.
func withoutReconnectHints(r health.Report) health.Report {
	layers := make([]health.LayerReport, len(r.Layers))
	for i, l := range r.Layers {
		l.Findings = slices.Clone(l.Findings)
		for j, f := range l.Findings {
			if _, ok := outage(f); ok {
				l.Findings[j].Hint = ""
			}
		}
		layers[i] = l
	}
	r.Layers = layers
	return r
}

// reportSourceErrors says on stderr, one line each, which configured server could not be read. said
// holds each source's error last said: a --watch says an error once, and again only after a recovery.
func (c *cli) reportSourceErrors(s watch.Snapshot, said map[platform.Source]string) {
	for _, src := range connections {
		st := s.Source(src)
		if st.DependsOn != "" && s.Source(st.DependsOn).Err != nil {
			continue // its outage is the other source's, already said
		}
		if !st.Configured || st.Err == nil {
			delete(said, src)
			continue
		}
		if line := "cedille-tui: " + oneLine(st.Err.Error()); said[src] != line {
			fmt.Fprintln(c.err, line)
			said[src] = line
		}
	}
}

func (c *cli) watchStatus(ctx context.Context, t watch.Targets, f statusFlags) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	hub := watch.NewHub(watch.HubOptions{Platform: t.Name, Demo: t.Demo, MinInterval: time.Second}, t.Sources()...)
	done := make(chan struct{})
	go func() { defer close(done); hub.Run(ctx) }()
	defer func() { cancel(); <-done }()
	ch, unsubscribe := hub.Subscribe()
	defer unsubscribe()
	var last []byte
	code := 0
	said := map[platform.Source]string{}
	for {
		select {
		case <-ctx.Done():
			return exitCode(code)
		case s, ok := <-ch:
			if !ok {
				return exitCode(code)
			}
			key, _ := json.Marshal(s.Report)
			if string(key) == string(last) {
				continue
			}
			last = key
			code = s.Report.Overall.ExitCode()
			c.reportSourceErrors(s, said)
			if err := printReport(c.out, s, f.output, true); err != nil {
				return err
			}
		}
	}
}

func printReport(w io.Writer, s watch.Snapshot, format string, stream bool) error {
	switch format {
	case "json":
		var b []byte
		var err error
		if stream {
			b, err = json.Marshal(s.Report)
		} else {
			b, err = s.Report.JSON()
		}
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(w, string(b))
		return err
	case "yaml":
		if stream {
			fmt.Fprintln(w, "---")
		}
		return writeYAML(w, s.Report)
	}
	return printTable(w, s, stream)
}

// writeYAML writes v as one YAML document.
func writeYAML(w io.Writer, v any) error {
	b, err := yaml.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

func printTable(w io.Writer, s watch.Snapshot, stream bool) error {
	r := s.Report
	head := fmt.Sprintf("%s  %s", s.Platform, statusCell(r.Overall))
	if stream {
		head += "  at " + s.At.Format("15:04:05")
	}
	fmt.Fprintln(w, head)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "LAYER\tSTATUS\tOBJECT\tREASON\tHINT")
	for _, l := range r.Layers {
		for _, f := range l.Findings {
			reason, hint := f.Reason, f.Hint
			if src, ok := outage(f); ok {
				// Said once on stderr, above the table: not once per layer.
				reason, hint = "the "+string(src)+" connection failed: see its error above", ""
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", l.Name, statusCell(f.Status), f.Object, reason, hint)
		}
	}
	if len(r.Layers) == 0 {
		fmt.Fprintln(tw, "-\t"+statusCell(health.Unknown)+"\t-\tnothing could be read\t")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if stream {
		_, err := fmt.Fprintln(w, strings.Repeat("─", 40))
		return err
	}
	return nil
}

func statusCell(s health.Status) string { return s.Symbol() + " " + s.String() }
