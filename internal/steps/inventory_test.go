package steps

import (
	"context"
	"testing"

	"github.com/clubcedille/cedille-tui/internal/omnisim"
	"github.com/clubcedille/cedille-tui/internal/omnisim/omnisimtest"
	"github.com/clubcedille/cedille-tui/internal/plan"
)

// countingStep is a Check that reads Omni's inventory and records how many machines it saw.
type countingStep struct {
	id   ID
	seen *[]int
	// between runs after the Check, to change Omni before the next step looks.
	between func()
}

func (s countingStep) ID() ID                      { return s.id }
func (s countingStep) Title() string               { return string(s.id) }
func (s countingStep) Fields() []string            { return nil }
func (s countingStep) Describe(plan.Plan) []string { return nil }
func (s countingStep) Run(context.Context, *Env, *plan.Plan, func(Event)) (Result, error) {
	return Result{}, nil
}
func (s countingStep) Check(ctx context.Context, e *Env, _ plan.Plan) (Outcome, error) {
	inv, err := LoadInventory(ctx, e)
	if err != nil {
		return Outcome{}, err
	}
	*s.seen = append(*s.seen, len(inv.Machines))
	if s.between != nil {
		s.between()
	}
	return Outcome{Holds: true}, nil
}

// TestCheckAllReadsOmniOnce: the checks of one pass share one reading of Omni (a machine that connects
// in the middle of the pass is seen by the next pass, not half-way through this one).
func TestCheckAllReadsOmniOnce(t *testing.T) {
	srv, om := omnisimtest.Start(t, omnisim.Options{})
	ctx := context.Background()
	n := 0
	connect := func() {
		n++
		if err := srv.State().Create(ctx, machineStatus(string(rune('a'+n)), "m", true)); err != nil {
			t.Fatal(err)
		}
	}
	connect()
	var seen []int
	r := &Runner{Env: &Env{Omni: om}, Steps: []Step{
		countingStep{id: "one", seen: &seen, between: connect},
		countingStep{id: "two", seen: &seen, between: connect},
	}}
	r.CheckAll(ctx, Saved{})
	if len(seen) != 2 || seen[0] != 1 || seen[1] != 1 {
		t.Fatalf("one pass saw %v machines, want [1 1]: Omni read more than once", seen)
	}
	seen = nil
	r.CheckAll(ctx, Saved{})
	if len(seen) != 2 || seen[0] != 3 || seen[1] != 3 {
		t.Fatalf("the next pass saw %v, want [3 3]", seen)
	}
	if inv, err := LoadInventory(ctx, r.Env); err != nil || len(inv.Machines) != 5 {
		t.Fatalf("outside a pass, Omni is read afresh: %v %v", inv, err)
	}
}
