// Command loadgen fills a cluster (by default the lab of hack/lab) with a big platform's worth of
// objects, removes them again, and benchmarks the console against it.
//
//	go run ./hack/loadgen [flags]           fill: 100 kwok nodes, 10 000 pods, 300 Applications,
//	                                        60 DiskPools, 1 000 DataplaneInsights (idempotent)
//	go run ./hack/loadgen --clean [flags]   delete everything labelled cedille-tui/loadgen=true
//	go run ./hack/loadgen bench [flags]     measure floor, first frame, RSS, steady state, render
//
// Without --kubeconfig it starts (or reuses) the lab in --lab-state with etcd, kube-apiserver,
// kube-controller-manager and kwok. See hack/loadgen/README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/clubcedille/cedille-tui/hack/lab"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/textpages"
	"k8s.io/client-go/rest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

type options struct {
	kubeconfig, labState string
	labComponents        string
	sizes                Sizes
	workers              int
	qps                  float64
	clean, noWait        bool
	timeout              time.Duration

	idle                    time.Duration
	baseline, showFrame     bool
	renderRows, renderIters int
	profileDir              string
	sessions                string
	fleetState, binary      string
	fleetDown               bool
	clusters                int
	// hugeText leaves the binary's text as the kernel maps it (2 MiB pages where it can), to compare
	// with what cedille-tui does at start (textpages.MapSmall).
	hugeText bool
}

