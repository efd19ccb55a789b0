package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/clubcedille/cedille-tui/hack/lab"
	"github.com/clubcedille/cedille-tui/internal/fleet"
	"github.com/clubcedille/cedille-tui/internal/omnisim"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/watch"
	"github.com/cosi-project/runtime/pkg/state"
	"github.com/siderolabs/omni/client/api/omni/specs"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// FleetOptions tune FleetBench.
type FleetOptions struct {
	// StateDir holds one lab per cluster (StateDir/<cluster>); running labs there are reused.
	StateDir string
	Clusters int
	// Sizes is each cluster's load (pods, kwok nodes, namespaces; Applications on an era-2 cluster too).
	Sizes   Sizes
	Workers int
	QPS     float64
	// Idle is the steady-state window after the first complete overview (CPU, requests).
	Idle time.Duration
	// Binary is the cedille-tui binary whose `status --fleet` is timed as a child process ("" skips it).
	Binary string
	// Timeout bounds the fill's waits and the first complete overview.
	Timeout time.Duration
	// Down stops the labs at the end (they are left running otherwise, for the next run).
	Down bool
	Out  io.Writer
}

// FleetCluster is one lab of the fleet.
type FleetCluster struct {
	Name    string
	Start   time.Duration // lab.Up
	Reused  bool
	Fill    time.Duration // Fill, waits for Ready/Running included
	Created int
	Pods    int // listed by the floor
	Judged  int // pods counted by its workloads layer in the first complete overview
}

// FleetResult holds the figures FleetBench measured.
type FleetResult struct {
	Clusters []FleetCluster
	// Floor is the wall time of one LIST of all pods on every cluster at once (protobuf, Limit 0); FloorRuns
	// that and the next ones.
	Floor     time.Duration
	FloorRuns []time.Duration
	// FirstOverview: from before connecting to Omni to the first fleet snapshot settled with every cluster
	// Omni lists watched and synced; FrameCPU is this process's CPU time over it.
	FirstOverview, OverviewCPU time.Duration
	Snapshots                  int // fleet snapshots received until then
	// Timeline of the first overview, from the start, as the fleet snapshots show it (published at most
	// every 250 ms): Omni read; each cluster's first snapshot and its first synced one.
	OmniRead               time.Duration
	FirstSeen, FirstSynced map[string]time.Duration
	// SyncedBuilt is when each cluster's own hub built its first synced snapshot (its At).
	SyncedBuilt map[string]time.Duration

	// Memory after the first complete overview, garbage collected.
	Memory

	Idle           time.Duration
	CPU            time.Duration // this process over the idle window
	ServerCPU      time.Duration // the API servers over the idle window
	IdleRequests   map[string]int
	IdleDetail     map[string]int
	ListsAfterSync int // client-side, from the first complete overview to the end of the window
	Published      int // fleet snapshots published in the window

	// The binary's `status --fleet -o json`: wall time, peak RSS (VmHWM sampled every 10 ms: getrusage's
	// maxrss of a vforked child starts at the parent's), CPU, exit code, rows and pods judged.
	OneShot        time.Duration
	OneShotPeakKiB int64
	OneShotCPU     time.Duration
	OneShotExit    int
	OneShotRows    int
	OneShotJudged  int
	OneShotErr     string

	LoadBefore, LoadOverview, LoadAfter string
	ServerMemory                        string
}

