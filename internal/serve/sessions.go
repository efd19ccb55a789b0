package serve

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/clubcedille/cedille-tui/internal/access"
)

// The live sessions: who is connected, with what key and role, since when — for the caps, the presence
// line, and for ending or lowering sessions when the access file changes or a user expires.

// Presence is one live session as the others see it.
type Presence struct {
	ID, User string
	Role     access.Role
	Page     string // the page the session shows ("" before its first)
	Since    time.Time
}

// live is one session: its identity and how to end it.
type live struct {
	id          string
	user        access.User
	fingerprint string
	remote      string
	since       time.Time
	page        string
	cancel      context.CancelCauseFunc
}

// sessions is the registry; its zero value is not usable (newSessions).
type sessions struct {
	mu       sync.Mutex
	byID     map[string]*live
	perUser  int
	total    int
	seq      int
	watchers []chan struct{} // told when the registry changes (presence lines redraw)
}

func newSessions(perUser, total int) *sessions {
	return &sessions{byID: map[string]*live{}, perUser: perUser, total: total}
}

// ErrEnded says why a session was ended by the server.
type ErrEnded struct{ Why string }

func (e *ErrEnded) Error() string { return "session ended: " + e.Why }

// add registers a session, refused past the caps with a message for the person connecting.
func (r *sessions) add(u access.User, fingerprint, remote string, now time.Time, cancel context.CancelCauseFunc) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.total > 0 && len(r.byID) >= r.total {
		return "", fmt.Errorf("the console is full (%d sessions): try again later", r.total)
	}
	if n := r.countOf(u.Name); r.perUser > 0 && n >= r.perUser {
		return "", fmt.Errorf("%s already has %d sessions open (at most %d): close one first", u.Name, n, r.perUser)
	}
	r.seq++
	id := fmt.Sprintf("s%04x", r.seq)
	r.byID[id] = &live{id: id, user: u, fingerprint: fingerprint, remote: remote, since: now, cancel: cancel}
	r.changed()
	return id, nil
}

func (r *sessions) countOf(name string) int {
	n := 0
	for _, l := range r.byID {
		if l.user.Name == name {
			n++
		}
	}
	return n
}

func (r *sessions) remove(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.byID[id]; ok {
		delete(r.byID, id)
		r.changed()
	}
}

// user is the session's user as it stands now (a lowered role applies at once).
func (r *sessions) user(id string) (access.User, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	l, ok := r.byID[id]
	if !ok {
		return access.User{}, false
	}
	return l.user, true
}

// apply ends the sessions the access change ends and gives the others their new grants; it returns
// what it did, for the audit trail.
func (r *sessions) apply(ch access.Changes, f *access.File) (ended, changed []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range ch.End {
		for _, l := range r.byID {
			if l.user.Name == e.Session.User && l.fingerprint == e.Session.Fingerprint {
				l.cancel(&ErrEnded{Why: e.Reason.String()})
				delete(r.byID, l.id)
				ended = append(ended, l.id)
			}
		}
	}
	for _, c := range slices.Concat(ch.Lowered, ch.Raised) {
		for _, l := range r.byID {
			if l.user.Name == c.Session.User && l.fingerprint == c.Session.Fingerprint {
				if u, ok := f.User(c.Session.User); ok {
					l.user = u
					changed = append(changed, l.id)
				}
			}
		}
	}
	if len(ended)+len(changed) > 0 {
		r.changed()
	}
	slices.Sort(ended)
	slices.Sort(changed)
	return ended, changed
}

// setPage records the page a session shows (the presence line says it).
func (r *sessions) setPage(id, page string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if l, ok := r.byID[id]; ok && l.page != page {
		l.page = page
		r.changed()
	}
}

// presenceLine is what session self sees of who is here: itself, then the others, oldest first.
func presenceLine(self string, all []Presence) string {
	me := "you"
	var others []string
	for _, p := range all {
		if p.ID == self {
			me = "you: " + p.User + " (" + p.Role.String() + ")"
			continue
		}
		what := p.Role.String()
		if p.Page != "" {
			what += ", " + p.Page
		}
		others = append(others, p.User+" ("+what+")")
	}
	if len(others) == 0 {
		return me + " · nobody else is connected"
	}
	return me + " · also here: " + strings.Join(others, ", ")
}

// presence is every live session, oldest first.
func (r *sessions) presence() []Presence {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Presence, 0, len(r.byID))
	for _, l := range r.byID {
		out = append(out, Presence{ID: l.id, User: l.user.Name, Role: l.user.Role, Page: l.page, Since: l.since})
	}
	slices.SortFunc(out, func(a, b Presence) int {
		if c := a.Since.Compare(b.Since); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// count is how many sessions are live.
func (r *sessions) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.byID)
}

// changed wakes whoever waits on the registry (called with mu held).
func (r *sessions) changed() {
	for _, w := range r.watchers {
		select {
		case w <- struct{}{}:
		default:
		}
	}
}

// watch returns a channel told (coalesced) of every change, and its release.
func (r *sessions) watch() (<-chan struct{}, func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ch := make(chan struct{}, 1)
	r.watchers = append(r.watchers, ch)
	return ch, func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.watchers = slices.DeleteFunc(r.watchers, func(c chan struct{}) bool { return c == ch })
	}
}
