package fleet

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/watch"
)

// Options shape a Watcher.
type Options struct {
	// Connect reaches each cluster (OmniConnector, or the demo's fleet).
	Connect Connector
	// Omni lists the fleet's clusters; nil leaves the fleet to the clusters asked for by name (Open).
	Omni *platform.Omni
	// All starts every cluster's watch set as soon as Omni lists it (the overview, `status --fleet`);
	// otherwise a cluster is watched once it is opened.
	All  bool
	Demo bool
	// MinInterval is the shortest time between two fleet snapshots (default 250ms).
	MinInterval time.Duration
	// RetryMin and RetryMax bound the wait before a cluster that could not be reached is tried again.
	RetryMin, RetryMax time.Duration
	Clock              func() time.Time
}

// Snapshot is the fleet at one time: what was judged and the verdict. Immutable.
type Snapshot struct {
	Seq    uint64
	At     time.Time
	Inputs Inputs
	Report Report
}

// Watcher watches the fleet: Omni's clusters, and one watch.Hub per cluster looked at.
type Watcher struct {
	opts  Options
	omni  *watch.Hub
	dirty chan struct{}
	// urgent: a cluster had its first complete picture — published at once, not after MinInterval.
	urgent chan struct{}

	mu      sync.Mutex
	ctx     context.Context
	members map[string]*member
	hub     string
	argo    []ArgoCluster
	argoKey string
	// argoRead is when the registrations were last read; argoTried when each cluster was last asked.
	argoRead  time.Time
	argoTried map[string]time.Time

	out *watch.Fanout[Snapshot]
	seq uint64 // only Run's goroutine publishes
}

type member struct {
	name    string
	targets watch.Targets
	hub     *watch.Hub
	ready   chan struct{} // closed once hub is set or the context ends
	err     error
	latest  *watch.Snapshot
}

