package runbook

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/clubcedille/cedille-tui/internal/actions"
)

// Prompter is a line-based conversation: what `recover` has with a person at a plain terminal (or a
// script), and what tests script.
type Prompter interface {
	Say(lines ...string)
	// Ask shows the question and reads one line; io.EOF when there is no more input.
	Ask(question string) (string, error)
}

// ErrStopped is returned when the person stops answering: the run is kept, to resume.
var ErrStopped = errors.New("stopped: the run is kept where it is; run the same command again to resume it")

// Drive runs the session to its end in a conversation: each step said, prechecks and postchecks run,
// manual steps ticked when the person types done, each action's dry run shown before a yes (or, for a
// destructive one — destructive tells — the object's name typed). "skip" leaves an object alone (with a
// reason), "abort" ends the run (with a reason). A refused or failed call is said and asked again.
func Drive(ctx context.Context, s *Session, p Prompter, destructive func(action string) bool) error {
	n := len(s.Runbook().Steps)
	for {
		st, ok := s.Current()
		if !ok {
			r := s.Run()
			p.Say(fmt.Sprintf("The run ended: %s.", r.Outcome))
			if r.Report != "" {
				p.Say("Incident report: " + r.Report)
			}
			return nil
		}
		p.Say("", fmt.Sprintf("Step %d of %d (%s): %s", s.Run().Cursor()+1, n, st.Kind, st.Title))
		var err error
		switch st.Kind {
		case Precheck:
			err = drivePrecheck(ctx, s, p)
		case Manual:
			err = driveManual(s, p, st)
		case Action:
			err = driveAction(ctx, s, p, st, destructive)
		case Postcheck:
			err = drivePostcheck(ctx, s, p)
		}
		if err != nil {
			return err
		}
	}
}

// again asks what to do after a failure: r (again) or abort; false when the run was aborted.
func again(s *Session, p Prompter, failure error) (bool, error) {
	p.Say("✖ " + failure.Error())
	for {
		a, err := p.Ask("r to try again, abort to end the run:")
		if err != nil {
			return false, ErrStopped
		}
		switch strings.TrimSpace(a) {
		case "r":
			return true, nil
		case "abort":
			return false, abort(s, p)
		}
	}
}

func abort(s *Session, p Prompter) error {
	for {
		why, err := p.Ask("Why is the run aborted?")
		if err != nil {
			return ErrStopped
		}
		if err := s.Abort(why); err == nil {
			return nil
		} else {
			p.Say("✖ " + err.Error())
		}
	}
}

func drivePrecheck(ctx context.Context, s *Session, p Prompter) error {
	v, err := s.Check(ctx)
	if err != nil {
		if _, err := again(s, p, err); err != nil {
			return err
		}
		return nil
	}
	mark := "✔"
	if !v.Applies {
		mark = "—"
	}
	p.Say(mark + " " + v.Why)
	for _, d := range v.Details {
		p.Say("  " + d)
	}
	return nil
}

func driveManual(s *Session, p Prompter, st Step) error {
	for _, l := range st.Instructions(s.Target(), s.Run().Earlier) {
		p.Say("  " + l)
	}
	for {
		a, err := p.Ask("Type done once it is done (what you did may follow: done, BIOS set), or abort:")
		if err != nil {
			return ErrStopped
		}
		a = strings.TrimSpace(a)
		switch {
		case a == "abort":
			return abort(s, p)
		case a == "done" || strings.HasPrefix(a, "done,") || strings.HasPrefix(a, "done "):
			note := strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(a, "done"), ","))
			if err := s.Tick(note); err != nil {
				if _, err := again(s, p, err); err != nil {
					return err
				}
			}
			return nil
		}
	}
}

func driveAction(ctx context.Context, s *Session, p Prompter, st Step, destructive func(string) bool) error {
	objs, err := s.Objects(ctx)
	if err != nil {
		_, err := again(s, p, err)
		return err
	}
	if len(objs) == 0 {
		p.Say("  nothing to " + st.Do)
		return nil
	}
	for _, o := range objs {
		if o.Done || o.Skipped != "" {
			continue
		}
		t, err := ParseObject(o.Object)
		if err != nil {
			return err
		}
		if err := driveObject(ctx, s, p, st, t, destructive != nil && destructive(st.Do)); err != nil {
			return err
		}
		if cur, ok := s.Current(); !ok || cur.ID != st.ID {
			return nil // the run ended or moved on
		}
	}
	return nil
}

// driveObject previews the action on t, asks, and does it; a stale preview is previewed again.
func driveObject(ctx context.Context, s *Session, p Prompter, st Step, t actions.Target, destructive bool) error {
	for {
		pv, err := s.Preview(ctx, t)
		if err != nil {
			retry, err := again(s, p, err)
			if err != nil || !retry {
				return err
			}
			continue
		}
		p.Say(strings.Split(strings.TrimRight(pv.String(), "\n"), "\n")...)
		question := "Run it? yes, skip (leave it alone), or abort:"
		if destructive {
			question = fmt.Sprintf("%s cannot be undone: type %s to run it, or skip, or abort:", st.Do, t.Name)
		}
		a, err := p.Ask(question)
		if err != nil {
			return ErrStopped
		}
		a = strings.TrimSpace(a)
		c := actions.Confirmation{Expect: pv.Expect}
		switch {
		case a == "abort":
			return abort(s, p)
		case a == "skip":
			why, err := p.Ask("Why is it left alone?")
			if err != nil {
				return ErrStopped
			}
			if err := s.Skip(t, why); err != nil {
				p.Say("✖ " + err.Error())
				continue
			}
			return nil
		case destructive && a == t.Name:
			c.Typed = a
		case !destructive && a == "yes":
		default:
			p.Say("Nothing done.")
			continue
		}
		res, err := s.Act(ctx, t, c)
		switch {
		case errors.Is(err, actions.ErrChanged):
			p.Say("✖ "+err.Error(), "Looking at it again:")
			continue
		case err != nil:
			retry, err := again(s, p, err)
			if err != nil || !retry {
				return err
			}
			continue
		}
		p.Say(fmt.Sprintf("✔ %s %s: done (as %s)", res.Action, res.Target, res.As))
		return nil
	}
}

func drivePostcheck(ctx context.Context, s *Session, p Prompter) error {
	last := ""
	err := s.Wait(ctx, func(pr Progress) {
		if pr.Line != last {
			p.Say("  … " + pr.Line)
			last = pr.Line
		}
	})
	if err != nil {
		_, err := again(s, p, err)
		return err
	}
	p.Say("✔ " + last)
	return nil
}

// ParseObject reads an actions.Target back from its String form (the state file keeps objects so).
func ParseObject(s string) (actions.Target, error) {
	p := strings.SplitN(s, "/", 3) // an object's name may hold a slash: object/shop/configmap/web
	if slices.Contains(p, "") {
		p = nil
	}
	switch len(p) {
	case 2:
		return actions.Target{Kind: actions.Kind(p[0]), Name: p[1]}, nil
	case 3:
		return actions.Target{Kind: actions.Kind(p[0]), Namespace: p[1], Name: p[2]}, nil
	}
	return actions.Target{}, fmt.Errorf("object %q in the state file is not kind/name or kind/namespace/name", s)
}
