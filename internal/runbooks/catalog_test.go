package runbooks

import (
	"strings"
	"testing"

	"github.com/clubcedille/cedille-tui/internal/runbook"
)

// TestCatalog: every runbook can run (Validate), is found by its name, and names are unique.
func TestCatalog(t *testing.T) {
	seen := map[string]bool{}
	for _, rb := range All() {
		if err := rb.Validate(); err != nil {
			t.Error(err)
		}
		if seen[rb.Name] {
			t.Errorf("%s twice", rb.Name)
		}
		seen[rb.Name] = true
		if got, err := Lookup(rb.Name); err != nil || got.Name != rb.Name {
			t.Errorf("Lookup(%s): %v", rb.Name, err)
		}
	}
	if _, err := Lookup("no-such"); err == nil || !strings.Contains(err.Error(), "the runbooks are: app-sync") {
		t.Fatalf("an unknown name: %v", err)
	}
}

// TestAimOf: a finding's object aims a runbook that takes targets; one about the whole platform is aimed
// at nothing, whatever finding named it.
func TestAimOf(t *testing.T) {
	pod := runbook.Target{Kind: "Pod", Namespace: "shop", Name: "db-0"}
	node := runbook.Target{Kind: "Node", Name: "worker-2"}
	for _, tc := range []struct {
		rb   runbook.Runbook
		t    runbook.Target
		want runbook.Target
	}{
		{ColdStart(), pod, runbook.Target{}},
		{VaultSealed(), runbook.Target{Kind: "Vault", Name: "vault-0"}, runbook.Target{}},
		{NodeLost(), node, node},
	} {
		got := AimOf(tc.rb, tc.t)
		if got != tc.want {
			t.Errorf("%s on %s: aimed at %q, want %q", tc.rb.Name, tc.t, got, tc.want)
		}
		if err := tc.rb.Aims(got); err != nil {
			t.Errorf("%s cannot be aimed at what AimOf gives: %v", tc.rb.Name, err)
		}
	}
}

func TestAim(t *testing.T) {
	pod := runbook.Target{Kind: "Pod", Namespace: "shop", Name: "db-0"}
	if got := Aim("cold-start", pod); !got.IsZero() {
		t.Errorf("cold-start aimed at %s", got)
	}
	if got := Aim("stuck-terminating", pod); got != pod {
		t.Errorf("stuck-terminating aimed at %s", got)
	}
	if got := Aim("no-such-runbook", pod); got != pod {
		t.Errorf("an unknown runbook aimed at %s", got)
	}
}
