// Package labtest starts a lab of a test's own: for tests whose changes cannot be undone (Vault's init)
// and so never touch another test's servers.
package labtest

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/hack/lab"
)

// Start starts the given components (and what they need) in a temporary directory, from the cache of
// built servers (CEDILLE_LAB_BIN, or `make lab-build`), and stops them when the test ends.
func Start(t testing.TB, components ...string) *lab.Lab {
	t.Helper()
	return StartWith(t, lab.Options{Components: components})
}

// StartWith is Start with more of the lab's options (StateDir is the test's own unless o names one).
func StartWith(t testing.TB, o lab.Options) *lab.Lab {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if o.StateDir == "" {
		o.StateDir = filepath.Join(t.TempDir(), "lab")
	}
	l, err := lab.Up(ctx, o)
	if err != nil {
		t.Fatalf("lab (run make lab-build): %v", err)
	}
	t.Cleanup(func() { _ = l.Down() })
	return l
}
