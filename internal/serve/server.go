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
//	srv, err := serve.New(serve.Options{HostKey: key, Access: store.Current, Now: time.Now, Console: ...})
//	go srv.Serve(listener)
package serve

import (
	"context"
	"errors"
	"fmt"
	"net"
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

// Server is the SSH server.
type Server struct {
	o    Options
	srv  *ssh.Server
	live *sessions

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
	s := &Server{o: o, acc: o.Access, live: newSessions(o.MaxPerUser, o.MaxSessions)}
	srv, err := wish.NewServer(
		wish.WithHostKeyPEM(o.HostKey.PEM),
		wish.WithPublicKeyAuth(s.mayLogIn),
		wish.WithMiddleware(s.dispatch, s.identity), // the last runs first: identity before anything
		ssh.EmulatePty(),                            // the program draws to the channel; no pseudo-terminal device is opened
		func(srv *ssh.Server) error {
			srv.HandshakeTimeout = o.HandshakeTimeout
			// No forwarding, no subsystems (sftp, scp): nil callbacks refuse them.
			srv.LocalPortForwardingCallback = nil
			srv.ReversePortForwardingCallback = nil
			srv.SubsystemHandlers = map[string]ssh.SubsystemHandler{}
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
// role applies to live sessions at once. It returns what changed (for the audit trail).
func (s *Server) SetAccess(f *access.File) (access.Changes, []string, []string) {
	s.mu.Lock()
	old := s.acc
	s.acc = f
	s.mu.Unlock()
	ch := access.Diff(old, f, s.o.Now())
	ended, changed := s.live.apply(ch, f)
	return ch, ended, changed
}

// Expire ends the sessions of users whose access expired by now (call it every second or so).
func (s *Server) Expire() []string {
	f := s.access()
	ended, _ := s.live.apply(access.Diff(f, f, s.o.Now()), f)
	return ended
}

// Sessions is how many sessions are live.
func (s *Server) Sessions() int { return s.live.count() }

// mayLogIn answers whether an offered key may log in at all. It binds nothing: the offer proves nothing
// (the client may not hold the private key); identity is resolved after the handshake (identity).
func (s *Server) mayLogIn(ctx ssh.Context, key ssh.PublicKey) bool {
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
		id, err := s.live.add(u, access.Fingerprint(key), sess.RemoteAddr().String(), s.o.Now(), cancel)
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
		sess.Context().SetValue(userKey{}, Session{ID: id, User: u, Fingerprint: access.Fingerprint(key),
			Remote: sess.RemoteAddr(), SSH: sess, ctx: ctx, srv: s})
		next(sess)
	}
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
