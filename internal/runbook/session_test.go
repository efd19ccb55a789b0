package runbook

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/access"
	"github.com/clubcedille/cedille-tui/internal/actions"
	"github.com/clubcedille/cedille-tui/internal/audit"
	k8stypes "k8s.io/apimachinery/pkg/types"
)

// fakeActor stands for the dispatcher: it records what it is asked, refuses a write whose object changed.
type fakeActor struct {
	mu      sync.Mutex
	run     string
	did     []string
	changed map[string]bool // objects changed since their preview: the next Do is refused
}

func (f *fakeActor) Preview(_ context.Context, name string, t actions.Target) (actions.Preview, error) {
	return actions.Preview{Action: name, Target: t, Expect: actions.Precondition{UID: "u-" + k8stypes.UID(t.Name), ResourceVersion: "1"}}, nil
}

func (f *fakeActor) Do(_ context.Context, name string, t actions.Target, c actions.Confirmation) (actions.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.changed[t.String()] {
		delete(f.changed, t.String())
		return actions.Result{}, &actions.ChangedError{Target: t, Why: "modified"}
	}
	f.did = append(f.did, name+" "+t.String())
	return actions.Result{Action: name, Target: t, As: "cedille:alice"}, nil
}

// trail keeps the records; it fails while fail is set.
type trail struct {
	mu   sync.Mutex
	recs []audit.Record
	fail bool
}

func (t *trail) add(r audit.Record) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.fail {
		return errors.New("disk full")
	}
	t.recs = append(t.recs, r)
	return nil
}

func (t *trail) events() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []string
	for _, r := range t.recs {
		out = append(out, string(r.Event)+" "+r.Action)
	}
	return out
}

