package ceremony

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/access"
	"github.com/clubcedille/cedille-tui/internal/audit"
	"github.com/clubcedille/cedille-tui/internal/vaultops"
)

// fakeVault is one replica's unseal state, as Vault keeps it: the parts given in this attempt.
type fakeVault struct {
	mu        sync.Mutex
	threshold int
	keys      map[string]bool
	parts     []string
	sealed    bool
	down      bool
	received  int // shares received, right or wrong
}

func (v *fakeVault) progress() vaultops.Progress {
	return vaultops.Progress{Sealed: v.sealed, Progress: len(v.parts), Threshold: v.threshold}
}

// restart is the replica starting again: sealed, its progress lost.
func (v *fakeVault) restart() { v.mu.Lock(); v.sealed, v.parts = true, nil; v.mu.Unlock() }

// fakeUnsealer keeps the shares it gave, as vaultops.Unsealer does, and gives them again after a restart.
type fakeUnsealer struct {
	v     *fakeVault
	given []vaultops.Secret
}

func (u *fakeUnsealer) Given(s vaultops.Secret) bool {
	for _, g := range u.given {
		if g.Reveal() == s.Reveal() {
			return true
		}
	}
	return false
}

func (u *fakeUnsealer) Status(ctx context.Context) (vaultops.Progress, error) {
	u.v.mu.Lock()
	if u.v.down {
		u.v.mu.Unlock()
		return vaultops.Progress{}, errors.New("connection refused")
	}
	p := u.v.progress()
	u.v.mu.Unlock()
	if !p.Sealed {
		u.given = nil
	}
	if !p.Sealed || p.Progress >= len(u.given) {
		return p, nil
	}
	again := u.given
	u.given = nil
	for _, s := range again {
		var err error
		if p, err = u.send(s); err != nil {
			return p, err
		}
	}
	p.Restarted = true
	return p, nil
}

func (u *fakeUnsealer) Submit(ctx context.Context, s vaultops.Secret) (vaultops.Progress, error) {
	p, err := u.Status(ctx)
	if err != nil || !p.Sealed {
		return p, err
	}
	q, err := u.send(s)
	q.Restarted = p.Restarted
	return q, err
}

func (u *fakeUnsealer) send(s vaultops.Secret) (vaultops.Progress, error) {
	v := u.v
	v.mu.Lock()
	defer v.mu.Unlock()
	v.received++
	if strings.HasPrefix(s.Reveal(), "bad") {
		return v.progress(), errors.New("refused the share: 'key' must be a valid hex or base64 string")
	}
	v.parts = append(v.parts, s.Reveal())
	if len(v.parts) < v.threshold {
		u.given = append(u.given, s)
		return v.progress(), nil
	}
	ok := true
	for _, p := range v.parts {
		ok = ok && v.keys[p]
	}
	v.parts, u.given = nil, nil
	if !ok {
		return v.progress(), errors.New("refused the share: cipher: message authentication failed")
	}
	v.sealed = false
	return v.progress(), nil
}

// memSink keeps records in memory; it fails while fail is set.
type memSink struct {
	mu   sync.Mutex
	recs []audit.Record
	fail bool
}

func (s *memSink) Append(r audit.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail {
		return errors.New("disk full")
	}
	s.recs = append(s.recs, r)
	return nil
}

func (s *memSink) events() []audit.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []audit.Event
	for _, r := range s.recs {
		out = append(out, r.Event)
	}
	return out
}

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

var (
	admin = Actor{Name: "alice", Role: access.Admin, Session: "s1"}
	bob   = Actor{Name: "bob", Role: access.Viewer, Session: "s2"}
	carol = Actor{Name: "carol", Role: access.Operator, Session: "s3"}
	dave  = Actor{Name: "dave", Role: access.Viewer, Session: "s4"}
	eve   = Actor{Name: "eve", Role: access.Admin, Session: "s5"}
)

