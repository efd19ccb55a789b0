package runbook

import (
	"context"

	"github.com/clubcedille/cedille-tui/internal/actions"
)

// DryStep is one step as a dry run sees it: the precheck's verdict, each action's objects and their
// server-side dry runs, a postcheck's reading now, a manual step's instructions.
type DryStep struct {
	Step         Step
	Verdict      *Verdict
	Previews     []actions.Preview
	Reading      *Progress
	Instructions []string
	Err          error // why this step could not be looked at
}

// DryRun looks at every step of rb on t and changes nothing: no lock, no state file, no write (the
// previews are the dispatcher's dry runs). It stops after a precheck that says the runbook does not
// apply.
func DryRun(ctx context.Context, rb Runbook, t Target, w World) ([]DryStep, error) {
	if err := rb.Validate(); err != nil {
		return nil, err
	}
	if err := rb.Aims(t); err != nil {
		return nil, err
	}
	var out []DryStep
	earlier := map[string]StepState{}
	w.Earlier = func(id string) StepState { return earlier[id] }
	for _, st := range rb.Steps {
		d := DryStep{Step: st}
		switch st.Kind {
		case Precheck:
			v, err := st.Check(ctx, w, t)
			d.Verdict, d.Err = &v, err
			earlier[st.ID] = StepState{ID: st.ID, Summary: v.Why, Facts: v.Facts}
			out = append(out, d)
			if err == nil && !v.Applies {
				return out, nil
			}
			continue
		case Action:
			s := &Session{rb: rb, t: t, w: w}
			objs, err := s.objects(ctx, st)
			d.Err = err
			for _, o := range objs {
				if w.Act == nil {
					d.Previews = append(d.Previews, actions.Preview{Action: st.Do, Target: o})
					continue
				}
				p, err := w.Act.Preview(ctx, st.Do, o)
				if err != nil {
					d.Err = err
					continue
				}
				d.Previews = append(d.Previews, p)
			}
		case Postcheck:
			p, err := st.Wait(ctx, w, t)
			d.Reading, d.Err = &p, err
		case Manual:
			d.Instructions = st.Instructions(t, w.Earlier)
		}
		out = append(out, d)
	}
	return out, nil
}
