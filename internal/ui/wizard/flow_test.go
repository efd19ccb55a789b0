package wizard

import (
	"context"
	"strings"
	"testing"

	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/steps"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
)

// testFlow is a flow of its own, apart from the install: steps registered with their UI, run by the
// full-screen wizard and by --accessible alike.
func testFlow() []Registration {
	return []Registration{
		{Step: fakeStep{id: "ready", title: "Ready", holds: func(plan.Plan) (bool, string) { return true, "always" }}},
	}
}

// TestTestFlowRuns: the full screen and --accessible run a flow given to them, to its end, and save its
// plan.
func TestTestFlowRuns(t *testing.T) {
	t.Run("full screen", func(t *testing.T) {
		dir := t.TempDir()
		d := newDriver(t, New(Options{Flow: testFlow(), Env: &steps.Env{}, Store: steps.NewStore(dir), Theme: theme.New(false, true),
			Inventory: func(context.Context) (*plan.Inventory, error) { return testInventory(), nil }}), 80, 24)
		d.shows("Every step's outcome holds")
		d.key("enter")
		if !d.quit || !d.m.Result().Finished {
			t.Fatal("enter on the end quits, the flow finished")
		}
	})
	t.Run("accessible", func(t *testing.T) {
		dir := t.TempDir()
		var out syncBuffer
		res, err := RunAccessible(context.Background(), AccessibleOptions{Flow: testFlow(), Env: &steps.Env{},
			Store: steps.NewStore(dir), In: strings.NewReader(""), Out: &out})
		if err != nil || !res.Finished {
			t.Fatalf("the flow must finish: %v\n%s", err, out.String())
		}
		if !strings.Contains(out.String(), "Every step's outcome holds") {
			t.Errorf("the end must be said:\n%s", out.String())
		}
	})
}
