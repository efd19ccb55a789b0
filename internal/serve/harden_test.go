package serve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/audit"
	"github.com/clubcedille/cedille-tui/internal/serve/servetest"
	gossh "golang.org/x/crypto/ssh"
)

// echo is a terminal handler that says ready, redraws without end (as the console does: the transport
// sees writes all the time), answers each key with "got K", and panics on "p".
func echo(s Session) {
	fmt.Fprint(s, "ready\r\n")
	keys := make(chan byte)
	go func() {
		buf := make([]byte, 1)
		for {
			n, err := s.SSH.Read(buf)
			if err != nil {
				return
			}
			if n > 0 {
				select {
				case keys <- buf[0]:
				case <-s.Context().Done():
					return
				}
			}
		}
	}()
	redraw := time.NewTicker(2 * time.Millisecond)
	defer redraw.Stop()
	for frame := 0; ; frame++ {
		select {
		case <-s.Context().Done():
			return
		case k := <-keys:
			if k == 'p' {
				panic("injected")
			}
			fmt.Fprintf(s, "got %c\r\n", k)
		case <-redraw.C:
			fmt.Fprintf(s, "\x1b[Hframe %d", frame)
		}
	}
}

func ended(t *testing.T, tm *terminal) error {
	t.Helper()
	select {
	case err := <-tm.ended:
		return err
	case <-time.After(20 * time.Second):
		t.Fatal("the session did not end")
		return nil
	}
}

func disconnectOf(t *testing.T, trail *refusals, user string) audit.Record {
	t.Helper()
	var rec audit.Record
	waitState(t, user+"'s disconnect recorded", func() bool {
		for _, r := range trail.records() {
			if r.Event == audit.Disconnect && r.User == user {
				rec = r
				return true
			}
		}
		return false
	})
	return rec
}

// TestPanicEndsOnlyItsSession: a panic in one session's terminal handler or exec command ends that
// session, with a line saying so and the reason recorded; the server and another session go on.
func TestPanicEndsOnlyItsSession(t *testing.T) {
	logs := &servetest.Buffer{}
	addr, trail, srv := startWith(t, Options{Access: accessFile(t, "users:", userLine(t, "victor", "viewer"), userLine(t, "alice", "admin")),
		Terminal: echo, Log: slog.New(slog.NewTextHandler(logs, nil)),
		Exec: map[string]Command{"boom": func(context.Context, Session) int { panic("injected in a command") }}})
	victor := openTerminal(t, addr, keyOf(t, "victor"), 80, 24)
	alice := openTerminal(t, addr, keyOf(t, "alice"), 80, 24)
	victor.waitFor(t, "ready", func(s string) bool { return strings.Contains(s, "ready") })
	alice.waitFor(t, "ready", func(s string) bool { return strings.Contains(s, "ready") })

	if _, err := victor.in.Write([]byte("p")); err != nil {
		t.Fatal(err)
	}
	var exit *gossh.ExitError
	if err := ended(t, victor); !errors.As(err, &exit) || exit.ExitStatus() != 1 {
		t.Errorf("the panicked session exits 1: %v", err)
	}
	if !strings.Contains(victor.out.String(), ErrInternal.Error()) {
		t.Errorf("the panicked session is told why:\n%q", tail(victor.out.String()))
	}
	if r := disconnectOf(t, trail, "victor"); r.Reason != ErrInternal.Error() {
		t.Errorf("the disconnect's reason: %q", r.Reason)
	}
	if strings.Contains(victor.out.String(), "goroutine ") || !strings.Contains(logs.String(), "injected") {
		t.Errorf("the stack goes to the log, never to the person: log %q", logs.String())
	}

	if _, err := alice.in.Write([]byte("k")); err != nil {
		t.Fatal(err)
	}
	alice.waitFor(t, "the other session still answering", func(s string) bool { return strings.Contains(s, "got k") })

	out, err := run(addr, "x", "boom", keyOf(t, "alice"))
	if err == nil || !strings.Contains(out, ErrInternal.Error()) {
		t.Errorf("a panicking command: %v %q", err, out)
	}
	if out, err := run(addr, "x", "whoami", keyOf(t, "alice")); err != nil || !strings.HasPrefix(out, "alice admin") {
		t.Errorf("the server goes on after a command's panic: %v %q", err, out)
	}
	waitState(t, "only alice's terminal left", func() bool { return srv.Sessions() == 1 })
}

