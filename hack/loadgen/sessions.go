package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/clubcedille/cedille-tui/internal/access"
	"github.com/clubcedille/cedille-tui/internal/audit"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/serve"
	"github.com/clubcedille/cedille-tui/internal/watch"
	gossh "golang.org/x/crypto/ssh"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// SessionsOptions tune Sessions.
type SessionsOptions struct {
	Kubeconfig string
	// Steps are the numbers of live sessions measured, ascending (1, 10, 50): sessions are added to
	// reach each one, all of a step's new ones opened at once.
	Steps []int
	// Idle is the window over which the hub's API requests are counted at the first and the last step.
	Idle time.Duration
	// Width and Height are each session's terminal.
	Width, Height int
	Out           io.Writer
}

// SessionsStep is what one step measured.
type SessionsStep struct {
	Sessions int
	// FirstFrames are the step's new sessions' times from dialling to the console's header on their
	// screen, sorted.
	FirstFrames []time.Duration
	// HeapInuse is runtime.MemStats.HeapInuse after a GC, every session live and drawing.
	HeapInuse uint64
	RSSKiB    int64
	// Requests is the hub's API requests (client-side) in an Idle window at this step (nil: not
	// measured), and Published the snapshots the hub published in it.
	Requests  map[string]int
	Published int
	// CPU is this process's CPU time (user + system) over that window: the hub and every session's
	// program, SSH server and client.
	CPU time.Duration
}

// SessionsResult holds the figures Sessions measured.
type SessionsResult struct {
	Pods, Nodes int
	Synced      time.Duration // the hub's Kubernetes source synced, before any session
	Idle        time.Duration
	Steps       []SessionsStep
	Header      string
	LoadBefore  string
	LoadAfter   string
}

