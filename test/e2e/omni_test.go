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
