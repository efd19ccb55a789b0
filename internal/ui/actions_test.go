package ui_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/clubcedille/cedille-tui/internal/access"
	"github.com/clubcedille/cedille-tui/internal/actions"
	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/ui"
	"github.com/clubcedille/cedille-tui/internal/ui/app"
	"github.com/clubcedille/cedille-tui/internal/ui/uitest"
)

// fakeAct is the actions of one person of a given role, without a cluster: the built-in actions'
// names, roles and blast radii; a canned dry run; Do records what it was given and answers doErr.
type fakeAct struct {
	role  access.Role
	doErr error

	mu   sync.Mutex
	done []string // "name target typed"
}

func (f *fakeAct) Actions(k actions.Kind) []actions.Action {
	return slices.DeleteFunc(actions.Builtin(), func(a actions.Action) bool { return a.Kind != k })
}

func (f *fakeAct) Allowed(k actions.Kind) []actions.Action {
	return slices.DeleteFunc(f.Actions(k), func(a actions.Action) bool { return !f.role.Allows(a.Role) })
}

func (f *fakeAct) find(name string) actions.Action {
	i := slices.IndexFunc(actions.Builtin(), func(a actions.Action) bool { return a.Name == name })
	return actions.Builtin()[i]
}

func (f *fakeAct) refusal(name string, t actions.Target) error {
	if a := f.find(name); !f.role.Allows(a.Role) {
		return &actions.RefusedError{Action: name, Target: t, Reason: name + " needs " + a.Role.String() + "; you are " + f.role.String()}
	}
	return nil
}

func (f *fakeAct) Preview(_ context.Context, name string, t actions.Target) (actions.Preview, error) {
	if err := f.refusal(name, t); err != nil {
		return actions.Preview{}, err
	}
	a := f.find(name)
	p := actions.Preview{Action: name, Target: t, Blast: a.Blast(t), Expect: actions.Precondition{UID: "3f6c-uid", ResourceVersion: "4711"}}
	if name == "cordon" {
		p.Changes = []actions.Change{{Path: "spec.unschedulable", Before: actions.Unset, After: "true"}}
	}
	return p, nil
}

func (f *fakeAct) Do(_ context.Context, name string, t actions.Target, c actions.Confirmation) (actions.Result, error) {
	if err := f.refusal(name, t); err != nil {
		return actions.Result{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.done = append(f.done, strings.TrimSpace(name+" "+t.String()+" "+c.Typed))
	if f.doErr != nil {
		return actions.Result{}, f.doErr
	}
	return actions.Result{Action: name, Target: t, As: "cedille:olive"}, nil
}

func (f *fakeAct) ran() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.done)
}

// actionsConsole is the demo's console at 80×24 with f's actions, its cluster layer holding a failing
// pod too; plain text.
func actionsConsole(t *testing.T, f *fakeAct) *uitest.Driver[*app.Model] {
	t.Helper()
	snap := demoSnapshot(t)
	for i, l := range snap.Report.Layers {
		if l.Name == health.LayerCluster {
			fs := append(slices.Clone(l.Findings), health.Finding{Object: "Pod/web/web-1", Status: health.Down, Reason: "CrashLoopBackOff"})
			snap.Report.Layers[i] = health.NewLayer(l.Name, fs)
		}
	}
	m := ui.NewConsole(ui.ConsoleOptions{Snapshots: oneShot(snap), Color: false, Act: f})
	drv := uitest.New(t, m, 80, 24)
	drv.Plain = true
	drv.Shows("worst first")
	return drv
}

// jump opens a `:` page.
func jump(drv *uitest.Driver[*app.Model], page string) {
	drv.Key(":")
	drv.Type(page)
	drv.Key("enter")
}

func TestViewerSeesActionsDimmedWithTheRoleTheyNeed(t *testing.T) {
	f := &fakeAct{role: access.Viewer}
	drv := actionsConsole(t, f)
	jump(drv, "nodes")
	drv.Shows("a actions") // the footer offers it on a node
	drv.Key("a")
	out := drv.Shows("Actions on node/controlplane-1", "cordon                  needs operator", "uncordon                needs operator",
		"Your role runs none of these")
	uitest.AssertFits(t, out, 80, 24)
	drv.Key("enter") // asked anyway: the dispatcher refuses it, and says why
	drv.Shows("refused: cordon needs operator; you are viewer", "Actions on node/controlplane-1")
	drv.Key("esc")
	drv.Shows("NAME", "STATUS")
	if got := f.ran(); len(got) != 0 {
		t.Errorf("a viewer ran %q", got)
	}
}

