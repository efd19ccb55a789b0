package fleetview_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/clubcedille/cedille-tui/internal/fleet"
	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/ui"
	"github.com/clubcedille/cedille-tui/internal/ui/fleetview"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
	"github.com/clubcedille/cedille-tui/internal/ui/uitest"
	"github.com/clubcedille/cedille-tui/internal/watch"
)

var at = time.Date(2026, 8, 13, 11, 30, 0, 0, time.UTC)

func report() fleet.Report {
	storage := health.NewLayer(health.LayerStorage, []health.Finding{
		{Object: "CephCluster/rook-ceph-external/ceph", Status: health.Degraded, Reason: "Connected, HEALTH_WARN: MON_DOWN"}})
	return fleet.Report{Overall: health.Down, Clusters: []fleet.Row{
		{Cluster: "k8s-cedille-sandbox", Status: health.Down, Reason: "ArgoCD's token is refused: Unauthorized",
			ArgoCD: fleet.Connection{State: "Failed"}, Phase: "running", Ready: true, Machines: 6, MachinesHealthy: 5, MachinesConnected: 6},
		{Cluster: "k8s-cedille-production-v2", Status: health.Degraded, Reason: "storage: CephCluster HEALTH_WARN",
			WorstLayer: health.LayerStorage, LastBackupAge: "7h", Layers: []health.LayerReport{storage},
			ArgoCD: fleet.Connection{State: "Successful"}, Phase: "running", Ready: true, Machines: 3, MachinesHealthy: 3, MachinesConnected: 3},
		{Cluster: "k8s-shared", Status: health.OK, Reason: "every layer OK", Hub: true, Phase: "running", Ready: true},
	}}
}

type opener struct {
	err    error
	opened []string
	closed int
}

func (o *opener) open(_ context.Context, cluster string) (<-chan watch.Snapshot, func(), error) {
	if o.err != nil {
		return nil, nil, o.err
	}
	o.opened = append(o.opened, cluster)
	ch := make(chan watch.Snapshot, 1)
	ch <- watch.Snapshot{At: at, Platform: cluster, Report: health.NewReport(health.NewLayer(health.LayerBackups,
		[]health.Finding{{Object: "Backup/velero/nextcloud-1", Status: health.Down, Reason: "Failed"}}))}
	return ch, func() { o.closed++ }, nil
}

func view(t *testing.T, o *opener, w, h int) *uitest.Driver[*fleetview.Model] {
	t.Helper()
	ch := make(chan fleet.Snapshot, 1)
	ch <- fleet.Snapshot{At: at, Report: report()}
	m := fleetview.New(fleetview.Options{Theme: theme.New(false, true), Fleet: ch, Open: o.open,
		Console: func(_ string, snaps <-chan watch.Snapshot) tea.Model {
			return ui.NewConsole(ui.ConsoleOptions{Snapshots: snaps, Leave: fleetview.LeaveTarget})
		}})
	d := uitest.New(t, m, w, h)
	d.Plain = true
	return d
}

func TestFleetOverview(t *testing.T) {
	o := &opener{}
	d := view(t, o, 80, 24)
	s := d.Shows("fleet · 3 clusters", "k8s-cedille-sandbox", "REFUSED")
	if strings.Index(s, "k8s-cedille-sandbox") > strings.Index(s, "k8s-shared") {
		t.Errorf("worst first:\n%s", s)
	}
	for _, line := range strings.Split(s, "\n") {
		if w := len([]rune(line)); w > 80 {
			t.Errorf("a line of %d cells at 80 columns: %q", w, line)
		}
	}

	// enter opens the selected cluster's console, its name in the header; esc comes back.
	d.Key("enter")
	d.Shows("k8s-cedille-sandbox", "backups", "Backup/velero/nextcloud-1")
	if d.Model.Cluster() != "k8s-cedille-sandbox" || len(o.opened) != 1 {
		t.Fatalf("opened %v, shown %q", o.opened, d.Model.Cluster())
	}
	d.Key("esc")
	d.Shows("fleet · 3 clusters")
	if d.Model.Cluster() != "" || o.closed != 1 {
		t.Errorf("back on the fleet: cluster %q, %d unsubscribed", d.Model.Cluster(), o.closed)
	}

	// `:NAME` opens a cluster by a prefix of its name; `:fleet` in its console comes back.
	d.Key(":")
	d.Type("k8s-sh")
	d.Key("enter")
	d.Until("k8s-shared's console", func(s string) bool { return d.Model.Cluster() == "k8s-shared" })
	d.Key(":")
	d.Type("fleet")
	d.Key("enter")
	d.Shows("fleet · 3 clusters")

	// `:find` searches every cluster's findings.
	d.Key(":")
	d.Type("find CephCluster bad")
	d.Key("enter")
	s = d.Shows("find “CephCluster bad”: 1", "CephCluster/", "HEALTH_WARN")
	if strings.Contains(s, "k8s-cedille-sandbox") {
		t.Errorf("a cluster without the finding is listed:\n%s", s)
	}
	d.Key("esc")
	d.Shows("REFUSED")

	d.Key(":")
	d.Type("nowhere")
	d.Key("enter")
	d.Shows("no cluster named “nowhere”")
}

func TestFleetOpenFails(t *testing.T) {
	o := &opener{err: errors.New("Omni has no kubeconfig for k8s-cedille-sandbox yet")}
	d := view(t, o, 100, 24)
	d.Shows("k8s-cedille-sandbox")
	d.Key("enter")
	d.Shows("cannot open k8s-cedille-sandbox: Omni has no kubeconfig")
	d.Shows("fleet · 3 clusters", "REFUSED")
}

func TestFleetTooSmall(t *testing.T) {
	d := view(t, &opener{}, 20, 5)
	d.Shows("too small")
	if d.Key("q"); !d.Quit() {
		t.Error("q does not quit a too-small fleet view")
	}
}
