package fleetview_test

import (
	"context"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/clubcedille/cedille-tui/internal/access"
	"github.com/clubcedille/cedille-tui/internal/actions"
	"github.com/clubcedille/cedille-tui/internal/fleet"
	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/runbook"
	"github.com/clubcedille/cedille-tui/internal/ui"
	"github.com/clubcedille/cedille-tui/internal/ui/app"
	"github.com/clubcedille/cedille-tui/internal/ui/fleetview"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
	"github.com/clubcedille/cedille-tui/internal/ui/uitest"
	"github.com/clubcedille/cedille-tui/internal/watch"
)

// clusterRecovery runs runbooks on one cluster: its cold-start's precheck names the cluster it reads.
type clusterRecovery struct {
	cluster string
	e       *runbook.Engine
}

func (r clusterRecovery) Start(_ context.Context, name string, _ runbook.Target, takeOver bool) (*runbook.Session, error) {
	rb := runbook.Runbook{Name: name, Title: "Cold start after a power loss", Steps: []runbook.Step{
		{ID: "survey", Kind: runbook.Precheck, Title: "Read what is not back", Check: func(context.Context, runbook.World, runbook.Target) (runbook.Verdict, error) {
			return runbook.Verdict{Applies: true, Why: "not back on " + r.cluster + ": 4 of 6 nodes not Ready"}, nil
		}},
		{ID: "power", Kind: runbook.Manual, Title: "Power on the machines", Instructions: func(runbook.Target, func(string) runbook.StepState) []string {
			return []string{"qm start"}
		}},
	}}
	who := actions.Actor{Name: "demo", Role: access.Admin, Local: true}
	return r.e.Start(rb, runbook.Target{}, who, runbook.World{}, nil, takeOver) // about the whole cluster, as runbooks.AimOf aims it
}

func (clusterRecovery) Destructive(string) bool { return false }
func (clusterRecovery) Has(name string) bool    { return name == health.RunbookColdStart }

// A cluster's console opened from the fleet has that cluster's runbooks: r on a pod stuck after the cold
// start opens cold-start on that cluster, its name in the header and in what the runbook reads; a
// drill's banner (app.PresenceMsg) shows on the fleet's status line and in the console opened.
func TestFleetClusterRunbook(t *testing.T) {
	dir := t.TempDir()
	st, err := runbook.OpenStore(dir + "/runbooks")
	if err != nil {
		t.Fatal(err)
	}
	var opened []string
	open := func(_ context.Context, cluster string) (<-chan watch.Snapshot, func(), error) {
		ch := make(chan watch.Snapshot, 1)
		ch <- watch.Snapshot{At: at, Platform: cluster, Report: health.NewReport(health.NewLayer(health.LayerWorkloads,
			[]health.Finding{{Object: "Pod/vault/vault-0", Status: health.Down, Reason: "waiting on volumes: Multi-Attach",
				Hint: "runbook: " + health.RunbookColdStart}}))}
		return ch, func() {}, nil
	}
	fch := make(chan fleet.Snapshot, 1)
	fch <- fleet.Snapshot{At: at, Report: report()}
	m := fleetview.New(fleetview.Options{Theme: theme.New(false, true), Fleet: fch, Open: open,
		Console: func(cluster string, snaps <-chan watch.Snapshot) tea.Model {
			opened = append(opened, cluster)
			return ui.NewConsole(ui.ConsoleOptions{Snapshots: snaps, Leave: fleetview.LeaveTarget, Presence: true,
				Recovery: clusterRecovery{cluster: cluster, e: &runbook.Engine{Store: st, Incidents: dir + "/incidents"}}})
		}})
	d := uitest.New(t, m, 100, 30)
	d.Plain = true
	d.Shows("fleet · 3 clusters")
	d.Send(app.PresenceMsg{Line: "DRILL cold-start: power's back"})
	d.Shows("DRILL cold-start: power's back")

	d.Key("enter")
	d.Until("the sandbox's console", func(string) bool { return d.Model.Cluster() == "k8s-cedille-sandbox" })
	d.Shows("k8s-cedille-sandbox", "DRILL cold-start: power's back")
	d.Key(":")
	d.Type("workloads")
	d.Key("enter")
	d.Shows("Pod/vault/vault-0", "r runbook cold-start")
	d.Key("r")
	d.Shows("k8s-cedille-sandbox", "cold-start — Cold start after a power loss", "▸ 1. (precheck) Read what is not back")
	d.Key("enter")
	d.Shows("not back on k8s-cedille-sandbox: 4 of 6 nodes not Ready")
	if len(opened) != 1 || opened[0] != "k8s-cedille-sandbox" {
		t.Errorf("consoles built for %v", opened)
	}
}