// FleetBench starts (or reuses) o.Clusters labs of an era-2 API server and kwok, fills each with o.Sizes,
// lists them in an Omni simulator on loopback, and measures the fleet watcher (internal/fleet) over them.
func FleetBench(ctx context.Context, o FleetOptions) (*FleetResult, error) {
	out := o.Out
	if out == nil {
		out = io.Discard
	}
	res := &FleetResult{Idle: o.Idle}
	labs := make([]*lab.Lab, o.Clusters)
	if o.Down {
		defer func() {
			for _, l := range labs {
				if l != nil {
					_ = l.Down()
				}
			}
		}()
	}
	for i := range labs {
		name := fmt.Sprintf("k8s-bench-%d", i+1)
		start := time.Now()
		l, err := lab.Up(ctx, lab.Options{StateDir: filepath.Join(o.StateDir, name), Era2: true,
			Components: []string{lab.KubeAPIServer, lab.Kwok}})
		if err != nil {
			return nil, fmt.Errorf("%s: %w (stop the others: %s)", name, err, fleetDownHint(o.StateDir))
		}
		labs[i] = l
		c := FleetCluster{Name: name, Start: time.Since(start), Reused: l.Reused()}
		fmt.Fprintf(out, "%s: lab up in %s (reused %v); %s\n", name, c.Start.Round(time.Millisecond), c.Reused, labMemory(l))
		res.Clusters = append(res.Clusters, c)
	}
	for i, l := range labs {
		cl, err := NewClients(l.RESTConfig(), float32(o.QPS), int(2*o.QPS))
		if err != nil {
			return nil, err
		}
		start := time.Now()
		fmt.Fprintf(out, "%s: filling …\n", res.Clusters[i].Name)
		reps, err := Fill(ctx, cl, FillOptions{Sizes: o.Sizes, Workers: o.Workers, Wait: true, WaitTimeout: o.Timeout,
			ServiceAccounts: true, Out: out})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", res.Clusters[i].Name, err)
		}
		res.Clusters[i].Fill = time.Since(start)
		for _, r := range reps {
			if r.Kind != "nodes Ready" && r.Kind != "pods Running" {
				res.Clusters[i].Created += r.Created
			}
		}
	}

	srv, err := omnisim.New(omnisim.Options{})
	if err != nil {
		return nil, err
	}
	defer srv.Stop()
	addr, err := srv.Listen("")
	if err != nil {
		return nil, err
	}
	for i, l := range labs {
		kc, err := tokenKubeconfig(l)
		if err != nil {
			return nil, err
		}
		srv.SetClusterKubeconfig(res.Clusters[i].Name, kc)
		if err := writeOmniCluster(ctx, srv.State(), res.Clusters[i].Name, 3); err != nil {
			return nil, err
		}
	}
	endpoint := "grpc://" + addr.String()

	// Floor: every cluster's pods listed at once, as the fleet's watch sets do at start.
	typed := make([]Clients, len(labs))
	for i, l := range labs {
		if typed[i], err = NewClients(l.RESTConfig(), 1000, 2000); err != nil {
			return nil, err
		}
		if _, err := typed[i].Typed.Discovery().ServerVersion(); err != nil {
			return nil, err
		}
		if _, err := typed[i].Typed.CoreV1().Nodes().List(ctx, metav1.ListOptions{}); err != nil {
			return nil, err
		}
	}
	res.LoadBefore = loadAvg()
	fmt.Fprintln(out, "floor: one LIST of all pods on every cluster at once …")
	for run := 0; run < 3; run++ {
		d, counts, err := parallelPodLists(ctx, typed)
		if err != nil {
			return nil, err
		}
		res.FloorRuns = append(res.FloorRuns, d)
		for i, n := range counts {
			res.Clusters[i].Pods = n
		}
	}
	res.Floor = res.FloorRuns[0]
	typed = nil
	runtime.GC()
	debug.FreeOSMemory()

	// The live fleet watcher, in this process: Omni lists the clusters, each is reached with the
	// kubeconfig Omni issues, every request counted.
	fmt.Fprintln(out, "first complete fleet overview …")
	res.LoadOverview = loadAvg()
	log := NewRequestLog()
	cpu0, t0 := cpuTime(), time.Now()
	om, err := platform.ConnectOmni(platform.OmniOptions{Endpoint: endpoint})
	if err != nil {
		return nil, err
	}
	defer om.Close()
	w := fleet.New(fleet.Options{Omni: om, All: true,
		Connect: countingConnector{inner: fleet.OmniConnector{Omni: om, UserAgent: "cedille-tui-fleetbench"}, log: log}})
	ch, unsub := w.Subscribe()
	defer unsub()
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); w.Run(wctx) }()
	stop := func() { cancel(); <-done }
	defer stop()
	timeout := time.NewTimer(o.Timeout)
	defer timeout.Stop()
	var complete fleet.Snapshot
	var synced time.Time
	res.FirstSeen, res.FirstSynced, res.SyncedBuilt = map[string]time.Duration{}, map[string]time.Duration{}, map[string]time.Duration{}
	for synced.IsZero() {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-timeout.C:
			return nil, fmt.Errorf("no complete fleet overview after %s: %s", o.Timeout, fleetPending(w.Latest()))
		case s := <-ch:
			res.Snapshots++
			res.timeline(s, t0)
			if FleetComplete(s, o.Clusters) {
				synced, complete = time.Now(), s
			}
		}
	}
	res.FirstOverview, res.OverviewCPU = synced.Sub(t0), cpuTime()-cpu0
	for i := range res.Clusters {
		if m := complete.Inputs.Watched[res.Clusters[i].Name]; m.Snapshot != nil {
			res.Clusters[i].Judged, _ = judged(*m.Snapshot)
		}
	}
	complete = fleet.Snapshot{}
	var pubMu sync.Mutex
	published := 0
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		for range ch {
			pubMu.Lock()
			published++
			pubMu.Unlock()
		}
	}()

	res.Memory = MemoryAfterGC()

	fmt.Fprintf(out, "steady state: %s idle with the fleet watched …\n", o.Idle)
	servers := apiServerPIDs(labs)
	c0, d0, cpu0, s0 := log.Verbs(), log.Detail(), cpuTime(), serversCPU(servers)
	pubMu.Lock()
	p0 := published
	pubMu.Unlock()
	if err := sleep(ctx, o.Idle); err != nil {
		return nil, err
	}
	res.CPU, res.ServerCPU = cpuTime()-cpu0, serversCPU(servers)-s0
	res.IdleRequests, res.IdleDetail = DiffCounts(log.Verbs(), c0), DiffCounts(log.Detail(), d0)
	res.ListsAfterSync = log.ListsSince(synced)
	pubMu.Lock()
	res.Published = published - p0
	pubMu.Unlock()
	stop()
	unsub()
	<-drained

	if o.Binary != "" {
		fmt.Fprintf(out, "one-shot: %s status --fleet …\n", o.Binary)
		oneShot(ctx, o.Binary, endpoint, o.Timeout, res)
	}
	var mem []string
	for i, l := range labs {
		mem = append(mem, res.Clusters[i].Name+" "+labMemory(l))
	}
	res.ServerMemory = strings.Join(mem, "; ")
	res.LoadAfter = loadAvg()
	return res, nil
}

