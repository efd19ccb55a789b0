package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/ui"
	"github.com/clubcedille/cedille-tui/internal/ui/app"
	"github.com/clubcedille/cedille-tui/internal/ui/common"
	"github.com/clubcedille/cedille-tui/internal/ui/console"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
	"github.com/clubcedille/cedille-tui/internal/watch"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// BenchOptions tune Bench.
type BenchOptions struct {
	Kubeconfig string
	// Idle is the steady-state window (requests, CPU); Baseline measures one as long without the hub
	// first, to tell the hub's requests from kwok's and kube-controller-manager's.
	Idle     time.Duration
	Baseline bool
	// RenderRows nodes are put in the snapshot whose render is timed RenderIters times.
	RenderRows, RenderIters int
	// ProfileDir, when set, receives CPU profiles of each phase and a heap profile after sync.
	ProfileDir string
	// ShowFrame prints the first complete frame (without colours).
	ShowFrame bool
	// TextPages says how the binary's code is mapped (printed with the memory figures).
	TextPages string
	// APIServerPID, when set, is the API server's process: its CPU time is measured too.
	APIServerPID int
	// Servers, when set, describes the servers' memory (the lab's RSS per component).
	Servers func() string
	Out     io.Writer
}

// BenchResult holds the figures Bench measured.
type BenchResult struct {
	Pods, Nodes int

	Floor      time.Duration   // first LIST of all pods
	FloorRuns  []time.Duration // that and the next ones
	FirstFrame time.Duration
	// Timeline of the first frame, from the start.
	SourceSynced, SnapshotBuilt, SnapshotReceived time.Duration
	FrameWork                                     time.Duration // Update + Render of that snapshot
	// FrameCPU is the process's CPU time (user + system, every goroutine) from the start to the first
	// frame: less sensitive than the wall time to what else the machine runs.
	FrameCPU time.Duration
	// FloorCPU and FloorServerCPU are this process's and the API server's CPU time in the floor's first
	// LIST; FrameServerCPU the API server's up to the first frame.
	FloorCPU, FloorServerCPU, FrameServerCPU time.Duration
	SnapshotsBefore                          int
	Frame                                    string
	// PodsJudged is how many pods the first frame's snapshot judged (its workloads layer's Pods/all), and
	// Census that finding's reason.
	PodsJudged int
	Census     string

	Memory

	Idle             time.Duration
	Window, Baseline RequestCounts
	HubRequests      map[string]int // client-side, in the window
	HubDetail        map[string]int
	ListsAfterSync   int // client-side, from sync to the end of the window
	CPU              time.Duration
	Published        int // snapshots the console drew during the window
	ConsoleWork      time.Duration

	RenderRows                        int
	RenderP50, RenderP95, RenderMax   time.Duration // the node table page in the shell
	SnapshotUpdate                    time.Duration // Update(SnapshotMsg) with RenderRows nodes
	RootP50, RootUpdate               time.Duration // the console's first page (ui.NewConsole), same snapshot
	LoadBefore, LoadAfter             string
	HeaderLine, ServerMemory, Warning string
	TextPages                         string
}

// Memory is the process's memory, as Bench and FleetBench report it.
type Memory struct {
	RSSKiB, PeakRSSKiB     int64
	RSSAnonKiB, RSSFileKiB int64
	// FilePmdKiB is the part of RSSFileKiB the kernel maps in 2 MiB pages (large folios of the page cache):
	// the whole 2 MiB counts as soon as a byte of it is touched.
	FilePmdKiB int64
	HeapInuse  uint64
}

// MemoryAfterGC collects garbage, returns the freed memory to the system, then reads the process's memory.
func MemoryAfterGC() Memory {
	runtime.GC()
	debug.FreeOSMemory()
	var m Memory
	m.RSSKiB, _ = procStatusKiB("VmRSS")
	m.PeakRSSKiB, _ = procStatusKiB("VmHWM")
	m.RSSAnonKiB, _ = procStatusKiB("RssAnon")
	m.RSSFileKiB, _ = procStatusKiB("RssFile")
	m.FilePmdKiB, _ = procFileKiB("/proc/self/smaps_rollup", "FilePmdMapped")
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m.HeapInuse = ms.HeapInuse
	return m
}

