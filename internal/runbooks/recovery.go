package runbooks

import (
	"context"

	"github.com/clubcedille/cedille-tui/internal/actions"
	"github.com/clubcedille/cedille-tui/internal/runbook"
)

// Recovery starts the runbooks of this package as one person — the local kubeconfig's user, or an SSH
// session's (Who is read at each start and, through the dispatcher, at each action): what a console
// offers on r (console.Recovery).
type Recovery struct {
	Engine     *runbook.Engine
	Dispatcher *actions.Dispatcher
	Who        func() (actions.Actor, error)
	// World is what the steps read (its Act is the dispatcher, set for each run).
	World runbook.World
}

// Start begins or resumes the runbook named on t.
func (r Recovery) Start(_ context.Context, name string, t runbook.Target, takeOver bool) (*runbook.Session, error) {
	rb, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	t = AimOf(rb, t)
	who, err := r.Who()
	if err != nil {
		return nil, err
	}
	var act func(string) runbook.Actor
	if r.Dispatcher != nil { // without a cluster only runbooks that act on nothing run (recover checks)
		act = runbook.DispatchAs(r.Dispatcher, r.Who)
	}
	return r.Engine.Start(rb, t, who, r.World, act, takeOver)
}

// Destructive tells whether the action wants its object's name typed (true for one not known: ask).
func (r Recovery) Destructive(action string) bool {
	if r.Dispatcher == nil {
		return true
	}
	for _, a := range r.Dispatcher.Actions() {
		if a.Name == action {
			return a.Destructive
		}
	}
	return true
}

// Has tells whether a runbook of that name exists.
func (r Recovery) Has(name string) bool {
	_, err := Lookup(name)
	return err == nil
}

// AimOf is what a run of rb named by a finding about t is aimed at: t, or the whole platform for a
// runbook that takes no target (a pod stuck on a mount names cold-start, which is about the platform).
func AimOf(rb runbook.Runbook, t runbook.Target) runbook.Target {
	if len(rb.Kinds) == 0 {
		return runbook.Target{}
	}
	return t
}

// Aim is AimOf for the runbook named (t itself for a name no runbook has): runbook.Suggested's aim.
func Aim(name string, t runbook.Target) runbook.Target {
	rb, err := Lookup(name)
	if err != nil {
		return t
	}
	return AimOf(rb, t)
}
