package wizard

import (
	"context"
	"strings"
	"testing"

	"charm.land/huh/v2"
	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/steps"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
)

// testFlow is a flow of its own, apart from the install: steps registered with their UI, run by the
// full-screen wizard and by --accessible alike.
func testFlow() []Registration {
	return []Registration{
		{Step: fakeStep{id: "ready", title: "Ready", holds: func(plan.Plan) (bool, string) { return true, "always" }}},
		// A tiny step: it asks the cluster's name, and holds once it is "tiny".
		{Step: fakeStep{id: "name", title: "Name", holds: func(p plan.Plan) (bool, string) { return p.Cluster.Name == "tiny", "not tiny yet" }},
			UI: StepUI{Form: &FormSpec{Build: func(p plan.Plan, _ *plan.Inventory, accessible bool) BoundForm {
				name := ""
				f := huh.NewForm(huh.NewGroup(huh.NewInput().Title("Name").Value(&name)))
				return BoundForm{Form: f, Apply: func(p *plan.Plan) plan.Problems {
					p.Cluster.Name = strings.TrimSpace(name)
					return p.Validate(nil).Only("cluster.name")
				}}
			}}}},
	}
}

// TestTestFlowRuns: the full screen and --accessible run a flow given to them, to its end, and save its
// plan.
func TestTestFlowRuns(t *testing.T) {
	t.Run("full screen", func(t *testing.T) {
		dir := t.TempDir()
		d := newDriver(t, New(Options{Flow: testFlow(), Env: &steps.Env{}, Store: steps.NewStore(dir), Theme: theme.New(false, true),
			Inventory: func(context.Context) (*plan.Inventory, error) { return testInventory(), nil }}), 80, 24)
		d.shows("step 2/2 · Name", "Name", "– skipped") // the legend fits beside short titles
		d.typed("tiny")
		d.key("enter")
		d.shows("Name ✔ done")
		d.key("enter")
		d.shows("Every step's outcome holds")
		d.key("enter")
		if !d.quit || !d.m.Result().Finished {
			t.Fatal("enter on the end quits, the flow finished")
		}
		if sv := load(t, dir); sv.Plan.Cluster.Name != "tiny" {
			t.Errorf("the name step's answer is saved: %q", sv.Plan.Cluster.Name)
		}
	})
	t.Run("accessible", func(t *testing.T) {
		dir := t.TempDir()
		var out syncBuffer
		res, err := RunAccessible(context.Background(), AccessibleOptions{Flow: testFlow(), Env: &steps.Env{},
			Store: steps.NewStore(dir), In: strings.NewReader("tiny\n"), Out: &out})
		if err != nil || !res.Finished {
			t.Fatalf("the flow must finish: %v\n%s", err, out.String())
		}
		if !strings.Contains(out.String(), "Every step's outcome holds") {
			t.Errorf("the end must be said:\n%s", out.String())
		}
		if sv := load(t, dir); sv.Plan.Cluster.Name != "tiny" {
			t.Errorf("the name step's answer is saved: %q", sv.Plan.Cluster.Name)
		}
	})
}
