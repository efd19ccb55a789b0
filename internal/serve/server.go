// Package serve is `cedille-tui serve`: the console over SSH. Public-key authentication only, against the
// access file (internal/access); the user of a session is the one whose key SIGNED — resolved after the
// handshake from the key the successful attempt proved, never from a key merely offered and never from the
// SSH user name (the bug class of soft-serve's CVE-2023-43809 and CVE-2026-24058, x/crypto's
// CVE-2024-45337).
//
// How the identity is bound: the public-key handler only answers whether an offered key may log in at
// all; charm.land/ssh records the key of each attempt in that attempt's permissions, and after the
// handshake takes the key from the permissions x/crypto returns for the attempt that succeeded — the
// signed one. The identity middleware then looks that key up again in the current access file (it may
// have changed since) and puts the User in the session's context; every later layer reads it there.
//
// Hardening: a handshake timeout; a keyboard-idle timeout counted from the last byte read from the
// person (the transport's own idle timer is pushed by every redraw) and a maximum lifetime, each ending
// the session with a line and an audit reason saying why; per-address back-off after failed logins
// (Backoff); no subsystems, port, agent or X11 forwarding (forwarding.go); window sizes clamped; a panic
// ends its own session only (ErrInternal), its stack going to Options.Log.
//
//	srv, err := serve.New(serve.Options{HostKey: key, Access: store.Current, Now: time.Now, Console: ...})
//	go srv.Serve(listener)
package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"charm.land/ssh"
	"charm.land/wish/v2"
	"github.com/clubcedille/cedille-tui/internal/access"
	"github.com/clubcedille/cedille-tui/internal/audit"
)

// Options configure the server.
type Options struct {
	// HostKey is the server's key (LoadOrCreateHostKey).
	HostKey HostKey
	// Access is the access file at start (SetAccess replaces it); nil or empty lets nobody in.
	Access *access.File
	// Now is the clock the expiry dates are read against; time.Now when nil.
	Now func() time.Time
	// HandshakeTimeout ends a connection that has not authenticated in time (default 30 s).
	HandshakeTimeout time.Duration
	// Exec are the commands a session may run without a terminal (`ssh host status`), by name; any other
	// command, and a session with neither a terminal nor a command, is refused.
	Exec map[string]Command
	// Terminal handles a session with a terminal and no command (the console); nil refuses them. It
	// returns when s.Context() ends (the server ended the session) or the person quits.
	Terminal func(s Session)
	// MaxPerUser and MaxSessions cap the live sessions (defaults 4 and 64).
	MaxPerUser, MaxSessions int
	// Audit records what happens: logins refused, sessions started and ended (with why). An error from
	// it refuses what it was recording the start of (a session); nil records nothing.
	Audit func(audit.Record) error
	// IdleTimeout ends a session the person sent nothing to for that long, however much the screen
	// redraws (default 15 min; negative: none). MaxLifetime ends a session that long after it started
	// (default 12 h; negative: none). Both are read against Now.
	IdleTimeout, MaxLifetime time.Duration
	// Backoff refuses an address after repeated failed logins (defaults in Backoff).
	Backoff Backoff
	// Log receives what the person must not see: a session's panic and its stack (slog.Default when nil).
	Log *slog.Logger

	tick time.Duration // how often a session's limits are checked (1 s; tests shorten it)
}

// Command is an exec command: it writes to the session and returns the exit status.
type Command func(ctx context.Context, s Session) int

// Session is what a command or the terminal handler sees of its session: who, and the streams.
type Session struct {
	ID          string
	User        access.User // at the session's start; Current has it as it stands now
	Fingerprint string
	Remote      net.Addr
	Args        []string
	SSH         ssh.Session
	ctx         context.Context
	end         context.CancelCauseFunc
	srv         *Server
}

// Write writes to the session's output.
func (s Session) Write(p []byte) (int, error) { return s.SSH.Write(p) }

// Context ends when the session does: the person leaves, or the server ends it (a key removed, a user
// expired: context.Cause says why).
func (s Session) Context() context.Context { return s.ctx }

// Current is the session's user as it stands now: a role lowered in the access file applies at once.
func (s Session) Current() (access.User, bool) { return s.srv.live.user(s.ID) }

// Presence is every live session, oldest first.
func (s Session) Presence() []Presence { return s.srv.live.presence() }

// SetPage records the page the session shows, for the others' presence line.
func (s Session) SetPage(title string) { s.srv.live.setPage(s.ID, title) }

// Server is the SSH server.
type Server struct {
	o    Options
	srv  *ssh.Server
	live *sessions
	// windows are the session channels' window changes (forwarding.go).
	windows windows
	fail    *limiter

	mu  sync.Mutex
	acc *access.File
}

type userKey struct{}