func (t *trail) entries(run string) ([]audit.Entry, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []audit.Entry
	for i, r := range t.recs {
		if r.Run == run {
			out = append(out, audit.Entry{Seq: uint64(i + 1), Time: "2026-12-07T03:12:00.000Z", Record: r})
		}
	}
	return out, nil
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// world is what the test runbook reads: whether it applies, and a postcheck that holds after `ready`
// readings.
type world struct {
	mu       sync.Mutex
	applies  bool
	readings int
	ready    int
}

func testRunbook(w *world) Runbook {
	return Runbook{Name: "pods-stuck", Title: "Pods stuck on their volumes", Kinds: []string{"Namespace"}, Steps: []Step{
		{ID: "stuck", Kind: Precheck, Title: "Find the stuck pods", Check: func(context.Context, World, Target) (Verdict, error) {
			w.mu.Lock()
			defer w.mu.Unlock()
			if !w.applies {
				return Verdict{Why: "no pod waits on a volume"}, nil
			}
			return Verdict{Applies: true, Why: "2 pods wait on their volumes", Facts: map[string]string{"node": "worker-2"},
				Systems: []string{"2 pods stuck on a mount"}}, nil
		}},
		{ID: "power", Kind: Manual, Title: "Check the storage node's power", Instructions: func(_ Target, earlier func(string) StepState) []string {
			return []string{"look at " + earlier("stuck").Facts["node"]}
		}},
		{ID: "delete", Kind: Action, Title: "Delete them, one at a time", Do: "delete-pod",
			Objects: func(_ context.Context, _ World, t Target) ([]actions.Target, error) {
				return []actions.Target{{Kind: actions.KindPod, Namespace: t.Name, Name: "db-0"}, {Kind: actions.KindPod, Namespace: t.Name, Name: "web-1"}}, nil
			}},
		{ID: "ready", Kind: Postcheck, Title: "Wait for them to be Ready", Timeout: time.Minute, Every: time.Millisecond,
			Wait: func(context.Context, World, Target) (Progress, error) {
				w.mu.Lock()
				defer w.mu.Unlock()
				w.readings++
				return Progress{Done: w.readings >= w.ready, Line: "pods Ready"}, nil
			}},
	}}
}

type fixture struct {
	e     *Engine
	trail *trail
	act   *fakeActor
	world *world
	rb    Runbook
	clock *clock
	dir   string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	st, err := OpenStore(dir + "/runbooks")
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{trail: &trail{}, act: &fakeActor{changed: map[string]bool{}}, world: &world{applies: true, ready: 3},
		clock: &clock{t: time.Date(2026, 12, 7, 3, 12, 0, 0, time.UTC)}, dir: dir}
	f.e = &Engine{Store: st, Audit: f.trail.add, Entries: f.trail.entries, Incidents: dir + "/incidents", Now: f.clock.now}
	f.rb = testRunbook(f.world)
	return f
}

var (
	alice = actions.Actor{Name: "alice", Role: access.Operator, Session: "s1"}
	bob   = actions.Actor{Name: "bob", Role: access.Operator, Session: "s2"}
	carol = actions.Actor{Name: "carol", Role: access.Admin, Session: "s3"}
	shop  = Target{Kind: "Namespace", Name: "shop"}
)

func (f *fixture) start(t *testing.T, who actions.Actor, takeOver bool) (*Session, error) {
	t.Helper()
	return f.e.Start(f.rb, shop, who, World{}, func(run string) Actor { f.act.run = run; return f.act }, takeOver)
}

// must is v, or a failed test: a panic in the test's goroutine fails it with err.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestRunToTheEnd(t *testing.T) {
	f := newFixture(t)
	s := must(f.start(t, alice, false))
	if v := must(s.Check(context.Background())); !v.Applies {
		t.Fatal(v)
	}
	if _, err := s.Objects(context.Background()); !errors.Is(err, ErrWrongStep) {
		t.Fatalf("an action call on a manual step: %v", err)
	}
	if err := s.Tick("the node is on"); err != nil {
		t.Fatal(err)
	}
	objs := must(s.Objects(context.Background()))
	if len(objs) != 2 {
		t.Fatal(objs)
	}
	for _, o := range []actions.Target{{Kind: actions.KindPod, Namespace: "shop", Name: "db-0"}, {Kind: actions.KindPod, Namespace: "shop", Name: "web-1"}} {
		p := must(s.Preview(context.Background(), o))
		f.clock.add(time.Minute)
		if _, err := s.Act(context.Background(), o, actions.Confirmation{Typed: o.Name, Expect: p.Expect}); err != nil {
			t.Fatal(err)
		}
	}
	var lines []string
	f.clock.add(5 * time.Minute)
	if err := s.Wait(context.Background(), func(p Progress) { lines = append(lines, p.Line) }); err != nil {
		t.Fatal(err)
	}
	if len(lines) != 3 {
		t.Fatalf("progress told %d times, want 3 (every reading)", len(lines))
	}
	r := s.Run()
	if r.Outcome != "done" || r.Ended.IsZero() {
		t.Fatalf("outcome %q", r.Outcome)
	}
	if _, ok := s.Current(); ok {
		t.Fatal("a step after the end")
	}
	if want := []string{"delete-pod pod/shop/db-0", "delete-pod pod/shop/web-1"}; !slices.Equal(f.act.did, want) || f.act.run != r.ID {
		t.Fatalf("acted %v for run %q, want %v for %s", f.act.did, f.act.run, want, r.ID)
	}
	want := []string{"runbook_started pods-stuck", "runbook_step stuck", "runbook_step power", "runbook_step delete",
		"runbook_step ready", "runbook_ended pods-stuck"}
	if got := f.trail.events(); !slices.Equal(got, want) {
		t.Fatalf("audit %v, want %v", got, want)
	}
	if _, held := f.e.Store.Holder("pods-stuck", shop); held {
		t.Fatal("the lock outlived the run")
	}
	report, err := os.ReadFile(r.Report)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"# Incident 2026-12-07: Pods stuck on their volumes — Namespace/shop", "- pod/shop/db-0 (step delete, as cedille:alice)",
		"- 2 pods stuck on a mount (found by step stuck)", "| 03:12:00 | alice | step power: done by hand: the node is on |", "| 7m | 1m | 6m |"} {
		if !strings.Contains(string(report), w) {
			t.Errorf("the report lacks %q:\n%s", w, report)
		}
	}
}

