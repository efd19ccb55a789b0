package demo

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/cosi-project/runtime/pkg/safe"
	"github.com/siderolabs/omni/client/api/omni/specs"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"

	"github.com/clubcedille/cedille-tui/internal/omnisim"
	"github.com/clubcedille/cedille-tui/internal/omnisim/omnisimtest"
)

// eraOnePools are the Mayastor pools of PLATFORM.md §2.3: DiskPool → node and disk.
func eraOnePools() map[string][2]string {
	return map[string][2]string{
		"hdds-worker-1-hr67": {"worker-1", "/dev/disk/by-id/ata-WDC_WD30EFRX-68EUZN0_WD-WCC4N5DAHR67"},
		"hdds-worker-1-plj7": {"worker-1", "/dev/disk/by-id/ata-WDC_WD30EFRX-68EUZN0_WD-WCC4N7KEPLJ7"},
		"hdd-worker-htp3":    {"worker-2", "/dev/disk/by-id/ata-WDC_WD30EFRX-68EUZN0_WD-WCC4N5DAHTP3"},
		"hdd-worker-2-pkf7":  {"worker-2", "/dev/disk/by-id/ata-WDC_WD30EFRX-68EUZN0_WD-WCC4N7KEPKF7"},
		"hdd-worker-4qj6":    {"worker-3", "/dev/disk/by-id/ata-ST2000VN004-2E4164_Z5274QJ6"},
		"hdd-worker-3-kxx4":  {"worker-3", "/dev/disk/by-id/ata-WDC_WD2004FBYZ-01YCBB1_WD-WMC6N0D6KXX4"},
	}
}

func TestDemoMachinesMatchPlatform(t *testing.T) {
	t.Parallel()

	ms := DemoMachines()
	pools := eraOnePools()

	var names []string

	seen := map[string]bool{}

	for _, m := range ms {
		names = append(names, m.Hostname)

		if seen[m.ID] {
			t.Errorf("duplicate machine ID %s", m.ID)
		}

		seen[m.ID] = true

		if d := m.InstallDisk(); d.Type != DiskSSD || d.Transport != TransportSATA || d.Serial == "" || d.WWID == "" {
			t.Errorf("%s: install disk %+v is not a SATA SSD with serial and WWID", m.Hostname, d)
		}

		for _, d := range m.Disks {
			if d.Pool == "" {
				continue
			}

			want, ok := pools[d.Pool]
			if !ok || want[0] != m.Hostname || want[1] != d.ByIDPath() {
				t.Errorf("pool %s on %s at %s, want %v", d.Pool, m.Hostname, d.ByIDPath(), want)
			}

			delete(pools, d.Pool)
		}
	}

	if len(pools) != 0 {
		t.Errorf("pools missing from the demo machines: %v", pools)
	}

	if want := []string{"controlplane-1", "controlplane-2", "controlplane-3", "worker-1", "worker-2", "worker-3"}; !slices.Equal(names, want) {
		t.Errorf("machines = %v, want %v", names, want)
	}

	ms[0].Disks[0].Serial = "changed"
	if DemoMachines()[0].Disks[0].Serial == "changed" {
		t.Error("DemoMachines shares state between calls")
	}
}

