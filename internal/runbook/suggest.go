package runbook

import (
	"regexp"
	"slices"
	"strings"

	"github.com/clubcedille/cedille-tui/internal/health"
)

// Suggestion is a runbook a finding names, aimed at the finding's object.
type Suggestion struct {
	Runbook string
	Target  Target
	Finding health.Finding
}

// runbookHint finds "runbook: NAME" in a finding's hint.
var runbookHint = regexp.MustCompile(`runbook: ([a-z][a-z0-9-]*)`)

// Suggested reads, from the findings that are not OK, the runbooks their hints name, aimed at each
// finding's object (a finding about the whole platform aims at nothing), worst first and each
// (runbook, target) once.
func Suggested(r health.Report) []Suggestion {
	var out []Suggestion
	seen := map[string]bool{}
	var findings []health.Finding
	for _, l := range r.Layers {
		findings = append(findings, l.Findings...)
	}
	slices.SortStableFunc(findings, func(a, b health.Finding) int { return int(b.Status) - int(a.Status) })
	for _, f := range findings {
		if f.Status == health.OK {
			continue
		}
		m := runbookHint.FindStringSubmatch(f.Hint)
		if m == nil {
			continue
		}
		t, err := ParseTarget(f.Object)
		if err != nil || strings.HasPrefix(f.Object, "API/") || strings.HasPrefix(f.Object, "CRD/") {
			t = Target{}
		}
		k := m[1] + "\x00" + t.String()
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, Suggestion{Runbook: m[1], Target: t, Finding: f})
	}
	return out
}
