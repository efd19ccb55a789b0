package serve

import (
	"net"
	"sync"
	"time"
)

// Backoff refuses an address that failed to log in too often: After failures Within a window, and every
// attempt from it is refused For a while (the defaults: 5 failures in a minute refuse the address for
// 5 minutes). A failure is a connection that ended without authenticating.
type Backoff struct {
	After  int
	Within time.Duration
	For    time.Duration
}

func (b Backoff) withDefaults() Backoff {
	if b.After <= 0 {
		b.After = 5
	}
	if b.Within <= 0 {
		b.Within = time.Minute
	}
	if b.For <= 0 {
		b.For = 5 * time.Minute
	}
	return b
}

// maxTracked bounds the addresses the limiter remembers: past it, the ones with nothing recent go first.
const maxTracked = 10000

// limiter is Backoff's state: the recent failures of each address, and until when it is refused.
type limiter struct {
	b   Backoff
	now func() time.Time

	mu    sync.Mutex
	addrs map[string]*failures
}

type failures struct {
	at      []time.Time // within the window, oldest first
	until   time.Time   // refused until then (zero: not refused)
	noticed bool        // the refusal of this window was told already
}

func newLimiter(b Backoff, now func() time.Time) *limiter {
	return &limiter{b: b.withDefaults(), now: now, addrs: map[string]*failures{}}
}

// host is the address without its port: the attempts of one machine count together.
func host(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}

// failed counts a failed login from addr; failures while it is refused count for nothing (the refusal
// does not grow by retrying).
func (l *limiter) failed(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	h := host(addr)
	f := l.addrs[h]
	if f == nil {
		if len(l.addrs) >= maxTracked {
			l.prune(now)
		}
		f = &failures{}
		l.addrs[h] = f
	}
	if now.Before(f.until) {
		return
	}
	f.at = append(recent(f.at, now.Add(-l.b.Within)), now)
	if len(f.at) >= l.b.After {
		f.at, f.until, f.noticed = nil, now.Add(l.b.For), false
	}
}

// allow answers whether addr may try to log in now; when it may not, notice is true the first time in
// the refusal's window (so the refusal is recorded once, not per attempt), and until says until when.
func (l *limiter) allow(addr string) (ok, notice bool, until time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.addrs[host(addr)]
	if f == nil || !l.now().Before(f.until) {
		return true, false, time.Time{}
	}
	notice = !f.noticed
	f.noticed = true
	return false, notice, f.until
}

// recent is at without the times before since.
func recent(at []time.Time, since time.Time) []time.Time {
	i := 0
	for i < len(at) && at[i].Before(since) {
		i++
	}
	return at[i:]
}

// prune forgets the addresses neither refused nor with a failure in the window (called with mu held).
func (l *limiter) prune(now time.Time) {
	for h, f := range l.addrs {
		if !now.Before(f.until) && len(recent(f.at, now.Add(-l.b.Within))) == 0 {
			delete(l.addrs, h)
		}
	}
}

// state is how many failures addr has in the window and whether it is refused now (for tests and status).
func (l *limiter) state(addr string) (int, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.addrs[host(addr)]
	if f == nil {
		return 0, false
	}
	now := l.now()
	return len(recent(f.at, now.Add(-l.b.Within))), now.Before(f.until)
}
