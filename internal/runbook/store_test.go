package runbook

import "testing"

func TestRunEarlier(t *testing.T) {
	r := Run{Steps: []StepState{{ID: "survey", Facts: map[string]string{"nodes-not-ready": "worker-2"}}, {ID: "power"}}}
	if got := r.Earlier("survey").Facts["nodes-not-ready"]; got != "worker-2" {
		t.Fatalf("survey's facts: %q", got)
	}
	if got := r.Earlier("nothing"); got.ID != "" || got.Facts != nil {
		t.Fatalf("an unknown step: %+v", got)
	}
}
