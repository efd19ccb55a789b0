// Package steps is the install's machinery: steps with stable IDs, each with a Check (does its outcome
// already hold on the live system?) and an idempotent Run that emits progress events; the choice of
// where a run resumes; and the saved state. The wizard (internal/ui/wizard) and the unattended runner
// (`install --answers`) drive the same steps.
package steps

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/clubcedille/cedille-tui/internal/plan"
)

// ID is a step's stable identifier: it names the step in --only, the state file and the answers file's
// errors, so it never changes.
type ID string

// The install's steps, in order (later issues append theirs).
const (
	Preflight ID = "preflight"
	ISO       ID = "iso"
	Machines  ID = "machines"
	Disks     ID = "disks"
	Cluster   ID = "cluster"
	// Part 2: Vault.
	VaultInit      ID = "vault-init"
	VaultUnseal    ID = "vault-unseal"
	VaultBootstrap ID = "vault-bootstrap"
	// Part 3: GitOps, storage, vclusters.
	GitOps    ID = "gitops"
	Storage   ID = "storage"
	VClusters ID = "vclusters"
	Handoff   ID = "handoff"
)

// State of a step in a run.
type State int

const (
	Pending State = iota
	Checking
	Running
	Done
	Failed
	Skipped
)

func (s State) String() string {
	switch s {
	case Checking:
		return "checking"
	case Running:
		return "running"
	case Done:
		return "done"
	case Failed:
		return "failed"
	case Skipped:
		return "skipped"
	}
	return "pending"
}

// MarshalText keeps the state file readable.
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a state back.
func (s *State) UnmarshalText(b []byte) error {
	for c := Pending; c <= Skipped; c++ {
		if c.String() == string(b) {
			*s = c
			return nil
		}
	}
	return fmt.Errorf("unknown step state %q", b)
}

// Outcome is what a Check found: whether the step's outcome holds, and a line saying what was seen.
type Outcome struct {
	Holds  bool
	Detail string
}

// Event is progress a step reports while it runs.
type Event struct {
	Step    ID
	Message string // one line for the step's log; "" for a progress-only event
	// Done and Total count bytes or items; Total 0 means no counter, -1 unknown.
	Done, Total int64
	Unit        string // "B" for bytes, else the items' name ("machines")
	// Items are per-object lines that replace the previous ones (e.g. each machine's install stage).
	Items []Item
}

// Item is one object's line in a step's live list.
type Item struct {
	Name, State, Detail string
	OK, Failed          bool
}

// Step is one install step.
type Step interface {
	ID() ID
	Title() string
	// Fields are the plan's field prefixes this step's forms fill and its Run needs valid.
	Fields() []string
	// Describe says what Run would do with this plan, touching nothing (--dry-run).
	Describe(p plan.Plan) []string
	// Check tells whether the step's outcome already holds on the live system.
	Check(ctx context.Context, e *Env, p plan.Plan) (Outcome, error)
	// Run makes the outcome hold; running it again when it holds changes nothing. It may record what it
	// learned in the plan (a schematic ID, a by-id path, the kubeconfig path), never a secret. Its Result
	// says what it did (summary lines, the files it wrote); it is kept in the state file.
	Run(ctx context.Context, e *Env, p *plan.Plan, emit func(Event)) (Result, error)
}

// DescribeIn is what s would do with this plan, told with e where it can be (the files it writes, by
// their path in e's directories); the others' Describe otherwise.
func DescribeIn(s Step, e *Env, p plan.Plan) []string {
	if d, ok := s.(interface {
		DescribeIn(e *Env, p plan.Plan) []string
	}); ok {
		return d.DescribeIn(e, p)
	}
	return s.Describe(p)
}

// Order is the steps' IDs in order.
func Order(ss []Step) []ID {
	ids := make([]ID, len(ss))
	for i, s := range ss {
		ids[i] = s.ID()
	}
	return ids
}

// ParseOnly reads --only (comma-separated IDs) against the known steps.
func ParseOnly(s string, known []ID) (map[ID]bool, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	only := map[ID]bool{}
	for _, f := range strings.Split(s, ",") {
		id := ID(strings.TrimSpace(f))
		if !slices.Contains(known, id) {
			names := make([]string, len(known))
			for i, k := range known {
				names[i] = string(k)
			}
			return nil, fmt.Errorf("--only: unknown step %q (steps: %s)", id, strings.Join(names, ", "))
		}
		only[id] = true
	}
	return only, nil
}

// ResumeAt is where a run starts: the first step (among those selected by only; nil = all) whose
// outcome does not hold. len(outcomes) means every selected step holds. Pure: the Checks ran before.
func ResumeAt(ids []ID, outcomes []Outcome, only map[ID]bool) int {
	for i, id := range ids {
		if only != nil && !only[id] {
			continue
		}
		if i >= len(outcomes) || !outcomes[i].Holds {
			return i
		}
	}
	return len(ids)
}

// Selected tells whether a step runs under --only.
func Selected(id ID, only map[ID]bool) bool { return only == nil || only[id] }

// SelectedFields are the plan's fields the selected steps read, and the schema version: the answers of
// a run of some steps are judged on those only (the Vault steps need no machines).
func SelectedFields(ss []Step, only map[ID]bool) []string {
	out := []string{"version"}
	for _, s := range ss {
		if Selected(s.ID(), only) {
			out = append(out, s.Fields()...)
		}
	}
	return out
}
