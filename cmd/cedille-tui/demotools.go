package main

import (
	"context"
	"path/filepath"
	"sync/atomic"

	"github.com/clubcedille/cedille-tui/internal/actions"
	"github.com/clubcedille/cedille-tui/internal/audit"
	"github.com/clubcedille/cedille-tui/internal/demo"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/runbook"
	"github.com/clubcedille/cedille-tui/internal/runbooks"
	"github.com/clubcedille/cedille-tui/internal/ui"
	"github.com/clubcedille/cedille-tui/internal/vaultops"
	"github.com/clubcedille/cedille-tui/internal/watch"
)

// hubRef is the console's hub once runTUI made it: what the runbooks' World.Snapshot reads.
type hubRef struct{ p atomic.Pointer[watch.Hub] }

func (h *hubRef) set(hub *watch.Hub) { h.p.Store(hub) }

// latest is the hub's last snapshot; the zero one before the hub exists (the steps then read the cluster).
func (h *hubRef) latest() watch.Snapshot {
	if hub := h.p.Load(); hub != nil {
		return hub.Latest()
	}
	return watch.Snapshot{}
}

// demoTools are the demo console's actions and runbooks, as a real console's (localTools): the
// dispatcher on the demo's fakes acting as the demo's person (the local user, admin), the runbooks with
// the demo's world — its Kubernetes, its Vault servers, the hub's snapshot —, the audit trail and the
// runbooks' state under dir. observe, when given, is told each record written (a drill). The trail is
// closed by the returned func.
func (c *cli) demoTools(d *demo.Platform, dir string, observe func(audit.Record)) (consoleExtras, func(), error) {
	return c.simulatedTools(d.Clients(), d.Kube, d.VaultReplicas, dir, observe)
}

// simulatedTools are demoTools on a simulated cluster's clients, Kubernetes API and Vault servers (the
// era-1 platform's, or one fleet cluster's).
func (c *cli) simulatedTools(clients actions.ClientSource, kube *platform.Kube, vault func(context.Context) ([]*vaultops.Replica, error),
	dir string, observe func(audit.Record)) (consoleExtras, func(), error) {
	trailPath := filepath.Join(dir, "audit.jsonl")
	trail, err := openTrail(trailPath)
	if err != nil {
		return consoleExtras{}, nil, err
	}
	sink := trail.Append
	if observe != nil {
		sink = func(r audit.Record) error {
			if err := trail.Append(r); err != nil {
				return err
			}
			observe(r)
			return nil
		}
	}
	disp, err := actions.NewDispatcher(clients, sink, actions.Builtin()...)
	if err != nil {
		_ = trail.Close()
		return consoleExtras{}, nil, err
	}
	e, err := runbookEngineIn(dir, sink, trailPath)
	if err != nil {
		_ = trail.Close()
		return consoleExtras{}, nil, err
	}
	who := actions.As(actions.LocalActor(c.userOf(nil), "demo"))
	hub := &hubRef{}
	rec := runbooks.Recovery{Engine: e, Dispatcher: disp, Who: who,
		World: runbook.World{Kube: kube.Typed, Dynamic: kube.Dynamic, Vault: vault, Snapshot: hub.latest}}
	x := consoleExtras{act: disp.Bind(who), recovery: rec, audit: ui.AuditFile(trailPath, ui.AuditShown), onHub: hub.set}
	return x, func() { _ = trail.Close() }, nil
}

// demoStateDir is where the demo's console keeps its audit trail, runbook runs and incident reports,
// apart from a real console's.
func (c *cli) demoStateDir(parts ...string) string {
	return filepath.Join(append([]string{c.demoDirs()}, parts...)...)
}
