//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/watch"
	"github.com/cosi-project/runtime/pkg/resource"
	"github.com/cosi-project/runtime/pkg/state"
	"github.com/siderolabs/omni/client/api/omni/specs"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
)

// TestOmniMachines: machines written into the lab's Omni state server through the real omni client over
// gRPC are listed back by the tool's Omni source and by `status`.
func TestOmniMachines(t *testing.T) {
	om, err := platform.ConnectOmni(platform.OmniOptions{Endpoint: shared.lab.OmniEndpoint()})
	if err != nil {
		t.Fatal(err)
	}
	defer om.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := om.Ping(ctx, 5*time.Second); err != nil {
		t.Fatalf("ping: %v", err)
	}
	want := map[string]bool{"e2e-cp-1": true, "e2e-worker-1": false}
	for host, connected := range want {
		ms := omni.NewMachineStatus("uuid-" + host)
		ms.TypedSpec().Value = &specs.MachineStatusSpec{
			Connected: connected, TalosVersion: "v1.5.5",
			Network: &specs.MachineStatusSpec_NetworkStatus{Hostname: host},
		}
		if err := om.State().Create(ctx, ms); err != nil && !state.IsConflictError(err) {
			t.Fatalf("create %s: %v", host, err)
		}
	}

	s := watch.Collect(ctx, watch.Targets{Name: "lab", Omni: om}, 5*time.Second, time.Now())
	if st := s.Source(platform.SourceOmni); st.Err != nil || !st.Synced {
		t.Fatalf("omni source: %+v", st)
	}
	seen := map[string]bool{}
	for _, m := range s.Machines {
		seen[health.MachineName(m)] = m.TypedSpec().Value.Connected
	}
	for host, connected := range want {
		if c, ok := seen[host]; !ok || c != connected {
			t.Errorf("machine %s: listed=%v connected=%v", host, ok, c)
		}
	}

	r := runCLI(t, only("OMNI_ENDPOINT"), "status", "-o", "json")
	if r.code != 2 {
		t.Fatalf("a disconnected machine is Down: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var rep health.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	f, ok := findFinding(rep, health.LayerCluster, "Machine/e2e-worker-1")
	if !ok || f.Status != health.Down || !strings.Contains(f.Reason, "not connected") {
		t.Fatalf("finding = %+v (%v)", f, ok)
	}
	if f, ok := findFinding(rep, health.LayerCluster, "Machine/e2e-cp-1"); !ok || f.Status != health.OK {
		t.Fatalf("finding = %+v (%v)", f, ok)
	}
}

// TestOmniClusterStatuses: ClusterStatus and ClusterMachineStatus written into the lab's Omni state server
// come back through the tool's Omni source, and `status -o json` judges them: the cluster whose Kubernetes
// API is not ready is Down, a machine's config error shows in its machine's finding (folded with its
// MachineStatus), a cluster machine without MachineStatus is its own finding, and the Talos versions of the
// cluster are listed.
func TestOmniClusterStatuses(t *testing.T) {
	om, err := platform.ConnectOmni(platform.OmniOptions{Endpoint: shared.lab.OmniEndpoint()})
	if err != nil {
		t.Fatal(err)
	}
	defer om.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const cluster = "e2e-omni-cluster"
	create := func(r resource.Resource) {
		t.Helper()
		if err := om.State().Create(ctx, r); err != nil && !state.IsConflictError(err) {
			t.Fatalf("create %s %s: %v", r.Metadata().Type(), r.Metadata().ID(), err)
		}
	}
	member := func(id, node string, spec *specs.ClusterMachineStatusSpec) *omni.ClusterMachineStatus {
		c := omni.NewClusterMachineStatus(id)
		c.TypedSpec().Value = spec
		c.Metadata().Labels().Set(omni.LabelCluster, cluster)
		c.Metadata().Labels().Set(omni.ClusterMachineStatusLabelNodeName, node)
		c.Metadata().Labels().Set(omni.MachineStatusLabelConnected, "")
		return c
	}

	down := omni.NewClusterStatus(cluster)
	down.TypedSpec().Value = &specs.ClusterStatusSpec{Available: true, HasConnectedControlPlanes: true, ControlplaneReady: true,
		Phase: specs.ClusterStatusSpec_RUNNING, Machines: &specs.Machines{Total: 2, Healthy: 1, Connected: 2, Requested: 2},
		TalosVersion: "1.5.5", KubernetesVersion: "1.27.3"}
	create(down)
	ok := omni.NewClusterStatus("e2e-omni-healthy")
	ok.TypedSpec().Value = &specs.ClusterStatusSpec{Available: true, Ready: true, KubernetesAPIReady: true, ControlplaneReady: true,
		HasConnectedControlPlanes: true, Phase: specs.ClusterStatusSpec_RUNNING,
		Machines: &specs.Machines{Total: 3, Healthy: 3, Connected: 3, Requested: 3}}
	create(ok)

	ms := omni.NewMachineStatus("uuid-e2e-cm-1")
	ms.TypedSpec().Value = &specs.MachineStatusSpec{Connected: true, TalosVersion: "v1.5.5", Cluster: cluster,
		Network: &specs.MachineStatusSpec_NetworkStatus{Hostname: "e2e-cm-1"}}
	create(ms)
	create(member("uuid-e2e-cm-1", "e2e-cm-1", &specs.ClusterMachineStatusSpec{Stage: specs.ClusterMachineStatusSpec_RUNNING,
		Ready: true, ConfigUpToDate: false, ConfigApplyStatus: specs.ConfigApplyStatus_FAILED,
		LastConfigError: "machine.install.disk: /dev/sdb: no such device"}))
	create(member("uuid-e2e-cm-2", "e2e-cm-2", &specs.ClusterMachineStatusSpec{Stage: specs.ClusterMachineStatusSpec_BOOTING}))

	s := watch.Collect(ctx, watch.Targets{Name: "lab", Omni: om}, 5*time.Second, time.Now())
	if st := s.Source(platform.SourceOmni); st.Err != nil || !st.Synced {
		t.Fatalf("omni source: %+v", st)
	}
	seen := map[string]bool{}
	for _, c := range s.ClusterMachines {
		seen[c.Metadata().ID()] = true
	}
	if !seen["uuid-e2e-cm-1"] || !seen["uuid-e2e-cm-2"] {
		t.Fatalf("cluster machines listed: %v", seen)
	}

	r := runCLI(t, only("OMNI_ENDPOINT"), "status", "-o", "json")
	if r.code != 2 {
		t.Fatalf("a cluster whose Kubernetes API is down is Down: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var rep health.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	for _, want := range []struct {
		object string
		status health.Status
		reason string
	}{
		{"OmniCluster/" + cluster, health.Down, "Kubernetes API not ready (1/2 machines healthy)"},
		{"OmniCluster/e2e-omni-healthy", health.OK, "RUNNING, 3/3 machines healthy"},
		{"Machine/e2e-cm-1", health.Degraded, "config error: machine.install.disk: /dev/sdb: no such device"},
		{"Machine/e2e-cm-2", health.Degraded, "BOOTING in " + cluster + "; no MachineStatus"},
		{"VersionSkew/talos/" + cluster, health.OK, "v1.5.5 on 1 machine of " + cluster},
	} {
		f, found := findFinding(rep, health.LayerCluster, want.object)
		if !found || f.Status != want.status || !strings.Contains(f.Reason, want.reason) {
			t.Errorf("%s: %+v (found %v), want %v ~%q", want.object, f, found, want.status, want.reason)
		}
	}
}