func usage(w io.Writer) {
	fmt.Fprintln(w, `usage: loadgen [fill|bench|sessions|fleet-bench] [flags]
  fill (default)  create what is missing of the load; --clean deletes it instead
  bench           measure the console against the filled cluster
  sessions        measure the console served over SSH (cedille-tui serve) to many sessions at once
  fleet-bench     measure the fleet watcher over --clusters labs listed by an Omni simulator
flags:
  --kubeconfig PATH   cluster to use (default: start or reuse the lab in --lab-state)
  --lab-state DIR     the lab's state dir (default ${XDG_STATE_HOME:-$HOME/.local/state}/cedille-tui-lab)
  --lab-components L  components when loadgen starts the lab (kube-apiserver,kube-controller-manager,kwok;
                      a running lab that has at least these is reused)
  --nodes N --pods N --namespaces N --apps N --pools N --insights N   sizes (100, 10000, 50, 300, 60, 1000)
  --workers N         concurrent requests (32)
  --qps N             client QPS, burst 2×QPS (1000)
  --clean             delete everything labelled cedille-tui/loadgen=true
  --no-wait           do not wait for nodes Ready and pods Running
  --timeout D         wait limit for Ready/Running and namespace deletion (10m)
bench flags:
  --idle D            steady-state window (60s)
  --baseline          measure an idle window without the hub first (true)
  --render-rows N     nodes in the render benchmark's snapshot (10000)
  --render-iters N    renders timed (300)
  --profile DIR       write CPU profiles of each phase and a heap profile there
  --frame             print the first frame
  --huge-text         leave the binary's code mapped as the kernel chose (2 MiB pages where it can);
                      by default loadgen maps it in small pages at start, as cedille-tui does
sessions flags:
  --sessions L        live sessions at each step, ascending (1,10,50): first frame of each new session,
                      heap after GC, and the hub's API requests in an --idle window at the first and last step
fleet-bench flags (sizes are per cluster: 20 nodes, 2000 pods, 10 namespaces, no custom resources unless given):
  --clusters N        labs (API server + kwok, era 2), each in --fleet-state/k8s-bench-<i> (5); reused when running
  --fleet-state DIR   where the labs live (${XDG_STATE_HOME:-$HOME/.local/state}/cedille-tui-fleetbench)
  --binary PATH       the cedille-tui whose status --fleet is timed (default: built from ./cmd/cedille-tui)
  --idle D            steady-state window (60s)
  --down              stop the labs at the end (they are left running for the next run otherwise)`)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	d := DefaultSizes()
	var o options
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { usage(stderr) }
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "")
	fs.StringVar(&o.labState, "lab-state", lab.DefaultStateDir(), "")
	fs.StringVar(&o.labComponents, "lab-components", strings.Join([]string{lab.KubeAPIServer, lab.KubeControllerManager, lab.Kwok}, ","), "")
	fs.IntVar(&o.sizes.Nodes, "nodes", d.Nodes, "")
	fs.IntVar(&o.sizes.Pods, "pods", d.Pods, "")
	fs.IntVar(&o.sizes.Namespaces, "namespaces", d.Namespaces, "")
	fs.IntVar(&o.sizes.Apps, "apps", d.Apps, "")
	fs.IntVar(&o.sizes.Pools, "pools", d.Pools, "")
	fs.IntVar(&o.sizes.Insights, "insights", d.Insights, "")
	fs.IntVar(&o.workers, "workers", 32, "")
	fs.Float64Var(&o.qps, "qps", 1000, "")
	fs.BoolVar(&o.clean, "clean", false, "")
	fs.BoolVar(&o.noWait, "no-wait", false, "")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "")
	fs.DurationVar(&o.idle, "idle", time.Minute, "")
	fs.BoolVar(&o.baseline, "baseline", true, "")
	fs.BoolVar(&o.showFrame, "frame", false, "")
	fs.IntVar(&o.renderRows, "render-rows", 10000, "")
	fs.IntVar(&o.renderIters, "render-iters", 300, "")
	fs.StringVar(&o.profileDir, "profile", "", "")
	fs.StringVar(&o.sessions, "sessions", "1,10,50", "")
	fs.BoolVar(&o.hugeText, "huge-text", false, "")
	fs.StringVar(&o.fleetState, "fleet-state", filepath.Join(filepath.Dir(lab.DefaultStateDir()), "cedille-tui-fleetbench"), "")
	fs.StringVar(&o.binary, "binary", "", "")
	fs.IntVar(&o.clusters, "clusters", 5, "")
	fs.BoolVar(&o.fleetDown, "down", false, "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	cmd := "fill"
	if fs.NArg() > 0 {
		cmd = fs.Arg(0)
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return err
		}
		if fs.NArg() > 0 {
			return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
		}
	}
	if cmd == "fleet-bench" {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		o.sizes = fleetSizes(o.sizes, set)
	}
	if cmd != "fill" && cmd != "bench" && cmd != "sessions" && cmd != "fleet-bench" {
		usage(stderr)
		return fmt.Errorf("unknown command %q", cmd)
	}
	if o.workers < 1 || o.qps <= 0 {
		return errors.New("--workers and --qps must be positive")
	}
	if err := o.sizes.Validate(); err != nil {
		return err
	}
	textPages := "as the kernel maps them (--huge-text)"
	if !o.hugeText {
		start := time.Now()
		r, err := textpages.MapSmall()
		textPages = fmt.Sprintf("small pages only: %.1f MiB advised at start in %s, %.1f MiB of it had been mapped in 2 MiB pages",
			float64(r.Advised)/(1<<20), time.Since(start).Round(10*time.Microsecond), float64(r.Huge)/(1<<20))
		if r.Dropped {
			textPages += " (so the page cache was asked to drop it: read again from the disk in small folios)"
		}
		if err != nil {
			textPages = "textpages.MapSmall failed, and the bench goes on as cedille-tui does: " + err.Error()
		}
	}

	if cmd == "fleet-bench" {
		return runFleetBench(ctx, o, textPages, stdout, stderr)
	}
	kubeconfig, l, err := target(ctx, o, stderr)
	if err != nil {
		return err
	}
	if cmd == "sessions" {
		steps, err := ParseSteps(o.sessions)
		if err != nil {
			return err
		}
		r, err := Sessions(ctx, SessionsOptions{Kubeconfig: kubeconfig, Steps: steps, Idle: o.idle, Width: 80, Height: 24, Out: stderr})
		if err != nil {
			return err
		}
		PrintSessions(stdout, r)
		return nil
	}
	if cmd == "bench" {
		bo := BenchOptions{Kubeconfig: kubeconfig, Idle: o.idle, Baseline: o.baseline, RenderRows: o.renderRows,
			RenderIters: o.renderIters, ProfileDir: o.profileDir, ShowFrame: o.showFrame, TextPages: textPages, Out: stderr}
		if l != nil {
			bo.Servers = func() string { return serverMemory(l) }
			for _, c := range l.Status() {
				if c.Component == lab.KubeAPIServer && c.Running {
					bo.APIServerPID = c.PID
				}
			}
		}
		r, err := Bench(ctx, bo)
		if err != nil {
			return err
		}
		if o.showFrame {
			fmt.Fprintln(stdout, "first frame (80×24, colours stripped):")
			fmt.Fprintln(stdout, ansiStrip(r.Frame))
		}
		PrintBench(stdout, r)
		return nil
	}

	cfg, _, err := platform.LoadKubeConfig(platform.KubeOptions{Kubeconfig: kubeconfig}, platform.MapLookup(nil))
	if err != nil {
		return err
	}
	c, err := NewClients(cfg, float32(o.qps), int(2*o.qps))
	if err != nil {
		return err
	}
	start := time.Now()
	if o.clean {
		fmt.Fprintf(stdout, "cleaning %s (label %s)\n", describe(cfg), LabelSelector)
		if _, err := Clean(ctx, c, o.workers, o.timeout, stdout); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "cleaned in %s\n", time.Since(start).Round(time.Millisecond))
		return nil
	}
	s := o.sizes
	fmt.Fprintf(stdout, "filling %s: %d nodes, %d pods in %d namespaces, %d Applications, %d DiskPools, %d DataplaneInsights (%d workers, %.0f QPS)\n",
		describe(cfg), s.Nodes, s.Pods, s.Namespaces, s.Apps, s.Pools, s.Insights, o.workers, o.qps)
	reps, err := Fill(ctx, c, FillOptions{Sizes: s, Workers: o.workers, Wait: !o.noWait, WaitTimeout: o.timeout, Out: stdout})
	if err != nil {
		return err
	}
	created := 0
	for _, r := range reps {
		if r.Kind != "nodes Ready" && r.Kind != "pods Running" {
			created += r.Created
		}
	}
	fmt.Fprintf(stdout, "created %d objects in %s\n", created, time.Since(start).Round(time.Millisecond))
	return nil
}

