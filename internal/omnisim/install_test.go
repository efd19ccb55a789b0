package omnisim

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cosi-project/runtime/pkg/safe"
	"github.com/cosi-project/runtime/pkg/state"
	"github.com/siderolabs/omni/client/api/omni/specs"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
	"github.com/siderolabs/omni/client/pkg/template"
	"github.com/siderolabs/omni/client/pkg/template/operations"
)

const (
	simCP, simWorker = "00000000-0000-4000-8000-0000000000c1", "00000000-0000-4000-8000-0000000000a1"
	cpDisk           = "/dev/disk/by-id/wwn-0x5002538e40a1c3f7"
	workerDisk       = "/dev/disk/by-id/ata-Samsung_SSD_860_EVO_500GB_S3Z2NB0KB47390M"
)

// simMachines writes two machines in maintenance mode: a control plane whose SSD has an NAA WWID, and
// a worker whose SSD has only a serial (and a USB key as /dev/sda).
func simMachines(t *testing.T, st state.State) {
	t.Helper()

	disks := map[string][]*specs.MachineStatusSpec_HardwareStatus_BlockDevice{
		simCP: {{LinuxName: "/dev/sda", Model: "Samsung SSD 860 EVO 250GB", Serial: "S3YHNX0M412873K",
			Wwid: "naa.5002538e40a1c3f7", Type: "SSD", Transport: "sata", Size: 250e9}},
		simWorker: {
			{LinuxName: "/dev/sda", Model: "SanDisk Cruzer Blade", Serial: "4C530001160823117352", Type: "HDD", Transport: "usb", Size: 16e9},
			{LinuxName: "/dev/sdb", Model: "Samsung SSD 860 EVO 500GB", Serial: "S3Z2NB0KB47390M", Type: "SSD", Transport: "sata", Size: 500e9},
		},
	}

	for id, host := range map[string]string{simCP: "cp-1", simWorker: "worker-1"} {
		ms := omni.NewMachineStatus(id)
		ms.TypedSpec().Value = &specs.MachineStatusSpec{Connected: true, Maintenance: true, TalosVersion: "v1.8.0",
			ManagementAddress: "fdae:41e4:649b:9303::" + id[len(id)-2:],
			Network:           &specs.MachineStatusSpec_NetworkStatus{Hostname: host},
			Hardware:          &specs.MachineStatusSpec_HardwareStatus{Arch: "amd64", Blockdevices: disks[id]}}

		if err := st.Create(context.Background(), ms); err != nil {
			t.Fatal(err)
		}
	}
}

func simTemplate(workers bool, disk string) string {
	var b strings.Builder

	fmt.Fprintf(&b, "kind: Cluster\nname: sim\nkubernetes:\n  version: v1.31.1\ntalos:\n  version: v1.8.0\n---\n")
	fmt.Fprintf(&b, "kind: ControlPlane\nmachines:\n  - %s\n---\n", simCP)

	if workers {
		fmt.Fprintf(&b, "kind: Workers\nmachines:\n  - %s\n---\n", simWorker)
	} else {
		fmt.Fprintf(&b, "kind: Workers\nmachines: []\n---\n")
	}

	fmt.Fprintf(&b, "kind: Machine\nname: %s\npatches:\n  - name: install-disk\n    inline:\n      machine:\n        install:\n          disk: %s\n", simCP, cpDisk)

	if workers {
		fmt.Fprintf(&b, "---\nkind: Machine\nname: %s\npatches:\n  - name: install-disk\n    inline:\n      machine:\n        install:\n          disk: %s\n", simWorker, disk)
	}

	return b.String()
}

func syncTemplate(t *testing.T, st state.State, tmpl string) {
	t.Helper()

	if err := operations.SyncTemplate(context.Background(), strings.NewReader(tmpl), io.Discard, st, operations.SyncOptions{}, nil); err != nil {
		t.Fatalf("sync: %v", err)
	}
}

// pending counts what a sync of the template would change.
func pending(t *testing.T, st state.State, tmpl string) int {
	t.Helper()

	tp, err := template.Load(bytes.NewReader([]byte(tmpl)))
	if err != nil {
		t.Fatal(err)
	}

	r, err := tp.Sync(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}

	n := len(r.Create) + len(r.Update)
	for _, d := range r.Destroy {
		n += len(d)
	}

	return n
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()

	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}

		time.Sleep(5 * time.Millisecond)
	}
}

