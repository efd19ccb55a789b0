// Package runbook is guided recovery: a runbook is an ordered list of typed steps that check before and
// after they act, run the same locally and over SSH, by one person at a time per object, resumable,
// every step in the audit trail, ending with an incident report.
//
// The steps' kinds:
//
//   - Precheck reads the health model or the cluster and says why the runbook applies — or that it does
//     not, which ends the run there, changing nothing.
//   - Action is one dispatcher action (internal/actions) on each object the step names: the role it needs
//     and its blast radius come with it, a server-side dry run shows exactly what changes, a destructive
//     one wants the object's name typed, and the write is bound to the UID and resourceVersion the
//     preview saw — an object changed since is refused, and the step is previewed again.
//   - Postcheck waits for a condition, with a progress line and a timeout.
//   - Manual is what only a person can do (power, the BIOS, a VPN, a disk to replace): instructions and a
//     checkbox, ticked by name.
//
// A Run is the record of one runbook on one target, kept in a state file (no secret in it) so that a run
// cut short — a crash, a lost SSH session — resumes where it was. A lock per (runbook, target) file keeps a
// second person out ("in progress by alice since 03:12").
//
// The engine (Session) does I/O; screens call it from commands. Runbooks themselves are values:
// Catalog lists them, and Suggested reads which apply now from the findings whose hint names them.
package runbook

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/clubcedille/cedille-tui/internal/actions"
	"github.com/clubcedille/cedille-tui/internal/vaultops"
	"github.com/clubcedille/cedille-tui/internal/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
)

// Kind is a step's kind.
type Kind int

// The kinds of step.
const (
	Precheck Kind = iota + 1
	Action
	Postcheck
	Manual
)