func TestSeedOmniThroughRealClient(t *testing.T) {
	t.Parallel()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	srv, om := omnisimtest.StartLoopback(t, omnisim.Options{})

	// Twice: seeding again restores rather than fails.
	for range 2 {
		if err := SeedOmni(ctx, srv.State()); err != nil {
			t.Fatalf("SeedOmni: %v", err)
		}
	}

	st := om.State()

	statuses, err := safe.StateListAll[*omni.MachineStatus](ctx, st)
	if err != nil {
		t.Fatalf("list MachineStatus: %v", err)
	}

	if statuses.Len() != 6 {
		t.Fatalf("%d MachineStatus, want 6", statuses.Len())
	}

	poolSerials := map[string][]string{}
	usbOn := []string{}

	for ms := range statuses.All() {
		spec := ms.TypedSpec().Value
		host := spec.GetNetwork().GetHostname()

		if !spec.GetConnected() || spec.GetTalosVersion() != "v1.5.5" || spec.GetCluster() != ClusterName {
			t.Errorf("%s: connected=%v talos=%s cluster=%s", host, spec.GetConnected(), spec.GetTalosVersion(), spec.GetCluster())
		}

		if _, ok := ms.Metadata().Labels().Get(omni.LabelCluster); !ok {
			t.Errorf("%s: no cluster label", host)
		}

		system := 0

		for _, d := range spec.GetHardware().GetBlockdevices() {
			if d.GetSystemDisk() {
				system++

				if d.GetTransport() == TransportUSB {
					t.Errorf("%s: the USB key is the system disk", host)
				}
			}

			switch {
			case d.GetTransport() == TransportUSB:
				usbOn = append(usbOn, host+" "+d.GetLinuxName())
			case d.GetType() == DiskHDD:
				poolSerials[host] = append(poolSerials[host], d.GetSerial())
			}
		}

		if system != 1 {
			t.Errorf("%s: %d system disks", host, system)
		}
	}

	wantPools := map[string][]string{
		"worker-1": {"WD-WCC4N5DAHR67", "WD-WCC4N7KEPLJ7"},
		"worker-2": {"WD-WCC4N5DAHTP3", "WD-WCC4N7KEPKF7"},
		"worker-3": {"Z5274QJ6", "WD-WMC6N0D6KXX4"},
	}

	for host, want := range wantPools {
		if !slices.Equal(poolSerials[host], want) {
			t.Errorf("%s pool disks = %v, want %v", host, poolSerials[host], want)
		}
	}

	if len(poolSerials) != 3 {
		t.Errorf("HDDs found on %v, want workers only", poolSerials)
	}

	if !slices.Equal(usbOn, []string{"controlplane-1 /dev/sda"}) {
		t.Errorf("USB keys = %v, want only controlplane-1 /dev/sda", usbOn)
	}

	cs, err := safe.StateGetByID[*omni.ClusterStatus](ctx, st, ClusterName)
	if err != nil {
		t.Fatalf("ClusterStatus: %v", err)
	}

	if v := cs.TypedSpec().Value; !v.GetReady() || !v.GetKubernetesAPIReady() || v.GetPhase() != specs.ClusterStatusSpec_RUNNING ||
		v.GetMachines().GetHealthy() != 6 || v.GetMachines().GetConnected() != 6 {
		t.Errorf("ClusterStatus = %v", v)
	}

	cluster, err := safe.StateGetByID[*omni.Cluster](ctx, st, ClusterName)
	if err != nil || cluster.TypedSpec().Value.GetKubernetesVersion() != "1.27.3" || cluster.TypedSpec().Value.GetTalosVersion() != "1.5.5" {
		t.Errorf("Cluster = %v, %v", cluster, err)
	}

	cms, err := safe.StateListAll[*omni.ClusterMachineStatus](ctx, st)
	if err != nil {
		t.Fatal(err)
	}

	roles := map[string]int{}

	for m := range cms.All() {
		if !m.TypedSpec().Value.GetReady() || m.TypedSpec().Value.GetStage() != specs.ClusterMachineStatusSpec_RUNNING {
			t.Errorf("ClusterMachineStatus %s not ready/running", m.Metadata().ID())
		}

		if _, ok := m.Metadata().Labels().Get(omni.LabelControlPlaneRole); ok {
			roles[RoleControlPlane]++
		}

		if _, ok := m.Metadata().Labels().Get(omni.LabelWorkerRole); ok {
			roles[RoleWorker]++
		}
	}

	if roles[RoleControlPlane] != 3 || roles[RoleWorker] != 3 {
		t.Errorf("ClusterMachineStatus roles = %v", roles)
	}

	tvs, err := safe.StateListAll[*omni.TalosVersion](ctx, st)
	if err != nil || tvs.Len() != 4 {
		t.Errorf("TalosVersions: %d, %v", tvs.Len(), err)
	}

	if mss, err := safe.StateGetByID[*omni.MachineSetStatus](ctx, st, omni.WorkersResourceID(ClusterName)); err != nil || !mss.TypedSpec().Value.GetReady() {
		t.Errorf("workers MachineSetStatus: %v", err)
	}
}
