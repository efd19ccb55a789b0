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
	"time"

	"charm.land/ssh"
	"charm.land/wish/v2"
	"github.com/clubcedille/cedille-tui/internal/access"
)

// Options configure the server.
type Options struct {
	// HostKey is the server's key (LoadOrCreateHostKey).
	HostKey HostKey
	// Access returns the access file in force (reloaded by its owner); nil or empty lets nobody in.
	Access func() *access.File
	// Now is the clock the expiry dates are read against; time.Now when nil.
	Now func() time.Time
	// HandshakeTimeout ends a connection that has not authenticated in time (default 30 s).
	HandshakeTimeout time.Duration
	// Exec are the commands a session may run without a terminal (`ssh host status`), by name; any other
	// command, and a session with neither a terminal nor a command, is refused.
	Exec map[string]Command
	// Terminal handles a session with a terminal and no command (the console); nil refuses them.
	Terminal func(sess ssh.Session, u access.User)
	// Refused is told of each refusal (an unknown or expired key, a session without identity): the audit
	// trail's hook. It may be nil.
	Refused func(Refusal)
}

// Command is an exec command: it writes to the session and returns the exit status.
type Command func(ctx context.Context, s Session) int

// Session is what a command sees of its session: who, and the streams.
type Session struct {
	User        access.User
	Fingerprint string
	Remote      net.Addr
	Args        []string
	ssh         ssh.Session
}

// Write writes to the session's output.
func (s Session) Write(p []byte) (int, error) { return s.ssh.Write(p) }

// Stderr is the session's error stream.
func (s Session) Stderr() interface{ Write([]byte) (int, error) } { return s.ssh.Stderr() }

// Refusal is an authentication or session refused, for the audit trail: never a key, only its fingerprint.
type Refusal struct {
	Remote      string
	Fingerprint string
	Reason      string
}

// Server is the SSH server.
type Server struct {
	o   Options
	srv *ssh.Server
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
	s := &Server{o: o}
	srv, err := wish.NewServer(
		wish.WithHostKeyPEM(o.HostKey.PEM),
		wish.WithPublicKeyAuth(s.mayLogIn),
		wish.WithMiddleware(s.dispatch, s.identity), // the last runs first: identity before anything
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
	if s.o.Access == nil {
		return nil
	}
	return s.o.Access()
}

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

func (s *Server) refused(remote net.Addr, fp, reason string) {
	if s.o.Refused == nil {
		return
	}
	r := Refusal{Fingerprint: fp, Reason: reason}
	if remote != nil {
		r.Remote = remote.String()
	}
	s.o.Refused(r)
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
		sess.Context().SetValue(userKey{}, u)
		next(sess)
	}
}

// UserOf is the session's user, as identity bound it.
func UserOf(sess ssh.Session) (access.User, bool) {
	u, ok := sess.Context().Value(userKey{}).(access.User)
	return u, ok
}

// dispatch runs an allowed exec command, or gives a terminal session to Options.Terminal.
func (s *Server) dispatch(ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		u, ok := UserOf(sess)
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
			s.o.Terminal(sess, u)
			return
		}
		cmd, ok := s.o.Exec[args[0]]
		if !ok {
			wish.Fatalln(sess, fmt.Sprintf("%q is not a command here; the commands are: %s", args[0], strings.Join(s.commands(), ", ")))
			return
		}
		status := cmd(sess.Context(), Session{User: u, Fingerprint: access.Fingerprint(sess.PublicKey()),
			Remote: sess.RemoteAddr(), Args: args[1:], ssh: sess})
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
