package runbook

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/clubcedille/cedille-tui/internal/atomicfile"
	"github.com/clubcedille/cedille-tui/internal/audit"
	"github.com/clubcedille/cedille-tui/internal/units"
)

// Times are an incident's three durations, as the club's incident reports give them: failure from the
// first alarm to the end of the repair, response from the first alarm to the first action, repair from
// the first action to the end. Zero when not known (no action was taken: no response or repair).
type Times struct {
	Alarm, FirstAction, End time.Time
}

// Failure, Response and Repair are the durations (0 when a bound is unknown).
func (t Times) Failure() time.Duration  { return Span(t.Alarm, t.End) }
func (t Times) Response() time.Duration { return Span(t.Alarm, t.FirstAction) }
func (t Times) Repair() time.Duration   { return Span(t.FirstAction, t.End) }

// Span is the time from a to b; 0 when either is not known (zero) or b comes first.
func Span(a, b time.Time) time.Duration {
	if a.IsZero() || b.IsZero() || b.Before(a) {
		return 0
	}
	return b.Sub(a)
}

// TimesOf reads a run's times: the alarm is the run's start, the first action the first object acted
// on, the end the run's end.
func TimesOf(r Run) Times {
	t := Times{Alarm: r.Started, End: r.Ended}
	for _, s := range r.Steps {
		for _, o := range s.Objects {
			if o.Done && (t.FirstAction.IsZero() || o.At.Before(t.FirstAction)) {
				t.FirstAction = o.At
			}
		}
	}
	return t
}

// Report renders a run as an incident report in the club's Incidents format: what happened, the
// systems affected, the timeline (from the audit trail's records of the run when given, else from the
// run's steps), the causes and next steps to write, and the failure, response and repair times.
func Report(rb Runbook, r Run, entries []audit.Entry) string {
	var b strings.Builder
	title := rb.Title
	if r.Target != "" {
		title += " — " + r.Target
	}
	fmt.Fprintf(&b, "# Incident %s: %s\n\n", r.Started.UTC().Format("2006-01-02"), title)
	fmt.Fprintf(&b, "Written by cedille-tui at the end of run %s of runbook `%s`, started by %s at %s UTC; outcome: %s.\n\n",
		r.ID, rb.Name, r.Owner, r.Started.UTC().Format("15:04"), r.Outcome)

	b.WriteString("## Systems affected\n\n")
	if r.Target != "" {
		fmt.Fprintf(&b, "- %s\n", r.Target)
	} else {
		b.WriteString("- the platform\n")
	}
	for _, s := range r.Steps {
		for _, sys := range s.Systems {
			fmt.Fprintf(&b, "- %s (found by step %s)\n", sys, s.ID)
		}
	}
	for _, s := range r.Steps {
		for _, o := range s.Objects {
			switch {
			case o.Done:
				fmt.Fprintf(&b, "- %s (step %s, as %s)\n", o.Object, s.ID, o.As)
			case o.Skipped != "":
				fmt.Fprintf(&b, "- %s (left alone: %s)\n", o.Object, o.Skipped)
			}
		}
	}

	b.WriteString("\n## Timeline (UTC)\n\n| time | who | what |\n|---|---|---|\n")
	if len(entries) > 0 {
		for _, e := range entries {
			fmt.Fprintf(&b, "| %s | %s | %s |\n", entryTime(e), cell(e.User), cell(describe(e.Record)))
		}
	} else {
		fmt.Fprintf(&b, "| %s | %s | run started |\n", r.Started.UTC().Format(time.TimeOnly), cell(r.Owner))
		for _, s := range r.Steps {
			if !s.At.IsZero() {
				fmt.Fprintf(&b, "| %s | %s | %s: %s |\n", s.At.UTC().Format(time.TimeOnly), cell(s.By), s.ID, cell(s.Summary))
			}
		}
		if r.IsEnded() {
			fmt.Fprintf(&b, "| %s | | run ended: %s |\n", r.Ended.UTC().Format(time.TimeOnly), cell(r.Outcome))
		}
	}

	b.WriteString("\n## Causes\n\n(to write: what failed, and why)\n\n## Next steps\n\n(to write: what would keep it from happening again)\n")
	t := TimesOf(r)
	b.WriteString("\n## Failure, response and repair\n\n| failure | response | repair |\n|---|---|---|\n")
	fmt.Fprintf(&b, "| %s | %s | %s |\n\n", ReportTime(t.Failure()), ReportTime(t.Response()), ReportTime(t.Repair()))
	b.WriteString("Failure: from the alarm (the run's start) to its end; response: from the alarm to the first action; repair: from the first action to the end.\n")
	return b.String()
}

func entryTime(e audit.Entry) string {
	t, err := time.Parse(audit.TimeFormat, e.Time)
	if err != nil {
		return e.Time
	}
	return t.Format(time.TimeOnly)
}

// describe says what an audit record of a run means, in a timeline's words.
func describe(r audit.Record) string {
	what := string(r.Event)
	switch r.Event {
	case audit.RunbookStarted:
		what = "run of " + r.Action + " started"
	case audit.RunbookStep:
		what = "step " + r.Action
	case audit.RunbookEnded:
		what = "run ended"
	case audit.ActionDone:
		what = r.Action + " " + r.Target + " done"
	case audit.ActionRefused, audit.ActionFailed:
		what = r.Action + " " + r.Target + " " + strings.TrimPrefix(string(r.Event), "action_")
	case audit.ActionAttempted:
		what = r.Action + " " + r.Target + " asked for"
	}
	if r.Reason != "" {
		what += ": " + r.Reason
	}
	return what
}

// cell keeps a table cell on one line and its pipes inert.
func cell(s string) string {
	return strings.NewReplacer("|", "\\|", "\n", " ").Replace(s)
}

// ReportTime is a duration as the incident and drill reports give it: "—" when not reached.
func ReportTime(d time.Duration) string {
	if d <= 0 {
		return "—"
	}
	return units.Duration(d)
}

// writeReport writes the run's report to the incidents directory; "" when there is none.
func (e *Engine) writeReport(rb Runbook, r Run) (string, error) {
	if e.Incidents == "" {
		return "", nil
	}
	var entries []audit.Entry
	if e.Entries != nil {
		var err error
		if entries, err = e.Entries(r.ID); err != nil {
			entries = nil // the run's own steps tell the timeline then
		}
	}
	if err := os.MkdirAll(e.Incidents, 0o700); err != nil {
		return "", fmt.Errorf("the incident report: %w", err)
	}
	path := filepath.Join(e.Incidents, fmt.Sprintf("%s-%s-%s.md", r.Started.UTC().Format("2006-01-02"), rb.Name, r.ID))
	return path, atomicfile.Write(path, []byte(Report(rb, r, entries)), 0o600)
}
