// Package runbooks holds the runbooks themselves, each from the platform's incident cards and the
// upstream procedures, each with its guard rails; internal/runbook is the engine that runs them.
package runbooks

import (
	"fmt"
	"slices"
	"strings"

	"github.com/clubcedille/cedille-tui/internal/runbook"
)

// All lists every runbook, by name.
func All() []runbook.Runbook {
	all := []runbook.Runbook{AppSync(), CertRenewal(), ColdStart(), NodeLost(), NodeReturned(), PoolDegraded(), StuckTerminating(),
		VClusterRegistration(), VaultSealed(), SpokeToken(), CSIPluginsStale(), MultiAttach(), MountFailed()}
	slices.SortFunc(all, func(a, b runbook.Runbook) int { return strings.Compare(a.Name, b.Name) })
	return all
}

// Lookup finds a runbook by name.
func Lookup(name string) (runbook.Runbook, error) {
	var names []string
	for _, rb := range All() {
		if rb.Name == name {
			return rb, nil
		}
		names = append(names, rb.Name)
	}
	return runbook.Runbook{}, fmt.Errorf("no runbook %q; the runbooks are: %s", name, strings.Join(names, ", "))
}