func TestOperatorPreviewsAndCordons(t *testing.T) {
	f := &fakeAct{role: access.Operator}
	drv := actionsConsole(t, f)
	jump(drv, "nodes")
	drv.Keys("j", "j", "j", "j", "a") // worker-2
	drv.Shows("Actions on node/worker-2", "node/worker-2: no new pod is scheduled on worker-2")
	if strings.Contains(drv.Screen(), "needs operator") {
		t.Errorf("an operator sees cordon dimmed:\n%s", drv.Screen())
	}
	drv.Key("enter")
	drv.Shows("Dry run of cordon on node/worker-2", "spec.unschedulable: (unset) → true", "uid 3f6c-uid, resourceVersion 4711")
	drv.Key("esc") // backs out of the preview to the list
	drv.Shows("Actions on node/worker-2")
	drv.Keys("enter")
	drv.Shows("enter runs cordon")
	drv.Key("enter")
	drv.Shows("cordon node/worker-2: done (as cedille:olive)", "Nodes")
	if got := f.ran(); !slices.Equal(got, []string{"cordon node/worker-2"}) {
		t.Errorf("ran %q", got)
	}
}

func TestDeletePodAsksForItsName(t *testing.T) {
	f := &fakeAct{role: access.Operator}
	drv := actionsConsole(t, f)
	jump(drv, "cluster")
	drv.Shows("Pod/web/web-1")
	drv.Key("/")
	drv.Type("web-1")
	drv.Keys("enter", "enter") // the finding's detail offers its actions too
	drv.Shows("CrashLoopBackOff", "a actions")
	drv.Key("a")
	drv.Shows("Actions on pod/web/web-1", "delete-pod", "asks for the name")
	drv.Key("enter")
	// The cluster it would touch is named in the confirmation itself, not only in the header (a fleet).
	drv.Shows("delete-pod cannot be undone on cedille-cluster. Type the pod's name, web-1")
	drv.Type("web-2")
	drv.Key("enter")
	drv.Shows("that is not its name: type web-1 exactly")
	if got := f.ran(); len(got) != 0 {
		t.Fatalf("ran %q on a wrong name", got)
	}
	drv.Keys("backspace")
	drv.Type("1")
	drv.Key("q") // typed, not quitting
	drv.Key("backspace")
	drv.Key("enter")
	drv.Shows("delete-pod pod/web/web-1: done")
	if got := f.ran(); !slices.Equal(got, []string{"delete-pod pod/web/web-1 web-1"}) {
		t.Errorf("ran %q", got)
	}
}

func TestRefusalFlashesWhy(t *testing.T) {
	f := &fakeAct{role: access.Operator, doErr: &actions.RefusedError{Action: "cordon",
		Reason: "node/worker-1 was modified: changed since you looked; look again"}}
	drv := actionsConsole(t, f)
	jump(drv, "nodes")
	drv.Keys("j", "j", "j", "a", "enter")
	drv.Shows("enter runs cordon")
	drv.Key("enter")
	drv.Shows("refused: node/worker-1 was modified: changed since you looked; look again", "INTERNAL-IP")
}

func TestActionsGoldens(t *testing.T) {
	for _, tc := range []struct {
		name string
		role access.Role
		keys []string
		want string
	}{
		{"actions_viewer", access.Viewer, []string{"a"}, "needs operator"},
		{"actions_preview", access.Operator, []string{"j", "a", "enter"}, "enter runs cordon"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			drv := actionsConsole(t, &fakeAct{role: tc.role})
			drv.Plain = false
			jump(drv, "nodes")
			drv.Keys(tc.keys...)
			out := drv.Until(tc.want, func(s string) bool { return strings.Contains(ansi.Strip(s), tc.want) })
			uitest.AssertFits(t, out, 80, 24)
			golden.RequireEqual(t, []byte(out))
		})
	}
}
