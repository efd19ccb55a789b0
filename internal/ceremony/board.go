package ceremony

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Board is the ceremonies of one server: at most one open at a time (Vault keeps one unseal progress and
// one generate-root attempt), found by id, refreshed and expired by the server's clock, and watched by
// every session. The last one stays on the board once it has ended, so everyone sees how it ended.
// Safe for concurrent use.
type Board struct {
	o BoardOptions

	mu      sync.Mutex
	cur     *Ceremony
	opening bool   // an Open is reaching the replicas (without the lock: that is I/O)
	release func() // frees the current ceremony's replicas (port-forwards); nil once freed

	watch signal
}

// BoardOptions configure a Board.
type BoardOptions struct {
	// Sink records every step (required).
	Sink Sink
	// Replicas finds Vault's replicas when a ceremony opens; release frees what reaching them took (the
	// port-forwards) and is called once the ceremony has ended.
	Replicas func(ctx context.Context) (reps []Replica, release func(), err error)
	// Timeout is how long a ceremony stays open (default 30 min).
	Timeout time.Duration
	Now     func() time.Time // time.Now when nil
	Rand    io.Reader        // crypto/rand when nil
}

// DefaultTimeout is how long a ceremony stays open unless the board says otherwise.
const DefaultTimeout = 30 * time.Minute

// NewBoard makes an empty board.
func NewBoard(o BoardOptions) *Board {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Board{o: o, watch: signal{watchers: map[int]chan struct{}{}}}
}

// ErrNone is returned when no ceremony has the id asked for.
var ErrNone = errors.New("no such ceremony")

// Open opens a ceremony of kind, owned by owner, for the custodians named. It is refused while another
// is open, when Vault's replicas cannot all be reached, and — for an unseal — when no replica is sealed.
// An unseal's progress is read at once, so every screen shows k of n from the start.
func (b *Board) Open(ctx context.Context, kind Kind, owner Actor, custodians []string) (*Ceremony, error) {
	b.mu.Lock()
	if err := b.mayOpenLocked(); err != nil {
		b.mu.Unlock()
		return nil, err
	}
	b.opening = true
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		b.opening = false
		b.mu.Unlock()
	}()
	reps, release, err := b.o.Replicas(ctx)
	if err != nil {
		return nil, fmt.Errorf("Vault's replicas cannot all be reached, and a ceremony must see them all: %w", err)
	}
	if release == nil {
		release = func() {}
	}
	if kind == Unseal {
		if err := anySealed(ctx, reps); err != nil {
			release()
			return nil, err
		}
	}
	c, err := Open(kind, owner, reps, custodians, b.o.Timeout, Options{Sink: b.o.Sink, Now: b.o.Now, Rand: b.o.Rand,
		Changed: b.watch.notify})
	if err != nil {
		release()
		return nil, err
	}
	b.mu.Lock()
	if b.release != nil {
		b.release()
	}
	b.cur, b.release = c, release
	b.mu.Unlock()
	if kind == Unseal {
		_ = c.Refresh(ctx) // a replica's error shows on its row
	}
	b.watch.notify()
	return c, nil
}

// mayOpenLocked refuses an opening while a ceremony is open or being opened; b.mu is held.
func (b *Board) mayOpenLocked() error {
	switch {
	case b.opening:
		return errors.New("a ceremony is being opened by someone else: wait a moment and look again")
	case b.o.Replicas == nil:
		return errors.New("no Vault to hold a ceremony for: the console has no Vault connection")
	}
	if c := b.cur; c != nil && c.View().Phase == Running {
		return fmt.Errorf("ceremony %s (%s, opened by %s at %s UTC) is open: join it, or %s aborts it first",
			c.ID, c.Kind, c.Owner.Name, c.Opened.UTC().Format("15:04"), c.Owner.Name)
	}
	return nil
}

// anySealed refuses an unseal when no replica is sealed: there is nothing to unseal.
func anySealed(ctx context.Context, reps []Replica) error {
	var unsealed []string
	for _, r := range reps {
		if r.AutoUnseal || r.Unsealer == nil {
			return nil // Open says what is wrong with it
		}
		p, err := r.Unsealer.Status(ctx)
		if err != nil {
			return fmt.Errorf("%s: %w", r.Name, err)
		}
		if p.Sealed {
			return nil
		}
		unsealed = append(unsealed, r.Name)
	}
	return fmt.Errorf("Vault is not sealed (%s unsealed): there is nothing to unseal", strings.Join(unsealed, ", "))
}

// Current is the ceremony on the board — the open one, or the last one, ended — and false when none
// was ever opened.
func (b *Board) Current() (*Ceremony, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.cur, b.cur != nil
}

// Get is the ceremony with the id (ErrNone when it is not on the board).
func (b *Board) Get(id string) (*Ceremony, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cur == nil || b.cur.ID != strings.ToLower(strings.TrimSpace(id)) {
		return nil, fmt.Errorf("%w %q: `ceremony status` shows the one open, if any", ErrNone, id)
	}
	return b.cur, nil
}

// Watch returns a channel told (one pending signal at most) when a ceremony opens or changes, and the
// function that stops it.
func (b *Board) Watch() (<-chan struct{}, func()) { return b.watch.add() }

// Tick is the server's clock reaching the board: the open ceremony expires when its time is up, or
// reads every replica's progress (noticing a replica that restarted and giving it the held shares
// again); an ended ceremony's replicas are released. It returns what the replicas said, for the log.
func (b *Board) Tick(ctx context.Context) error {
	b.mu.Lock()
	c := b.cur
	b.mu.Unlock()
	if c == nil {
		return nil
	}
	var err error
	if expired, xerr := c.Expire(ctx, b.o.Now()); xerr != nil || !expired {
		err = errors.Join(xerr, c.Refresh(ctx))
	}
	if c.View().Phase != Running {
		b.mu.Lock()
		if b.cur == c && b.release != nil {
			b.release()
			b.release = nil
		}
		b.mu.Unlock()
	}
	return err
}

// Run ticks every period until ctx ends, then releases the replicas.
func (b *Board) Run(ctx context.Context, every time.Duration, logf func(error)) {
	t := time.NewTicker(every)
	defer t.Stop()
	defer func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.release != nil {
			b.release()
			b.release = nil
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := b.Tick(ctx); err != nil && logf != nil {
				logf(err)
			}
		}
	}
}

// signal tells its watchers of a change without blocking: one pending signal each at most.
type signal struct {
	mu       sync.Mutex
	watchers map[int]chan struct{}
	next     int
}

func (s *signal) add() (<-chan struct{}, func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := make(chan struct{}, 1)
	id := s.next
	s.next++
	s.watchers[id] = ch
	return ch, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		delete(s.watchers, id)
	}
}

func (s *signal) notify() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ch := range s.watchers {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}