// New builds the server; Serve starts it on a listener.
func New(o Options) (*Server, error) {
	if len(o.HostKey.PEM) == 0 {
		return nil, errors.New("serve: no host key") // wish would write one into the working directory
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.HandshakeTimeout <= 0 {
		o.HandshakeTimeout = 30 * time.Second
	}
	if o.MaxPerUser <= 0 {
		o.MaxPerUser = 4
	}
	if o.MaxSessions <= 0 {
		o.MaxSessions = 64
	}
	if o.IdleTimeout == 0 {
		o.IdleTimeout = 15 * time.Minute
	}
	if o.MaxLifetime == 0 {
		o.MaxLifetime = 12 * time.Hour
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.tick <= 0 {
		o.tick = time.Second
	}
	s := &Server{o: o, acc: o.Access, live: newSessions(o.MaxPerUser, o.MaxSessions), fail: newLimiter(o.Backoff, o.Now)}
	srv, err := wish.NewServer(
		wish.WithHostKeyPEM(o.HostKey.PEM),
		wish.WithPublicKeyAuth(s.mayLogIn),
		wish.WithMiddleware(s.dispatch, s.identity), // the last runs first: identity before anything
		ssh.EmulatePty(),                            // the program draws to the channel; no pseudo-terminal device is opened
		func(srv *ssh.Server) error {
			srv.HandshakeTimeout = o.HandshakeTimeout
			// No forwarding, no subsystems (sftp, scp): nil callbacks refuse them; no global request
			// (tcpip-forward) is answered yes, no channel but "session" is opened (direct-tcpip), and a
			// session's agent and X11 forwarding requests are answered no before charm.land/ssh sees them
			// (it would answer an agent request yes).
			srv.LocalPortForwardingCallback = nil
			srv.ReversePortForwardingCallback = nil
			srv.SubsystemHandlers = map[string]ssh.SubsystemHandler{}
			srv.RequestHandlers = map[string]ssh.RequestHandler{}
			srv.ChannelHandlers = map[string]ssh.ChannelHandler{"session": refuseForwarding(&s.windows)}
			srv.ConnectionFailedCallback = func(c net.Conn, _ error) { s.fail.failed(c.RemoteAddr().String()) }
			return nil
		},
	)
	if err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	s.srv = srv
	return s, nil
}

// Serve accepts connections on l until Close.
func (s *Server) Serve(l net.Listener) error {
	err := s.srv.Serve(l)
	if errors.Is(err, ssh.ErrServerClosed) {
		return nil
	}
	return err
}

// Close stops the server and ends its sessions.
func (s *Server) Close() error { return s.srv.Close() }

func (s *Server) access() *access.File {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.acc
}

// SetAccess puts f in force: the sessions of a key or user it removes end at once, a lowered or raised
// role applies to live sessions at once. A user whose expires date passes is ended within a tick (limit). It returns what changed (for the audit trail).
func (s *Server) SetAccess(f *access.File) (access.Changes, []string, []string) {
	s.mu.Lock()
	old := s.acc
	s.acc = f
	s.mu.Unlock()
	ch := access.Diff(old, f, s.o.Now())
	ended, changed := s.live.apply(ch, f)
	return ch, ended, changed
}

// Sessions is how many sessions are live.
func (s *Server) Sessions() int { return s.live.count() }

// mayLogIn answers whether an offered key may log in at all. It binds nothing: the offer proves nothing
// (the client may not hold the private key); identity is resolved after the handshake (identity).
func (s *Server) mayLogIn(ctx ssh.Context, key ssh.PublicKey) bool {
	if ok, notice, until := s.fail.allow(ctx.RemoteAddr().String()); !ok {
		if notice {
			s.refused(ctx.RemoteAddr(), "", fmt.Sprintf("too many failed logins from %s: refused until %s",
				host(ctx.RemoteAddr().String()), until.UTC().Format(time.RFC3339)))
		}
		return false
	}
	_, err := s.access().Lookup(key, s.o.Now())
	if err != nil {
		s.refused(ctx.RemoteAddr(), access.Fingerprint(key), err.Error())
		return false
	}
	return true
}

// record appends to the audit trail, when there is one.
func (s *Server) record(r audit.Record) error {
	if s.o.Audit == nil {
		return nil
	}
	return s.o.Audit(r)
}

// refused records a login or session refused: the key by its fingerprint, never the key.
func (s *Server) refused(remote net.Addr, fp, reason string) {
	r := audit.Record{Event: audit.AuthRefused, Fingerprint: fp, Reason: reason}
	if remote != nil {
		r.Remote = remote.String()
	}
	_ = s.record(r) // nothing to refuse more: the login is refused already
}

// identity resolves the session's user from the key the successful attempt proved, against the access
// file in force now, and refuses the session when there is none.
func (s *Server) identity(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		key := sess.PublicKey()
		if key == nil {
			s.refused(sess.RemoteAddr(), "", "no public key proved")
			wish.Fatalln(sess, "refused: only public-key authentication is accepted")
			return
		}
		u, err := s.access().Lookup(key, s.o.Now())
		if err != nil {
			s.refused(sess.RemoteAddr(), access.Fingerprint(key), err.Error())
			wish.Fatalln(sess, "refused: "+err.Error())
			return
		}
		ctx, cancel := context.WithCancelCause(sess.Context())
		defer cancel(nil)
		since := s.o.Now()
		id, err := s.live.add(u, access.Fingerprint(key), sess.RemoteAddr().String(), since, cancel)
		if err != nil {
			wish.Fatalln(sess, "refused: "+err.Error())
			return
		}
		defer s.live.remove(id)
		rec := audit.Record{Session: id, User: u.Name, Fingerprint: access.Fingerprint(key), Role: u.Role.String(),
			Remote: sess.RemoteAddr().String()}
		connect := rec
		connect.Event = audit.Connect
		if err := s.record(connect); err != nil {
			wish.Fatalln(sess, "refused: the audit trail cannot be written; try again once it is fixed")
			return
		}
		defer func() {
			end := rec
			end.Event, end.Reason = audit.Disconnect, "left"
			if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
				end.Reason = cause.Error()
			}
			_ = s.record(end)
		}()
		r := newReading(sess, s.o.Now)
		go s.limit(ctx, cancel, r, u.Name, since)
		sess.Context().SetValue(userKey{}, Session{ID: id, User: u, Fingerprint: access.Fingerprint(key),
			Remote: sess.RemoteAddr(), SSH: r, ctx: ctx, end: cancel, srv: s})
		done := make(chan struct{})
		go closeWhenEnded(ctx, sess, done)
		s.contain(id, sess, cancel, next)
		close(done)
		var ended *ErrEnded
		if errors.As(context.Cause(ctx), &ended) {
			wish.Fatalln(sess, ended.Error())
		}
	}
}

