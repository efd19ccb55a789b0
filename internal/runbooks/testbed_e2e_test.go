//go:build e2e

package runbooks

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/clubcedille/cedille-tui/internal/actions"
	"github.com/clubcedille/cedille-tui/internal/audit"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/runbook"
	"github.com/clubcedille/cedille-tui/internal/vaultops"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
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

// adminClients are the typed and dynamic clients of the lab's admin: what a test makes its fault with and
// reads the real state through.
func adminClients(t *testing.T, admin *rest.Config) (*kubernetes.Clientset, *dynamic.DynamicClient) {
	t.Helper()
	kc, err := kubernetes.NewForConfig(admin)
	if err != nil {
		t.Fatal(err)
	}
	dc, err := dynamic.NewForConfig(admin)
	if err != nil {
		t.Fatal(err)
	}
	return kc, dc
}

// labVault is the lab's real Vault at addr, initialized with 5 shares and a threshold of 3 (wiped when
// the test ends) and sealed: connect opens a new client to it, replicas is what World.Vault finds.
type labVault struct {
	connect  func() *platform.Vault
	keys     *vaultops.Keys
	replicas func(context.Context) ([]*vaultops.Replica, error)
}

func newLabVault(ctx context.Context, t *testing.T, addr string) labVault {
	t.Helper()
	connect := func() *platform.Vault {
		v, err := platform.ConnectVault(platform.VaultOptions{Addr: addr})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	keys, err := vaultops.Init(ctx, connect(), vaultops.InitOptions{Shares: 5, Threshold: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(keys.Wipe)
	return labVault{connect: connect, keys: keys, replicas: func(context.Context) ([]*vaultops.Replica, error) {
		return []*vaultops.Replica{{Name: "vault-0", Vault: connect()}}, nil
	}}
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

// viewerRefused walks a viewer's run up to its first action — prechecks read (each must apply), manual
// steps ticked — and wants the dispatcher to refuse the preview of that action on object, saying want;
// the viewer then aborts, handing the object over.
func viewerRefused(ctx context.Context, t *testing.T, s *runbook.Session, object actions.Target, want string) {
	t.Helper()
	for {
		st, ok := s.Current()
		if !ok {
			t.Fatalf("the viewer's run ended before an action: %s", s.Run().Outcome)
		}
		switch st.Kind {
		case runbook.Precheck:
			if v, err := s.Check(ctx); err != nil || !v.Applies {
				t.Fatalf("the viewer's precheck: %+v %v", v, err)
			}
			continue
		case runbook.Manual:
			if err := s.Tick("looked"); err != nil {
				t.Fatal(err)
			}
			continue
		}
		break
	}
	if _, err := s.Objects(ctx); err != nil {
		t.Fatal(err)
	}
	_, err := s.Preview(ctx, object)
	var refused *actions.RefusedError
	if !errors.As(err, &refused) || !strings.Contains(err.Error(), want) {
		t.Fatalf("the viewer's %s: %v, want a refusal saying %q", object, err, want)
	}
	if err := s.Abort("a viewer cannot act; handing it to an operator"); err != nil {
		t.Fatal(err)
	}
}

// refusalsRecorded wants, among a run's audit records, a refusal whose reason says each of reasons.
func refusalsRecorded(t *testing.T, entries []audit.Entry, reasons ...string) {
	t.Helper()
	for _, r := range reasons {
		if !slices.ContainsFunc(entries, func(e audit.Entry) bool {
			return e.Event == audit.ActionRefused && strings.Contains(e.Reason, r)
		}) {
			t.Errorf("the trail holds no refusal saying %q", r)
		}
	}
}

// staleRefused previews object, lets change alter it, and wants the write bound to that preview refused
// (actions.ErrChanged); it returns the preview, for its notes.
func staleRefused(ctx context.Context, t *testing.T, s *runbook.Session, object actions.Target, change func()) actions.Preview {
	t.Helper()
	p, err := s.Preview(ctx, object)
	if err != nil {
		t.Fatal(err)
	}
	change()
	if _, err := s.Act(ctx, object, actions.Confirmation{Typed: object.Name, Expect: p.Expect}); !errors.Is(err, actions.ErrChanged) {
		t.Fatalf("%s written on a stale preview: %v", object, err)
	}
	return p
}

// doneBy wants the run done and its trail to hold action done on object by user; it returns the run's
// records.
func (b *testbed) doneBy(s *runbook.Session, action string, object actions.Target, user string) []audit.Entry {
	b.t.Helper()
	run := s.Run()
	if run.Outcome != "done" {
		b.t.Fatalf("outcome %q", run.Outcome)
	}
	entries, err := b.entries(run.ID)
	if err != nil {
		b.t.Fatal(err)
	}
	if !slices.ContainsFunc(entries, func(e audit.Entry) bool {
		return e.Event == audit.ActionDone && e.Action == action && e.Target == object.String() && e.User == user
	}) {
		b.t.Errorf("the trail holds no %s of %s by %s: %+v", action, object, user, entries)
	}
	return entries
}
