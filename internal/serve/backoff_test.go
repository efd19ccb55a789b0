package serve

import (
	"strings"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/audit"
	gossh "golang.org/x/crypto/ssh"
)

func TestLimiter(t *testing.T) {
	type step struct {
		at     time.Duration // after the start
		addr   string
		fail   bool // a failure (else: an attempt, checked)
		ok     bool // the attempt allowed
		notice bool // the refusal told (the first of its window)
	}
	const a, a2, b = "10.0.0.1:5000", "10.0.0.1:6000", "10.0.0.2:5000"
	fails := func(at time.Duration, addr string, n int) []step {
		var out []step
		for range n {
			out = append(out, step{at: at, addr: addr, fail: true})
		}
		return out
	}
	cat := func(parts ...[]step) []step {
		var out []step
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"under the threshold", cat(fails(0, a, 4), []step{{at: 0, addr: a, ok: true}})},
		{"five in a minute refuse, told once", cat(fails(0, a, 5), []step{
			{at: time.Second, addr: a, notice: true}, {at: 2 * time.Second, addr: a}, {at: 3 * time.Second, addr: a}})},
		{"another port of the same host is the same address", cat(fails(0, a, 5), []step{{at: 0, addr: a2, notice: true}})},
		{"another host is not refused", cat(fails(0, a, 5), []step{{at: 0, addr: b, ok: true}})},
		{"failures spread over more than the window do not add up", cat(fails(0, a, 3), fails(61*time.Second, a, 2),
			[]step{{at: 61 * time.Second, addr: a, ok: true}})},
		{"the refusal lasts its time, then ends", cat(fails(0, a, 5), []step{
			{at: 5*time.Minute - 1, addr: a, notice: true}, {at: 5 * time.Minute, addr: a, ok: true}})},
		{"retrying while refused does not extend it", cat(fails(0, a, 5), fails(4*time.Minute, a, 10), []step{
			{at: 5 * time.Minute, addr: a, ok: true}})},
		{"a new refusal is told again", cat(fails(0, a, 5), []step{{at: time.Second, addr: a, notice: true}},
			fails(6*time.Minute, a, 5), []step{{at: 6 * time.Minute, addr: a, notice: true}, {at: 6 * time.Minute, addr: a}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := &clock{t: now}
			l := newLimiter(Backoff{}, clk.Now)
			for i, s := range tt.steps {
				clk.t = now.Add(s.at)
				if s.fail {
					l.failed(s.addr)
					continue
				}
				ok, notice, until := l.allow(s.addr)
				if ok != s.ok || notice != s.notice {
					t.Errorf("step %d (%v, %s): allowed %v told %v, want %v %v", i, s.at, s.addr, ok, notice, s.ok, s.notice)
				}
				if !ok && !until.After(clk.t) {
					t.Errorf("step %d: refused until %v, not after now", i, until)
				}
			}
		})
	}
}

// TestBackoffRefusesAnAddress: after the failed logins, even a good key is refused from that address, and
// the refusal is recorded once.
func TestBackoffRefusesAnAddress(t *testing.T) {
	addr, trail, srv := startWith(t, Options{Access: accessFile(t, "users:", userLine(t, "alice", "admin")), Backoff: Backoff{After: 3}})
	for i := range 3 {
		if _, err := run(addr, "x", "whoami", keyOf(t, "mallory")); err == nil {
			t.Fatal("an unknown key logged in")
		}
		waitState(t, "the failure counted", func() bool { n, refused := srv.fail.state("127.0.0.1"); return n == i+1 || refused })
	}
	for range 3 {
		if out, err := run(addr, "x", "whoami", keyOf(t, "alice")); err == nil {
			t.Fatalf("a refused address logged in: %q", out)
		}
	}
	told := 0
	for _, r := range trail.list() {
		if strings.Contains(r.Reason, "too many failed logins from 127.0.0.1: refused until ") {
			told++
		}
		if r.Event == audit.AuthRefused && r.Fingerprint == gossh.FingerprintSHA256(keyOf(t, "alice").PublicKey()) {
			t.Errorf("alice's key was looked at while the address was refused: %+v", r)
		}
	}
	if told != 1 {
		t.Errorf("the refusal recorded once, got %d: %+v", told, trail.list())
	}
}
