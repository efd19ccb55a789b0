package steps

import (
	"context"
	"fmt"
)

// Update is what a runner reports: a step's state change, or one of its events.
type Update struct {
	Step   ID
	State  State
	Detail string
	Event  *Event
	// Result is what the step did, on the update that says it is Done after running.
	Result *Result
}

// Runner runs the steps in order for the unattended install and the wizard's "run" action, saving the
// plan after every step.
type Runner struct {
	Steps []Step
	Env   *Env
	Store Store
	// Only selects steps (--only); nil runs them all.
	Only map[ID]bool
	// Report receives every update; nil drops them.
	Report func(Update)
}

func (r *Runner) report(u Update) {
	if r.Report != nil {
		r.Report(u)
	}
}

// CheckAll runs the Check of every selected step from the top, in order, on one reading of Omni; an
// error is an outcome that does not hold. Steps --only leaves out are not checked.
func (r *Runner) CheckAll(ctx context.Context, sv Saved) []Outcome {
	ctx = OneInventory(ctx)
	out := make([]Outcome, len(r.Steps))
	for i, s := range r.Steps {
		if !Selected(s.ID(), r.Only) {
			out[i] = Outcome{Detail: "not selected (--only)"}
			r.report(Update{Step: s.ID(), State: Skipped, Detail: out[i].Detail})
			continue
		}
		r.report(Update{Step: s.ID(), State: Checking})
		o, err := s.Check(ctx, r.Env, sv.Plan)
		if err != nil {
			o = Outcome{Detail: err.Error()}
		}
		out[i] = o
		st := Pending
		if o.Holds {
			st = Done
		}
		r.report(Update{Step: s.ID(), State: st, Detail: o.Detail})
	}
	return out
}

// Run checks every step, then runs from the first whose outcome does not hold to the end (steps not
// selected by Only are skipped), saving after each step. It stops at the first failure, which is saved
// too: rerunning resumes there.
func (r *Runner) Run(ctx context.Context, sv *Saved) error {
	outcomes := r.CheckAll(ctx, *sv)
	start := ResumeAt(Order(r.Steps), outcomes, r.Only)
	for i := start; i < len(r.Steps); i++ {
		s := r.Steps[i]
		if !Selected(s.ID(), r.Only) {
			r.report(Update{Step: s.ID(), State: Skipped})
			continue
		}
		if err := r.RunOne(ctx, sv, s); err != nil {
			return err
		}
	}
	return nil
}

// RunOne runs one step and saves the outcome, with the step's Result when it succeeds.
func (r *Runner) RunOne(ctx context.Context, sv *Saved, s Step) error {
	r.report(Update{Step: s.ID(), State: Running})
	sv.Mark(s.ID(), Running, r.Env.now(), "")
	if err := r.Store.Save(*sv); err != nil {
		return err
	}
	res, err := s.Run(ctx, r.Env, &sv.Plan, func(ev Event) {
		ev.Step = s.ID()
		r.report(Update{Step: s.ID(), State: Running, Event: &ev})
	})
	if err != nil {
		sv.Mark(s.ID(), Failed, r.Env.now(), err.Error())
		r.report(Update{Step: s.ID(), State: Failed, Detail: err.Error()})
		if serr := r.Store.Save(*sv); serr != nil {
			return fmt.Errorf("%w (and the state could not be saved: %v)", err, serr)
		}
		return fmt.Errorf("step %s: %w", s.ID(), err)
	}
	sv.MarkDone(s.ID(), r.Env.now(), res)
	r.report(Update{Step: s.ID(), State: Done, Result: &res})
	return r.Store.Save(*sv)
}
