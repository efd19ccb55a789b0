package actions

import (
	"context"
	"fmt"
)

// Bound is a Dispatcher bound to one actor: what one console offers and runs. The actor is read again
// at each call, so a role lowered while a session is open applies to its next action at once. Safe for
// concurrent use.
type Bound struct {
	d   *Dispatcher
	who func() (Actor, error)
}

// Bind binds d to the actor who gives (read at each call); an error from who (the session has ended)
// refuses everything.
func (d *Dispatcher) Bind(who func() (Actor, error)) *Bound { return &Bound{d: d, who: who} }

// As is an actor that does not change: the person at the local console (LocalActor).
func As(a Actor) func() (Actor, error) { return func() (Actor, error) { return a, nil } }

// Actions lists every action on objects of kind k, allowed to the actor or not: what a console lists
// (those it may not run dimmed, with the role they need).
func (b *Bound) Actions(k Kind) []Action {
	var out []Action
	for _, a := range b.d.actions {
		if a.Kind == k {
			out = append(out, a)
		}
	}
	return out
}

// Allowed lists the actions the actor's role, as it stands now, allows on objects of kind k; none when
// the actor is gone.
func (b *Bound) Allowed(k Kind) []Action {
	who, err := b.who()
	if err != nil {
		return nil
	}
	return b.d.Allowed(who.Role, k)
}

// Preview is the Dispatcher's Preview for the actor.
func (b *Bound) Preview(ctx context.Context, name string, t Target) (Preview, error) {
	who, err := b.who()
	if err != nil {
		return Preview{}, fmt.Errorf("%s %s: %w", name, t, err)
	}
	return b.d.Preview(ctx, who, name, t)
}

// Do is the Dispatcher's Do for the actor.
func (b *Bound) Do(ctx context.Context, name string, t Target, confirm Confirmation) (Result, error) {
	who, err := b.who()
	if err != nil {
		return Result{}, fmt.Errorf("%s %s: %w", name, t, err)
	}
	return b.d.Do(ctx, who, name, t, confirm)
}
