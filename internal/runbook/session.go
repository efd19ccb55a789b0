package runbook

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/clubcedille/cedille-tui/internal/access"
	"github.com/clubcedille/cedille-tui/internal/actions"
	"github.com/clubcedille/cedille-tui/internal/audit"
)

// Engine runs runbooks: it keeps their state in a Store and records every step in the audit trail.
type Engine struct {
	Store *Store
	// Audit records every step. A step whose record cannot be written is refused (fail closed).
	Audit func(audit.Record) error
	// Entries reads the audit trail's records of one run, for the incident report (nil: the report is
	// made from the run's state file alone).
	Entries func(run string) ([]audit.Entry, error)
	// Incidents is the directory the reports go to ($XDG_STATE_HOME/cedille-tui/incidents); "" writes none.
	Incidents string
	Now       func() time.Time
}

// Start begins rb on t for who — or resumes the run of rb on t that did not end. The run's lock is
// taken first: another person's run is refused (*LockedError, audited) unless takeOver, which only an
// admin may. act makes what the run's action steps act through, given the run's id (their audit records
// carry it): DispatchAs.
func (e *Engine) Start(rb Runbook, t Target, who actions.Actor, w World, act func(run string) Actor, takeOver bool) (*Session, error) {
	if err := rb.Validate(); err != nil {
		return nil, err
	}
	if err := rb.Aims(t); err != nil {
		return nil, err
	}
	if takeOver && who.Role != access.Admin {
		return nil, fmt.Errorf("taking a run over needs the admin role; %s is %s", who.Name, who.Role)
	}
	now := e.now()
	run, found, err := e.Store.Unfinished(rb.Name, t)
	if err != nil && !found {
		return nil, err
	}
	if !found {
		run = Run{ID: newID(), Runbook: rb.Name, Target: t.String(), Owner: who.Name, Started: now}
		for _, s := range rb.Steps {
			run.Steps = append(run.Steps, StepState{ID: s.ID})
		}
	}
	rec := record(who, run, audit.RunbookStarted, rb.Name, "")
	if err := e.Store.Acquire(rb.Name, t, Lock{User: who.Name, Since: now, Run: run.ID}, takeOver); err != nil {
		var locked *LockedError
		if errors.As(err, &locked) {
			rec.Event, rec.Reason = audit.RunbookLocked, locked.Error()
			_ = e.audit(rec)
		}
		return nil, err
	}
	switch {
	case found && takeOver && run.Owner != who.Name:
		rec.Reason = fmt.Sprintf("taken over from %s at step %d", run.Owner, run.Cursor()+1)
	case found:
		rec.Reason = fmt.Sprintf("resumed at step %d", run.Cursor()+1)
	}
	if err := e.audit(rec); err != nil {
		_ = e.Store.Release(rb.Name, t, run.ID)
		return nil, fmt.Errorf("the run is not started: the audit trail cannot be written: %w", err)
	}
	if err := e.Store.Save(run); err != nil {
		_ = e.Store.Release(rb.Name, t, run.ID)
		return nil, err
	}
	if w.Now == nil {
		w.Now = e.now
	}
	if act != nil {
		w.Act = act(run.ID)
	}
	return &Session{e: e, rb: rb, t: t, who: who, w: w, run: run}, nil
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e *Engine) audit(r audit.Record) error {
	if e.Audit == nil {
		return nil
	}
	return e.Audit(r)
}

func record(who actions.Actor, run Run, ev audit.Event, action, reason string) audit.Record {
	return audit.Record{Event: ev, Session: who.Session, User: who.Name, Fingerprint: who.Fingerprint,
		Role: who.Role.String(), Remote: who.Remote, Action: action, Target: run.Target, Reason: reason, Run: run.ID}
}

func newID() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// DispatchAs is what a run's actions act through: d as who, each record carrying the run's id.
func DispatchAs(d *actions.Dispatcher, who func() (actions.Actor, error)) func(run string) Actor {
	return func(run string) Actor {
		return d.Bind(func() (actions.Actor, error) {
			a, err := who()
			a.Run = run
			return a, err
		})
	}
}

// Session is one person driving one run. Its methods do I/O (the cluster, the state file, the audit
// trail); a screen calls them from commands. Safe for concurrent use (one call at a time).
type Session struct {
	e   *Engine
	rb  Runbook
	t   Target
	who actions.Actor
	w   World

	mu  sync.Mutex
	run Run
}

// Run is the run as it stands.
func (s *Session) Run() Run {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.run
	r.Steps = append([]StepState(nil), s.run.Steps...)
	return r
}

// Runbook is the runbook run.
func (s *Session) Runbook() Runbook { return s.rb }

// Target is what the run is aimed at.
func (s *Session) Target() Target { return s.t }

// Current is the step to do now; false once the run has ended.
func (s *Session) Current() (Step, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.currentLocked()
}

func (s *Session) currentLocked() (Step, bool) {
	if s.run.IsEnded() {
		return Step{}, false
	}
	i := s.run.Cursor()
	if i >= len(s.rb.Steps) {
		return Step{}, false
	}
	return s.rb.Steps[i], true
}