func TestNotApplicableChangesNothing(t *testing.T) {
	f := newFixture(t)
	f.world.applies = false
	s := must(f.start(t, alice, false))
	v := must(s.Check(context.Background()))
	if v.Applies || s.Run().Outcome != "not applicable: no pod waits on a volume" || len(f.act.did) != 0 {
		t.Fatalf("%+v %q %v", v, s.Run().Outcome, f.act.did)
	}
	if err := s.Tick(""); err == nil {
		t.Fatal("a step after the run ended")
	}
}

func TestLockAndTakeOver(t *testing.T) {
	f := newFixture(t)
	s := must(f.start(t, alice, false))
	must(s.Check(context.Background()))
	_, err := f.start(t, bob, false)
	var locked *LockedError
	if !errors.As(err, &locked) || !strings.Contains(err.Error(), "pods-stuck on Namespace/shop is in progress by alice since 2026-12-07 03:12 UTC") {
		t.Fatalf("a second person: %v", err)
	}
	if ev := f.trail.events(); ev[len(ev)-1] != "runbook_locked pods-stuck" {
		t.Fatalf("the refusal is not audited: %v", ev)
	}
	if _, err := f.start(t, bob, true); err == nil || !strings.Contains(err.Error(), "needs the admin role") {
		t.Fatalf("an operator taking over: %v", err)
	}
	// alice again (a second session, or after a crash) resumes.
	again := must(f.start(t, alice, false))
	if again.Run().ID != s.Run().ID {
		t.Fatal("alice's second start made a new run")
	}
	taken := must(f.start(t, carol, true))
	if st, _ := taken.Current(); taken.Run().ID != s.Run().ID || st.ID != "power" {
		t.Fatalf("the admin's take-over: run %s at %s", taken.Run().ID, st.ID)
	}
	if l, _ := f.e.Store.Holder("pods-stuck", shop); l.User != "carol" {
		t.Fatalf("the lock is %+v", l)
	}
	f.trail.mu.Lock()
	last := f.trail.recs[len(f.trail.recs)-1]
	f.trail.mu.Unlock()
	if last.Reason != "taken over from alice at step 2" {
		t.Fatalf("take-over recorded as %q", last.Reason)
	}
}

func TestResumeAfterACrash(t *testing.T) {
	f := newFixture(t)
	s := must(f.start(t, alice, false))
	must(s.Check(context.Background()))
	noErr(t, s.Tick(""))
	must(s.Objects(context.Background()))
	db := actions.Target{Kind: actions.KindPod, Namespace: "shop", Name: "db-0"}
	must(s.Act(context.Background(), db, actions.Confirmation{}))
	// The process dies: a new engine over the same directory.
	e2 := &Engine{Store: must(OpenStore(f.dir + "/runbooks")), Audit: f.trail.add, Now: f.clock.now}
	s2 := must(e2.Start(f.rb, shop, alice, World{}, func(string) Actor { return f.act }, false))
	st, _ := s2.Current()
	objs := must(s2.Objects(context.Background()))
	if s2.Run().ID != s.Run().ID || st.ID != "delete" || !objs[0].Done || objs[1].Done {
		t.Fatalf("resumed at %s with %+v", st.ID, objs)
	}
	if _, err := s2.Act(context.Background(), db, actions.Confirmation{}); err == nil || !strings.Contains(err.Error(), "done in this step") {
		t.Fatalf("a pod acted on twice: %v", err)
	}
	if ev := f.trail.events(); !slices.Contains(ev, "runbook_started pods-stuck") {
		t.Fatal(ev)
	}
	f.trail.mu.Lock()
	reason := f.trail.recs[len(f.trail.recs)-1].Reason
	f.trail.mu.Unlock()
	if reason != "resumed at step 3" {
		t.Fatalf("resume recorded as %q", reason)
	}
}