// timeline records what fleet snapshot s, received now, shows for the first time (times from t0).
func (r *FleetResult) timeline(s fleet.Snapshot, t0 time.Time) {
	at := time.Since(t0)
	if r.OmniRead == 0 && s.Inputs.OmniSynced {
		r.OmniRead = at
	}
	for name, m := range s.Inputs.Watched {
		if _, ok := r.FirstSeen[name]; !ok && m.Snapshot != nil {
			r.FirstSeen[name] = at
		}
		if _, ok := r.FirstSynced[name]; !ok && m.Snapshot != nil && m.Snapshot.Settled() {
			r.FirstSynced[name], r.SyncedBuilt[name] = at, m.Snapshot.At.Sub(t0)
		}
	}
}

// spread is the earliest and latest of ds, and the name of the latest.
func spread(ds map[string]time.Duration) (first, last time.Duration, lastName string) {
	for name, d := range ds {
		if first == 0 || d < first {
			first = d
		}
		if d > last {
			last, lastName = d, name
		}
	}
	return first, last, lastName
}

// FleetComplete tells whether a fleet snapshot is the complete overview of a fleet of want clusters: Omni
// read and listing want clusters, each watched, connected and with its first full picture.
func FleetComplete(s fleet.Snapshot, want int) bool {
	if !s.Settled(true) || len(s.Inputs.Omni) != want || s.Inputs.OmniErr != nil {
		return false
	}
	for _, c := range s.Inputs.Omni {
		m, ok := s.Inputs.Watched[c.Metadata().ID()]
		if !ok || m.Err != nil || m.Snapshot == nil {
			return false
		}
	}
	return true
}