func (k Kind) String() string {
	switch k {
	case Precheck:
		return "precheck"
	case Action:
		return "action"
	case Postcheck:
		return "postcheck"
	case Manual:
		return "manual"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Target is the object a run is aimed at: "Node/worker-2", "Namespace/shop", "Pod/web/web-1"; the zero
// Target for a runbook about the whole platform (cold-start).
type Target struct {
	Kind      string // as the findings name it: Node, Namespace, Pod, Application, Certificate…
	Namespace string
	Name      string
}

// ParseTarget reads KIND/NAME or KIND/NAMESPACE/NAME.
func ParseTarget(s string) (Target, error) {
	parts := strings.Split(strings.TrimSpace(s), "/")
	for _, p := range parts {
		if p == "" {
			return Target{}, fmt.Errorf("target %q: KIND/NAME or KIND/NAMESPACE/NAME, nothing empty (Node/worker-2, Pod/web/web-1)", s)
		}
	}
	switch len(parts) {
	case 2:
		return Target{Kind: parts[0], Name: parts[1]}, nil
	case 3:
		return Target{Kind: parts[0], Namespace: parts[1], Name: parts[2]}, nil
	}
	return Target{}, fmt.Errorf("target %q: KIND/NAME or KIND/NAMESPACE/NAME (Node/worker-2, Pod/web/web-1)", s)
}

// String is the target as ParseTarget reads it; "" for the zero Target.
func (t Target) String() string {
	switch {
	case t.Name == "":
		return ""
	case t.Namespace == "":
		return t.Kind + "/" + t.Name
	}
	return t.Kind + "/" + t.Namespace + "/" + t.Name
}

// IsZero tells whether the run is aimed at the whole platform.
func (t Target) IsZero() bool { return t == Target{} }

// Actor is what action steps act through: an actions.Dispatcher bound to the person (*actions.Bound).
type Actor interface {
	Preview(ctx context.Context, name string, t actions.Target) (actions.Preview, error)
	Do(ctx context.Context, name string, t actions.Target, c actions.Confirmation) (actions.Result, error)
}

// World is what steps read and act through. Every function of a step is called with it from the engine,
// never from a screen's Update.
type World struct {
	// Snapshot is the health model as the hub last published it (nil: none; steps read directly).
	Snapshot func() watch.Snapshot
	// Kube and Dynamic read the cluster directly (nil without one).
	Kube    kubernetes.Interface
	Dynamic dynamic.Interface
	// Act acts as the person at the console.
	Act Actor
	// Vault finds Vault's servers (VAULT_ADDR's, or the cluster's pods through port-forwards); nil: no
	// Vault to read. The caller closes each replica.
	Vault func(ctx context.Context) ([]*vaultops.Replica, error)
	Now   func() time.Time
	// Earlier is what an earlier step of the run came to — its summary, its facts, the objects it acted
	// on — as the run stood when the current step's function was called (set by the engine).
	Earlier func(stepID string) StepState
}

// Verdict is a precheck's answer.
type Verdict struct {
	Applies bool
	Why     string   // one line: why it applies, or why not
	Details []string // what was read, for the screen and the report
	// Facts are what later steps may read of it (World.Earlier): the notAfter the precheck saw, to tell
	// a new certificate from it. Kept in the run's state file: never a secret.
	Facts map[string]string
	// Systems are what the precheck found affected, one line each ("2 of 7 nodes not Ready (worker-2,
	// worker-5)"), for the incident report of a run aimed at the whole platform. Never a secret.
	Systems []string
}

// Progress is a postcheck's reading.
type Progress struct {
	Done bool
	Line string // "2 of 3 pods Ready", "volume attached"
}

// Step is one step of a runbook. Which fields count depends on Kind.
type Step struct {
	ID    string // unique in its runbook: what the state file and the audit trail name
	Kind  Kind
	Title string
	// Precheck: Check says whether the runbook applies (to t).
	Check func(ctx context.Context, w World, t Target) (Verdict, error)
	// Action: Do is the dispatcher action's name; Objects the objects it acts on, in order (read when
	// the step starts: "every pod stuck on a mount"); nil acts on the run's target itself.
	Do      string
	Objects func(ctx context.Context, w World, t Target) ([]actions.Target, error)
	// Postcheck: Wait reads the condition; the engine calls it every Every until Done or Timeout.
	Wait    func(ctx context.Context, w World, t Target) (Progress, error)
	Every   time.Duration
	Timeout time.Duration
	// Manual: what only a person can do, said from what earlier steps came to (earlier("survey").Facts:
	// the machines still off). Pure: it is called to draw a screen.
	Instructions func(t Target, earlier func(stepID string) StepState) []string
}

// Runbook is a named recovery procedure.
type Runbook struct {
	Name    string // as the findings' hints name it: "node-lost"
	Title   string
	Summary string
	// Kinds are the target kinds the runbook is aimed at ("Node"); none: the whole platform.
	Kinds []string
	// TargetOptional lets a runbook with Kinds run with no target too: it then acts on every object of
	// its kinds its precheck finds (mount-failed: one pod, or every pod stuck on a mount).
	TargetOptional bool
	Steps          []Step
}

// Validate refuses a runbook the engine could not run: no steps, an ID twice, a step missing what its
// kind needs, a first step that is not a precheck (a runbook says why it applies before it acts).
func (r Runbook) Validate() error {
	if r.Name == "" || len(r.Steps) == 0 {
		return fmt.Errorf("runbook %q: a name and steps are needed", r.Name)
	}
	if r.Steps[0].Kind != Precheck {
		return fmt.Errorf("runbook %s: its first step must be a precheck", r.Name)
	}
	seen := map[string]bool{}
	var errs []error
	for _, s := range r.Steps {
		if s.ID == "" || seen[s.ID] {
			errs = append(errs, fmt.Errorf("runbook %s: step %q: an ID, once", r.Name, s.ID))
		}
		seen[s.ID] = true
		var missing string
		switch s.Kind {
		case Precheck:
			if s.Check == nil {
				missing = "Check"
			}
		case Action:
			if s.Do == "" {
				missing = "Do"
			}
		case Postcheck:
			if s.Wait == nil || s.Timeout <= 0 {
				missing = "Wait and Timeout"
			}
		case Manual:
			if s.Instructions == nil {
				missing = "Instructions"
			}
		default:
			missing = "a Kind"
		}
		if missing != "" {
			errs = append(errs, fmt.Errorf("runbook %s: step %s (%s) has no %s", r.Name, s.ID, s.Kind, missing))
		}
	}
	return errors.Join(errs...)
}

// Aims tells whether the runbook may be aimed at t.
func (r Runbook) Aims(t Target) error {
	switch {
	case len(r.Kinds) == 0 && t.IsZero():
		return nil
	case len(r.Kinds) == 0:
		return fmt.Errorf("%s is about the whole platform: it takes no --target", r.Name)
	case t.IsZero() && r.TargetOptional:
		return nil
	case t.IsZero():
		return fmt.Errorf("%s needs a target: --target %s/NAME", r.Name, r.Kinds[0])
	}
	for _, k := range r.Kinds {
		if strings.EqualFold(k, t.Kind) {
			return nil
		}
	}
	return fmt.Errorf("%s is aimed at a %s, not a %s", r.Name, strings.Join(r.Kinds, " or "), t.Kind)
}
