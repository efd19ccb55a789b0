package watch

import (
	"context"
	"sync"
	"time"

	"github.com/clubcedille/cedille-tui/internal/platform"
)

// Source feeds the hub. Run blocks until ctx ends and calls notify after every change it sees (the hub
// coalesces); Fill copies the source's current contents and state into a snapshot being built.
type Source interface {
	Name() platform.Source
	Run(ctx context.Context, notify func())
	Fill(s *Snapshot)
}

// syncReporter is a source that can say, without a Fill, whether it has had its first full read.
type syncReporter interface {
	Synced() bool
}

// HubOptions tune a hub.
type HubOptions struct {
	Platform string
	Demo     bool
	// MinInterval is the shortest time between two published snapshots (default 250ms: ≤ 4 redraws/s).
	MinInterval time.Duration
	// Heartbeat republishes at least this often so ages and "stale since" keep moving (default 15s).
	Heartbeat time.Duration
	// Clock is time.Now unless a test fixes it.
	Clock func() time.Time
}

// Hub owns the sources and publishes coalesced snapshots to its subscribers.
type Hub struct {
	opts    HubOptions
	sources []Source
	dirty   chan struct{}

	out *Fanout[Snapshot]
	// seq numbers the snapshots; only Run's goroutine publishes.
	seq uint64
}

// NewHub builds a hub over the sources; nothing runs until Run.
func NewHub(o HubOptions, sources ...Source) *Hub {
	if o.MinInterval <= 0 {
		o.MinInterval = 250 * time.Millisecond
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = 15 * time.Second
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	h := &Hub{opts: o, sources: sources, dirty: make(chan struct{}, 1)}
	h.out = NewFanout(h.build())
	return h
}

// Run starts every source and publishes until ctx ends.
func (h *Hub) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, s := range h.sources {
		wg.Add(1)
		go func(s Source) {
			defer wg.Done()
			s.Run(ctx, h.Notify)
		}(s)
	}
	defer wg.Wait()

	h.publish()
	last := h.opts.Clock()
	heartbeat := time.NewTicker(h.opts.Heartbeat)
	defer heartbeat.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-heartbeat.C:
		case <-h.dirty:
			if !h.coalesce(ctx, h.opts.MinInterval-h.opts.Clock().Sub(last)) {
				return
			}
		}
		h.publish()
		last = h.opts.Clock()
	}
}

// coalesce waits out the rest of the interval between two publishes, so that whatever else changes
// meanwhile rides along — unless a source completes its first read: the first complete picture is what
// people wait for, it goes at once. It returns false when ctx ends.
func (h *Hub) coalesce(ctx context.Context, wait time.Duration) bool {
	if wait <= 0 || h.newlySynced() {
		return true
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
			return true
		case <-h.dirty: // rides along with the publish to come
			if h.newlySynced() {
				return true
			}
		}
	}
}

// Notify marks the hub dirty; cheap and non-blocking, safe from any goroutine.
func (h *Hub) Notify() {
	select {
	case h.dirty <- struct{}{}:
	default:
	}
}

// Subscribe returns a channel that always holds the newest snapshot not yet read (older ones are
// dropped, never queued), primed with the latest one, and a function to unsubscribe (which closes it).
func (h *Hub) Subscribe() (<-chan Snapshot, func()) { return h.out.Subscribe() }

// Subscribers counts the live subscriptions.
func (h *Hub) Subscribers() int { return h.out.Subscribers() }

// Latest is the last published snapshot.
func (h *Hub) Latest() Snapshot { return h.out.Latest() }

// newlySynced tells whether a source says it has had its first full read while the latest snapshot
// says it had not.
func (h *Hub) newlySynced() bool {
	latest := h.out.Latest()
	for _, src := range h.sources {
		if r, ok := src.(syncReporter); ok && r.Synced() && !latest.Sources[src.Name()].Synced {
			return true
		}
	}
	return false
}

func (h *Hub) build() Snapshot {
	s := Snapshot{
		At: h.opts.Clock(), Platform: h.opts.Platform, Demo: h.opts.Demo,
		Sources: map[platform.Source]SourceState{},
	}
	s.Now = s.At
	for _, src := range h.sources {
		src.Fill(&s)
	}
	s.Report = Evaluate(s)
	return s
}

func (h *Hub) publish() {
	s := h.build()
	h.seq++
	s.Seq = h.seq
	h.out.Publish(s)
}