// notifyRecorder passes a source through, remembering when it notified and when it first reported
// itself synced.
type notifyRecorder struct {
	watch.Source
	mu         sync.Mutex
	notifies   []time.Time
	syncedFill time.Time
}

func (r *notifyRecorder) Run(ctx context.Context, notify func()) {
	r.Source.Run(ctx, func() {
		r.mu.Lock()
		r.notifies = append(r.notifies, time.Now())
		r.mu.Unlock()
		notify()
	})
}

func (r *notifyRecorder) Fill(s *watch.Snapshot) {
	r.Source.Fill(s)
	if s.Sources[r.Name()].Synced {
		r.mu.Lock()
		if r.syncedFill.IsZero() {
			r.syncedFill = time.Now()
		}
		r.mu.Unlock()
	}
}

// Synced passes the source's own report on, so that the hub publishes its first synced snapshot at once
// as it does for the source unwrapped.
func (r *notifyRecorder) Synced() bool {
	s, ok := r.Source.(interface{ Synced() bool })
	return ok && s.Synced()
}

// syncedAt is the last notification before the first synced Fill: the source's sync.
func (r *notifyRecorder) syncedAt() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	var t time.Time
	for _, n := range r.notifies {
		if !n.After(r.syncedFill) {
			t = n
		}
	}
	return t
}