// fleetPending says which clusters the overview still waits for, and why.
func fleetPending(s fleet.Snapshot) string {
	var parts []string
	if !s.Inputs.OmniSynced {
		parts = append(parts, "Omni not read")
	}
	for name, m := range s.Inputs.Watched {
		switch {
		case m.Err != nil:
			parts = append(parts, name+": "+m.Err.Error())
		case m.Snapshot == nil || !m.Snapshot.Settled():
			parts = append(parts, name+": not synced")
		}
	}
	if len(parts) == 0 {
		return fmt.Sprintf("%d clusters listed by Omni", len(s.Inputs.Omni))
	}
	return strings.Join(parts, "; ")
}

// countingConnector reaches a cluster as inner does, with every request of its watch set recorded in log.
type countingConnector struct {
	inner fleet.OmniConnector
	log   *RequestLog
}

func (c countingConnector) Connect(ctx context.Context, cluster string) (watch.Targets, error) {
	t, err := c.inner.Connect(ctx, cluster)
	if err != nil {
		return t, err
	}
	cfg := rest.CopyConfig(t.Kube.Config)
	cfg.WrapTransport = c.log.Wrap
	k, err := platform.NewKube(cfg, t.Kube.Context, "")
	if err != nil {
		return watch.Targets{}, err
	}
	t.Kube = k
	t.VaultPods = func() *watch.VaultPods { return watch.NewVaultPods(k, c.inner.VaultCACert) }
	return t, nil
}

// parallelPodLists lists every pod of each cluster at once and returns the wall time until the last
// answer, and how many pods each cluster has.
func parallelPodLists(ctx context.Context, cs []Clients) (time.Duration, []int, error) {
	counts := make([]int, len(cs))
	errs := make([]error, len(cs))
	var wg sync.WaitGroup
	start := time.Now()
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l, err := c.Typed.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
			if err != nil {
				errs[i] = err
				return
			}
			counts[i] = len(l.Items)
		}()
	}
	wg.Wait()
	return time.Since(start), counts, errors.Join(errs...)
}

// oneShot runs the binary's `status --fleet -o json` against the simulator, as a person would, and
// records its wall time, peak RSS and CPU, and what it printed.
func oneShot(ctx context.Context, binary, endpoint string, timeout time.Duration, res *FleetResult) {
	cmd := exec.CommandContext(ctx, binary, "status", "--fleet", "-o", "json", "--timeout", timeout.String())
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), platform.EnvOmniEndpoint + "=" + endpoint}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Start()
	if err == nil {
		sampled := make(chan int64)
		exited := make(chan struct{})
		go func() { sampled <- samplePeak(cmd.Process.Pid, exited) }()
		err = cmd.Wait()
		close(exited)
		res.OneShotPeakKiB = <-sampled
	}
	res.OneShot = time.Since(start)
	if cmd.ProcessState == nil {
		res.OneShotErr = fmt.Sprint(err)
		return
	}
	res.OneShotExit = cmd.ProcessState.ExitCode()
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		res.OneShotCPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	var rep fleet.Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		res.OneShotErr = fmt.Sprintf("output not a fleet report (%v): %s", err, oneLineOf(stderr.String()))
		return
	}
	res.OneShotRows = len(rep.Clusters)
	for _, row := range rep.Clusters {
		s := watch.Snapshot{}
		s.Report.Layers = row.Layers
		n, _ := judged(s)
		res.OneShotJudged += n
		if row.Unreachable != "" {
			res.OneShotErr = row.Cluster + ": " + row.Unreachable
		}
	}
}

