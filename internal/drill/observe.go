// Package drill is `cedille-tui demo --drill NAME`: a fault injected into the simulated platform
// (internal/demo), the operator timed from the injection to the runbook's last postcheck, and what only
// hands can do (power a machine on, give the unseal shares, change a disk) played by the simulation when
// the person ticks the manual step. The drill reads the run through the audit trail's records, as an
// observer: the engine and the console are the real ones.
//
// The times, as the club's incident reports give them, all from the fault's injection:
//   - detection: until the person starts the drill's runbook (from the finding, with r);
//   - response: until the first action is done (or, for a runbook without one, the first manual step);
//   - repair: until the runbook's last postcheck holds.
package drill

import (
	"strings"
	"time"

	"github.com/clubcedille/cedille-tui/internal/audit"
	"github.com/clubcedille/cedille-tui/internal/runbook"
)

// Mark is one step of the run as the drill saw it: when, which step, what it came to.
type Mark struct {
	At      time.Time
	Step    string
	Kind    runbook.Kind
	Summary string
}

// Progress is the drill as it stands: when each of its moments came (zero: not yet).
type Progress struct {
	Injected, Detected, Responded, Repaired, Ended time.Time
	Run, Outcome                                   string
	Marks                                          []Mark
}

// Detection, Response and Repair are the drill's times from the injection (0 while not reached).
func (p Progress) Detection() time.Duration { return runbook.Span(p.Injected, p.Detected) }
func (p Progress) Response() time.Duration  { return runbook.Span(p.Injected, p.Responded) }
func (p Progress) Repair() time.Duration    { return runbook.Span(p.Injected, p.Repaired) }

// Observer folds the audit trail's records into a drill's Progress, and says which manual steps were
// ticked (the simulation plays their hands). Not safe for concurrent use: Drill serialises it.
type Observer struct {
	rb runbook.Runbook
	p  Progress
	// others are the runs of other runbooks the person started meanwhile, by id: their runbook's name.
	others map[string]string
}

// NewObserver watches for runs of rb from the injection at injected.
func NewObserver(rb runbook.Runbook, injected time.Time) *Observer {
	return &Observer{rb: rb, p: Progress{Injected: injected}, others: map[string]string{}}
}

// Progress is what was observed so far.
func (o *Observer) Progress() Progress {
	p := o.p
	p.Marks = append([]Mark(nil), o.p.Marks...)
	return p
}

// kindOf is the kind of the runbook's step id (0 when it has none such).
func (o *Observer) kindOf(id string) runbook.Kind {
	for _, s := range o.rb.Steps {
		if s.ID == id {
			return s.Kind
		}
	}
	return 0
}

// lastPostcheck is the runbook's last postcheck's ID ("" for a runbook without one).
func (o *Observer) lastPostcheck() string {
	last := ""
	for _, s := range o.rb.Steps {
		if s.Kind == runbook.Postcheck {
			last = s.ID
		}
	}
	return last
}

// Observe takes one record, at the time it was written; it returns the manual step it says was ticked:
// its ID for the drill's runbook, RUNBOOK/ID for another runbook's run ("" for any other record). The
// drill's times are its runbook's first run's; other runs only tell their manual steps.
func (o *Observer) Observe(r audit.Record, at time.Time) (ticked string) {
	if rb, ok := o.others[r.Run]; ok {
		if r.Event == audit.RunbookStep && strings.HasPrefix(r.Reason, "done by hand") {
			return rb + "/" + r.Action
		}
		return ""
	}
	switch r.Event {
	case audit.RunbookStarted:
		if r.Action != o.rb.Name || (o.p.Run != "" && r.Run != o.p.Run) {
			if r.Run != "" && r.Run != o.p.Run {
				o.others[r.Run] = r.Action
			}
			return ""
		}
		if o.p.Run == "" {
			o.p.Run, o.p.Detected = r.Run, at
		}
	case audit.ActionDone:
		if r.Run == o.p.Run && o.p.Run != "" && o.p.Responded.IsZero() {
			o.p.Responded = at
		}
	case audit.RunbookStep:
		if r.Run != o.p.Run || o.p.Run == "" || strings.HasPrefix(r.Reason, "left ") {
			return ""
		}
		k := o.kindOf(r.Action)
		o.p.Marks = append(o.p.Marks, Mark{At: at, Step: r.Action, Kind: k, Summary: r.Reason})
		if strings.HasPrefix(r.Reason, "does not apply") {
			return ""
		}
		if (k == runbook.Action || k == runbook.Manual) && o.p.Responded.IsZero() {
			o.p.Responded = at
		}
		if k == runbook.Postcheck && r.Action == o.lastPostcheck() {
			o.p.Repaired = at
		}
		if k == runbook.Manual {
			return r.Action
		}
	case audit.RunbookEnded:
		if r.Run == o.p.Run && o.p.Run != "" && o.p.Ended.IsZero() {
			o.p.Ended, o.p.Outcome = at, r.Reason
		}
	}
	return ""
}