func TestChangedSinceThePreviewIsRefused(t *testing.T) {
	f := newFixture(t)
	s := must(f.start(t, alice, false))
	must(s.Check(context.Background()))
	noErr(t, s.Tick(""))
	must(s.Objects(context.Background()))
	web := actions.Target{Kind: actions.KindPod, Namespace: "shop", Name: "web-1"}
	f.act.changed[web.String()] = true
	if _, err := s.Act(context.Background(), web, actions.Confirmation{}); !errors.Is(err, actions.ErrChanged) {
		t.Fatalf("a changed object: %v", err)
	}
	objs := must(s.Objects(context.Background()))
	if objs[1].Done {
		t.Fatal("a refused write marked done")
	}
	must(s.Act(context.Background(), web, actions.Confirmation{})) // previewed again, then done
	if err := s.Skip(actions.Target{Kind: actions.KindPod, Namespace: "shop", Name: "db-0"}, " "); err == nil {
		t.Fatal("a skip without a reason")
	}
	noErr(t, s.Skip(actions.Target{Kind: actions.KindPod, Namespace: "shop", Name: "db-0"}, "its owner restarts it"))
	if st, _ := s.Current(); st.ID != "ready" || s.Run().Steps[2].Summary != "delete-pod: 1 done, 1 left alone" {
		t.Fatalf("after the last object: %s %q", st.ID, s.Run().Steps[2].Summary)
	}
}

func TestAuditFailureKeepsTheStepUndone(t *testing.T) {
	f := newFixture(t)
	s := must(f.start(t, alice, false))
	f.trail.fail = true
	if _, err := s.Check(context.Background()); err == nil || !strings.Contains(err.Error(), "audit trail cannot be written") {
		t.Fatalf("%v", err)
	}
	if st, _ := s.Current(); st.ID != "stuck" {
		t.Fatalf("moved on to %s without a record", st.ID)
	}
	f.trail.fail = false
	must(s.Check(context.Background()))
}

func TestWaitTimesOut(t *testing.T) {
	f := newFixture(t)
	f.world.ready = 1 << 30
	f.rb.Steps[3].Timeout = 20 * time.Millisecond
	s := must(f.start(t, alice, false))
	must(s.Check(context.Background()))
	noErr(t, s.Tick(""))
	for _, o := range must(s.Objects(context.Background())) {
		pt, _ := actionTargetOf(o.Object)
		must(s.Act(context.Background(), pt, actions.Confirmation{}))
	}
	err := s.Wait(context.Background(), nil)
	if err == nil || !strings.Contains(err.Error(), "not done after 20ms (last: pods Ready)") {
		t.Fatalf("%v", err)
	}
	if st, _ := s.Current(); st.ID != "ready" {
		t.Fatal("a postcheck that timed out was marked done")
	}
}

// actionTargetOf reads "pod/ns/name" back.
func actionTargetOf(s string) (actions.Target, error) {
	p := strings.Split(s, "/")
	return actions.Target{Kind: actions.Kind(p[0]), Namespace: p[1], Name: p[2]}, nil
}