// TestWindowChanges: sizes of nothing, of 65535 and of 2³²-1, and 10,000 resizes in a row leave the
// console drawing and answering.
func TestWindowChanges(t *testing.T) {
	addr, _, srv := startServer(t, accessFile(t, "users:", userLine(t, "victor", "viewer")), ConsoleTerminal(consoleHub(t), nil))
	tm := openTerminal(t, addr, keyOf(t, "victor"), 80, 24)
	tm.waitFor(t, "the console's header", func(s string) bool { return strings.Contains(s, "test platform") })
	for _, size := range [][2]int{{0, 0}, {1, 1}, {65535, 65535}, {math.MaxUint32, math.MaxUint32}, {0, 65535}} {
		if err := tm.session.WindowChange(size[1], size[0]); err != nil {
			t.Fatalf("%v: %v", size, err)
		}
	}
	for i := range 10000 {
		if err := tm.session.WindowChange(1+i%300, 1+i%500); err != nil {
			t.Fatalf("resize %d: %v", i, err)
		}
	}
	before := len(tm.out.String())
	if err := tm.session.WindowChange(24, 80); err != nil {
		t.Fatal(err)
	}
	tm.waitFor(t, "the console drawn again at 80×24", func(s string) bool { return strings.Contains(s[before:], "test platform") })
	if srv.Sessions() != 1 {
		t.Errorf("the session is live: %d", srv.Sessions())
	}
	if _, err := tm.in.Write([]byte("q")); err != nil {
		t.Fatal(err)
	}
	if err := ended(t, tm); err != nil {
		t.Errorf("q still ends the session cleanly: %v", err)
	}
}

func TestClampSize(t *testing.T) {
	tests := []struct{ w, h, ww, wh int }{
		{0, 0, 0, 0}, {80, 24, 80, 24}, {65535, 65535, maxSide, maxSide}, {-1, 5, 0, 5}, {math.MaxUint32, 1, maxSide, 1},
	}
	for _, tt := range tests {
		if w, h := clampSize(tt.w, tt.h); w != tt.ww || h != tt.wh {
			t.Errorf("clampSize(%d, %d) = %d, %d, want %d, %d", tt.w, tt.h, w, h, tt.ww, tt.wh)
		}
	}
}

// TestForwardingRefused: subsystems, port forwarding both ways, agent and X11 forwarding are refused.
func TestForwardingRefused(t *testing.T) {
	addr, _ := start(t, accessFile(t, "users:", userLine(t, "alice", "admin")))
	dial := func(t *testing.T) *gossh.Client {
		c, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{User: "alice", Auth: []gossh.AuthMethod{gossh.PublicKeys(keyOf(t, "alice"))},
			HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	session := func(t *testing.T, c *gossh.Client) *gossh.Session {
		s, err := c.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	request := func(kind string, payload []byte) func(t *testing.T, c *gossh.Client) error {
		return func(t *testing.T, c *gossh.Client) error {
			ok, err := session(t, c).SendRequest(kind, true, payload)
			if err != nil {
				return err
			}
			if ok {
				return nil
			}
			return errors.New("refused")
		}
	}
	target, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	x11 := gossh.Marshal(struct {
		Single           bool
		Protocol, Cookie string
		Screen           uint32
	}{false, "MIT-MAGIC-COOKIE-1", "00", 0})

	tests := []struct {
		name string
		try  func(t *testing.T, c *gossh.Client) error
	}{
		{"sftp subsystem", func(t *testing.T, c *gossh.Client) error { return session(t, c).RequestSubsystem("sftp") }},
		{"scp subsystem", func(t *testing.T, c *gossh.Client) error { return session(t, c).RequestSubsystem("scp") }},
		{"scp as a command", func(t *testing.T, c *gossh.Client) error {
			out, err := session(t, c).CombinedOutput("scp -t /tmp")
			if err != nil && !strings.Contains(string(out), `"scp" is not a command here`) {
				t.Errorf("refused with the command list: %q", out)
			}
			return err
		}},
		{"local port forwarding (direct-tcpip)", func(_ *testing.T, c *gossh.Client) error {
			conn, err := c.Dial("tcp", target.Addr().String())
			if err == nil {
				conn.Close()
			}
			return err
		}},
		{"remote port forwarding (tcpip-forward)", func(_ *testing.T, c *gossh.Client) error {
			l, err := c.Listen("tcp", "127.0.0.1:0")
			if err == nil {
				l.Close()
			}
			return err
		}},
		{"agent forwarding", request("auth-agent-req@openssh.com", nil)},
		{"X11 forwarding", request("x11-req", x11)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dial(t)
			agent := c.HandleChannelOpen("auth-agent@openssh.com")
			if err := tt.try(t, c); err == nil {
				t.Fatal("accepted")
			}
			// The connection is still good (a refusal, not a crash), and no agent channel was opened to us.
			if out, err := session(t, c).CombinedOutput("whoami"); err != nil || !strings.HasPrefix(string(out), "alice admin") {
				t.Errorf("after the refusal: %v %q", err, out)
			}
			select {
			case ch := <-agent:
				t.Errorf("the server opened an agent channel: %v", ch)
			default:
			}
		})
	}
}

// TestHandshakeTimeout: a TCP connection that never speaks SSH is closed after the handshake timeout.
func TestHandshakeTimeout(t *testing.T) {
	addr, _, srv := startWith(t, Options{Access: accessFile(t, "users:", userLine(t, "alice", "admin")), HandshakeTimeout: 100 * time.Millisecond})
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second)) // a guard: the server must close it long before
	banner, err := io.ReadAll(conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("the half-open connection was still open after 20 s")
	}
	if !strings.HasPrefix(string(banner), "SSH-2.0-") {
		t.Errorf("the server spoke first, then closed: %q", banner)
	}
	waitState(t, "the silent connection counted as a failed login", func() bool { n, _ := srv.fail.state("127.0.0.1"); return n == 1 })
}

