package runbook

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/clubcedille/cedille-tui/internal/atomicfile"
)

// Run is the record of one runbook on one target: where it is, who did each step and when, how it
// ended. It is the state file a run resumes from; it holds no secret (a step's summary is what it read
// or did, never a value it was given).
type Run struct {
	ID      string      `json:"id"`
	Runbook string      `json:"runbook"`
	Target  string      `json:"target,omitempty"`
	Owner   string      `json:"owner"` // who started it
	Started time.Time   `json:"started"`
	Ended   time.Time   `json:"ended,omitzero"`
	Outcome string      `json:"outcome,omitempty"` // "" while it runs; done, not applicable, aborted: why
	Steps   []StepState `json:"steps"`
	Report  string      `json:"report,omitempty"` // the incident report's path, once written
}

// Earlier is what the run's step id came to (the zero StepState for an unknown id), as a manual step's
// Instructions read it.
func (r Run) Earlier(id string) StepState {
	for _, st := range r.Steps {
		if st.ID == id {
			return st
		}
	}
	return StepState{}
}

// StepState is one step's part of a run.
type StepState struct {
	ID      string            `json:"id"`
	Done    bool              `json:"done,omitempty"`
	At      time.Time         `json:"at,omitzero"` // when it was done
	By      string            `json:"by,omitempty"`
	Summary string            `json:"summary,omitempty"`
	Facts   map[string]string `json:"facts,omitempty"`   // a precheck's Verdict.Facts, for the later steps
	Systems []string          `json:"systems,omitempty"` // a precheck's Verdict.Systems, for the report
	Objects []ObjectState     `json:"objects,omitempty"` // an action step's objects, read when it started
	Listed  bool              `json:"listed,omitempty"`  // Objects was read (it may be empty: nothing to do)
}

// ObjectState is one object of an action step.
type ObjectState struct {
	Object  string    `json:"object"` // kind/namespace/name, as actions.Target.String
	Done    bool      `json:"done,omitempty"`
	Skipped string    `json:"skipped,omitempty"` // why the person left it alone
	At      time.Time `json:"at,omitzero"`
	As      string    `json:"as,omitempty"` // who the API server saw
}

// Ended tells whether the run has ended.
func (r Run) IsEnded() bool { return !r.Ended.IsZero() }

// Cursor is the index of the first step not done (len(Steps) once all are).
func (r Run) Cursor() int {
	for i, s := range r.Steps {
		if !s.Done {
			return i
		}
	}
	return len(r.Steps)
}

// Store keeps the runs' state files and the locks, under one directory
// ($XDG_STATE_HOME/cedille-tui/runbooks).
type Store struct{ dir string }

// OpenStore makes dir (0700) and its runs/ and locks/.
func OpenStore(dir string) (*Store, error) {
	for _, d := range []string{dir, filepath.Join(dir, "runs"), filepath.Join(dir, "locks")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("the runbooks' state directory: %w", err)
		}
	}
	return &Store{dir: dir}, nil
}

// Dir is the store's directory.
func (s *Store) Dir() string { return s.dir }

func (s *Store) runPath(id string) string { return filepath.Join(s.dir, "runs", id+".json") }

// key names the (runbook, target) pair in file names.
func key(runbook string, t Target) string {
	h := sha256.Sum256([]byte(runbook + "\x00" + t.String()))
	return runbook + "-" + hex.EncodeToString(h[:6])
}

// Save writes the run's state file.
func (s *Store) Save(r Run) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(s.runPath(r.ID), append(b, '\n'), 0o600)
}

// Load reads a run's state file.
func (s *Store) Load(id string) (Run, error) {
	b, err := os.ReadFile(s.runPath(id))
	if err != nil {
		return Run{}, err
	}
	var r Run
	if err := json.Unmarshal(b, &r); err != nil {
		return Run{}, fmt.Errorf("%s: %w (remove it to start the run over)", s.runPath(id), err)
	}
	return r, nil
}

// Runs lists every run, newest first.
func (s *Store) Runs() ([]Run, error) {
	entries, err := os.ReadDir(filepath.Join(s.dir, "runs"))
	if err != nil {
		return nil, err
	}
	var out []Run
	var errs []error
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok {
			continue
		}
		r, err := s.Load(id)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b Run) int { return b.Started.Compare(a.Started) })
	return out, errors.Join(errs...)
}

// Unfinished is the run of runbook on t that has not ended, if any.
func (s *Store) Unfinished(runbook string, t Target) (Run, bool, error) {
	runs, err := s.Runs()
	for _, r := range runs {
		if r.Runbook == runbook && r.Target == t.String() && !r.IsEnded() {
			return r, true, err
		}
	}
	return Run{}, false, err
}

// Lock is who holds a (runbook, target) pair.
type Lock struct {
	User  string    `json:"user"`
	Since time.Time `json:"since"`
	Run   string    `json:"run"`
}

// LockedError refuses a run another person holds.
type LockedError struct {
	Runbook, Target string
	Lock
}

func (e *LockedError) Error() string {
	what := e.Runbook
	if e.Target != "" {
		what += " on " + e.Target
	}
	return fmt.Sprintf("%s is in progress by %s since %s UTC (run %s): wait for them, or an admin takes it over",
		what, e.User, e.Since.UTC().Format("2006-01-02 15:04"), e.Run)
}

func (s *Store) lockPath(runbook string, t Target) string {
	return filepath.Join(s.dir, "locks", key(runbook, t)+".json")
}

// Acquire takes the (runbook, target) lock for l.User. The holder taking it again (a second session, or
// after a crash) gets it; anyone else gets a *LockedError unless takeOver.
func (s *Store) Acquire(runbook string, t Target, l Lock, takeOver bool) error {
	path := s.lockPath(runbook, t)
	b, err := json.Marshal(l)
	if err != nil {
		return err
	}
	for range 2 {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			_, werr := f.Write(b)
			return errors.Join(werr, f.Close())
		}
		if !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("the lock of %s: %w", runbook, err)
		}
		held, err := s.held(path)
		if err != nil {
			return err
		}
		if held.User != l.User && !takeOver {
			return &LockedError{Runbook: runbook, Target: t.String(), Lock: held}
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return fmt.Errorf("the lock of %s changed hands while it was taken: try again", runbook)
}

func (s *Store) held(path string) (Lock, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Lock{}, err
	}
	var l Lock
	if err := json.Unmarshal(b, &l); err != nil {
		return Lock{}, fmt.Errorf("the lock %s is not readable (%v): remove it once nobody runs this runbook", path, err)
	}
	return l, nil
}

// Release frees the (runbook, target) lock if run holds it.
func (s *Store) Release(runbook string, t Target, run string) error {
	path := s.lockPath(runbook, t)
	held, err := s.held(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if held.Run != run {
		return nil
	}
	return os.Remove(path)
}

// Holder says who holds the (runbook, target) lock, if anyone.
func (s *Store) Holder(runbook string, t Target) (Lock, bool) {
	l, err := s.held(s.lockPath(runbook, t))
	return l, err == nil
}
