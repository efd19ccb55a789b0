package steps

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/clubcedille/cedille-tui/internal/atomicfile"
	"github.com/clubcedille/cedille-tui/internal/plan"
	"go.yaml.in/yaml/v3"
)

// StateFile is the install's saved state in the state directory.
const StateFile = "install.yaml"

// Record is what the state file remembers of one step.
type Record struct {
	State  State     `yaml:"state"`
	At     time.Time `yaml:"at"`
	Detail string    `yaml:"detail,omitempty"`
	// Result is what the step's last run did, when it succeeded (no secret: see Result).
	Result Result `yaml:"result,omitempty"`
}

// Saved is the state file: the plan (no secrets by construction) and each step's last state. Resuming
// does not trust it: every Check runs again; it keeps the operator's choices and tells what happened.
type Saved struct {
	Plan    plan.Plan     `yaml:"plan"`
	Steps   map[ID]Record `yaml:"steps,omitempty"`
	Updated time.Time     `yaml:"updated"`
}

// Store reads and writes the state file.
type Store struct {
	Path string
	// AfterSave, when set, runs after each save that succeeded, and its error is the save's: the demo
	// saves its simulated platform beside the plan, so that the two resume together.
	AfterSave func() error
}

// NewStore keeps the state in dir/install.yaml.
func NewStore(dir string) Store { return Store{Path: filepath.Join(dir, StateFile)} }

// Load reads the saved state; ok is false when there is none yet.
func (s Store) Load() (Saved, bool, error) {
	b, err := os.ReadFile(s.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return Saved{}, false, nil
	}
	if err != nil {
		return Saved{}, false, fmt.Errorf("read the saved install: %w", err)
	}
	var sv Saved
	if err := yaml.Unmarshal(b, &sv); err != nil {
		return Saved{}, false, fmt.Errorf("%s is damaged (%v): move it away to start over", s.Path, err)
	}
	return sv, true, nil
}

// Save writes the state atomically (a crash leaves the old file or the new one), mode 0600 in a 0700
// directory.
func (s Store) Save(sv Saved) error {
	if err := os.MkdirAll(filepath.Dir(s.Path), 0o700); err != nil {
		return fmt.Errorf("save the install: %w", err)
	}
	b, err := yaml.Marshal(sv)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(s.Path, b, 0o600); err != nil {
		return fmt.Errorf("save the install: %w", err)
	}
	if s.AfterSave != nil {
		return s.AfterSave()
	}
	return nil
}

// Mark records a step's state in sv; a Result recorded before is dropped.
func (sv *Saved) Mark(id ID, st State, at time.Time, detail string) {
	if sv.Steps == nil {
		sv.Steps = map[ID]Record{}
	}
	sv.Steps[id] = Record{State: st, At: at, Detail: detail}
	sv.Updated = at
}

// MarkDone records a step's successful run and what it did.
func (sv *Saved) MarkDone(id ID, at time.Time, res Result) {
	sv.Mark(id, Done, at, "")
	rec := sv.Steps[id]
	rec.Result = res
	sv.Steps[id] = rec
}