// Bench measures the console against the cluster of o.Kubeconfig (filled by loadgen).
func Bench(ctx context.Context, o BenchOptions) (*BenchResult, error) {
	out := o.Out
	if out == nil {
		out = io.Discard
	}
	res := &BenchResult{Idle: o.Idle, RenderRows: o.RenderRows, LoadBefore: loadAvg(), TextPages: o.TextPages}
	cfg, _, err := platform.LoadKubeConfig(platform.KubeOptions{Kubeconfig: o.Kubeconfig}, platform.MapLookup(nil))
	if err != nil {
		return nil, err
	}
	admin, err := NewClients(cfg, 100, 200)
	if err != nil {
		return nil, err
	}
	metricsClient := admin.Typed.CoreV1().RESTClient()
	if _, err := admin.Typed.Discovery().ServerVersion(); err != nil {
		return nil, fmt.Errorf("API server: %w", err)
	}
	nodes, err := admin.Typed.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	res.Nodes = len(nodes.Items)

	// Floor: one raw LIST of every pod, protobuf, no paging — what any client pays to see them. A page of
	// pods first runs the code that decodes them, so that the floor does not pay for reading that code
	// from the disk (after textpages.MapSmall dropped it from the page cache) while the first frame does not.
	if _, err := admin.Typed.CoreV1().Pods("").List(ctx, metav1.ListOptions{Limit: 100}); err != nil {
		return nil, fmt.Errorf("list pods: %w", err)
	}
	fmt.Fprintln(out, "floor: LIST all pods …")
	for i := 0; i < 3; i++ {
		cpu, server, start := cpuTime(), procCPU(o.APIServerPID), time.Now()
		l, err := admin.Typed.CoreV1().Pods("").List(ctx, metav1.ListOptions{Limit: 0})
		d := time.Since(start)
		if i == 0 {
			res.FloorCPU, res.FloorServerCPU = cpuTime()-cpu, procCPU(o.APIServerPID)-server
		}
		if err != nil {
			return nil, fmt.Errorf("list pods: %w", err)
		}
		res.Pods = len(l.Items)
		res.FloorRuns = append(res.FloorRuns, d)
	}
	res.Floor = res.FloorRuns[0]
	if res.Pods < 1000 {
		res.Warning = fmt.Sprintf("only %d pods: fill the cluster first (go run ./hack/loadgen)", res.Pods)
	}
	runtime.GC()
	debug.FreeOSMemory()

	if o.Baseline {
		fmt.Fprintf(out, "baseline: %s idle without the hub …\n", o.Idle)
		before, err := scrapeRequestTotals(ctx, metricsClient)
		if err != nil {
			return nil, err
		}
		if err := sleep(ctx, o.Idle); err != nil {
			return nil, err
		}
		after, err := scrapeRequestTotals(ctx, metricsClient)
		if err != nil {
			return nil, err
		}
		res.Baseline = after.Sub(before).WithoutScrapes()
	}

	// First frame: connect, hub over the Kubernetes source, console at 80×24, fed snapshot by snapshot
	// until one whose Kubernetes source is synced has been drawn.
	fmt.Fprintln(out, "first frame …")
	stopProfile := startCPUProfile(o.ProfileDir, "firstframe")
	log := NewRequestLog()
	cpu0, server0, t0 := cpuTime(), procCPU(o.APIServerPID), time.Now()
	kube, err := log.Kube(o.Kubeconfig, "cedille-tui-bench") // counts the hub's own requests
	if err != nil {
		return nil, err
	}
	rec := &notifyRecorder{Source: watch.NewKubeSource(kube)}
	hub := watch.NewHub(watch.HubOptions{Platform: "lab"}, rec)
	ch, unsub := hub.Subscribe()
	defer unsub()
	m := ui.NewConsole(ui.ConsoleOptions{Snapshots: ch, Color: true})
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	hctx, cancel := context.WithCancel(ctx)
	hubDone := make(chan struct{})
	go func() { hub.Run(hctx); close(hubDone) }()
	stopHub := func() {
		cancel()
		<-hubDone
	}
	defer stopHub()

	timeout := time.NewTimer(5 * time.Minute)
	defer timeout.Stop()
	var synced time.Time
	for synced.IsZero() {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-timeout.C:
			return nil, fmt.Errorf("no synced snapshot after 5 minutes")
		case s := <-ch:
			recv := time.Now()
			res.SnapshotsBefore++
			m.Update(common.SnapshotMsg{Snapshot: s})
			frame := m.Render()
			if st := s.Sources[platform.SourceKubernetes]; st.Synced {
				synced = time.Now()
				res.FirstFrame = synced.Sub(t0)
				res.FrameCPU, res.FrameServerCPU = cpuTime()-cpu0, procCPU(o.APIServerPID)-server0
				res.SnapshotBuilt = s.At.Sub(t0)
				res.SnapshotReceived = recv.Sub(t0)
				res.FrameWork = synced.Sub(recv)
				res.Frame = frame
				res.PodsJudged, res.Census = judged(s)
				if st.Err != nil {
					res.Warning = "Kubernetes source error at sync: " + st.Err.Error()
				}
			}
		}
	}
	stopProfile()
	res.SourceSynced = rec.syncedAt().Sub(t0)
	if err := checkFrame(res.Frame, 80, 24); err != nil {
		return nil, fmt.Errorf("first frame incomplete: %w", err)
	}
	res.HeaderLine = strings.TrimSpace(ansi.Strip(strings.SplitN(res.Frame, "\n", 2)[0]))

	// From now on the console keeps drawing every snapshot the hub publishes, as on a terminal.
	var consoleMu sync.Mutex
	published, work := 0, time.Duration(0)
	consoleDone := make(chan struct{})
	go func() {
		defer close(consoleDone)
		for s := range ch {
			start := time.Now()
			m.Update(common.SnapshotMsg{Snapshot: s})
			_ = m.Render()
			consoleMu.Lock()
			published++
			work += time.Since(start)
			consoleMu.Unlock()
		}
	}()

	// Memory after sync, garbage collected.
	res.Memory = MemoryAfterGC()
	writeHeapProfile(o.ProfileDir, "heap-after-sync")

	// Steady state: requests and CPU over the idle window.
	fmt.Fprintf(out, "steady state: %s idle with the hub running …\n", o.Idle)
	stopProfile = startCPUProfile(o.ProfileDir, "idle")
	before, err := scrapeRequestTotals(ctx, metricsClient)
	if err != nil {
		return nil, err
	}
	c0, d0, cpu0 := log.Verbs(), log.Detail(), cpuTime()
	consoleMu.Lock()
	p0, w0 := published, work
	consoleMu.Unlock()
	if err := sleep(ctx, o.Idle); err != nil {
		return nil, err
	}
	cpu1, c1, d1 := cpuTime(), log.Verbs(), log.Detail()
	consoleMu.Lock()
	p1, w1 := published, work
	consoleMu.Unlock()
	after, err := scrapeRequestTotals(ctx, metricsClient)
	if err != nil {
		return nil, err
	}
	stopProfile()
	res.Window = after.Sub(before).WithoutScrapes()
	res.HubRequests, res.HubDetail = DiffCounts(c1, c0), DiffCounts(d1, d0)
	res.ListsAfterSync = log.ListsSince(synced)
	res.CPU = cpu1 - cpu0
	res.Published, res.ConsoleWork = p1-p0, w1-w0

	latest := hub.Latest()
	stopHub()
	unsub()
	<-consoleDone

	// Render with RenderRows nodes: the lab's nodes cloned under new names.
	if o.RenderRows > 0 && len(latest.Nodes) > 0 {
		fmt.Fprintf(out, "render: %d rows …\n", o.RenderRows)
		stopProfile = startCPUProfile(o.ProfileDir, "render")
		big := bigSnapshot(latest, o.RenderRows)
		t := theme.New(true, true)
		nodes := app.New(app.Options{Theme: t, Root: console.NewNodes(t)})
		res.SnapshotUpdate, res.RenderP50, res.RenderP95, res.RenderMax = timeRender(nodes, big, max(o.RenderIters, 1))
		stopProfile()
		res.RootUpdate, res.RootP50, _, _ = timeRender(ui.NewConsole(ui.ConsoleOptions{Color: true}), big, max(o.RenderIters, 1))
	}
	if o.Servers != nil {
		res.ServerMemory = o.Servers()
	}
	res.LoadAfter = loadAvg()
	return res, nil
}