// shares are five shares shaped like Vault's (base64 of 33 bytes).
var shares = []string{
	"q1Vh8mZ3nR0tYw2Lp4Xc7Bf9Ks6Dj5Ag1Ee0Hi3Oo2Uu",
	"Z9yX8wV7uT6sR5qP4oN3mL2kJ1iH0gF9eD8cB7aA6zY5",
	"M3nB4vC5xZ6lK7jH8gF9dS0aP1oI2uY3tR4eW5qQ6wE7",
	"T7yU8iO9pA0sD1fG2hJ3kL4zX5cV6bN7mQ8wE9rT0yU1",
	"H2jK3lZ4xC5vB6nM7qW8eR9tY0uI1oP2aS3dF4gH5jK6",
}

func newVaults(n int) []*fakeVault {
	out := make([]*fakeVault, n)
	for i := range out {
		out[i] = &fakeVault{threshold: 3, sealed: true, keys: map[string]bool{}}
		for _, s := range shares {
			out[i].keys[s] = true
		}
	}
	return out
}

func replicasOf(vs []*fakeVault) []Replica {
	out := make([]Replica, len(vs))
	for i, v := range vs {
		out[i] = Replica{Name: fmt.Sprintf("vault-%d", i), Unsealer: &fakeUnsealer{v: v}}
	}
	return out
}

type fixture struct {
	c      *Ceremony
	vaults []*fakeVault
	sink   *memSink
	clock  *clock
}

func open(t *testing.T, replicas int) fixture {
	t.Helper()
	f := fixture{vaults: newVaults(replicas), sink: &memSink{}, clock: &clock{t: time.Date(2026, 11, 21, 3, 4, 5, 0, time.UTC)}}
	c, err := Open(Unseal, admin, replicasOf(f.vaults), []string{"bob", "carol", "dave"}, 30*time.Minute,
		Options{Sink: f.sink, Now: f.clock.now})
	if err != nil {
		t.Fatal(err)
	}
	f.c = c
	return f
}

// secret returns a share for Submit and a second handle on the same bytes, to see them wiped.
func secret(s string) (vaultops.Secret, vaultops.Secret) {
	v := vaultops.NewSecret(s)
	return v, v
}

func wiped(t *testing.T, handle vaultops.Secret, what string) {
	t.Helper()
	if strings.Trim(handle.Reveal(), "\x00") != "" {
		t.Errorf("%s: the share is still in memory", what)
	}
}

func TestOpen(t *testing.T) {
	auto := []Replica{{Name: "vault-0", Unsealer: &fakeUnsealer{}, AutoUnseal: true}}
	plain := replicasOf(newVaults(2))
	for _, tc := range []struct {
		name       string
		kind       Kind
		owner      Actor
		replicas   []Replica
		custodians []string
		failSink   bool
		want       string // "" when it opens
	}{
		{"admin opens an unseal", Unseal, admin, plain, []string{"bob"}, false, ""},
		{"an operator is refused", Unseal, carol, plain, []string{"bob"}, false, "needs the admin role; carol is operator"},
		{"a viewer is refused", GenerateRoot, bob, plain, []string{"bob"}, false, "needs the admin role; bob is viewer"},
		{"auto-unseal: recovery shares cannot unseal", Unseal, admin, auto, []string{"bob"}, false, "the KMS is the blocker"},
		{"auto-unseal: generate-root is offered", Unseal, admin, auto, []string{"bob"}, false, "open a generate-root ceremony instead"},
		{"no custodian", Unseal, admin, plain, nil, false, "nobody is a custodian"},
		{"no replica", Unseal, admin, nil, []string{"bob"}, false, "at least one Vault replica"},
		{"generate-root needs a way to start", GenerateRoot, admin, plain, []string{"bob"}, false, "cannot start a generate-root attempt"},
		{"the opening cannot be audited", Unseal, admin, plain, []string{"bob"}, true, "audit trail cannot be written"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sink := &memSink{fail: tc.failSink}
			c, err := Open(tc.kind, tc.owner, tc.replicas, tc.custodians, time.Minute, Options{Sink: sink})
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if !regexp.MustCompile(`^[0-9a-f]{8}$`).MatchString(c.ID) ||
					!regexp.MustCompile(`^[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}$`).MatchString(c.Fingerprint) {
					t.Errorf("id %q, fingerprint %q", c.ID, c.Fingerprint)
				}
				if ev := sink.events(); len(ev) != 1 || ev[0] != audit.CeremonyOpened {
					t.Errorf("audit: %v", ev)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
			if strings.Contains(tc.name, "auto-unseal") && !errors.Is(err, ErrRecoveryShares) {
				t.Errorf("not ErrRecoveryShares: %v", err)
			}
			if len(sink.events()) != 0 {
				t.Errorf("a refused opening was recorded: %v", sink.events())
			}
		})
	}
	// Generate-root is what an auto-unseal Vault offers.
	auto[0].StartRoot = func(context.Context) (RootAttempt, error) { return &fakeRoot{required: 1}, nil }
	if _, err := Open(GenerateRoot, admin, auto, []string{"bob"}, time.Minute, Options{Sink: &memSink{}}); err != nil {
		t.Errorf("generate-root on an auto-unseal Vault: %v", err)
	}
}