// Sessions serves the console over SSH (internal/serve, the terminal handler `cedille-tui serve` uses)
// from one hub over the cluster of o.Kubeconfig, opens SSH sessions with pseudo-terminals to it from
// golang.org/x/crypto/ssh clients on 127.0.0.1, and measures each step: time to each session's first
// frame, the process's heap, and the hub's API requests. The clients run in this process: the heap
// figures hold both ends of each connection, an upper bound of the server's share.
func Sessions(ctx context.Context, o SessionsOptions) (*SessionsResult, error) {
	out := o.Out
	if out == nil {
		out = io.Discard
	}
	if len(o.Steps) == 0 || !slices.IsSorted(o.Steps) || o.Steps[0] < 1 {
		return nil, fmt.Errorf("steps %v: ascending numbers of sessions, from 1", o.Steps)
	}
	res := &SessionsResult{Idle: o.Idle, LoadBefore: loadAvg()}
	const platformName = "loadgen lab"
	res.Header = platformName

	log := NewRequestLog()
	kube, err := log.Kube(o.Kubeconfig, "cedille-tui-sessions")
	if err != nil {
		return nil, err
	}
	if n, err := kube.Typed.CoreV1().Nodes().List(ctx, metav1.ListOptions{}); err == nil {
		res.Nodes = len(n.Items)
	}
	if p, err := kube.Typed.CoreV1().Pods("").List(ctx, metav1.ListOptions{}); err == nil {
		res.Pods = len(p.Items)
	}
	runtime.GC()
	debug.FreeOSMemory()

	hub := watch.NewHub(watch.HubOptions{Platform: platformName}, watch.NewKubeSource(kube))
	hctx, cancel := context.WithCancel(ctx)
	hubDone := make(chan struct{})
	go func() { defer close(hubDone); hub.Run(hctx) }()
	defer func() { cancel(); <-hubDone }()

	// The hub synced before the first session, as in a server that has been up a while.
	fmt.Fprintln(out, "hub: syncing …")
	t0 := time.Now()
	ch, unsub := hub.Subscribe()
	published := 0
	var pubMu sync.Mutex
	for synced := false; !synced; {
		select {
		case <-ctx.Done():
			unsub()
			return nil, ctx.Err()
		case s := <-ch:
			synced = s.Sources[platform.SourceKubernetes].Synced
		}
	}
	res.Synced = time.Since(t0)
	counted := make(chan struct{})
	go func() { // counts what the hub publishes, as one more subscriber
		defer close(counted)
		for range ch {
			pubMu.Lock()
			published++
			pubMu.Unlock()
		}
	}()
	defer func() { unsub(); <-counted }()

	users, signers, err := sessionUsers(o.Steps[len(o.Steps)-1])
	if err != nil {
		return nil, err
	}
	acc, err := access.Parse(users, "sessions access")
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "cedille-sessions-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	hk, err := serve.LoadOrCreateHostKey(filepath.Join(dir, "host_key"))
	if err != nil {
		return nil, err
	}
	srv, err := serve.New(serve.Options{HostKey: hk, Access: acc, Terminal: serve.ConsoleTerminal(hub, nil),
		MaxSessions: max(64, len(signers)), Audit: func(audit.Record) error { return nil }})
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	defer func() { srv.Close(); <-served }()

	var clients []*gossh.Client
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	for i, n := range o.Steps {
		fmt.Fprintf(out, "%d sessions …\n", n)
		from := len(clients)
		opened := make([]*gossh.Client, n-from)
		frames := make([]time.Duration, n-from)
		errs := make([]error, n-from)
		var wg sync.WaitGroup
		for j := range opened {
			wg.Go(func() {
				opened[j], frames[j], errs[j] = openSession(ctx, l.Addr().String(), signers[from+j], o.Width, o.Height, platformName)
			})
		}
		wg.Wait()
		for _, c := range opened {
			if c != nil {
				clients = append(clients, c)
			}
		}
		for _, err := range errs {
			if err != nil {
				return nil, err
			}
		}
		if live := srv.Sessions(); live != n {
			return nil, fmt.Errorf("%d sessions live, expected %d", live, n)
		}
		slices.Sort(frames)
		step := SessionsStep{Sessions: n, FirstFrames: frames}
		if i == 0 || i == len(o.Steps)-1 {
			fmt.Fprintf(out, "  %s idle with %d sessions drawing …\n", o.Idle, n)
			pubMu.Lock()
			p0 := published
			pubMu.Unlock()
			r0, cpu0 := log.Detail(), cpuTime()
			if err := sleep(ctx, o.Idle); err != nil {
				return nil, err
			}
			step.CPU = cpuTime() - cpu0
			step.Requests = DiffCounts(log.Detail(), r0)
			pubMu.Lock()
			step.Published = published - p0
			pubMu.Unlock()
		}
		runtime.GC()
		debug.FreeOSMemory()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		step.HeapInuse = ms.HeapInuse
		step.RSSKiB, _ = procStatusKiB("VmRSS")
		res.Steps = append(res.Steps, step)
	}
	res.LoadAfter = loadAvg()
	return res, nil
}

// sessionUsers is an access file of n viewers, user-01…, each with a fresh Ed25519 key, and their
// signers.
func sessionUsers(n int) ([]byte, []gossh.Signer, error) {
	var b strings.Builder
	b.WriteString("users:\n")
	signers := make([]gossh.Signer, n)
	for i := range n {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, nil, err
		}
		if signers[i], err = gossh.NewSignerFromKey(priv); err != nil {
			return nil, nil, err
		}
		key := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(signers[i].PublicKey())))
		fmt.Fprintf(&b, "  - {name: user-%02d, role: viewer, keys: [%q]}\n", i+1, key)
	}
	return []byte(b.String()), signers, nil
}

// firstFrame is a session's output: it watches for the header until seen, then only discards (the
// session keeps reading what the console draws, as a terminal would).
type firstFrame struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	header string
	seen   chan struct{}
	done   bool
}

func (f *firstFrame) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.done {
		return len(p), nil
	}
	f.buf.Write(p)
	if strings.Contains(ansi.Strip(f.buf.String()), f.header) {
		f.done = true
		f.buf = bytes.Buffer{}
		close(f.seen)
	}
	return len(p), nil
}