// judged is how many pods a snapshot's workloads layer judged, from its Pods/all finding ("10000 pods:
// …"), and that finding's reason.
func judged(s watch.Snapshot) (int, string) {
	l, _ := s.Report.Layer(health.LayerWorkloads)
	for _, f := range l.Findings {
		if f.Object == health.PodsObject {
			n, _ := strconv.Atoi(strings.Fields(f.Reason)[0])
			return n, f.Reason
		}
	}
	return 0, ""
}

// bigSnapshot is base with rows nodes: its nodes cloned under new names, every layer evaluated again.
func bigSnapshot(base watch.Snapshot, rows int) watch.Snapshot {
	s := base
	s.Nodes = make([]*corev1.Node, 0, rows)
	for i := 0; i < rows; i++ {
		n := base.Nodes[i%len(base.Nodes)].DeepCopy()
		n.Name = fmt.Sprintf("worker-%05d", i+1)
		s.Nodes = append(s.Nodes, n)
	}
	s.Report = watch.Evaluate(s)
	return s
}

// timeRender times snapshot s reaching the 80×24 model m, then iters renders of it.
func timeRender(m *app.Model, s watch.Snapshot, iters int) (update, p50, p95, worst time.Duration) {
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	start := time.Now()
	m.Update(common.SnapshotMsg{Snapshot: s})
	update = time.Since(start)
	for i := 0; i < 5; i++ {
		_ = m.Render()
	}
	ds := make([]time.Duration, iters)
	for i := range ds {
		start := time.Now()
		_ = m.Render()
		ds[i] = time.Since(start)
	}
	slices.Sort(ds)
	return update, ds[len(ds)/2], ds[min(len(ds)-1, len(ds)*95/100)], ds[len(ds)-1]
}

// checkFrame verifies a frame is exactly w×h cells.
func checkFrame(frame string, w, h int) error {
	lines := strings.Split(frame, "\n")
	if len(lines) != h {
		return fmt.Errorf("%d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if got := ansi.StringWidth(l); got != w {
			return fmt.Errorf("line %d is %d cells wide, want %d", i+1, got, w)
		}
	}
	return nil
}

