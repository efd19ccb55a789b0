package serve

import (
	"context"
	"sync"
	"time"

	"charm.land/ssh"
	"github.com/clubcedille/cedille-tui/internal/access"
)

// A session's own time limits. The transport's idle timer is pushed forward by every write, so a console
// that redraws would never idle: the keyboard-idle time here counts from the last byte READ from the
// person, whatever the screen does.

// reading is a session whose reads are timed: the last time the person sent anything.
type reading struct {
	ssh.Session
	now func() time.Time

	mu   sync.Mutex
	last time.Time
}

func newReading(s ssh.Session, now func() time.Time) *reading {
	return &reading{Session: s, now: now, last: now()}
}

// Read reads from the person and times it.
func (r *reading) Read(p []byte) (int, error) {
	n, err := r.Session.Read(p)
	if n > 0 {
		r.mu.Lock()
		r.last = r.now()
		r.mu.Unlock()
	}
	return n, err
}

func (r *reading) lastRead() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last
}

// Why sessions end on their own.
var (
	// ErrIdle ends a session nobody typed in for Options.IdleTimeout.
	ErrIdle = &ErrEnded{Why: "no key pressed for too long (idle timeout)"}
	// ErrLifetime ends a session open for Options.MaxLifetime.
	ErrLifetime = &ErrEnded{Why: "open for too long (maximum session lifetime); connect again"}
	// ErrInternal ends a session whose handler panicked; the server and the other sessions go on.
	ErrInternal = &ErrEnded{Why: "stopped on an internal error (the server goes on); connect again"}
)

// overdue is why a session started at since, last read from at lastRead, must end at now (nil: it may
// go on). A limit of 0 or less is no limit.
func overdue(now, since, lastRead time.Time, idle, lifetime time.Duration) *ErrEnded {
	switch {
	case lifetime > 0 && !now.Before(since.Add(lifetime)):
		return ErrLifetime
	case idle > 0 && !now.Before(lastRead.Add(idle)):
		return ErrIdle
	}
	return nil
}

// limit ends the session (end, with the reason) when it is overdue, or when its user's access expired in
// the file in force, checking every tick until ctx ends.
func (s *Server) limit(ctx context.Context, end context.CancelCauseFunc, r *reading, user string, since time.Time) {
	t := time.NewTicker(s.o.tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := s.o.Now()
		why := overdue(now, since, r.lastRead(), s.o.IdleTimeout, s.o.MaxLifetime)
		if u, ok := s.access().User(user); why == nil && ok && !u.ValidAt(now) {
			why = &ErrEnded{Why: access.Expired.String()}
		}
		if why != nil {
			end(why)
			return
		}
	}
}