// New prepares a watcher; nothing runs until Run.
func New(o Options) *Watcher {
	if o.MinInterval <= 0 {
		o.MinInterval = 250 * time.Millisecond
	}
	if o.RetryMin <= 0 {
		o.RetryMin = 2 * time.Second
	}
	if o.RetryMax <= 0 {
		o.RetryMax = time.Minute
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	w := &Watcher{opts: o, dirty: make(chan struct{}, 1), urgent: make(chan struct{}, 1), members: map[string]*member{}}
	if o.Omni != nil {
		w.omni = watch.NewHub(watch.HubOptions{Platform: "omni", Clock: o.Clock}, watch.NewOmniSource(o.Omni))
	}
	first := Snapshot{At: o.Clock(), Inputs: Inputs{Now: o.Clock(), Watched: map[string]Watched{}}}
	first.Report = Evaluate(first.Inputs)
	w.out = watch.NewFanout(first)
	return w
}

// Run watches until ctx ends: Omni's clusters, the clusters' watch sets, and a new fleet snapshot after
// each change (at most one per MinInterval).
func (w *Watcher) Run(ctx context.Context) {
	w.mu.Lock()
	w.ctx = ctx
	pending := make([]string, 0, len(w.members))
	for name, m := range w.members {
		if m.hub == nil {
			pending = append(pending, name)
		}
	}
	w.mu.Unlock()
	var wg sync.WaitGroup
	defer wg.Wait()
	for _, name := range pending {
		wg.Add(1)
		go func() { defer wg.Done(); w.runMember(ctx, name) }()
	}
	var omniCh <-chan watch.Snapshot
	if w.omni != nil {
		wg.Add(1)
		go func() { defer wg.Done(); w.omni.Run(ctx) }()
		ch, unsub := w.omni.Subscribe()
		defer unsub()
		omniCh = ch
	}
	w.publish()
	last := w.opts.Clock()
	for {
		select {
		case <-ctx.Done():
			return
		case s, ok := <-omniCh:
			if !ok {
				omniCh = nil
				continue
			}
			if w.opts.All {
				for _, c := range s.ClusterStatuses {
					if w.start(c.Metadata().ID()) {
						name := c.Metadata().ID()
						wg.Add(1)
						go func() { defer wg.Done(); w.runMember(ctx, name) }()
					}
				}
			}
		case <-w.dirty:
		case <-w.urgent:
			w.publish()
			last = w.opts.Clock()
			continue
		}
		if wait := w.opts.MinInterval - w.opts.Clock().Sub(last); wait > 0 {
			select {
			case <-ctx.Done():
				return
			case <-w.urgent:
			case <-time.After(wait):
			}
		}
		w.publish()
		last = w.opts.Clock()
	}
}

// start registers a cluster's watch set; it reports whether it is new (the caller then runs it).
func (w *Watcher) start(name string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.members[name]; ok {
		return false
	}
	w.members[name] = &member{name: name, ready: make(chan struct{})}
	return true
}

// Open starts the named cluster's watch set if it is not running, and returns its hub once connected,
// or why it cannot be (ctx ends first: ctx's error). Run must be running, or run later.
func (w *Watcher) Open(ctx context.Context, name string) (*watch.Hub, error) {
	if w.start(name) {
		w.mu.Lock()
		runCtx := w.ctx
		w.mu.Unlock()
		if runCtx != nil {
			go w.runMember(runCtx, name)
		}
	}
	w.mu.Lock()
	m := w.members[name]
	w.mu.Unlock()
	for {
		w.mu.Lock()
		hub, err := m.hub, m.err
		w.mu.Unlock()
		if hub != nil {
			return hub, nil
		}
		select {
		case <-ctx.Done():
			if err != nil {
				return nil, err
			}
			return nil, ctx.Err()
		case <-m.ready:
		case <-w.changed(ctx):
			w.mu.Lock()
			err = m.err
			w.mu.Unlock()
			if err != nil {
				return nil, err
			}
		}
	}
}

// changed returns a channel that receives once the next fleet snapshot is published.
func (w *Watcher) changed(ctx context.Context) <-chan struct{} {
	out := make(chan struct{})
	ch, unsub := w.Subscribe()
	go func() {
		defer unsub()
		<-ch // the latest, already seen
		select {
		case <-ch:
			close(out)
		case <-ctx.Done():
		}
	}()
	return out
}

// runMember connects to a cluster (again after failures, backing off) and forwards its snapshots.
func (w *Watcher) runMember(ctx context.Context, name string) {
	w.mu.Lock()
	m := w.members[name]
	w.mu.Unlock()
	backoff := w.opts.RetryMin
	var t watch.Targets
	for {
		var err error
		t, err = w.opts.Connect.Connect(ctx, name)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return
		}
		w.mu.Lock()
		m.err = err
		w.mu.Unlock()
		w.Notify()
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, w.opts.RetryMax)
	}
	t.Name, t.Demo = name, t.Demo || w.opts.Demo
	hub := watch.NewHub(watch.HubOptions{Platform: name, Demo: t.Demo, Clock: w.opts.Clock}, t.Sources()...)
	ch, unsub := hub.Subscribe()
	defer unsub()
	w.mu.Lock()
	m.targets, m.hub, m.err = t, hub, nil
	close(m.ready)
	w.mu.Unlock()
	done := make(chan struct{})
	go func() { defer close(done); hub.Run(ctx) }()
	defer func() { <-done }()
	complete := false
	for {
		select {
		case <-ctx.Done():
			return
		case s, ok := <-ch:
			if !ok {
				return
			}
			w.mu.Lock()
			m.latest = &s
			w.mu.Unlock()
			w.readArgo(ctx, name, t, s)
			if !complete && s.Settled() && len(s.Sources) > 0 {
				complete = true
				select {
				case w.urgent <- struct{}{}:
				default:
				}
				continue
			}
			w.Notify()
		}
	}
}