// worldLocked is the World a step's function is called with: Earlier reads the run as it stands now (a
// copy: the function may run without the session's lock). s.mu is held.
func (s *Session) worldLocked() World {
	w := s.w
	steps := make(map[string]StepState, len(s.run.Steps))
	for _, st := range s.run.Steps {
		steps[st.ID] = st
	}
	w.Earlier = func(id string) StepState { return steps[id] }
	return w
}

// ErrWrongStep is returned when a call does not fit the current step's kind.
var ErrWrongStep = errors.New("not what the current step does")

func (s *Session) step(k Kind) (Step, *StepState, error) {
	st, ok := s.currentLocked()
	if !ok {
		return Step{}, nil, fmt.Errorf("run %s has ended (%s)", s.run.ID, s.run.Outcome)
	}
	if st.Kind != k {
		return Step{}, nil, fmt.Errorf("step %s is a %s: %w", st.ID, st.Kind, ErrWrongStep)
	}
	return st, &s.run.Steps[s.run.Cursor()], nil
}

// done marks the current step done, audits it, and ends the run after its last step. The audit record
// is written first: when it cannot be, the step stays undone.
func (s *Session) doneLocked(st Step, state *StepState, summary string) error {
	if err := s.e.audit(record(s.who, s.run, audit.RunbookStep, st.ID, summary)); err != nil {
		return fmt.Errorf("the step is not recorded as done: the audit trail cannot be written: %w", err)
	}
	state.Done, state.At, state.By, state.Summary = true, s.e.now(), s.who.Name, summary
	if s.run.Cursor() == len(s.rb.Steps) {
		return s.endLocked("done")
	}
	return s.e.Store.Save(s.run)
}

// endLocked ends the run with outcome, frees its lock, writes the incident report.
func (s *Session) endLocked(outcome string) error {
	s.run.Ended, s.run.Outcome = s.e.now(), outcome
	err := s.e.audit(record(s.who, s.run, audit.RunbookEnded, s.rb.Name, outcome))
	if path, rerr := s.e.writeReport(s.rb, s.run); rerr != nil {
		err = errors.Join(err, rerr)
	} else {
		s.run.Report = path
	}
	return errors.Join(err, s.e.Store.Save(s.run), s.e.Store.Release(s.rb.Name, s.t, s.run.ID))
}

// Check runs the current precheck. When the runbook does not apply the run ends there ("not
// applicable: why"), having changed nothing; when it applies the step is done. An error leaves the step
// to check again.
func (s *Session) Check(ctx context.Context) (Verdict, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, state, err := s.step(Precheck)
	if err != nil {
		return Verdict{}, err
	}
	v, err := st.Check(ctx, s.worldLocked(), s.t)
	if err != nil {
		return v, fmt.Errorf("%s: %w", st.Title, err)
	}
	if !v.Applies {
		if err := s.e.audit(record(s.who, s.run, audit.RunbookStep, st.ID, "does not apply: "+v.Why)); err != nil {
			return v, err
		}
		state.At, state.By, state.Summary = s.e.now(), s.who.Name, "does not apply: "+v.Why
		return v, s.endLocked("not applicable: " + v.Why)
	}
	state.Facts, state.Systems = v.Facts, v.Systems
	return v, s.doneLocked(st, state, v.Why)
}

// Objects lists the current action step's objects, read once when the step starts (kept in the state
// file: a resumed run goes on with the same list), with what was done to each.
func (s *Session) Objects(ctx context.Context) ([]ObjectState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, state, err := s.step(Action)
	if err != nil {
		return nil, err
	}
	if !state.Listed {
		objs, err := s.objects(ctx, st)
		if err != nil {
			return nil, err
		}
		state.Objects = nil
		for _, o := range objs {
			state.Objects = append(state.Objects, ObjectState{Object: o.String()})
		}
		state.Listed = true
		if len(objs) == 0 {
			return nil, s.doneLocked(st, state, "nothing to "+st.Do)
		}
		if err := s.e.Store.Save(s.run); err != nil {
			return nil, err
		}
	}
	return append([]ObjectState(nil), state.Objects...), nil
}

func (s *Session) objects(ctx context.Context, st Step) ([]actions.Target, error) {
	if st.Objects != nil {
		return st.Objects(ctx, s.worldLocked(), s.t)
	}
	t, err := ActionTarget(s.t)
	if err != nil {
		return nil, err
	}
	return []actions.Target{t}, nil
}

// ActionTarget is the dispatcher's name for a run's target.
func ActionTarget(t Target) (actions.Target, error) {
	kinds := map[string]actions.Kind{"node": actions.KindNode, "pod": actions.KindPod, "application": actions.KindApplication}
	k, ok := kinds[strings.ToLower(t.Kind)]
	if !ok {
		return actions.Target{}, fmt.Errorf("no action acts on a %s", t.Kind)
	}
	return actions.Target{Kind: k, Namespace: t.Namespace, Name: t.Name}, nil
}