func startCPUProfile(dir, name string) func() {
	if dir == "" {
		return func() {}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return func() {}
	}
	f, err := os.Create(filepath.Join(dir, name+".cpu.pprof"))
	if err != nil {
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

func writeHeapProfile(dir, name string) {
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return
	}
	f, err := os.Create(filepath.Join(dir, name+".pprof"))
	if err != nil {
		return
	}
	defer f.Close()
	_ = pprof.WriteHeapProfile(f)
}

// Targets of the issues: the first frame against the floor, RSS (100 MB with 10 000 pods watched, 150 MB
// with 30 000), idle CPU, the render of a big table.
const (
	targetRatio    = 1.5
	targetRenderMS = 5.0
	targetIdleCPU  = 1.0 // % of one core
)

// targetRSSMB is the RSS target for a cluster of pods pods.
func targetRSSMB(pods int) float64 {
	if pods <= 10000 {
		return 100
	}
	return 150
}

// PrintBench writes the result as a table and the details under it.
func PrintBench(w io.Writer, r *BenchResult) {
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }
	perMin := 60 / r.Idle.Seconds()
	verdict := func(ok bool, miss string) string {
		if ok {
			return "ok"
		}
		return "MISSED " + miss
	}
	ratio := float64(r.FirstFrame) / float64(r.Floor)
	rssMiB, anonMiB := float64(r.RSSKiB)/1024, float64(r.RSSAnonKiB)/1024
	targetRSS := targetRSSMB(r.Pods)
	idleCPU := 100 * r.CPU.Seconds() / r.Idle.Seconds()
	hubTotal := 0
	for _, v := range r.HubRequests {
		hubTotal += v
	}
	win, base := r.Window.ByVerb(), r.Baseline.ByVerb()
	reads := func(m map[string]float64) float64 { return m["GET"] + m["LIST"] + m["WATCH"] }
	serverAll := fmt.Sprintf("%.0f/min", r.Window.Total()*perMin)
	serverHub, listLine := "n/a (--baseline=false)", "n/a"
	if r.Baseline != nil {
		serverAll += fmt.Sprintf(" (%.0f/min without the hub)", r.Baseline.Total()*perMin)
		serverHub = fmt.Sprintf("%+.0f/min", (reads(win)-reads(base))*perMin)
		listLine = fmt.Sprintf("%+.0f", win["LIST"]-base["LIST"])
	}
	rows := [][4]string{
		{"cluster", fmt.Sprintf("%d nodes, %d pods", r.Nodes, r.Pods), "", ""},
		{"floor: one LIST of all pods (protobuf, Limit 0)", ms(r.Floor), "reference", ""},
		{"first frame (hub + console, 80×24, Kubernetes synced, every pod judged)", ms(r.FirstFrame), "", ""},
		{"first frame / floor", fmt.Sprintf("%.2f×", ratio), "≤ 1.5×",
			verdict(ratio <= targetRatio, fmt.Sprintf("by %.2f× (%s over 1.5× floor)", ratio-targetRatio,
				ms(r.FirstFrame-time.Duration(targetRatio*float64(r.Floor)))))},
		{"pods judged in the first frame (workloads layer)", fmt.Sprintf("%d of %d", r.PodsJudged, r.Pods), "all",
			verdict(r.PodsJudged == r.Pods, fmt.Sprintf("by %d", r.Pods-r.PodsJudged))},
		{"RSS after sync (GC'd, VmRSS)", fmt.Sprintf("%.1f MiB = %.1f MB", rssMiB, rssMiB*1.048576), fmt.Sprintf("≤ %.0f MB", targetRSS),
			verdict(rssMiB*1.048576 <= targetRSS, fmt.Sprintf("by %.1f MB", rssMiB*1.048576-targetRSS))},
		{"  of which anonymous (the process's own memory)", fmt.Sprintf("%.1f MiB = %.1f MB", anonMiB, anonMiB*1.048576), "", ""},
		{"API requests, steady state (hub, counted client-side)", fmt.Sprintf("%.0f/min", float64(hubTotal)*perMin), "", ""},
		{"API requests, steady state (apiserver, all clients)", serverAll, "", ""},
		{"GET+LIST+WATCH (apiserver, window − baseline)", serverHub, "", ""},
		{"LIST after sync (hub, counted client-side)", fmt.Sprintf("%d", r.ListsAfterSync), "0",
			verdict(r.ListsAfterSync == 0, fmt.Sprintf("by %d", r.ListsAfterSync))},
		{"LIST in the idle window (apiserver, window − baseline)", listLine, "0", ""},
		{"CPU while idle (% of one core)", fmt.Sprintf("%.2f %%", idleCPU), "≤ 1 %",
			verdict(idleCPU <= targetIdleCPU, fmt.Sprintf("by %.2f %%", idleCPU-targetIdleCPU))},
		{fmt.Sprintf("render, node table of %d rows (p50 / p95 / max)", r.RenderRows),
			ms(r.RenderP50) + " / " + ms(r.RenderP95) + " / " + ms(r.RenderMax), "≤ 5 ms",
			verdict(float64(r.RenderP95)/float64(time.Millisecond) <= targetRenderMS, fmt.Sprintf("by %s (p95)", ms(r.RenderP95-5*time.Millisecond)))},
		{fmt.Sprintf("snapshot of %d nodes reaching the node table", r.RenderRows), ms(r.SnapshotUpdate), "", ""},
		{fmt.Sprintf("first page (ui.NewConsole), %d nodes: update / render p50", r.RenderRows), ms(r.RootUpdate) + " / " + ms(r.RootP50), "", ""},
	}
	width := [3]int{}
	for _, row := range rows {
		for i := 0; i < 3; i++ {
			width[i] = max(width[i], len([]rune(row[i])))
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "| %s | %s | %s | verdict |\n", pad("what", width[0]), pad("measured", width[1]), pad("target", width[2]))
	fmt.Fprintf(w, "|%s|%s|%s|---|\n", strings.Repeat("-", width[0]+2), strings.Repeat("-", width[1]+2), strings.Repeat("-", width[2]+2))
	for _, row := range rows {
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", pad(row[0], width[0]), pad(row[1], width[1]), pad(row[2], width[2]), row[3])
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "load average: %s before, %s after\n", r.LoadBefore, r.LoadAfter)
	fmt.Fprintf(w, "floor runs: %s\n", joinDurations(r.FloorRuns))
	fmt.Fprintf(w, "first frame timeline: source synced %s, synced snapshot built %s, received %s, drawn %s (Update+Render %s); %d earlier snapshots drawn\n",
		ms(r.SourceSynced), ms(r.SnapshotBuilt), ms(r.SnapshotReceived), ms(r.FirstFrame), ms(r.FrameWork), r.SnapshotsBefore-1)
	fmt.Fprintf(w, "CPU (user+system): first frame %s here + %s in the API server; floor's first LIST %s here + %s in the API server\n",
		ms(r.FrameCPU), ms(r.FrameServerCPU), ms(r.FloorCPU), ms(r.FloorServerCPU))
	fmt.Fprintf(w, "workloads census in the first frame: %s\n", r.Census)
	fmt.Fprintf(w, "memory: VmRSS %.1f MiB = anonymous %.1f + file-backed (binary text) %.1f, of which %.1f mapped in 2 MiB pages; Go heap in use %.1f MiB; VmHWM %.1f MiB (peak, includes the floor LISTs)\n",
		rssMiB, float64(r.RSSAnonKiB)/1024, float64(r.RSSFileKiB)/1024, float64(r.FilePmdKiB)/1024, float64(r.HeapInuse)/(1<<20), float64(r.PeakRSSKiB)/1024)
	if r.TextPages != "" {
		fmt.Fprintf(w, "binary's code and read-only data: %s\n", r.TextPages)
	}
	fmt.Fprintf(w, "idle window %s, hub requests (client-side): %s\n", r.Idle, FormatCounts(r.HubRequests))
	fmt.Fprintf(w, "  by resource: %s\n", FormatCounts(r.HubDetail))
	fmt.Fprintf(w, "  apiserver, window: %s\n", FormatCounts(win))
	if r.Baseline != nil {
		fmt.Fprintf(w, "  apiserver, baseline without the hub: %s\n", FormatCounts(base))
		fmt.Fprintf(w, "  apiserver, top series of the window: %s\n", strings.Join(r.Window.Top(6), " "))
	}
	fmt.Fprintf(w, "  (apiserver_request_total does not count /version, the hub's 3 s probe: see the client-side count)\n")
	fmt.Fprintf(w, "  console drew %d snapshots in the window (%.1f/s), %s of Update+Render in all\n",
		r.Published, float64(r.Published)/r.Idle.Seconds(), ms(r.ConsoleWork))
	if r.ServerMemory != "" {
		fmt.Fprintf(w, "servers: %s\n", r.ServerMemory)
	}
	if r.Warning != "" {
		fmt.Fprintf(w, "WARNING: %s\n", r.Warning)
	}
}

// loadAvg is /proc/loadavg's first three fields.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func pad(s string, n int) string {
	return s + strings.Repeat(" ", max(n-len([]rune(s)), 0))
}

func joinDurations(ds []time.Duration) string {
	parts := make([]string, 0, len(ds))
	for _, d := range ds {
		parts = append(parts, fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)))
	}
	return strings.Join(parts, ", ")
}

func ansiStrip(s string) string { return ansi.Strip(s) }
