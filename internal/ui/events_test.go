package ui_test

import (
	"strings"
	"testing"

	"github.com/clubcedille/cedille-tui/internal/ui"
	"github.com/clubcedille/cedille-tui/internal/ui/app"
	"github.com/clubcedille/cedille-tui/internal/ui/uitest"
)

// keys sends each key in turn.
func keys(drv *uitest.Driver[*app.Model], ks ...string) {
	for _, k := range ks {
		drv.Key(k)
	}
}

// typed sends the characters of s one by one.
func typed(drv *uitest.Driver[*app.Model], s string) {
	for _, r := range s {
		drv.Key(string(r))
	}
}

// TestWarningEventsPage drives the console on the demo's snapshot: e opens the Warning events page, / filters
// it, enter opens what an event is about (a finding, a node, or the event itself), and each detail lists
// the object's recent Warning events.
func TestWarningEventsPage(t *testing.T) {
	snap := demoSnapshot(t)
	if len(snap.Events) == 0 {
		t.Fatal("the demo must hold Warning events")
	}
	m := ui.NewConsole(ui.ConsoleOptions{Snapshots: oneShot(snap), Color: false})
	drv := uitest.New(t, m, 80, 24)
	drv.Shows("worst first", "warning events")

	drv.Key("?")
	drv.Shows("warning events", "Everywhere")
	drv.Key("esc")

	drv.Key("e")
	scr := drv.Shows("Overview › Warning events", "7 Warning events about 7 objects", "1/7",
		"Pod/vault-2", "Unhealthy", "FailedMount", "Node/worker-1", "› Readiness probe failed")
	uitest.AssertFits(t, scr, 80, 24)

	// Filter, then open: a Policy event opens the Policy's finding, which lists the event.
	keys(drv, "/")
	typed(drv, "config")
	drv.Shows("/config▏", "1/1 of 7", "ProcessingError")
	keys(drv, "enter", "enter")
	drv.Shows("Policy/vault/config-admin", "Why", "Recent Warning events", "ProcessingError", "×108", "YAML")
	keys(drv, "esc")
	drv.Shows("filter: config", "1/1 of 7")

	// A node's event opens the node, whose detail lists it.
	keys(drv, "/", "esc") // clears the filter (esc alone goes back)
	drv.Shows("1/7")
	keys(drv, "/")
	typed(drv, "worker-1")
	keys(drv, "enter")
	drv.Shows("1/1 of 7", "FreeDiskSpaceFailed")
	keys(drv, "enter")
	drv.Shows("Node worker-1", "Recent Warning events", "FreeDiskSpaceFailed", "×9", "Failed to garbage collect")

	// A pod's event opens the pod's finding in the workloads layer, which lists it, via `:events` (a pod
	// the console does not judge opens the event itself: TestPageGoldens/event_detail).
	keys(drv, ":")
	typed(drv, "events")
	keys(drv, "enter", "/")
	typed(drv, "calidum")
	keys(drv, "enter", "enter")
	scr = drv.Shows("Pod/calidum-rotae/calidum-rotae-7c9d8f6b5-xk2lp", "waiting on its volumes", "Recent Warning events",
		"FailedMount", "×61")
	uitest.AssertFits(t, scr, 80, 24)
	if !strings.Contains(scr, "Overview › Warning events › Pod/calidum-rot") {
		t.Errorf("breadcrumb of the pod's finding:\n%s", scr)
	}

	// A Vault server's finding lists its pod's readiness failures.
	keys(drv, ":")
	typed(drv, "secrets")
	keys(drv, "enter", "enter")
	drv.Shows("Vault/vault-0", "Recent Warning events", "Unhealthy", "×1438", "Readiness probe failed")

	// An object without events says so.
	keys(drv, ":")
	typed(drv, "nodes")
	keys(drv, "enter", "enter")
	drv.Shows("Node controlplane-1", "Recent Warning events", "none — Kubernetes keeps events for about an hour")
}

// TestWarningEventsLive runs the console on the live demo: fault N records NodeNotReady through the fake
// clientset; the events page shows it, and worker-2's detail counts its recurrences as they come.
func TestWarningEventsLive(t *testing.T) {
	drv := liveDemo(t)
	drv.Shows("Overview", "Vault/vault-0")
	drv.Key("e")
	drv.Shows("7 Warning events")
	drv.Key("N")
	drv.Shows("9 Warning events", "Node/worker-2", "NodeNotReady", "Pod/mayastor-io-")
	// The newest event is on top: worker-2's NodeNotReady (or its pod's, recorded right after).
	keys(drv, "/")
	typed(drv, "node/worker-2")
	keys(drv, "enter", "enter")
	drv.Shows("Node worker-2", "NotReady", "Recent Warning events", "NodeNotReady", "×1",
		"Node worker-2 status is now: NodeNotReady")
	keys(drv, "N", "N") // heal, and lose power again: the event recurs
	drv.Shows("Node worker-2", "×2")
}