// clock is a clock the test moves.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestIdleAndLifetime: a session nobody types in ends after the idle timeout however much its screen
// redraws; keys keep it open, up to its maximum lifetime. Each end is told and recorded with why.
func TestIdleAndLifetime(t *testing.T) {
	clk := &clock{t: now}
	addr, trail, _ := startWith(t, Options{Access: accessFile(t, "users:", userLine(t, "victor", "viewer"), userLine(t, "alice", "admin")),
		Terminal: echo, Now: clk.Now, IdleTimeout: 15 * time.Minute, MaxLifetime: time.Hour, tick: 2 * time.Millisecond})

	victor := openTerminal(t, addr, keyOf(t, "victor"), 80, 24)
	victor.waitFor(t, "ready", func(s string) bool { return strings.Contains(s, "ready") })
	clk.add(16 * time.Minute)
	ended(t, victor)
	if !strings.Contains(victor.out.String(), ErrIdle.Error()) {
		t.Errorf("the idle session is told why:\n%q", tail(victor.out.String()))
	}
	if r := disconnectOf(t, trail, "victor"); r.Reason != ErrIdle.Error() {
		t.Errorf("the idle disconnect's reason: %q", r.Reason)
	}

	alice := openTerminal(t, addr, keyOf(t, "alice"), 80, 24)
	alice.waitFor(t, "ready", func(s string) bool { return strings.Contains(s, "ready") })
	for i := range 4 { // 56 minutes, a key every 14: never idle
		clk.add(14 * time.Minute)
		key := fmt.Sprintf("got %d", i)
		if _, err := fmt.Fprint(alice.in, i); err != nil {
			t.Fatalf("alice's session ended after %d keys: %v", i, err)
		}
		alice.waitFor(t, key, func(s string) bool { return strings.Contains(s, key) })
	}
	clk.add(14 * time.Minute)
	ended(t, alice)
	if r := disconnectOf(t, trail, "alice"); r.Reason != ErrLifetime.Error() {
		t.Errorf("the lifetime disconnect's reason: %q (keys keep a session from idling)", r.Reason)
	}
	if !strings.Contains(alice.out.String(), ErrLifetime.Error()) {
		t.Errorf("the session is told why:\n%q", tail(alice.out.String()))
	}
}

func TestOverdue(t *testing.T) {
	start := now
	tests := []struct {
		name           string
		at, lastRead   time.Duration // after start
		idle, lifetime time.Duration
		want           *ErrEnded
	}{
		{"fresh", 0, 0, 15 * time.Minute, time.Hour, nil},
		{"just before idle", 15*time.Minute - 1, 0, 15 * time.Minute, time.Hour, nil},
		{"idle", 15 * time.Minute, 0, 15 * time.Minute, time.Hour, ErrIdle},
		{"a recent key", 20 * time.Minute, 10 * time.Minute, 15 * time.Minute, time.Hour, nil},
		{"lifetime, however recent the key", time.Hour, time.Hour, 15 * time.Minute, time.Hour, ErrLifetime},
		{"lifetime first when both", 2 * time.Hour, 0, 15 * time.Minute, time.Hour, ErrLifetime},
		{"no limits", 100 * time.Hour, 0, -1, -1, nil},
	}
	for _, tt := range tests {
		if got := overdue(start.Add(tt.at), start, start.Add(tt.lastRead), tt.idle, tt.lifetime); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestExpiredUserEnds: a live session ends, with the reason told and recorded, once its user's expires
// date has passed; another user's session goes on.
func TestExpiredUserEnds(t *testing.T) {
	clk := &clock{t: now}
	k := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(keyOf(t, "victor").PublicKey())))
	victorUntilToday := fmt.Sprintf("  - {name: victor, role: viewer, expires: %s, keys: [%q]}", now.Format(time.DateOnly), k)
	addr, trail, srv := startWith(t, Options{Access: accessFile(t, "users:", victorUntilToday, userLine(t, "alice", "admin")),
		Terminal: echo, Now: clk.Now, IdleTimeout: -1, MaxLifetime: -1, tick: 2 * time.Millisecond})

	victor := openTerminal(t, addr, keyOf(t, "victor"), 80, 24)
	alice := openTerminal(t, addr, keyOf(t, "alice"), 80, 24)
	victor.waitFor(t, "ready", func(s string) bool { return strings.Contains(s, "ready") })
	alice.waitFor(t, "ready", func(s string) bool { return strings.Contains(s, "ready") })
	clk.add(24 * time.Hour)
	ended(t, victor)
	const why = "session ended: access expired"
	if !strings.Contains(victor.out.String(), why) {
		t.Errorf("the expired session is told why:\n%q", tail(victor.out.String()))
	}
	if r := disconnectOf(t, trail, "victor"); r.Reason != why {
		t.Errorf("the expired disconnect's reason: %q", r.Reason)
	}
	if srv.Sessions() != 1 {
		t.Errorf("alice's session goes on: %d live", srv.Sessions())
	}
}