// object is the current action step's entry for o; an error when o is not one of its objects or is done.
func (s *Session) objectLocked(o actions.Target) (Step, *StepState, *ObjectState, error) {
	st, state, err := s.step(Action)
	if err != nil {
		return st, nil, nil, err
	}
	if !state.Listed {
		return st, nil, nil, errors.New("list the step's objects first")
	}
	for i := range state.Objects {
		if state.Objects[i].Object == o.String() {
			if state.Objects[i].Done || state.Objects[i].Skipped != "" {
				return st, nil, nil, fmt.Errorf("%s is done in this step", o)
			}
			return st, state, &state.Objects[i], nil
		}
	}
	return st, nil, nil, fmt.Errorf("%s is not one of step %s's objects", o, st.ID)
}

// Preview is the dispatcher's dry run of the current action on o.
func (s *Session) Preview(ctx context.Context, o actions.Target) (actions.Preview, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, _, _, err := s.objectLocked(o)
	if err != nil {
		return actions.Preview{}, err
	}
	if s.w.Act == nil {
		return actions.Preview{}, errors.New("no cluster to act on: this run has no Kubernetes connection")
	}
	return s.w.Act.Preview(ctx, st.Do, o)
}

// Act does the current action on o, as confirmed (the preview's precondition, the name typed for a
// destructive one). The dispatcher checks the role and audits it; an object changed since the preview is
// refused (actions.ErrChanged): preview it again. Once every object is done or skipped, the step is done.
func (s *Session) Act(ctx context.Context, o actions.Target, c actions.Confirmation) (actions.Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, state, obj, err := s.objectLocked(o)
	if err != nil {
		return actions.Result{}, err
	}
	if s.w.Act == nil {
		return actions.Result{}, errors.New("no cluster to act on: this run has no Kubernetes connection")
	}
	res, err := s.w.Act.Do(ctx, st.Do, o, c)
	if err != nil {
		return res, err
	}
	obj.Done, obj.At, obj.As = true, s.e.now(), res.As
	return res, s.afterObjectLocked(st, state)
}

// Skip leaves o alone in the current action step, saying why (audited).
func (s *Session) Skip(o actions.Target, why string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if strings.TrimSpace(why) == "" {
		return errors.New("say why it is left alone: a reason is required")
	}
	st, state, obj, err := s.objectLocked(o)
	if err != nil {
		return err
	}
	if err := s.e.audit(record(s.who, s.run, audit.RunbookStep, st.ID, "left "+o.String()+" alone: "+why)); err != nil {
		return err
	}
	obj.Skipped, obj.At = why, s.e.now()
	return s.afterObjectLocked(st, state)
}

func (s *Session) afterObjectLocked(st Step, state *StepState) error {
	done, skipped := 0, 0
	for _, o := range state.Objects {
		switch {
		case o.Done:
			done++
		case o.Skipped != "":
			skipped++
		default:
			return s.e.Store.Save(s.run)
		}
	}
	summary := fmt.Sprintf("%s: %d done", st.Do, done)
	if skipped > 0 {
		summary += fmt.Sprintf(", %d left alone", skipped)
	}
	return s.doneLocked(st, state, summary)
}

// Wait runs the current postcheck: it reads the condition every Every (default 2 s), telling progress,
// until it holds (the step is done) or Timeout passes (an error; the step stays, to wait again).
func (s *Session) Wait(ctx context.Context, progress func(Progress)) error {
	s.mu.Lock()
	st, _, err := s.step(Postcheck)
	w := s.worldLocked()
	s.mu.Unlock()
	if err != nil {
		return err
	}
	every := st.Every
	if every <= 0 {
		every = 2 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, st.Timeout)
	defer cancel()
	t := time.NewTicker(every)
	defer t.Stop()
	var last Progress
	for {
		p, err := st.Wait(ctx, w, s.t)
		if err != nil && ctx.Err() == nil {
			p.Line = "cannot read: " + err.Error()
		}
		if err == nil {
			last = p
		}
		if progress != nil {
			progress(p)
		}
		if err == nil && p.Done {
			s.mu.Lock()
			defer s.mu.Unlock()
			st2, state, err := s.step(Postcheck)
			if err != nil || st2.ID != st.ID {
				return fmt.Errorf("the run moved on meanwhile: %w", err)
			}
			return s.doneLocked(st, state, p.Line)
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("%s: not done after %s (last: %s); wait again, or find out why", st.Title, st.Timeout, last.Line)
			}
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Tick marks the current manual step done by this person, with what they say they did.
func (s *Session) Tick(note string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, state, err := s.step(Manual)
	if err != nil {
		return err
	}
	summary := "done by hand"
	if strings.TrimSpace(note) != "" {
		summary += ": " + strings.TrimSpace(note)
	}
	return s.doneLocked(st, state, summary)
}

// Abort ends the run, with a reason: what was done stays done; the report says where it stopped.
func (s *Session) Abort(reason string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if strings.TrimSpace(reason) == "" {
		return errors.New("say why the run is aborted: a reason is required")
	}
	if s.run.IsEnded() {
		return fmt.Errorf("run %s has ended (%s)", s.run.ID, s.run.Outcome)
	}
	return s.endLocked("aborted: " + strings.TrimSpace(reason))
}