func cms(st state.State, id string) *specs.ClusterMachineStatusSpec {
	c, err := safe.StateGetByID[*omni.ClusterMachineStatus](context.Background(), st, id)
	if err != nil {
		return nil
	}

	return c.TypedSpec().Value
}

func clusterStatus(st state.State) *specs.ClusterStatusSpec {
	c, err := safe.StateGetByID[*omni.ClusterStatus](context.Background(), st, "sim")
	if err != nil {
		return nil
	}

	return c.TypedSpec().Value
}

// TestInstallSim syncs a real cluster template into the state and follows the simulated controllers: a
// wrong install disk is a config error until a re-sync fixes it; the cluster then becomes ready once,
// after BeforeReady; a re-sync changes nothing; a machine taken out goes back to maintenance.
func TestInstallSim(t *testing.T) {
	t.Parallel()

	srv, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()

	st := srv.State()
	simMachines(t, st)

	var hooks atomic.Int32

	sim := NewInstallSim(st, InstallOptions{Poll: 2 * time.Millisecond, BeforeReady: func(_ context.Context, cluster string) error {
		if cluster != "sim" {
			t.Errorf("BeforeReady(%q)", cluster)
		}

		if cs := clusterStatus(st); cs != nil && cs.GetReady() {
			t.Error("BeforeReady ran after the cluster was said ready")
		}

		if hooks.Add(1) == 1 {
			return fmt.Errorf("not yet") // retried at the next pass
		}

		return nil
	}})

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})

	go func() {
		defer close(done)
		_ = sim.Run(ctx)
	}()

	defer func() {
		cancel()
		<-done
	}()

	// The worker's install disk is named by a path it does not have (its USB key's serial on the SSD's model).
	wrong := "/dev/disk/by-id/ata-Samsung_SSD_860_EVO_500GB_4C530001160823117352"
	syncTemplate(t, st, simTemplate(true, wrong))

	eventually(t, "the control plane running", func() bool {
		c := cms(st, simCP)

		return c != nil && c.GetStage() == specs.ClusterMachineStatusSpec_RUNNING && c.GetReady()
	})

	w := cms(st, simWorker)
	if w == nil || !strings.Contains(w.GetLastConfigError(), wrong) || w.GetReady() ||
		w.GetStage() != specs.ClusterMachineStatusSpec_INSTALLING || w.GetConfigApplyStatus() != specs.ConfigApplyStatus_FAILED {
		t.Fatalf("worker with a missing install disk: %v", w)
	}

	if cs := clusterStatus(st); cs == nil || cs.GetReady() || cs.GetPhase() != specs.ClusterStatusSpec_SCALING_UP {
		t.Fatalf("cluster with a machine in config error: %v", cs)
	}

	if ms, _ := safe.StateGetByID[*omni.MachineStatus](ctx, st, simWorker); !ms.TypedSpec().Value.GetMaintenance() {
		t.Error("the worker left maintenance mode without installing")
	}

	syncTemplate(t, st, simTemplate(true, workerDisk))

	eventually(t, "the cluster ready", func() bool {
		cs := clusterStatus(st)

		return cs != nil && cs.GetReady()
	})

	if hooks.Load() != 2 {
		t.Errorf("BeforeReady ran %d times, want 2 (one failure, then once)", hooks.Load())
	}

	cs := clusterStatus(st)
	if cs.GetPhase() != specs.ClusterStatusSpec_RUNNING || !cs.GetKubernetesAPIReady() || !cs.GetHasConnectedControlPlanes() ||
		!cs.GetAvailable() || !cs.GetControlplaneReady() || cs.GetMachines().GetHealthy() != 2 || cs.GetMachines().GetRequested() != 2 ||
		cs.GetTalosVersion() != "1.8.0" || cs.GetKubernetesVersion() != "1.31.1" {
		t.Errorf("ready ClusterStatus: %v", cs)
	}

	for _, id := range []string{simCP, simWorker} {
		c, _ := safe.StateGetByID[*omni.ClusterMachineStatus](ctx, st, id)
		node, _ := c.Metadata().Labels().Get(omni.ClusterMachineStatusLabelNodeName)
		_, connected := c.Metadata().Labels().Get(omni.MachineStatusLabelConnected)
		cluster, _ := c.Metadata().Labels().Get(omni.LabelCluster)

		if v := c.TypedSpec().Value; !v.GetReady() || !v.GetConfigUpToDate() || v.GetLastConfigError() != "" || node == "" || !connected || cluster != "sim" {
			t.Errorf("%s: %v, labels %v", id, v, c.Metadata().Labels())
		}

		ms, _ := safe.StateGetByID[*omni.MachineStatus](ctx, st, id)
		if v := ms.TypedSpec().Value; v.GetMaintenance() || v.GetTalosVersion() != "v1.8.0" || v.GetCluster() != "sim" {
			t.Errorf("%s MachineStatus after install: %v", id, v)
		}

		system := ""

		for _, d := range ms.TypedSpec().Value.GetHardware().GetBlockdevices() {
			if d.GetSystemDisk() {
				system += d.GetLinuxName()
			}
		}

		if want := map[string]string{simCP: "/dev/sda", simWorker: "/dev/sdb"}[id]; system != want {
			t.Errorf("%s: system disk %q, want %q", id, system, want)
		}
	}

	for _, set := range []string{omni.ControlPlanesResourceID("sim"), omni.WorkersResourceID("sim")} {
		mss, err := safe.StateGetByID[*omni.MachineSetStatus](ctx, st, set)
		if err != nil || !mss.TypedSpec().Value.GetReady() || mss.TypedSpec().Value.GetPhase() != specs.MachineSetPhase_Running {
			t.Errorf("MachineSetStatus %s: %v %v", set, mss, err)
		}
	}

	// A re-sync of the same template finds nothing to do, and the simulator writes nothing more.
	if n := pending(t, st, simTemplate(true, workerDisk)); n != 0 {
		t.Errorf("%d pending changes after the install", n)
	}

	before := versions(t, st)

	syncTemplate(t, st, simTemplate(true, workerDisk))
	time.Sleep(50 * time.Millisecond) // many passes

	if after := versions(t, st); after != before {
		t.Errorf("a re-sync changed the state:\n%s\nthen\n%s", before, after)
	}

	// The worker taken out of the cluster goes back to maintenance; the cluster counts one machine.
	syncTemplate(t, st, simTemplate(false, ""))
	eventually(t, "the worker released", func() bool { return cms(st, simWorker) == nil })

	ms, _ := safe.StateGetByID[*omni.MachineStatus](ctx, st, simWorker)
	if v := ms.TypedSpec().Value; !v.GetMaintenance() || v.GetCluster() != "" {
		t.Errorf("released worker: %v", v)
	}

	eventually(t, "the cluster recounted", func() bool {
		cs := clusterStatus(st)

		return cs.GetMachines().GetRequested() == 1 && cs.GetReady()
	})

	if err := sim.Err(); err != nil {
		t.Errorf("simulator error: %v", err)
	}
}