// target is the kubeconfig to use: --kubeconfig, else the lab's (started or reused).
func target(ctx context.Context, o options, stderr io.Writer) (string, *lab.Lab, error) {
	if o.kubeconfig != "" {
		return o.kubeconfig, nil, nil
	}
	start := time.Now()
	l, err := lab.Up(ctx, lab.Options{
		StateDir:   o.labState,
		Components: strings.Split(o.labComponents, ","),
		Logf:       func(format string, a ...any) { fmt.Fprintf(stderr, format+"\n", a...) },
	})
	if err != nil {
		return "", nil, err
	}
	verb := "started"
	if l.Reused() {
		verb = "reused"
	}
	fmt.Fprintf(stderr, "lab %s in %s (state %s; stop it with: go run ./hack/lab/cmd/lab --state %s down)\n",
		verb, time.Since(start).Round(time.Millisecond), l.StateDir(), l.StateDir())
	return l.KubeconfigPath(), l, nil
}

func describe(cfg *rest.Config) string { return cfg.Host }

func serverMemory(l *lab.Lab) string {
	var parts []string
	var total int64
	for _, s := range l.Status() {
		if s.Running {
			parts = append(parts, fmt.Sprintf("%s %.0f MiB", s.Component, float64(s.RSSKiB)/1024))
			total += s.RSSKiB
		}
	}
	return fmt.Sprintf("RSS %.0f MiB in all: %s", float64(total)/1024, strings.Join(parts, ", "))
}

// fleetSizes is each fleet cluster's load: 20 nodes, 2 000 pods in 10 namespaces and nothing else, but
// for the sizes given on the command line (set).
func fleetSizes(s Sizes, set map[string]bool) Sizes {
	d := Sizes{Nodes: 20, Pods: 2000, Namespaces: 10}
	for _, f := range []struct {
		flag     string
		from, to *int
	}{{"nodes", &s.Nodes, &d.Nodes}, {"pods", &s.Pods, &d.Pods}, {"namespaces", &s.Namespaces, &d.Namespaces},
		{"apps", &s.Apps, &d.Apps}, {"pools", &s.Pools, &d.Pools}, {"insights", &s.Insights, &d.Insights}} {
		if set[f.flag] {
			*f.to = *f.from
		}
	}
	return d
}

// runFleetBench is `loadgen fleet-bench`: the binary is built first unless --binary names one.
func runFleetBench(ctx context.Context, o options, textPages string, stdout, stderr io.Writer) error {
	if o.clusters < 1 {
		return errors.New("--clusters must be at least 1")
	}
	if o.binary == "" {
		o.binary = filepath.Join(o.fleetState, "cedille-tui")
		if err := os.MkdirAll(o.fleetState, 0o755); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "building %s …\n", o.binary)
		build := exec.CommandContext(ctx, "go", "build", "-o", o.binary, "./cmd/cedille-tui")
		build.Stdout, build.Stderr = stderr, stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("go build ./cmd/cedille-tui (run from the checkout, or pass --binary): %w", err)
		}
	}
	s := o.sizes
	fmt.Fprintf(stdout, "fleet of %d clusters, each %d nodes, %d pods in %d namespaces, %d Applications; labs in %s\n",
		o.clusters, s.Nodes, s.Pods, s.Namespaces, s.Apps, o.fleetState)
	r, err := FleetBench(ctx, FleetOptions{StateDir: o.fleetState, Clusters: o.clusters, Sizes: s, Workers: o.workers,
		QPS: o.qps, Idle: o.idle, Binary: o.binary, Timeout: o.timeout, Down: o.fleetDown, Out: stderr})
	if err != nil {
		return err
	}
	PrintFleet(stdout, r)
	fmt.Fprintf(stdout, "binary's code (this process): %s\n", textPages)
	if !o.fleetDown {
		fmt.Fprintf(stdout, "labs left running; stop each with: %s (or pass --down)\n", fleetDownHint(o.fleetState))
	}
	return nil
}
