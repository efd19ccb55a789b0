package serve

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/access"
	"github.com/clubcedille/cedille-tui/internal/audit"
	"github.com/clubcedille/cedille-tui/internal/serve/servetest"
	"github.com/clubcedille/cedille-tui/internal/watch"
	gossh "golang.org/x/crypto/ssh"
)

// terminal opens a session with a pseudo-terminal of w×h and a shell (the console), as `ssh -t` does.
type terminal struct {
	client  *gossh.Client
	session *gossh.Session
	in      io.Writer
	out     *servetest.Buffer
	ended   chan error
}

func openTerminal(t *testing.T, addr string, signer gossh.Signer, w, h int) *terminal {
	t.Helper()
	c, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{User: "x", Auth: []gossh.AuthMethod{gossh.PublicKeys(signer)},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	out := &servetest.Buffer{}
	s.Stdout, s.Stderr = out, out
	in, err := s.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RequestPty("xterm-256color", h, w, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Shell(); err != nil {
		t.Fatal(err)
	}
	tm := &terminal{client: c, session: s, in: in, out: out, ended: make(chan error, 1)}
	go func() { tm.ended <- s.Wait() }()
	t.Cleanup(func() { c.Close() })
	return tm
}

// waitFor waits until ok holds of the session's output (a state, with a deadline only as a guard).
func (tm *terminal) waitFor(t *testing.T, what string, ok func(string) bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok(tm.out.String()) {
		if time.Now().After(deadline) {
			t.Fatalf("waited 20 s for %s; the session showed:\n%q", what, tail(tm.out.String()))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// seesWhole waits until the screen shows text whole. The renderer rewrites only the cells that change, so
// a changed line may never be written out in one piece: a resize makes it draw the whole screen, and
// seesWhole resizes (one column back and forth) until text shows after the last resize, or fails.
func (tm *terminal) seesWhole(t *testing.T, text string) {
	t.Helper()
	for w := 0; ; w++ {
		n := len(tm.out.String())
		if err := tm.session.WindowChange(30, 100+w%2); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(2 * time.Second)
		for time.Now().Before(deadline) {
			if strings.Contains(tm.out.String()[n:], text) {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		if w > 10 {
			t.Fatalf("the screen never showed %q whole:\n%q", text, tail(tm.out.String()))
		}
	}
}

func tail(s string) string {
	if len(s) > 2000 {
		return s[len(s)-2000:]
	}
	return s
}

func consoleHub(t *testing.T) *watch.Hub {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	hub := watch.NewHub(watch.HubOptions{Platform: "test platform", MinInterval: 10 * time.Millisecond})
	done := make(chan struct{})
	go func() { defer close(done); hub.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return hub
}

// TestConsoleOverSSH: a session with a terminal gets the console, sized to it, and q ends it.
func TestConsoleOverSSH(t *testing.T) {
	addr, _, srv := startServer(t, accessFile(t, "users:", userLine(t, "victor", "viewer")), ConsoleTerminal(consoleHub(t), nil))
	tm := openTerminal(t, addr, keyOf(t, "victor"), 80, 24)
	tm.waitFor(t, "the console's header", func(s string) bool { return strings.Contains(s, "test platform") })
	if srv.Sessions() != 1 {
		t.Errorf("one live session, counted %d", srv.Sessions())
	}
	if _, err := tm.in.Write([]byte("q")); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-tm.ended:
		if err != nil {
			t.Errorf("q ends the session cleanly: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("q did not end the session")
	}
	waitState(t, "the session unlisted", func() bool { return srv.Sessions() == 0 })
}

// TestRemovedKeyEndsItsSession: the access file put in force without a key ends that key's live session
// at once, with the reason; another user's session goes on; a lowered role applies at once.
func TestRemovedKeyEndsItsSession(t *testing.T) {
	both := accessFile(t, "users:", userLine(t, "victor", "viewer"), userLine(t, "alice", "admin"))
	addr, trail, srv := startServer(t, both, ConsoleTerminal(consoleHub(t), nil))
	victor := openTerminal(t, addr, keyOf(t, "victor"), 80, 24)
	alice := openTerminal(t, addr, keyOf(t, "alice"), 80, 24)
	victor.waitFor(t, "the console", func(s string) bool { return strings.Contains(s, "test platform") })
	alice.waitFor(t, "the console", func(s string) bool { return strings.Contains(s, "test platform") })

	_, ended, changed := srv.SetAccess(accessFile(t, "users:", userLine(t, "alice", "operator")))
	if len(ended) != 1 || len(changed) != 1 {
		t.Fatalf("one session ended (victor's), one changed (alice's): %v %v", ended, changed)
	}
	select {
	case <-victor.ended:
	case <-time.After(5 * time.Second):
		t.Fatal("the removed key's session must end within 5 s")
	}
	select {
	case err := <-alice.ended:
		t.Fatalf("alice's session ended too: %v", err)
	default:
	}
	defer func() {
		if t.Failed() {
			t.Logf("trail: %+v", trail.records())
		}
	}()
	waitState(t, "victor's disconnect recorded", func() bool {
		for _, r := range trail.records() {
			if r.Event == audit.Disconnect && r.User == "victor" {
				return r.Reason == "session ended: user removed from the access file" && r.Fingerprint == access.Fingerprint(keyOf(t, "victor").PublicKey())
			}
		}
		return false
	})
	connects := 0
	for _, r := range trail.records() {
		if r.Event == audit.Connect {
			connects++
		}
	}
	if connects != 2 {
		t.Errorf("two connects recorded, got %d: %+v", connects, trail.records())
	}
	for _, p := range srv.live.presence() {
		if p.User == "alice" && p.Role != access.Operator {
			t.Errorf("alice's role lowered to operator at once, is %v", p.Role)
		}
		if p.User == "victor" {
			t.Error("victor's session is still listed")
		}
	}
}

// TestSessionCaps: past the per-user cap a session is refused with a clear message.
func TestSessionCaps(t *testing.T) {
	f := accessFile(t, "users:", userLine(t, "alice", "admin"))
	r := newSessions(2, 3)
	u, _ := f.User("alice")
	for i := range 2 {
		if _, err := r.add(u, "fp", "remote", now, func(error) {}); err != nil {
			t.Fatalf("session %d refused: %v", i+1, err)
		}
	}
	if _, err := r.add(u, "fp", "remote", now, func(error) {}); err == nil || !strings.Contains(err.Error(), "alice already has 2 sessions open (at most 2)") {
		t.Errorf("the third of alice's sessions: %v", err)
	}
	bob := access.User{Name: "bob"}
	if _, err := r.add(bob, "fp2", "remote", now, func(error) {}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.add(access.User{Name: "carol"}, "fp3", "remote", now, func(error) {}); err == nil || !strings.Contains(err.Error(), "the console is full (3 sessions)") {
		t.Errorf("past the total: %v", err)
	}
}

// waitState waits until ok holds (a deadline only as a guard).
func waitState(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 20 s for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestPresenceLine(t *testing.T) {
	all := []Presence{{ID: "s1", User: "victor", Role: access.Viewer, Page: "Overview"},
		{ID: "s2", User: "alice", Role: access.Admin, Page: "Nodes"}, {ID: "s3", User: "bob", Role: access.Operator}}
	tests := []struct{ self, want string }{
		{"s1", "you: victor (viewer) · also here: alice (admin, Nodes), bob (operator)"},
		{"s3", "you: bob (operator) · also here: victor (viewer, Overview), alice (admin, Nodes)"},
	}
	for _, tt := range tests {
		if got := presenceLine(tt.self, all); got != tt.want {
			t.Errorf("%s sees %q, want %q", tt.self, got, tt.want)
		}
	}
	if got := presenceLine("s1", all[:1]); got != "you: victor (viewer) · nobody else is connected" {
		t.Errorf("alone: %q", got)
	}
}

// TestPresenceOverSSH: each session's console says who else is here, with their page, and follows a
// departure.
func TestPresenceOverSSH(t *testing.T) {
	addr, _, srv := startServer(t, accessFile(t, "users:", userLine(t, "victor", "viewer"), userLine(t, "alice", "admin")),
		ConsoleTerminal(consoleHub(t), nil))
	victor := openTerminal(t, addr, keyOf(t, "victor"), 100, 30)
	victor.waitFor(t, "victor alone", func(s string) bool { return strings.Contains(s, "nobody else is connected") })
	alice := openTerminal(t, addr, keyOf(t, "alice"), 100, 30)
	alice.seesWhole(t, "you: alice (admin) · also here: victor (viewer, Overview)")
	victor.seesWhole(t, "you: victor (viewer) · also here: alice (admin, Overview)")
	if _, err := alice.in.Write([]byte("q")); err != nil {
		t.Fatal(err)
	}
	<-alice.ended
	waitState(t, "alice's session gone", func() bool { return srv.Sessions() == 1 })
	victor.seesWhole(t, "you: victor (viewer) · nobody else is connected")
}