func TestValidate(t *testing.T) {
	check := Step{ID: "c", Kind: Precheck, Check: func(context.Context, World, Target) (Verdict, error) { return Verdict{}, nil }}
	for _, tc := range []struct {
		name  string
		steps []Step
		want  string
	}{
		{"ok", []Step{check, {ID: "a", Kind: Action, Do: "cordon"}}, ""},
		{"no steps", nil, "a name and steps are needed"},
		{"acts first", []Step{{ID: "a", Kind: Action, Do: "cordon"}, check}, "its first step must be a precheck"},
		{"an ID twice", []Step{check, check}, `step "c": an ID, once`},
		{"an action without its name", []Step{check, {ID: "a", Kind: Action}}, "step a (action) has no Do"},
		{"a postcheck without a timeout", []Step{check, {ID: "p", Kind: Postcheck,
			Wait: func(context.Context, World, Target) (Progress, error) { return Progress{}, nil }}}, "has no Wait and Timeout"},
		{"a manual step without instructions", []Step{check, {ID: "m", Kind: Manual}}, "has no Instructions"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Runbook{Name: "x", Steps: tc.steps}.Validate()
			if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func TestTargets(t *testing.T) {
	for _, tc := range []struct {
		in, want, err string
	}{
		{"Node/worker-2", "Node/worker-2", ""},
		{"Pod/web/web-1", "Pod/web/web-1", ""},
		{"worker-2", "", "KIND/NAME or KIND/NAMESPACE/NAME"},
		{"Node//x", "", "nothing empty"},
		{"a/b/c/d", "", "KIND/NAME"},
	} {
		got, err := ParseTarget(tc.in)
		if got.String() != tc.want || (tc.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%q: %q %v", tc.in, got, err)
		}
	}
	node := Runbook{Name: "node-lost", Kinds: []string{"Node"}}
	platform := Runbook{Name: "cold-start"}
	pods := Runbook{Name: "mount-failed", Kinds: []string{"Pod"}, TargetOptional: true}
	for _, tc := range []struct {
		rb   Runbook
		t    Target
		want string
	}{
		{node, Target{Kind: "node", Name: "w"}, ""},
		{node, Target{}, "needs a target: --target Node/NAME"},
		{node, Target{Kind: "Pod", Namespace: "a", Name: "b"}, "aimed at a Node, not a Pod"},
		{platform, Target{}, ""},
		{platform, Target{Kind: "Node", Name: "w"}, "takes no --target"},
		{pods, Target{}, ""},
		{pods, Target{Kind: "Pod", Namespace: "a", Name: "b"}, ""},
		{pods, Target{Kind: "Node", Name: "w"}, "aimed at a Pod, not a Node"},
	} {
		err := tc.rb.Aims(tc.t)
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s at %v: %v, want %q", tc.rb.Name, tc.t, err, tc.want)
		}
	}
}

func TestTimes(t *testing.T) {
	at := func(m int) time.Time {
		return time.Date(2025, 8, 13, 9, 58, 0, 0, time.UTC).Add(time.Duration(m) * time.Minute)
	}
	r := Run{Started: at(0), Ended: at(127), Steps: []StepState{{Objects: []ObjectState{{Done: true, At: at(46)}, {Done: true, At: at(21)}, {Skipped: "x", At: at(1)}}}}}
	ts := TimesOf(r)
	if ts.Failure() != 127*time.Minute || ts.Response() != 21*time.Minute || ts.Repair() != 106*time.Minute {
		t.Fatalf("%v %v %v", ts.Failure(), ts.Response(), ts.Repair())
	}
	if ts := TimesOf(Run{Started: at(0)}); ts.Failure() != 0 || ts.Repair() != 0 {
		t.Fatal("an unfinished run has times")
	}
}

// TestLaterStepsReadEarlierFacts: a precheck's facts are kept in the state file and read by a later
// step, after a resume too; a dry run gives them as well.
func TestLaterStepsReadEarlierFacts(t *testing.T) {
	f := newFixture(t)
	var seen []string
	f.rb = Runbook{Name: "cert", Kinds: []string{"Namespace"}, Steps: []Step{
		{ID: "due", Kind: Precheck, Check: func(context.Context, World, Target) (Verdict, error) {
			return Verdict{Applies: true, Why: "due", Facts: map[string]string{"notAfter": "2026-12-10T00:00:00Z"}}, nil
		}},
		{ID: "look", Kind: Manual, Instructions: func(Target, func(string) StepState) []string { return nil }},
		{ID: "issued", Kind: Postcheck, Timeout: time.Minute, Every: time.Millisecond,
			Wait: func(_ context.Context, w World, _ Target) (Progress, error) {
				seen = append(seen, w.Earlier("due").Facts["notAfter"])
				return Progress{Done: true, Line: "issued"}, nil
			}},
	}}
	s := must(f.start(t, alice, false))
	must(s.Check(context.Background()))
	noErr(t, s.Tick(""))
	// A new engine over the same state: the facts come from the state file.
	e2 := &Engine{Store: must(OpenStore(f.dir + "/runbooks")), Now: f.clock.now}
	s2 := must(e2.Start(f.rb, shop, alice, World{}, nil, false))
	noErr(t, s2.Wait(context.Background(), nil))
	ds := must(DryRun(context.Background(), f.rb, shop, World{}))
	if len(ds) != 3 || len(seen) != 2 || seen[0] != "2026-12-10T00:00:00Z" || seen[1] != seen[0] {
		t.Fatalf("the postcheck read %q", seen)
	}
}
