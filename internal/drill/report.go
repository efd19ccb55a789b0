package drill

import (
	"fmt"
	"strings"
	"time"

	"github.com/clubcedille/cedille-tui/internal/runbook"
)

// Report is a finished (or stopped) drill: what was broken, the times, the steps, the incident report
// the runbook wrote.
type Report struct {
	Scenario Scenario
	Target   runbook.Target
	Progress Progress
	// Incident is the path of the run's incident report ("" when the run wrote none).
	Incident string
}

// Times is the one line of the three times: "detection 42s · response 1m10s · repair 2m03s".
func (r Report) Times() string {
	p := r.Progress
	return times(p.Detection(), p.Response(), p.Repair())
}

// times is the one line of three times.
func times(detection, response, repair time.Duration) string {
	return fmt.Sprintf("detection %s · response %s · repair %s", runbook.ReportTime(detection), runbook.ReportTime(response), runbook.ReportTime(repair))
}

// Markdown is the drill's report, written under the demo's state directory.
func (r Report) Markdown() string {
	var b strings.Builder
	p := r.Progress
	fmt.Fprintf(&b, "# Drill %s: %s\n\n", r.Scenario.Name, r.Scenario.Title)
	fmt.Fprintf(&b, "Fault injected at %s UTC into the demo's simulated platform", p.Injected.UTC().Format("2006-01-02 15:04:05"))
	if !r.Target.IsZero() {
		fmt.Fprintf(&b, ", on %s", r.Target)
	}
	fmt.Fprintf(&b, "; repaired with runbook `%s`", r.Scenario.Runbook)
	if p.Run != "" {
		fmt.Fprintf(&b, " (run %s)", p.Run)
	}
	b.WriteString(".\n\n## Times\n\n| detection | response | repair |\n|---|---|---|\n")
	fmt.Fprintf(&b, "| %s | %s | %s |\n\n", runbook.ReportTime(p.Detection()), runbook.ReportTime(p.Response()), runbook.ReportTime(p.Repair()))
	b.WriteString("From the fault's injection: detection until the runbook was started, response until its first action (or manual step) was done, repair until its last postcheck held.\n\n")
	writeRun(&b, "##", p, r.Incident)
	return b.String()
}

// writeRun writes the run's steps and outcome under headings of that level, naming its incident report.
func writeRun(b *strings.Builder, level string, p Progress, incident string) {
	fmt.Fprintf(b, "%s Steps\n\n", level)
	if len(p.Marks) == 0 {
		b.WriteString("(no step was done)\n")
	}
	for _, m := range p.Marks {
		fmt.Fprintf(b, "- +%s %s (%s): %s\n", runbook.ReportTime(m.At.Sub(p.Injected)), m.Step, m.Kind, oneLine(m.Summary))
	}
	fmt.Fprintf(b, "\n%s Outcome\n\n", level)
	switch {
	case p.Outcome != "":
		fmt.Fprintf(b, "The run ended: %s.\n", p.Outcome)
	case p.Run != "":
		b.WriteString("The run did not end: the drill was stopped before.\n")
	default:
		b.WriteString("The runbook was never started.\n")
	}
	if incident != "" {
		fmt.Fprintf(b, "\nThe runbook's incident report: %s\n", incident)
	}
}

func oneLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}

// Banner is the console's one line about the drill as it stands at now: what to look for until the
// runbook starts, then where it is, then its times.
func Banner(s Scenario, p Progress, now time.Time) string {
	head := "DRILL " + s.Name + ": "
	switch {
	case !p.Ended.IsZero() && p.Outcome != "done":
		return head + "over, " + p.Outcome + " — q: the report"
	case !p.Ended.IsZero():
		return fmt.Sprintf("%sdone: detection %s, response %s, repair %s — q: the report", head, runbook.ReportTime(p.Detection()), runbook.ReportTime(p.Response()), runbook.ReportTime(p.Repair()))
	case p.Run != "":
		last, step := "runbook started", ""
		if n := len(p.Marks); n > 0 {
			last, step = "step "+p.Marks[n-1].Step+" done", p.Marks[n-1].Step
		}
		elapsed := runbook.ReportTime(runbook.Span(p.Injected, now).Truncate(time.Second))
		if next := s.Next[step]; next != "" {
			return fmt.Sprintf("%s%s · %s", head, elapsed, next)
		}
		return fmt.Sprintf("%s%s · %s", head, last, elapsed)
	}
	return fmt.Sprintf("%s%s · %s", head, s.Look, runbook.ReportTime(runbook.Span(p.Injected, now).Truncate(time.Second)))
}