// samplePeak reads a process's VmHWM every 10 ms until exited is closed and returns the last read: the
// peak up to at most 10 ms before it ended.
func samplePeak(pid int, exited <-chan struct{}) int64 {
	var peak int64
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
			if v, err := parseStatusKiB(string(b), "VmHWM"); err == nil {
				peak = max(peak, v)
			}
		}
		select {
		case <-exited:
			return peak
		case <-tick.C:
		}
	}
}

// tokenKubeconfig is a lab's kubeconfig using its bearer-token context, as a kubeconfig Omni issues for a
// service account does.
func tokenKubeconfig(l *lab.Lab) ([]byte, error) {
	cfg, err := clientcmd.LoadFromFile(l.KubeconfigPath())
	if err != nil {
		return nil, err
	}
	cfg.CurrentContext = lab.ContextToken
	return clientcmd.Write(*cfg)
}

// writeOmniCluster writes a running cluster of machines healthy machines into the simulator's state.
func writeOmniCluster(ctx context.Context, st state.State, name string, machines uint32) error {
	c := omni.NewCluster(name)
	c.TypedSpec().Value = &specs.ClusterSpec{TalosVersion: "1.10.5", KubernetesVersion: "1.33.2"}
	cs := omni.NewClusterStatus(name)
	cs.TypedSpec().Value = &specs.ClusterStatusSpec{
		Available: true, Ready: true, KubernetesAPIReady: true, ControlplaneReady: true, HasConnectedControlPlanes: true,
		Phase:        specs.ClusterStatusSpec_RUNNING,
		Machines:     &specs.Machines{Total: machines, Healthy: machines, Connected: machines, Requested: machines},
		TalosVersion: "1.10.5", KubernetesVersion: "1.33.2",
	}
	if err := st.Create(ctx, c); err != nil {
		return err
	}
	return st.Create(ctx, cs)
}

func apiServerPIDs(labs []*lab.Lab) []int {
	var pids []int
	for _, l := range labs {
		for _, c := range l.Status() {
			if c.Component == lab.KubeAPIServer && c.Running {
				pids = append(pids, c.PID)
			}
		}
	}
	return pids
}

func serversCPU(pids []int) time.Duration {
	var d time.Duration
	for _, p := range pids {
		d += procCPU(p)
	}
	return d
}

// labMemory is a lab's RSS, per component.
func labMemory(l *lab.Lab) string {
	var parts []string
	for _, s := range l.Status() {
		if s.Running {
			parts = append(parts, fmt.Sprintf("%s %.0f MiB", s.Component, float64(s.RSSKiB)/1024))
		}
	}
	return strings.Join(parts, ", ")
}

func fleetDownHint(dir string) string {
	return "go run ./hack/lab/cmd/lab --state " + filepath.Join(dir, "k8s-bench-N") + " down"
}

func oneLineOf(s string) string { return strings.Join(strings.Fields(s), " ") }