// TestConcurrentUnseal: three custodians submit at once; each share reaches every replica; the last
// unseals all three, the ceremony completes and wipes the shares; the trail holds who, never what.
func TestConcurrentUnseal(t *testing.T) {
	f := open(t, 3)
	ch, stop := f.c.Watch()
	defer stop()
	var wg sync.WaitGroup
	handles := make([]vaultops.Secret, 3)
	errs := make([]error, 3)
	for i, who := range []Actor{bob, carol, dave} {
		s, h := secret(shares[i])
		handles[i] = h
		wg.Go(func() { errs[i] = f.c.Submit(context.Background(), who, s) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("custodian %d: %v", i, err)
		}
	}
	<-ch // told of the change
	v := f.c.View()
	if v.Phase != Completed {
		t.Fatalf("phase %v, progress %v", v.Phase, v.Replicas)
	}
	for _, r := range f.c.Progress() {
		if !r.Known || r.Sealed || r.String() != r.Name+": unsealed" {
			t.Errorf("%v", r)
		}
	}
	for i, vv := range f.vaults {
		if vv.sealed || vv.received != 3 {
			t.Errorf("vault-%d: sealed %v, %d shares received", i, vv.sealed, vv.received)
		}
	}
	for i, h := range handles {
		wiped(t, h, fmt.Sprintf("share %d after completion", i))
	}
	for _, cu := range v.Custodians {
		if cu.Submitted.IsZero() || cu.Joined.IsZero() {
			t.Errorf("%s: %+v", cu.Name, cu)
		}
	}
	ev := f.sink.events()
	count := map[audit.Event]int{}
	for _, e := range ev {
		count[e]++
	}
	if count[audit.CeremonyOpened] != 1 || count[audit.CeremonyJoined] != 3 || count[audit.CeremonySubmitted] != 3 ||
		count[audit.CeremonyCompleted] != 1 || ev[len(ev)-1] != audit.CeremonyCompleted {
		t.Errorf("audit: %v", ev)
	}
	noSecret(t, f.sink)
}

// noSecret scans every record for any share.
func noSecret(t *testing.T, s *memSink) {
	t.Helper()
	b, err := json.Marshal(s.recs)
	if err != nil {
		t.Fatal(err)
	}
	for i, sh := range shares {
		if strings.Contains(string(b), sh) || strings.Contains(string(b), sh[:12]) {
			t.Errorf("share %d is in the audit records", i)
		}
	}
}

func TestSubmitRefused(t *testing.T) {
	f := open(t, 1)
	if err := f.c.Submit(context.Background(), bob, vaultops.NewSecret(shares[0])); err != nil {
		t.Fatal(err)
	}
	f.clock.add(time.Minute)
	for _, tc := range []struct {
		name  string
		who   Actor
		share string
		want  string
	}{
		{"a second submission", bob, shares[1], "bob already submitted a share to ceremony " + f.c.ID + ", at 03:04:05 UTC"},
		{"not a custodian", eve, shares[1], "eve is not a custodian"},
		{"an empty share", carol, "", "the share is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := f.vaults[0].received
			s, h := secret(tc.share)
			err := f.c.Submit(context.Background(), tc.who, s)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
			if f.vaults[0].received != before {
				t.Error("a refused submission reached Vault")
			}
			wiped(t, h, "a refused share")
		})
	}
	if p := f.c.Progress()[0]; p.Progress != 1 || p.Threshold != 3 || p.String() != "vault-0: 1 of 3" {
		t.Errorf("progress %v", p)
	}
}

