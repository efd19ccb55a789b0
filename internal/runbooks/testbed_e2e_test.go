//go:build e2e

package runbooks

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/clubcedille/cedille-tui/internal/actions"
	"github.com/clubcedille/cedille-tui/internal/audit"
	"github.com/clubcedille/cedille-tui/internal/runbook"
	"k8s.io/client-go/rest"
)

// testbed is what the runbooks' lab tests share: a dispatcher writing as impersonated console users (the
// lab's admin may impersonate) to a real audit trail, and engines over one state directory — a new one
// per call, as a restarted process would open it.
type testbed struct {
	t         *testing.T
	dir       string
	trailPath string
	trail     *audit.Log
	clients   *actions.Clients
	d         *actions.Dispatcher
}

func newTestbed(t *testing.T, admin *rest.Config) *testbed {
	t.Helper()
	b := &testbed{t: t, dir: t.TempDir()}
	b.trailPath = filepath.Join(b.dir, "audit.jsonl")
	var err error
	if b.trail, err = audit.Open(b.trailPath); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.trail.Close() })
	b.clients = actions.NewClients(admin)
	if b.d, err = actions.NewDispatcher(b.clients, b.trail.Append, actions.Builtin()...); err != nil {
		t.Fatal(err)
	}
	return b
}

// entries are the trail's records of one run.
func (b *testbed) entries(run string) ([]audit.Entry, error) {
	f, err := os.Open(b.trailPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return audit.Entries(f, func(e audit.Entry) bool { return e.Run == run })
}

// engine opens the runbooks' state in the testbed's directory.
func (b *testbed) engine() *runbook.Engine {
	b.t.Helper()
	st, err := runbook.OpenStore(filepath.Join(b.dir, "runbooks"))
	if err != nil {
		b.t.Fatal(err)
	}
	return &runbook.Engine{Store: st, Audit: b.trail.Append, Entries: b.entries, Incidents: filepath.Join(b.dir, "incidents")}
}

// start starts (or resumes) rb on target as who, acting through the testbed's dispatcher.
func (b *testbed) start(e *runbook.Engine, rb runbook.Runbook, target runbook.Target, who actions.Actor, w runbook.World) (*runbook.Session, error) {
	return e.Start(rb, target, who, w, runbook.DispatchAs(b.d, actions.As(who)), false)
}
