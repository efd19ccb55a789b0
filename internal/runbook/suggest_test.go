package runbook

import (
	"testing"

	"github.com/clubcedille/cedille-tui/internal/health"
)

func TestSuggested(t *testing.T) {
	r := health.Report{Layers: []health.LayerReport{
		{Name: health.LayerCluster, Findings: []health.Finding{
			{Object: "Node/worker-2", Status: health.Degraded, Hint: "check the machine's power; runbook: node-lost"},
			{Object: "Node/worker-3", Status: health.OK, Hint: "runbook: node-lost"},
			{Object: "Machine/worker-2", Status: health.Down, Hint: "power it on; runbook: node-lost"},
			{Object: "Machine/worker-4", Status: health.Down, Hint: "power it on; runbook: node-lost"},
		}},
		{Name: health.LayerGitOps, Findings: []health.Finding{
			{Object: "Application/argocd/shop", Status: health.Down, Hint: "runbook: app-sync"},
			{Object: "Application/argocd/shop", Status: health.Degraded, Hint: "runbook: app-sync"},
			{Object: "API/vault", Status: health.Down, Hint: "runbook: vault-sealed"},
			{Object: "Application/argocd/web", Status: health.Degraded, Hint: "sync it"},
		}},
	}}
	got := Suggested(r, nil)
	// worker-2's machine and node are one target (the worst finding names it); worker-4's machine aims
	// at its node.
	want := []string{"node-lost Node/worker-2", "node-lost Node/worker-4", "app-sync Application/argocd/shop", "vault-sealed "}
	if len(got) != len(want) {
		t.Fatalf("%d suggestions: %+v", len(got), got)
	}
	for i, s := range got {
		if s.Runbook+" "+s.Target.String() != want[i] {
			t.Errorf("%d: %s %s, want %s", i, s.Runbook, s.Target, want[i])
		}
	}
}

// TestSuggestedAimed: an aim applies before the (runbook, target) pairs are told apart, so a runbook
// about the whole platform named by several findings is suggested once.
func TestSuggestedAimed(t *testing.T) {
	r := health.Report{Layers: []health.LayerReport{{Name: health.LayerWorkloads, Findings: []health.Finding{
		{Object: "Pod/shop/db-0", Status: health.Down, Hint: "runbook: cold-start"},
		{Object: "Pod/shop/web-0", Status: health.Down, Hint: "runbook: cold-start"},
		{Object: "Node/worker-2", Status: health.Degraded, Hint: "runbook: node-lost"},
	}}}}
	platform := func(name string, t Target) Target {
		if name == "cold-start" {
			return Target{}
		}
		return t
	}
	got := Suggested(r, platform)
	if len(got) != 2 || got[0].Runbook != "cold-start" || !got[0].Target.IsZero() || got[0].Finding.Object != "Pod/shop/db-0" ||
		got[1].Runbook != "node-lost" || got[1].Target.String() != "Node/worker-2" {
		t.Fatalf("suggestions %+v", got)
	}
}

func TestSuggestedFor(t *testing.T) {
	r := health.Report{Layers: []health.LayerReport{{Name: health.LayerCluster, Findings: []health.Finding{
		{Object: "Node/worker-2", Status: health.Degraded, Hint: "runbook: node-lost"},
		{Object: "Machine/worker-2", Status: health.Down, Hint: "runbook: node-lost"},
		{Object: "Node/worker-3", Status: health.OK, Hint: "runbook: node-lost"},
	}}}}
	for object, want := range map[string]string{"Node/worker-2": "node-lost Node/worker-2", "Machine/worker-2": "node-lost Node/worker-2", "Node/worker-3": ""} {
		s, ok := SuggestedFor(r, object)
		got := ""
		if ok {
			got = s.Runbook + " " + s.Target.String()
		}
		if got != want {
			t.Errorf("%s: %q, want %q", object, got, want)
		}
	}
}
