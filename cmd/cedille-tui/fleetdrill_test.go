package main

import (
	"strings"
	"testing"
)

// `demo --era 2 --drill list` names the fleet's drills and their runbooks; an unknown one is refused with
// the names; a flag the fleet demo does not take is refused.
func TestFleetDrillCommandLine(t *testing.T) {
	r := runCLI(t, nil, "demo", "--era", "2", "--drill", "list")
	if r.code != 0 || !strings.Contains(r.stdout, "cold-start") || !strings.Contains(r.stdout, "runbook cold-start on each cluster") {
		t.Errorf("list: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, nil, "demo", "--era", "2", "--drill", "no-such-drill")
	if r.code == 0 || !strings.Contains(r.stderr, "cold-start") {
		t.Errorf("unknown drill: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, nil, "demo", "--era", "2", "--drill", "cold-start", "--installed")
	if r.code == 0 || !strings.Contains(r.stderr, "--drill") {
		t.Errorf("--installed with --era 2: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