// readArgo reads a hub's cluster registrations again when its cluster Secrets changed.
//
// The hub is the cluster whose argocd namespace holds cluster Secrets. Where the Secrets' metadata is
// visible (the console's secret-names role), it tells the hub and when its registrations changed; where
// it is not (a fleet cluster granting the fleet group only argocd's Secrets), a cluster running ArgoCD is
// asked directly, again at most every ArgoReread.
func (w *Watcher) readArgo(ctx context.Context, name string, t watch.Targets, s watch.Snapshot) {
	if t.Kube == nil {
		return
	}
	seen := s.Missing(health.ResourceSecrets) == nil
	if seen && !IsHub(s.Secrets) || !seen && !s.Serves[health.ResourceApplications] {
		return
	}
	key := argoSecretsKey(s.Secrets)
	now := w.opts.Clock()
	w.mu.Lock()
	same := w.hub == name && w.argoKey == key && (seen || now.Sub(w.argoRead) < ArgoReread)
	tried := !seen && w.argoTried[name].After(now.Add(-ArgoReread))
	w.mu.Unlock()
	if same || tried {
		return
	}
	argo, err := ReadArgoClusters(ctx, t.Kube)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.argoTried == nil {
		w.argoTried = map[string]time.Time{}
	}
	w.argoTried[name] = now
	if err != nil || (!seen && len(argo) == 0) {
		return // the registrations stay as last read; the hub's own report says what it cannot read
	}
	w.hub, w.argo, w.argoKey, w.argoRead = name, argo, key, now
}

// ArgoReread is how often a hub whose Secrets' metadata the console cannot watch is asked again for its
// cluster registrations.
const ArgoReread = time.Minute

// Notify marks the fleet changed.
func (w *Watcher) Notify() {
	select {
	case w.dirty <- struct{}{}:
	default:
	}
}

// Hub is the named cluster's hub, nil while it is not connected.
func (w *Watcher) Hub(name string) *watch.Hub {
	w.mu.Lock()
	defer w.mu.Unlock()
	if m, ok := w.members[name]; ok {
		return m.hub
	}
	return nil
}

// Subscribe returns a channel always holding the newest fleet snapshot not yet read, primed with the
// latest, and a function to unsubscribe (which closes it).
func (w *Watcher) Subscribe() (<-chan Snapshot, func()) { return w.out.Subscribe() }

// Latest is the last published fleet snapshot.
func (w *Watcher) Latest() Snapshot { return w.out.Latest() }

func (w *Watcher) inputs() Inputs {
	now := w.opts.Clock()
	in := Inputs{Now: now, Watched: map[string]Watched{}}
	if w.omni != nil {
		s := w.omni.Latest()
		st := s.Source(platform.SourceOmni)
		in.Omni, in.OmniErr, in.OmniSynced = s.ClusterStatuses, st.Err, st.Synced
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	in.Hub, in.Argo = w.hub, w.argo
	for name, m := range w.members {
		in.Watched[name] = Watched{Started: true, Err: m.err, Snapshot: m.latest}
	}
	return in
}

func (w *Watcher) publish() {
	in := w.inputs()
	w.seq++
	w.out.Publish(Snapshot{Seq: w.seq, At: in.Now, Inputs: in, Report: Evaluate(in)})
}

// Settled tells whether the fleet snapshot is complete: Omni read (or failed), and every cluster watched
// has its first full picture or has failed.
func (s Snapshot) Settled(omniConfigured bool) bool {
	if omniConfigured && !s.Inputs.OmniSynced && s.Inputs.OmniErr == nil {
		return false
	}
	for _, w := range s.Inputs.Watched {
		if w.Err != nil {
			continue
		}
		if w.Snapshot == nil || !w.Snapshot.Settled() || len(w.Snapshot.Sources) == 0 {
			return false
		}
	}
	return true
}

// Clusters are the names of the clusters in the snapshot, sorted.
func (s Snapshot) Clusters() []string {
	out := make([]string, 0, len(s.Report.Clusters))
	for _, r := range s.Report.Clusters {
		out = append(out, r.Cluster)
	}
	sort.Strings(out)
	return out
}
