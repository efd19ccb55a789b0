package steps

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/omnisim"
	"github.com/clubcedille/cedille-tui/internal/omnisim/omnisimtest"
	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/siderolabs/omni/client/pkg/template/operations"

	"github.com/cosi-project/runtime/pkg/safe"
	"github.com/siderolabs/omni/client/api/omni/specs"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
)

// TestWaitReadyWantsEveryPlannedMachine: a cluster status that says ready while only some of the plan's
// machines run is not the end of the wait; the wait ends once all of them run, and a wait that expires
// says how many of the plan's machines were running.
func TestWaitReadyWantsEveryPlannedMachine(t *testing.T) {
	srv, om := omnisimtest.Start(t, omnisim.Options{})
	ctx := context.Background()
	st := srv.State()

	running := func(i int) {
		cms := omni.NewClusterMachineStatus(fmt.Sprintf("m%d", i))
		cms.Metadata().Labels().Set(omni.LabelCluster, "c")
		cms.TypedSpec().Value = &specs.ClusterMachineStatusSpec{Stage: specs.ClusterMachineStatusSpec_RUNNING, Ready: true}
		if err := st.Create(ctx, cms); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		running(i)
	}
	cs := omni.NewClusterStatus("c")
	cs.TypedSpec().Value = &specs.ClusterStatusSpec{Ready: true, Phase: specs.ClusterStatusSpec_RUNNING,
		Machines: &specs.Machines{Total: 3, Healthy: 3}}
	if err := st.Create(ctx, cs); err != nil {
		t.Fatal(err)
	}

	now := time.Unix(0, 0)
	e := &Env{Omni: om, Poll: time.Millisecond, ClusterWait: time.Minute, Now: func() time.Time {
		now = now.Add(10 * time.Second)
		return now
	}}
	err := waitReady(ctx, e, "c", 6, nil, func(Event) {})
	if err == nil || !strings.Contains(err.Error(), "3 of the plan's 6 machines running") {
		t.Fatalf("ready with 3 of 6 machines must keep waiting, then say so; got %v", err)
	}

	for i := 3; i < 6; i++ {
		running(i)
	}
	if _, err := safe.StateUpdateWithConflicts(ctx, st, cs.Metadata(), func(r *omni.ClusterStatus) error {
		r.TypedSpec().Value.Machines = &specs.Machines{Total: 6, Healthy: 6}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var last Event
	if err := waitReady(ctx, e, "c", 6, nil, func(ev Event) { last = ev }); err != nil {
		t.Fatalf("all six running: %v", err)
	}
	if !strings.Contains(last.Message, "6/6 machines healthy") {
		t.Errorf("the last line = %q", last.Message)
	}
}

// syncPlan is a plan of three control planes and two workers (worker-1 with a pool disk), with
// UUID-like machine IDs as Omni's.
func syncPlan() plan.Plan {
	p := plan.New()
	p.ISO.TalosVersion, p.Cluster.KubernetesVersion = "1.8.0", "1.31.1"
	for i, h := range []string{"controlplane-1", "controlplane-2", "controlplane-3", "worker-1", "worker-2"} {
		role := plan.RoleControlPlane
		if strings.HasPrefix(h, "worker") {
			role = plan.RoleWorker
		}
		d := plan.Disk{ByID: fmt.Sprintf("/dev/disk/by-id/wwn-0x500253%d", i), WWID: fmt.Sprintf("naa.500253%d", i)}
		m := plan.Machine{ID: fmt.Sprintf("4c4c4544-0031-4d10-803%d-b4c04f4e3332", i), Hostname: h, Role: role, InstallDisk: d}
		if h == "worker-1" {
			m.PoolDisks = []plan.Disk{{ByID: "/dev/disk/by-id/wwn-0x50014ee2", WWID: "naa.50014ee2"}}
		}
		p.Machines = append(p.Machines, m)
	}
	return p.WithDefaults()
}

// TestSyncLinesSpeakOperator: what the cluster step says it does to Omni names the cluster, each role's
// machine set, each machine by hostname with its role, each config patch by its name and machine — never
// a COSI resource type or a machine's UUID — for a first sync, and for one that removes a worker.
func TestSyncLinesSpeakOperator(t *testing.T) {
	srv, _ := omnisimtest.Start(t, omnisim.Options{})
	ctx := context.Background()
	p := syncPlan()
	hosts := map[string]string{}
	for _, m := range p.Machines {
		hosts[m.ID] = m.Hostname
	}
	sync := func(p plan.Plan) []string {
		t.Helper()
		b, err := plan.ClusterTemplate(p)
		if err != nil {
			t.Fatal(err)
		}
		res, err := templateSync(ctx, srv.State(), b)
		if err != nil {
			t.Fatal(err)
		}
		lines := syncLines(res, p.Cluster.Name, hosts)
		if err := operations.SyncTemplate(ctx, bytes.NewReader(b), io.Discard, srv.State(), operations.SyncOptions{}, nil); err != nil {
			t.Fatal(err)
		}
		return lines
	}
	raw := regexp.MustCompile(`omni\.sidero\.dev|[0-9a-f]{8}-[0-9a-f]{4}-|[A-Z][a-z]+[A-Z]`)
	first := sync(p)
	for _, want := range []string{"creating cluster cedille-cluster", "creating the control planes' machine set",
		"creating the workers' machine set", "adding controlplane-1 as a control plane", "adding worker-2 as a worker",
		"creating config patch " + plan.PatchInstallDisk + " of controlplane-1", "creating config patch " + plan.PatchMayastor + " of worker-1"} {
		if !slices.Contains(first, want) {
			t.Errorf("the first sync must say %q; it says:\n%s", want, strings.Join(first, "\n"))
		}
	}
	p.Machines = p.Machines[:4] // worker-2 leaves
	second := sync(p)
	for _, l := range append(first, second...) {
		if raw.MatchString(l) {
			t.Errorf("a raw Omni name in %q", l)
		}
	}
	if !slices.Contains(second, "removing worker-2 from the cluster") {
		t.Errorf("the second sync must say worker-2 leaves; it says:\n%s", strings.Join(second, "\n"))
	}
}