// contain runs the rest of the chain; a panic in it ends this session only, with ErrInternal, and goes to
// the log with its stack (never to the person).
func (s *Server) contain(id string, sess ssh.Session, end context.CancelCauseFunc, next ssh.Handler) {
	defer func() {
		if v := recover(); v != nil {
			s.o.Log.Error("serve: a session panicked; it ends, the server goes on", "session", id, "panic", v,
				"stack", string(debug.Stack()))
			end(ErrInternal)
		}
	}()
	next(sess)
}

// endGrace is how long a handler has to return once its session was ended before the session is closed
// under it.
const endGrace = 5 * time.Second

// closeWhenEnded closes the session when ctx ends and the handler (done) has not returned within endGrace:
// an exec command that does not watch its context is not left running.
func closeWhenEnded(ctx context.Context, sess ssh.Session, done <-chan struct{}) {
	select {
	case <-done:
		return
	case <-ctx.Done():
	}
	t := time.NewTimer(endGrace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		_ = sess.Close()
	}
}

// guard runs f (a goroutine of the session's); a panic in it ends this session only, with ErrInternal.
func (s Session) guard(what string, f func()) {
	defer func() {
		if v := recover(); v != nil {
			s.srv.o.Log.Error("serve: a session's goroutine panicked; the session ends, the server goes on",
				"session", s.ID, "in", what, "panic", v, "stack", string(debug.Stack()))
			s.end(ErrInternal)
		}
	}()
	f()
}

// sessionOf is the session as identity bound it.
func sessionOf(sess ssh.Session) (Session, bool) {
	v, ok := sess.Context().Value(userKey{}).(Session)
	return v, ok
}

// dispatch runs an allowed exec command, or gives a terminal session to Options.Terminal.
func (s *Server) dispatch(ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		se, ok := sessionOf(sess)
		if !ok {
			wish.Fatalln(sess, "refused: no identity") // identity runs first: never reached
			return
		}
		args := sess.Command()
		if len(args) == 0 {
			_, _, pty := sess.Pty()
			if !pty || s.o.Terminal == nil {
				wish.Fatalln(sess, "refused: no terminal and no command; the commands are: "+strings.Join(s.commands(), ", "))
				return
			}
			s.o.Terminal(se)
			return
		}
		cmd, ok := s.o.Exec[args[0]]
		if !ok {
			wish.Fatalln(sess, fmt.Sprintf("%q is not a command here; the commands are: %s", args[0], strings.Join(s.commands(), ", ")))
			return
		}
		se.Args = args[1:]
		status := cmd(se.ctx, se)
		_ = sess.Exit(status)
	}
}

func (s *Server) commands() []string {
	var out []string
	for name := range s.o.Exec {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}