// openSession dials addr as signer's user, asks for a w×h pseudo-terminal and the console, and returns
// the client and how long the header took to appear from the dial.
func openSession(ctx context.Context, addr string, signer gossh.Signer, w, h int, header string) (*gossh.Client, time.Duration, error) {
	start := time.Now()
	c, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{User: "bench", Auth: []gossh.AuthMethod{gossh.PublicKeys(signer)},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 30 * time.Second})
	if err != nil {
		return nil, 0, err
	}
	s, err := c.NewSession()
	if err != nil {
		c.Close()
		return nil, 0, err
	}
	screen := &firstFrame{header: header, seen: make(chan struct{})}
	s.Stdout, s.Stderr = screen, screen
	if _, err := s.StdinPipe(); err != nil { // open, never written: the person reads
		c.Close()
		return nil, 0, err
	}
	if err := s.RequestPty("xterm-256color", h, w, gossh.TerminalModes{}); err != nil {
		c.Close()
		return nil, 0, err
	}
	if err := s.Shell(); err != nil {
		c.Close()
		return nil, 0, err
	}
	select {
	case <-screen.seen:
		return c, time.Since(start), nil
	case <-ctx.Done():
		c.Close()
		return nil, 0, ctx.Err()
	case <-time.After(2 * time.Minute):
		c.Close()
		return nil, 0, fmt.Errorf("no console header %q within 2 minutes", header)
	}
}

// ParseSteps reads a list of session counts ("1,10,50"): ascending, each at least 1.
func ParseSteps(s string) ([]int, error) {
	var steps []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("--sessions %q: numbers of sessions from 1, comma-separated", s)
		}
		if len(steps) > 0 && n <= steps[len(steps)-1] {
			return nil, fmt.Errorf("--sessions %q: ascending", s)
		}
		steps = append(steps, n)
	}
	return steps, nil
}

// Percentile is the p-th percentile (0–100, nearest rank) of sorted durations; 0 for none.
func Percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := (p*len(sorted) + 99) / 100 // ceil(p/100 × n)
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// PerExtraSession is the heap each session past the first adds: (last − first) / (sessions − 1).
func PerExtraSession(first, last SessionsStep) (float64, bool) {
	if last.Sessions <= first.Sessions {
		return 0, false
	}
	return (float64(last.HeapInuse) - float64(first.HeapInuse)) / float64(last.Sessions-first.Sessions), true
}

// PrintSessions writes the figures.
func PrintSessions(w io.Writer, r *SessionsResult) {
	fmt.Fprintf(w, "cluster: %d nodes, %d pods; hub synced in %s before the first session; load %s → %s\n",
		r.Nodes, r.Pods, r.Synced.Round(time.Millisecond), r.LoadBefore, r.LoadAfter)
	fmt.Fprintf(w, "%-9s %-36s %-12s %-10s %s\n", "sessions", "first frame p50 / p95 / max", "heap in use", "RSS", "hub requests in "+r.Idle.String())
	for _, s := range r.Steps {
		reqs := "-"
		if s.Requests != nil {
			total := 0
			for _, v := range s.Requests {
				total += v
			}
			reqs = fmt.Sprintf("%d (%s; %d snapshots published; CPU %.1f %% of a core)", total, FormatCounts(s.Requests), s.Published,
				100*s.CPU.Seconds()/r.Idle.Seconds())
		}
		ff := s.FirstFrames
		fmt.Fprintf(w, "%-9d %-36s %-12s %-10s %s\n", s.Sessions,
			fmt.Sprintf("%s / %s / %s (%d new)", ms(Percentile(ff, 50)), ms(Percentile(ff, 95)), ms(Percentile(ff, 100)), len(ff)),
			mib(int64(s.HeapInuse)), mib(s.RSSKiB*1024), reqs)
	}
	if len(r.Steps) > 1 {
		first, last := r.Steps[0], r.Steps[len(r.Steps)-1]
		if per, ok := PerExtraSession(first, last); ok {
			fmt.Fprintf(w, "heap per extra session: (%s − %s) / %d = %.2f MiB (both ends of each SSH connection)\n",
				mib(int64(last.HeapInuse)), mib(int64(first.HeapInuse)), last.Sessions-first.Sessions, per/(1<<20))
		}
	}
}

func ms(d time.Duration) string { return d.Round(100 * time.Microsecond).String() }

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