// TestWrongShare: a share Vault refuses is refused with the progress kept, and does not count; a share
// that completes a wrong combination makes Vault drop the attempt: progress 0, everyone submits again.
func TestWrongShare(t *testing.T) {
	f := open(t, 2)
	ctx := context.Background()
	if err := f.c.Submit(ctx, bob, vaultops.NewSecret(shares[0])); err != nil {
		t.Fatal(err)
	}
	s, h := secret("bad share")
	err := f.c.Submit(ctx, carol, s)
	if err == nil || !strings.Contains(err.Error(), "the share was refused") {
		t.Fatalf("a malformed share: %v", err)
	}
	wiped(t, h, "a refused share")
	for _, p := range f.c.Progress() {
		if p.Progress != 1 || !p.Sealed {
			t.Errorf("progress not kept: %v", p)
		}
	}
	if err := f.c.Submit(ctx, carol, vaultops.NewSecret(shares[1])); err != nil {
		t.Fatalf("carol again, with the right share: %v", err)
	}
	// A share of another Vault completes the count: Vault drops everything.
	err = f.c.Submit(ctx, dave, vaultops.NewSecret("Xx0"+shares[2][3:]))
	if err == nil || !strings.Contains(err.Error(), "every custodian submits again") {
		t.Fatalf("a wrong combination: %v", err)
	}
	v := f.c.View()
	for _, p := range v.Replicas {
		if p.Progress != 0 || !p.Sealed {
			t.Errorf("progress after a wrong combination: %v", p)
		}
	}
	for _, cu := range v.Custodians {
		if !cu.Submitted.IsZero() {
			t.Errorf("%s still counted as submitted", cu.Name)
		}
	}
	for _, who := range []Actor{bob, carol, dave} {
		if err := f.c.Submit(ctx, who, vaultops.NewSecret(shares[len(who.Name)%5])); err != nil {
			t.Fatalf("%s: %v", who.Name, err)
		}
	}
	if f.c.View().Phase != Completed {
		t.Errorf("not unsealed: %v", f.c.Progress())
	}
	if ev := f.sink.events(); !containsEvent(ev, audit.ActionFailed) {
		t.Errorf("refusals not audited: %v", ev)
	}
	noSecret(t, f.sink)
}

func containsEvent(ev []audit.Event, e audit.Event) bool {
	for _, x := range ev {
		if x == e {
			return true
		}
	}
	return false
}

// TestRestartMidway: a replica that restarts after two shares is noticed at the next Refresh, said, and
// given the two shares again; one that was unsealed and restarts is given them too; one unreachable at a
// submission gets the shares it missed when it is back.
func TestRestartMidway(t *testing.T) {
	f := open(t, 3)
	ctx := context.Background()
	for i, who := range []Actor{bob, carol} {
		if err := f.c.Submit(ctx, who, vaultops.NewSecret(shares[i])); err != nil {
			t.Fatal(err)
		}
	}
	f.vaults[1].restart()
	f.vaults[2].mu.Lock()
	f.vaults[2].down = true
	f.vaults[2].mu.Unlock()
	if err := f.c.Refresh(ctx); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("refresh with vault-2 down: %v", err)
	}
	p := f.c.Progress()
	if p[1].Progress != 2 || !strings.Contains(p[1].Note, "vault-1 restarted: its progress was reset; the shares given so far are given again") {
		t.Fatalf("vault-1 after its restart: %+v", p[1])
	}
	if p[2].Progress != 2 || p[2].Err == "" {
		t.Errorf("vault-2 down keeps its last progress and says why: %+v", p[2])
	}
	if err := f.c.Submit(ctx, dave, vaultops.NewSecret(shares[2])); err != nil {
		t.Fatalf("dave with vault-2 down: %v", err)
	}
	if v := f.c.View(); v.Phase != Running || v.Replicas[0].Sealed || v.Replicas[1].Sealed || !v.Replicas[2].Sealed {
		t.Fatalf("after dave: %v %v", v.Phase, v.Replicas)
	}
	// vault-0, unsealed, restarts too: the shares are still held for vault-2, and given to it again.
	f.vaults[0].restart()
	f.vaults[2].mu.Lock()
	f.vaults[2].down = false
	f.vaults[2].mu.Unlock()
	if err := f.c.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	v := f.c.View()
	if v.Phase != Completed {
		t.Fatalf("phase %v: %v", v.Phase, v.Replicas)
	}
	if !strings.Contains(strings.Join(v.Notes, "\n"), "vault-0 restarted") {
		t.Errorf("notes: %v", v.Notes)
	}
	for i, vv := range f.vaults {
		if vv.sealed {
			t.Errorf("vault-%d sealed", i)
		}
	}
}

