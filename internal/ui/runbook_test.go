package ui_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/access"
	"github.com/clubcedille/cedille-tui/internal/actions"
	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/runbook"
	"github.com/clubcedille/cedille-tui/internal/ui"
	"github.com/clubcedille/cedille-tui/internal/ui/uitest"
	"github.com/clubcedille/cedille-tui/internal/watch"
)

// recActor stands for the dispatcher: it refuses the first write of an object flagged changed.
type recActor struct {
	mu      sync.Mutex
	changed bool
	did     []string
}

func (a *recActor) Preview(_ context.Context, name string, t actions.Target) (actions.Preview, error) {
	return actions.Preview{Action: name, Target: t, Blast: "Argo CD applies git's manifests",
		Changes: []actions.Change{{Path: "operation", Before: actions.Unset, After: `{"sync":{}}`}},
		Expect:  actions.Precondition{UID: "uid-1", ResourceVersion: "7"}}, nil
}

func (a *recActor) Do(_ context.Context, name string, t actions.Target, c actions.Confirmation) (actions.Result, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.changed {
		a.changed = false
		return actions.Result{}, &actions.ChangedError{Target: t, Why: "modified"}
	}
	a.did = append(a.did, name+" "+t.String()+" typed "+c.Typed)
	return actions.Result{Action: name, Target: t, As: "cedille:alice"}, nil
}

// testRecovery runs one runbook, test-sync, through a real engine over a temporary directory.
type testRecovery struct {
	e   *runbook.Engine
	act *recActor
}

func (r testRecovery) Start(_ context.Context, name string, t runbook.Target, takeOver bool) (*runbook.Session, error) {
	rb := runbook.Runbook{Name: "test-sync", Title: "An Application out of sync", Kinds: []string{"Application"}, Steps: []runbook.Step{
		{ID: "drift", Kind: runbook.Precheck, Title: "Read what drifts", Check: func(context.Context, runbook.World, runbook.Target) (runbook.Verdict, error) {
			return runbook.Verdict{Applies: true, Why: "shop is OutOfSync", Details: []string{"drifts: Deployment/shop/web"}}, nil
		}},
		{ID: "look", Kind: runbook.Manual, Title: "Look at the diff", Instructions: func(runbook.Target, func(string) runbook.StepState) []string { return []string{"argocd app diff shop"} }},
		{ID: "sync", Kind: runbook.Action, Title: "Sync it", Do: "argocd-sync"},
		{ID: "synced", Kind: runbook.Postcheck, Title: "Wait for Synced", Timeout: time.Minute, Every: time.Millisecond,
			Wait: func(context.Context, runbook.World, runbook.Target) (runbook.Progress, error) {
				return runbook.Progress{Done: true, Line: "sync Synced"}, nil
			}},
	}}
	who := actions.Actor{Name: "alice", Role: access.Operator, Session: "s1"}
	return r.e.Start(rb, t, who, runbook.World{}, func(string) runbook.Actor { return r.act }, takeOver)
}

func (testRecovery) Destructive(a string) bool { return a == "argocd-sync" }
func (testRecovery) Has(name string) bool      { return name == "test-sync" }

// TestRunbookPage: r on a finding whose hint names a runbook opens it aimed at the finding's object;
// enter does each step — the precheck read, the manual step ticked, the action's dry run shown, its
// object's name typed (a wrong one refused), a stale preview shown again, the postcheck waited for — and
// the run ends with its incident report.
func TestRunbookPage(t *testing.T) {
	dir := t.TempDir()
	st, err := runbook.OpenStore(dir + "/runbooks")
	if err != nil {
		t.Fatal(err)
	}
	act := &recActor{changed: true}
	rec := testRecovery{e: &runbook.Engine{Store: st, Incidents: dir + "/incidents"}, act: act}
	snap := watch.Snapshot{At: time.Date(2026, 12, 7, 3, 12, 0, 0, time.UTC), Platform: "lab", Report: health.Report{
		Overall: health.Degraded, Layers: []health.LayerReport{{Name: health.LayerGitOps, Status: health.Degraded, Findings: []health.Finding{
			{Object: "Application/argocd/shop", Status: health.Degraded, Reason: "OutOfSync", Hint: "sync it; runbook: test-sync"},
			{Object: "Application/argocd/web", Status: health.Degraded, Reason: "OutOfSync", Hint: "runbook: not-built"}}}}}}
	m := ui.NewConsole(ui.ConsoleOptions{Snapshots: oneShot(snap), Recovery: rec})
	drv := uitest.New(t, m, 100, 30)
	drv.Plain = true
	drv.Shows("lab")
	drv.Keys(":")
	drv.Type("gitops")
	drv.Keys("enter")
	drv.Shows("Application/argocd/shop", "r runbook test-sync")
	drv.Keys("r")
	drv.Shows("test-sync — An Application out of sync · on Application/argocd/shop", "▸ 1. (precheck) Read what drifts", "enter do this step")
	drv.Keys("enter")
	drv.Shows("✔ 1. (precheck) Read what drifts — shop is OutOfSync", "drifts: Deployment/shop/web", "argocd app diff shop")
	drv.Keys("enter")
	drv.Shows("✔ 2. (manual) Look at the diff — done by hand", "▸ 3. (action) Sync it")
	drv.Keys("enter")
	drv.Shows("argocd-sync application/argocd/shop — Argo CD applies git's manifests", "operation: (unset) →",
		"argocd-sync cannot be undone on lab: type shop and enter")
	drv.Type("sho")
	drv.Keys("enter")
	drv.Shows("that is not its name: type shop exactly")
	drv.Type("p")
	drv.Keys("enter")
	drv.Shows("changed since you looked; look again", "Here it is again, as it is now:")
	drv.Type("shop")
	drv.Keys("enter")
	drv.Shows("✔ argocd-sync application/argocd/shop: done (as cedille:alice)", "▸ 4. (postcheck) Wait for Synced")
	drv.Keys("enter")
	scr := drv.Shows("ended: done", "✔ 4. (postcheck) Wait for Synced — sync Synced", "Incident report: "+dir+"/incidents/")
	uitest.AssertFits(t, scr, 100, 30)
	act.mu.Lock()
	defer act.mu.Unlock()
	if len(act.did) != 1 || act.did[0] != "argocd-sync application/argocd/shop typed shop" {
		t.Fatalf("acted: %v", act.did)
	}

	// A finding naming a runbook not built here offers no r.
	drv.Keys("esc", "j")
	if scr := drv.Screen(); strings.Contains(scr, "r runbook") {
		t.Fatalf("r offered for a runbook that does not exist:\n%s", scr)
	}
}