// versions lists every resource of the install's types with its version.
func versions(t *testing.T, st state.State) string {
	t.Helper()

	v, err := ResourceVersions(context.Background(), st, InstallTypes()...)
	if err != nil {
		t.Fatal(err)
	}

	return v
}

// TestInstallSimRestartedKeepsReadyCluster: a simulator started on a state whose cluster another one left
// ready (the demo's kept state, after a restart) does not say it unready while it settles: the first pass
// keeps it ready.
func TestInstallSimRestartedKeepsReadyCluster(t *testing.T) {
	t.Parallel()

	srv, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()

	ctx := context.Background()
	st := srv.State()
	simMachines(t, st)
	syncTemplate(t, st, simTemplate(true, workerDisk))

	now := time.Unix(1_800_000_000, 0)
	opts := InstallOptions{Now: func() time.Time { return now }} // stages without delay, the default settle
	first := NewInstallSim(st, opts)

	for i := 0; clusterStatus(st) == nil || !clusterStatus(st).GetReady(); i++ {
		if i == 50 {
			t.Fatalf("the cluster is not ready after %d passes: %+v", i, clusterStatus(st))
		}

		if err := first.Pass(ctx); err != nil {
			t.Fatal(err)
		}

		now = now.Add(time.Second)
	}

	if err := NewInstallSim(st, opts).Pass(ctx); err != nil {
		t.Fatal(err)
	}

	if cs := clusterStatus(st); !cs.GetReady() {
		t.Errorf("a restarted simulator's first pass says the ready cluster is not: %+v", cs)
	}
}