func TestAbort(t *testing.T) {
	f := open(t, 2)
	ctx := context.Background()
	s, h := secret(shares[0])
	if err := f.c.Submit(ctx, bob, s); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		by     Actor
		reason string
		want   string
	}{
		{eve, "mine now", "only alice, who opened ceremony"},
		{admin, "  ", "a reason is required"},
	} {
		if err := f.c.Abort(ctx, tc.by, tc.reason); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("abort by %s: %v, want %q", tc.by.Name, err, tc.want)
		}
	}
	if f.c.View().Phase != Running {
		t.Fatal("a refused abort ended the ceremony")
	}
	if err := f.c.Abort(ctx, admin, "wrong cluster"); err != nil {
		t.Fatal(err)
	}
	wiped(t, h, "a held share after the abort")
	v := f.c.View()
	if v.Phase != Aborted || v.Reason != "by alice: wrong cluster" {
		t.Errorf("%v %q", v.Phase, v.Reason)
	}
	if err := f.c.Submit(ctx, carol, vaultops.NewSecret(shares[1])); err == nil || !strings.Contains(err.Error(), "is aborted (by alice: wrong cluster)") {
		t.Errorf("a submission after the abort: %v", err)
	}
	if err := f.c.Abort(ctx, admin, "again"); err == nil {
		t.Error("aborted twice")
	}
	ev := f.sink.events()
	if ev[len(ev)-1] != audit.CeremonyAborted {
		t.Errorf("audit: %v", ev)
	}
	// The sink failing does not keep a ceremony (and its shares) alive.
	g := open(t, 1)
	s, h = secret(shares[0])
	if err := g.c.Submit(ctx, bob, s); err != nil {
		t.Fatal(err)
	}
	g.sink.mu.Lock()
	g.sink.fail = true
	g.sink.mu.Unlock()
	if err := g.c.Abort(ctx, admin, "disk full"); err == nil {
		t.Error("the audit failure is not said")
	}
	wiped(t, h, "a held share after an abort the trail could not record")
	if g.c.View().Phase != Aborted {
		t.Error("not aborted")
	}
}

func TestExpire(t *testing.T) {
	f := open(t, 1)
	ctx := context.Background()
	s, h := secret(shares[0])
	if err := f.c.Submit(ctx, bob, s); err != nil {
		t.Fatal(err)
	}
	if ended, err := f.c.Expire(ctx, f.clock.now().Add(29*time.Minute)); ended || err != nil {
		t.Fatalf("expired early: %v %v", ended, err)
	}
	f.clock.add(30 * time.Minute)
	if err := f.c.Submit(ctx, carol, vaultops.NewSecret(shares[1])); err == nil || !strings.Contains(err.Error(), "timed out at 03:34:05") {
		t.Errorf("a submission after the deadline: %v", err)
	}
	if f.vaults[0].received != 1 {
		t.Error("a share reached Vault after the deadline")
	}
	if ended, err := f.c.Expire(ctx, f.clock.now()); !ended || err != nil {
		t.Fatalf("not expired: %v %v", ended, err)
	}
	wiped(t, h, "a held share after expiry")
	if v := f.c.View(); v.Phase != Expired || v.Reason != "timed out after 30m0s" {
		t.Errorf("%v %q", v.Phase, v.Reason)
	}
	if ended, _ := f.c.Expire(ctx, f.clock.now()); ended {
		t.Error("expired twice")
	}
	if ev := f.sink.events(); ev[len(ev)-1] != audit.CeremonyAborted {
		t.Errorf("audit: %v", ev)
	}
}