// PrintFleet writes the fleet's figures as a table and the details under it.
func PrintFleet(w io.Writer, r *FleetResult) {
	msf := func(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }
	pods, judgedPods := 0, 0
	for _, c := range r.Clusters {
		pods += c.Pods
		judgedPods += c.Judged
	}
	idleCPU := 100 * r.CPU.Seconds() / r.Idle.Seconds()
	total := 0
	for _, v := range r.IdleRequests {
		total += v
	}
	rows := [][2]string{
		{"fleet", fmt.Sprintf("%d clusters (real API servers, kwok), %d pods in all", len(r.Clusters), pods)},
		{"floor: a LIST of all pods on each cluster at once (protobuf, Limit 0)", msf(r.Floor)},
		{"first complete fleet overview (in-process fleet.Watcher: Omni read, every cluster synced)", msf(r.FirstOverview)},
		{"first overview / floor", fmt.Sprintf("%.2f×", float64(r.FirstOverview)/float64(r.Floor))},
		{"pods judged in it (workloads layers)", fmt.Sprintf("%d of %d", judgedPods, pods)},
		{"RSS after it (GC'd, VmRSS; omnisim in the same process)", fmt.Sprintf("%.1f MiB (anonymous %.1f)", float64(r.RSSKiB)/1024, float64(r.RSSAnonKiB)/1024)},
		{fmt.Sprintf("CPU while idle, %s (%% of one core)", r.Idle), fmt.Sprintf("%.2f %%", idleCPU)},
		{"LIST after sync (client-side, every cluster)", fmt.Sprintf("%d", r.ListsAfterSync)},
		{fmt.Sprintf("API requests while idle (client-side, %d clusters)", len(r.Clusters)), fmt.Sprintf("%.0f/min", float64(total)*60/r.Idle.Seconds())},
	}
	if r.OneShot > 0 {
		rows = append(rows,
			[2]string{"`cedille-tui status --fleet -o json` (child process, wall)", msf(r.OneShot)},
			[2]string{"  its peak RSS (VmHWM, sampled every 10 ms) / CPU", fmt.Sprintf("%.1f MiB / %s", float64(r.OneShotPeakKiB)/1024, msf(r.OneShotCPU))},
			[2]string{"  its rows / pods judged / exit", fmt.Sprintf("%d / %d / %d", r.OneShotRows, r.OneShotJudged, r.OneShotExit)})
	}
	width := 0
	for _, row := range rows {
		width = max(width, len([]rune(row[0])))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "| %s | measured |\n|%s|---|\n", pad("what", width), strings.Repeat("-", width+2))
	for _, row := range rows {
		fmt.Fprintf(w, "| %s | %s |\n", pad(row[0], width), row[1])
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "load average: %s before the floor, %s before the overview, %s after\n", r.LoadBefore, r.LoadOverview, r.LoadAfter)
	fmt.Fprintf(w, "floor runs: %s\n", joinDurations(r.FloorRuns))
	fmt.Fprintf(w, "first overview: %s of CPU here, %d fleet snapshots received\n", msf(r.OverviewCPU), r.Snapshots)
	s0, s1, _ := spread(r.FirstSeen)
	y0, y1, last := spread(r.FirstSynced)
	b0, b1, _ := spread(r.SyncedBuilt)
	fmt.Fprintf(w, "  timeline (fleet snapshots, ≥ 250 ms apart): Omni read %s; clusters' first snapshots %s–%s; synced %s–%s (last %s); "+
		"their hubs built those synced snapshots at %s–%s\n", msf(r.OmniRead), msf(s0), msf(s1), msf(y0), msf(y1), last, msf(b0), msf(b1))
	for _, c := range r.Clusters {
		fmt.Fprintf(w, "  %s: lab up %s (reused %v), fill %s (%d created), %d pods, %d judged\n",
			c.Name, c.Start.Round(time.Millisecond), c.Reused, c.Fill.Round(time.Millisecond), c.Created, c.Pods, c.Judged)
	}
	fmt.Fprintf(w, "memory: VmRSS %.1f MiB = anonymous %.1f + file-backed %.1f; Go heap in use %.1f MiB; VmHWM %.1f MiB (includes the floor's LISTs)\n",
		float64(r.RSSKiB)/1024, float64(r.RSSAnonKiB)/1024, float64(r.RSSFileKiB)/1024, float64(r.HeapInuse)/(1<<20), float64(r.PeakRSSKiB)/1024)
	fmt.Fprintf(w, "idle window %s: requests %s; by resource %s; %d fleet snapshots published; API servers' CPU %s (%.1f %% of a core)\n",
		r.Idle, FormatCounts(r.IdleRequests), FormatCounts(r.IdleDetail), r.Published, msf(r.ServerCPU), 100*r.ServerCPU.Seconds()/r.Idle.Seconds())
	if r.OneShotErr != "" {
		fmt.Fprintf(w, "one-shot: %s\n", r.OneShotErr)
	}
	fmt.Fprintf(w, "servers: %s\n", r.ServerMemory)
}
