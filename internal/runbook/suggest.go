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
// finding's object (a finding about the whole platform aims at nothing) — or where aim says, when given
// (a runbook about the whole platform is aimed at nothing whichever finding named it) —, worst first and
// each (runbook, target) once.
func Suggested(r health.Report, aim func(runbook string, t Target) Target) []Suggestion {
	var out []Suggestion
	seen := map[string]bool{}
	for _, f := range worstFirst(r) {
		s, ok := Suggest(f)
		if ok && aim != nil {
			s.Target = aim(s.Runbook, s.Target)
		}
		if !ok || seen[s.Runbook+"\x00"+s.Target.String()] {
			continue
		}
		seen[s.Runbook+"\x00"+s.Target.String()] = true
		out = append(out, s)
	}
	return out
}

// SuggestedFor is the runbook the worst not-OK finding about object names, if any.
func SuggestedFor(r health.Report, object string) (Suggestion, bool) {
	for _, f := range worstFirst(r) {
		if f.Object != object {
			continue
		}
		if s, ok := Suggest(f); ok {
			return s, true
		}
	}
	return Suggestion{}, false
}

func worstFirst(r health.Report) []health.Finding {
	var findings []health.Finding
	for _, l := range r.Layers {
		findings = append(findings, l.Findings...)
	}
	slices.SortStableFunc(findings, func(a, b health.Finding) int { return int(b.Status) - int(a.Status) })
	return findings
}

// Suggest reads the runbook one finding's hint names, aimed at its object; false when it is OK or names
// none. An Omni machine's node-lost is aimed at its node (a machine is named by its hostname, its
// node's name): one run, one lock, for both.
func Suggest(f health.Finding) (Suggestion, bool) {
	if f.Status == health.OK {
		return Suggestion{}, false
	}
	m := runbookHint.FindStringSubmatch(f.Hint)
	if m == nil {
		return Suggestion{}, false
	}
	t, err := ParseTarget(f.Object)
	switch {
	case err != nil || strings.HasPrefix(f.Object, "API/") || strings.HasPrefix(f.Object, "CRD/"):
		t = Target{}
	case t.Kind == "Machine" && m[1] == health.RunbookNodeLost:
		t.Kind = "Node"
	}
	return Suggestion{Runbook: m[1], Target: t, Finding: f}, true
}