// TestAuditFailClosed: when a step cannot be recorded it is refused and nothing reaches Vault.
func TestAuditFailClosed(t *testing.T) {
	for _, step := range []string{"join", "submit"} {
		t.Run(step, func(t *testing.T) {
			f := open(t, 2)
			f.sink.mu.Lock()
			f.sink.fail = true
			f.sink.mu.Unlock()
			var err error
			if step == "join" {
				err = f.c.Join(bob)
			} else {
				s, h := secret(shares[0])
				err = f.c.Submit(context.Background(), bob, s)
				wiped(t, h, "a share refused for the trail")
			}
			if err == nil || !strings.Contains(err.Error(), "audit trail cannot be written") {
				t.Fatalf("err %v", err)
			}
			for i, v := range f.vaults {
				if v.received != 0 {
					t.Errorf("vault-%d received %d shares", i, v.received)
				}
			}
			v := f.c.View()
			if !v.Custodians[0].Joined.IsZero() || !v.Custodians[0].Submitted.IsZero() {
				t.Errorf("bob: %+v", v.Custodians[0])
			}
		})
	}
}

// fakeRoot is a generate-root attempt that makes a token after required shares.
type fakeRoot struct {
	required, given int
	cancelled       bool
}

func (r *fakeRoot) Provide(_ context.Context, s vaultops.Secret) (vaultops.Secret, bool, error) {
	if strings.HasPrefix(s.Reveal(), "bad") {
		return vaultops.Secret{}, false, errors.New("vault refused the share: invalid key")
	}
	r.given++
	if r.given < r.required {
		return vaultops.Secret{}, false, nil
	}
	return vaultops.NewSecret("hvs.NewRootTokenForTheOwnerOnly0123"), false, nil
}
func (r *fakeRoot) Progress() (int, int)         { return r.given, r.required }
func (r *fakeRoot) Cancel(context.Context) error { r.cancelled = true; return nil }

func TestGenerateRoot(t *testing.T) {
	ctx := context.Background()
	root := &fakeRoot{required: 2}
	started := 0
	rep := Replica{Name: "vault-0", StartRoot: func(context.Context) (RootAttempt, error) { started++; return root, nil }}
	sink := &memSink{}
	c, err := Open(GenerateRoot, admin, []Replica{rep}, []string{"bob", "carol"}, time.Hour, Options{Sink: sink})
	if err != nil {
		t.Fatal(err)
	}
	if started != 0 {
		t.Error("the attempt started before the first submission was audited")
	}
	s, h := secret(shares[0])
	if err := c.Submit(ctx, bob, s); err != nil {
		t.Fatal(err)
	}
	wiped(t, h, "a generate-root share Vault took")
	if p := c.Progress()[0]; p.Progress != 1 || p.Threshold != 2 {
		t.Errorf("progress %v", p)
	}
	if err := c.Submit(ctx, carol, vaultops.NewSecret("bad")); err == nil {
		t.Error("a refused share accepted")
	}
	if err := c.Submit(ctx, carol, vaultops.NewSecret(shares[1])); err != nil {
		t.Fatal(err)
	}
	if v := c.View(); v.Phase != Completed || !v.TokenReady || started != 1 {
		t.Fatalf("%+v, started %d", v, started)
	}
	if _, err := c.Token(bob); err == nil {
		t.Error("the token went to a custodian")
	}
	tok, err := c.Token(admin)
	if err != nil || !strings.HasPrefix(tok.Reveal(), "hvs.") {
		t.Fatalf("the owner's token: %v", err)
	}
	if _, err := c.Token(admin); err == nil {
		t.Error("the token was handed twice")
	}
	b, _ := json.Marshal(sink.recs)
	if strings.Contains(string(b), "hvs.") {
		t.Error("the token is in the audit records")
	}
	noSecret(t, sink)
}

func TestAbortCancelsGenerateRoot(t *testing.T) {
	root := &fakeRoot{required: 3}
	rep := Replica{Name: "vault-0", StartRoot: func(context.Context) (RootAttempt, error) { return root, nil }}
	c, err := Open(GenerateRoot, admin, []Replica{rep}, []string{"bob"}, time.Hour, Options{Sink: &memSink{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Submit(context.Background(), bob, vaultops.NewSecret(shares[0])); err != nil {
		t.Fatal(err)
	}
	if err := c.Abort(context.Background(), admin, "drill over"); err != nil || !root.cancelled {
		t.Errorf("abort: %v, cancelled %v", err, root.cancelled)
	}
}
