package runbooks

import (
	"strings"
	"testing"
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
