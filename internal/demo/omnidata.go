package demo

import (
	"context"
	"fmt"
	"github.com/clubcedille/cedille-tui/internal/plan"
	"strings"

	"github.com/cosi-project/runtime/pkg/resource"
	"github.com/cosi-project/runtime/pkg/safe"
	"github.com/cosi-project/runtime/pkg/state"
	"github.com/siderolabs/omni/client/api/omni/specs"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"

	"github.com/clubcedille/cedille-tui/internal/omnisim"
)

// Roles of the era-1 machines (DemoMachine.Role).
const (
	RoleControlPlane = "controlplane"
	RoleWorker       = "worker"
)

// Era-1 versions (PLATFORM.md §2.1): Kubernetes from the README's `kubectl get nodes`; Talos 1.5.x is a
// GUESS from the Talos docs the repository links.
const (
	EraOneKubernetesVersion = "1.27.3"
	EraOneTalosVersion      = "1.5.5"
)

// Disk types and transports as Talos reports them in Omni's MachineStatus.
const (
	DiskSSD  = "SSD"
	DiskHDD  = "HDD"
	DiskNVMe = "NVME"

	TransportSATA = "sata"
	TransportNVMe = "nvme"
	TransportUSB  = "usb"
)

// DemoDisk is one block device of a demo machine, with the fields Omni reports plus what the demo
// knows about its use.
type DemoDisk struct {
	LinuxName string // as enumerated at the last boot: not stable, see PLATFORM.md §2.1
	Model     string // the full model udev uses in /dev/disk/by-id names
	Serial    string
	WWID      string
	SizeBytes uint64
	Type      string // DiskSSD, DiskHDD, DiskNVMe
	Transport string // TransportSATA, TransportNVMe, TransportUSB
	BusPath   string
	System    bool   // Talos is installed on it: the install target (Omni's SystemDisk flag)
	Readonly  bool   // read-only device
	Removable bool   // a USB key: never an install or pool target (Omni has no field for it)
	Pool      string // the Mayastor DiskPool on it (PLATFORM.md §2.3), "" when none
}

// ByIDPath is the /dev/disk/by-id path by bus, model and serial that the platform's DiskPools name
// (PLATFORM.md §2.3), as plan.ByIDLinks renders it.
//
// Real Talos 1.5 reads the model from sysfs, which truncates ATA models to 16 characters (e.g.
// "WDC WD30EFRX-68E"); the demo reports the full model so that this path can be derived from it.
func (d DemoDisk) ByIDPath() string {
	return plan.ByIDPath(plan.DiskFacts{Model: d.Model, Serial: d.Serial, Transport: d.Transport})
}

// DemoMachine is one era-1 bare-metal machine: its Omni identity and hardware, and the facts its
// Kubernetes Node needs.
type DemoMachine struct {
	ID         string // Omni machine ID (the SMBIOS UUID)
	Hostname   string // also the Kubernetes node name
	Role       string // RoleControlPlane or RoleWorker
	Address    string // node IP (Kubernetes InternalIP)
	PrefixLen  int
	Gateway    string
	NIC        string // primary interface
	MAC        string
	CPUModel   string
	Sockets    int
	CPUCores   int // total
	CPUThreads int // total
	CPUMHz     int
	MemoryMiB  int
	Disks      []DemoDisk
}

// InstallDisk is the disk Talos is installed on (the system SSD), never the USB key.
func (m DemoMachine) InstallDisk() DemoDisk {
	for _, d := range m.Disks {
		if d.System {
			return d
		}
	}

	return DemoDisk{}
}

// ManagementAddress is the machine's SideroLink address in Omni.
func (m DemoMachine) ManagementAddress() string {
	return fmt.Sprintf("fdae:41e4:649b:9303:%s:%s:%s:%s", m.ID[0:4], m.ID[9:13], m.ID[14:18], m.ID[19:23])
}

const (
	xeonE3 = "Intel(R) Xeon(R) CPU E3-1230 v3 @ 3.30GHz"
	xeonE5 = "Intel(R) Xeon(R) CPU E5-2620 v4 @ 2.10GHz"

	samsung250 = "Samsung SSD 860 EVO 250GB"
	samsung500 = "Samsung SSD 860 EVO 500GB"
	kingston   = "KINGSTON SA400S37240G"
	wdRed3TB   = "WDC WD30EFRX-68EUZN0"
	seagate2TB = "ST2000VN004-2E4164"
	wdRE2TB    = "WDC WD2004FBYZ-01YCBB1"

	size250GB = 250059350016
	size240GB = 240057409536
	size500GB = 500107862016
	size3TB   = 3000592982016
	size2TB   = 2000398934016
	size16GB  = 16008609792
)

func sataBus(port int) string {
	return fmt.Sprintf("/pci0000:00/0000:00:1f.2/ata%d/host%d/target%d:0:0/%d:0:0:0", port+1, port, port, port)
}

func ssd(linux, model, serial, wwid string, size uint64) DemoDisk {
	return DemoDisk{LinuxName: linux, Model: model, Serial: serial, WWID: wwid, SizeBytes: size,
		Type: DiskSSD, Transport: TransportSATA, System: true}
}

func poolHDD(linux, model, serial, wwid string, size uint64, pool string) DemoDisk {
	return DemoDisk{LinuxName: linux, Model: model, Serial: serial, WWID: wwid, SizeBytes: size,
		Type: DiskHDD, Transport: TransportSATA, Pool: pool}
}

// DemoMachines returns the six era-1 machines (3 control planes, 3 workers; PLATFORM.md §2.1), a fresh
// copy on each call. The workers carry the six Mayastor pool HDDs of PLATFORM.md §2.3; controlplane-1
// still has the USB key it was installed from, which enumerates as /dev/sda and pushes its SSD to
// /dev/sdb. Addresses on 10.0.21.0/24 are a GUESS (the club's internal VLAN of the era-2 templates).
func DemoMachines() []DemoMachine {
	cp := func(n int, id, mac string, system DemoDisk) DemoMachine {
		return DemoMachine{
			ID: id, Hostname: fmt.Sprintf("controlplane-%d", n), Role: RoleControlPlane,
			Address: fmt.Sprintf("10.0.21.%d", 10+n), PrefixLen: 24, Gateway: "10.0.21.1", NIC: "eno1", MAC: mac,
			CPUModel: xeonE3, Sockets: 1, CPUCores: 4, CPUThreads: 8, CPUMHz: 3300, MemoryMiB: 16384,
			Disks: []DemoDisk{system},
		}
	}
	worker := func(n int, id, mac string, disks ...DemoDisk) DemoMachine {
		return DemoMachine{
			ID: id, Hostname: fmt.Sprintf("worker-%d", n), Role: RoleWorker,
			Address: fmt.Sprintf("10.0.21.%d", 20+n), PrefixLen: 24, Gateway: "10.0.21.1", NIC: "eno1", MAC: mac,
			CPUModel: xeonE5, Sockets: 2, CPUCores: 16, CPUThreads: 32, CPUMHz: 2100, MemoryMiB: 65536,
			Disks: disks,
		}
	}

	machines := []DemoMachine{
		cp(1, "4c4c4544-0031-4d10-8035-b4c04f4e3332", "d0:94:66:1a:3c:51",
			ssd("/dev/sdb", samsung250, "S3YHNX0M412873K", "naa.5002538e40a1c3f7", size250GB)),
		cp(2, "4c4c4544-0031-4d10-8036-b4c04f4e3332", "d0:94:66:1a:41:0e",
			ssd("/dev/sda", samsung250, "S3YHNX0M412901B", "naa.5002538e40a1c412", size250GB)),
		cp(3, "4c4c4544-0031-4d10-8037-b4c04f4e3332", "d0:94:66:1a:2f:b8",
			ssd("/dev/sda", kingston, "50026B778320F1A4", "naa.50026b778320f1a4", size240GB)),
		worker(1, "4c4c4544-0048-3610-8057-c3c04f395a32", "24:6e:96:0b:7c:40",
			ssd("/dev/sda", samsung500, "S3Z2NB0KB47390M", "naa.5002538e4b2c91d0", size500GB),
			poolHDD("/dev/sdb", wdRed3TB, "WD-WCC4N5DAHR67", "naa.50014ee2b6a1f3c2", size3TB, "hdds-worker-1-hr67"),
			poolHDD("/dev/sdc", wdRed3TB, "WD-WCC4N7KEPLJ7", "naa.50014ee20c7d52e9", size3TB, "hdds-worker-1-plj7")),
		worker(2, "4c4c4544-0048-3610-8058-c3c04f395a32", "24:6e:96:0b:81:a4",
			ssd("/dev/sda", kingston, "50026B7683A2B9E1", "naa.50026b7683a2b9e1", size240GB),
			poolHDD("/dev/sdb", wdRed3TB, "WD-WCC4N5DAHTP3", "naa.50014ee2b6a20b17", size3TB, "hdd-worker-htp3"),
			poolHDD("/dev/sdc", wdRed3TB, "WD-WCC4N7KEPKF7", "naa.50014ee20c7d4a31", size3TB, "hdd-worker-2-pkf7")),
		worker(3, "4c4c4544-0048-3610-8059-c3c04f395a32", "24:6e:96:0b:95:1c",
			ssd("/dev/sda", samsung500, "S3Z2NB0KB47415T", "naa.5002538e4b2c9a66", size500GB),
			poolHDD("/dev/sdb", seagate2TB, "Z5274QJ6", "naa.5000c500a3b7e2f1", size2TB, "hdd-worker-4qj6"),
			poolHDD("/dev/sdc", wdRE2TB, "WD-WMC6N0D6KXX4", "naa.50014ee0aeb5c7d8", size2TB, "hdd-worker-3-kxx4")),
	}

	for i := range machines {
		for j := range machines[i].Disks {
			machines[i].Disks[j].BusPath = sataBus(j)
		}
	}

	// The trap of PLATFORM.md §2.1: the installer's USB key, left in, is /dev/sda. usb-storage reports
	// it rotational, so Talos calls it an HDD: only the transport tells it apart.
	usb := DemoDisk{
		LinuxName: "/dev/sda", Model: "SanDisk Cruzer Blade", Serial: "4C530001160823117352", SizeBytes: size16GB,
		Type: DiskHDD, Transport: TransportUSB, Removable: true,
		BusPath: "/pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host6/target6:0:0/6:0:0:0",
	}
	machines[0].Disks = append([]DemoDisk{usb}, machines[0].Disks...)

	return machines
}

// demoTalosVersions are the TalosVersion resources Omni lists: version → compatible Kubernetes versions.
func demoTalosVersions() []*specs.TalosVersionSpec {
	return []*specs.TalosVersionSpec{
		{Version: "1.5.5", CompatibleKubernetesVersions: []string{"1.26.9", "1.27.3", "1.27.6", "1.28.3"}, UpgradableTalosVersions: []string{"1.6.7"}},
		{Version: "1.6.7", CompatibleKubernetesVersions: []string{"1.27.3", "1.27.6", "1.28.3", "1.29.3"}, UpgradableTalosVersions: []string{"1.7.6"}},
		{Version: "1.7.6", CompatibleKubernetesVersions: []string{"1.27.3", "1.28.3", "1.29.3", "1.30.3"}, UpgradableTalosVersions: []string{"1.8.0"}},
		{Version: "1.8.0", CompatibleKubernetesVersions: []string{"1.27.3", "1.28.3", "1.29.3", "1.30.0", "1.31.1"}},
	}
}

// SeedOmni writes into st, in Omni's default namespace, what a real Omni shows for the running era-1
// cluster: the Cluster and its ClusterStatus, the control-plane and worker MachineSets with their
// statuses, and for each machine its Machine, MachineStatus (hardware, disks, network), ClusterMachine
// and ClusterMachineStatus, plus the TalosVersion catalogue. Existing resources are overwritten, so it
// also restores the healthy picture.
func SeedOmni(ctx context.Context, st state.State) error {
	machines := DemoMachines()

	vanilla, err := omnisim.Schematic{}.ID()
	if err != nil {
		return err
	}

	var rs []resource.Resource

	rs = append(rs, omniCatalogue()...)

	cluster := omni.NewCluster(ClusterName)
	cluster.TypedSpec().Value.KubernetesVersion = EraOneKubernetesVersion
	cluster.TypedSpec().Value.TalosVersion = EraOneTalosVersion
	cluster.TypedSpec().Value.Features = &specs.ClusterSpec_Features{DiskEncryption: false} // retro 1: encryption off
	rs = append(rs, cluster)

	n := uint32(len(machines))
	cs := omni.NewClusterStatus(ClusterName)
	cs.TypedSpec().Value = &specs.ClusterStatusSpec{
		Available:                 true,
		Machines:                  &specs.Machines{Total: n, Healthy: n, Connected: n, Requested: n},
		Phase:                     specs.ClusterStatusSpec_RUNNING,
		Ready:                     true,
		KubernetesAPIReady:        true,
		ControlplaneReady:         true,
		HasConnectedControlPlanes: true,
		TalosVersion:              EraOneTalosVersion,
		KubernetesVersion:         EraOneKubernetesVersion,
	}
	rs = append(rs, cs)

	for _, role := range []string{RoleControlPlane, RoleWorker} {
		count := uint32(0)

		for _, m := range machines {
			if m.Role == role {
				count++
			}
		}

		id := machineSetID(role)

		ms := omni.NewMachineSet(id)
		ms.TypedSpec().Value.UpdateStrategy = specs.MachineSetSpec_Rolling
		setClusterLabels(ms, role, "")
		rs = append(rs, ms)

		mss := omni.NewMachineSetStatus(id)
		mss.TypedSpec().Value = &specs.MachineSetStatusSpec{
			Phase:    specs.MachineSetPhase_Running,
			Ready:    true,
			Machines: &specs.Machines{Total: count, Healthy: count, Connected: count, Requested: count},
		}
		setClusterLabels(mss, role, "")
		rs = append(rs, mss)
	}

	for _, m := range machines {
		rs = append(rs, machineResources(m, vanilla)...)
	}

	for _, r := range rs {
		if err := put(ctx, st, r); err != nil {
			return fmt.Errorf("seed %s %s: %w", r.Metadata().Type(), r.Metadata().ID(), err)
		}
	}

	return nil
}

func machineSetID(role string) string {
	if role == RoleControlPlane {
		return omni.ControlPlanesResourceID(ClusterName)
	}

	return omni.WorkersResourceID(ClusterName)
}

// setClusterLabels puts the labels Omni sets on cluster-owned resources: cluster, machine set and role.
func setClusterLabels(r resource.Resource, role, nodeName string) {
	l := r.Metadata().Labels()
	l.Set(omni.LabelCluster, ClusterName)
	l.Set(omni.LabelMachineSet, machineSetID(role))

	if role == RoleControlPlane {
		l.Set(omni.LabelControlPlaneRole, "")
	} else {
		l.Set(omni.LabelWorkerRole, "")
	}

	if nodeName != "" {
		l.Set(omni.ClusterMachineStatusLabelNodeName, nodeName)
	}
}

// DemoImageFactoryURL is the demo's simulated Talos image factory (Omni's FeaturesConfig points at it;
// Platform.InstallEnv's HTTP client serves it in-process).
const DemoImageFactoryURL = "https://factory.demo.invalid"

// omniCatalogue is what an Omni holds before any machine or cluster: the TalosVersion catalogue and the
// FeaturesConfig naming its image factory.
func omniCatalogue() []resource.Resource {
	var rs []resource.Resource

	for _, v := range demoTalosVersions() {
		tv := omni.NewTalosVersion(v.Version)
		tv.TypedSpec().Value = v
		rs = append(rs, tv)
	}

	fc := omni.NewFeaturesConfig(omni.FeaturesConfigID)
	fc.TypedSpec().Value.ImageFactoryBaseUrl = DemoImageFactoryURL

	return append(rs, fc)
}

// newestTalos is the newest Talos version of the catalogue: what the machines of a blank demo booted from
// the ISO run in maintenance mode.
func newestTalos() string {
	vs := demoTalosVersions()

	return vs[len(vs)-1].Version
}

// SeedBlankOmni writes into st what a real Omni holds before an install: the TalosVersion catalogue, the
// FeaturesConfig (image factory DemoImageFactoryURL), and the six era-1 machines booted from the ISO —
// connected, in maintenance mode, in no cluster (their Machine and MachineStatus with hardware, no
// ClusterMachine, no Cluster). Existing resources are overwritten.
func SeedBlankOmni(ctx context.Context, st state.State) error {
	schematic, err := omnisim.Schematic{}.ID()
	if err != nil {
		return err
	}

	rs := omniCatalogue()

	for _, m := range DemoMachines() {
		ms := machineStatus(m, schematic, "v"+newestTalos())
		ms.TypedSpec().Value.Maintenance = true
		ms.Metadata().Labels().Set(omni.MachineStatusLabelAvailable, "")

		for _, d := range ms.TypedSpec().Value.GetHardware().GetBlockdevices() {
			d.SystemDisk = false // booted from the ISO: nothing is installed yet
		}

		rs = append(rs, machine(m), ms)
	}

	for _, r := range rs {
		if err := put(ctx, st, r); err != nil {
			return fmt.Errorf("seed %s %s: %w", r.Metadata().Type(), r.Metadata().ID(), err)
		}
	}

	return nil
}

func machineResources(m DemoMachine, schematicID string) []resource.Resource {
	ms := machineStatus(m, schematicID, "v"+EraOneTalosVersion)

	role := specs.MachineStatusSpec_WORKER
	if m.Role == RoleControlPlane {
		role = specs.MachineStatusSpec_CONTROL_PLANE
	}

	ms.TypedSpec().Value.Cluster = ClusterName
	ms.TypedSpec().Value.Role = role

	ml := ms.Metadata().Labels()
	ml.Set(omni.MachineStatusLabelReadyToUse, "")
	ml.Set(omni.LabelCluster, ClusterName)

	if m.Role == RoleControlPlane {
		ml.Set(omni.LabelControlPlaneRole, "")
	} else {
		ml.Set(omni.LabelWorkerRole, "")
	}

	cm := omni.NewClusterMachine(m.ID)
	cm.TypedSpec().Value.KubernetesVersion = EraOneKubernetesVersion
	setClusterLabels(cm, m.Role, "")

	cms := omni.NewClusterMachineStatus(m.ID)
	cms.TypedSpec().Value = &specs.ClusterMachineStatusSpec{
		Ready:             true,
		Stage:             specs.ClusterMachineStatusSpec_RUNNING,
		ConfigUpToDate:    true,
		ManagementAddress: m.ManagementAddress(),
		ConfigApplyStatus: specs.ConfigApplyStatus_APPLIED,
	}
	setClusterLabels(cms, m.Role, m.Hostname)
	cms.Metadata().Labels().Set(omni.MachineStatusLabelConnected, "")

	return []resource.Resource{machine(m), ms, cm, cms}
}

// machine is the machine's Omni Machine: connected over SideroLink.
func machine(m DemoMachine) *omni.Machine {
	mach := omni.NewMachine(m.ID)
	mach.TypedSpec().Value.ManagementAddress = m.ManagementAddress()
	mach.TypedSpec().Value.Connected = true
	mach.Metadata().Labels().Set(omni.MachineStatusLabelConnected, "")

	return mach
}

// machineStatus is the machine's MachineStatus as Talos reports it, running talos, in no cluster: its
// hardware, disks and network, connected and reporting events.
func machineStatus(m DemoMachine, schematicID, talos string) *omni.MachineStatus {
	hw := &specs.MachineStatusSpec_HardwareStatus{Arch: "amd64"}
	for range m.Sockets {
		hw.Processors = append(hw.Processors, &specs.MachineStatusSpec_HardwareStatus_Processor{
			CoreCount: uint32(m.CPUCores / m.Sockets), ThreadCount: uint32(m.CPUThreads / m.Sockets),
			Frequency: uint32(m.CPUMHz), Description: m.CPUModel, Manufacturer: "Intel(R) Corporation",
		})
	}

	dimm, dimms := "Hynix HMT41GU7AFR8C-PB", 2 // DDR3 ECC UDIMMs for the E3 boards
	if m.Role == RoleWorker {
		dimm, dimms = "Samsung M393A2K40BB1-CRC", 4 // DDR4 RDIMMs for the E5 boards
	}

	for range dimms {
		hw.MemoryModules = append(hw.MemoryModules, &specs.MachineStatusSpec_HardwareStatus_MemoryModule{
			SizeMb: uint32(m.MemoryMiB / dimms), Description: dimm,
		})
	}

	for _, d := range m.Disks {
		hw.Blockdevices = append(hw.Blockdevices, &specs.MachineStatusSpec_HardwareStatus_BlockDevice{
			Size: d.SizeBytes, Model: d.Model, LinuxName: d.LinuxName, Name: strings.TrimPrefix(d.LinuxName, "/dev/"),
			Serial: d.Serial, Wwid: d.WWID, Type: d.Type, BusPath: d.BusPath, SystemDisk: d.System,
			Readonly: d.Readonly, Transport: d.Transport,
		})
	}

	nicDesc := "Intel Corporation Ethernet Connection I217-LM"
	if m.Role == RoleWorker {
		nicDesc = "Intel Corporation I350 Gigabit Network Connection"
	}

	links := []*specs.MachineStatusSpec_NetworkStatus_NetworkLinkStatus{
		{LinuxName: m.NIC, HardwareAddress: m.MAC, SpeedMbps: 1000, LinkUp: true, Description: nicDesc},
	}
	if m.Role == RoleWorker {
		links = append(links, &specs.MachineStatusSpec_NetworkStatus_NetworkLinkStatus{
			LinuxName: "eno2", HardwareAddress: nextMAC(m.MAC), LinkUp: false, Description: nicDesc,
		})
	}

	ms := omni.NewMachineStatus(m.ID)
	ms.TypedSpec().Value = &specs.MachineStatusSpec{
		TalosVersion:        talos,
		InitialTalosVersion: talos,
		Hardware:            hw,
		Network: &specs.MachineStatusSpec_NetworkStatus{
			Hostname:        m.Hostname,
			Addresses:       []string{fmt.Sprintf("%s/%d", m.Address, m.PrefixLen)},
			DefaultGateways: []string{m.Gateway},
			NetworkLinks:    links,
		},
		ManagementAddress: m.ManagementAddress(),
		Connected:         true,
		PlatformMetadata:  &specs.MachineStatusSpec_PlatformMetadata{Platform: "metal"},
		Schematic:         &specs.MachineStatusSpec_Schematic{FullId: schematicID, InitialSchematic: schematicID},
	}
	omni.ReconcileMachineStatusLabels(ms)

	ml := ms.Metadata().Labels()
	ml.Set(omni.MachineStatusLabelConnected, "")
	ml.Set(omni.MachineStatusLabelReportingEvents, "")

	return ms
}

// SetMachineConnected shows in Omni what a power loss (connected false) or its end does to the machine with
// the given hostname: its MachineStatus disconnected; its ClusterMachineStatus, when it is in a cluster, not
// ready and without the connected label, Omni keeping the last known stage; and the counts and readiness of
// its cluster's MachineSetStatuses and ClusterStatus recomputed from every member's connection.
func SetMachineConnected(ctx context.Context, st state.State, hostname string, connected bool) error {
	return setMachineConnected(ctx, st, DemoMachines(), hostname, connected)
}

// setMachineConnected is SetMachineConnected for the machine of that hostname among machines.
func setMachineConnected(ctx context.Context, st state.State, machines []DemoMachine, hostname string, connected bool) error {
	id := ""

	for _, m := range machines {
		if m.Hostname == hostname {
			id = m.ID
		}
	}

	if id == "" {
		return fmt.Errorf("demo: no machine %q", hostname)
	}

	ms, err := safe.StateUpdateWithConflicts(ctx, st, omni.NewMachineStatus(id).Metadata(),
		func(ms *omni.MachineStatus) error {
			ms.TypedSpec().Value.Connected = connected
			setLabel(ms, omni.MachineStatusLabelConnected, connected)
			setLabel(ms, omni.MachineStatusLabelDisconnected, !connected)

			return nil
		})
	if err != nil {
		return err
	}

	if _, err := safe.StateUpdateWithConflicts(ctx, st, omni.NewClusterMachineStatus(id).Metadata(),
		func(cms *omni.ClusterMachineStatus) error {
			cms.TypedSpec().Value.Ready = connected && cms.TypedSpec().Value.GetStage() == specs.ClusterMachineStatusSpec_RUNNING
			setLabel(cms, omni.MachineStatusLabelConnected, connected)

			return nil
		}); err != nil {
		if state.IsNotFoundError(err) {
			return nil // in no cluster: nothing to count
		}

		return err
	}

	cluster := ms.TypedSpec().Value.GetCluster()
	if cluster == "" {
		return nil
	}

	return recountOmni(ctx, st, cluster)
}

// recountOmni rewrites the machine counts and readiness of a cluster's MachineSetStatuses and ClusterStatus
// from its members' connection, the way Omni's controllers do: a disconnected machine is neither connected
// nor healthy, and its machine set and cluster are not ready.
func recountOmni(ctx context.Context, st state.State, cluster string) error {
	members, err := safe.StateListAll[*omni.ClusterMachineStatus](ctx, st,
		state.WithLabelQuery(resource.LabelEqual(omni.LabelCluster, cluster)))
	if err != nil {
		return err
	}

	up := map[string]uint32{}
	all := map[string]uint32{}
	var cps, cpsUp uint32

	for cms := range members.All() {
		set, _ := cms.Metadata().Labels().Get(omni.LabelMachineSet)
		_, cp := cms.Metadata().Labels().Get(omni.LabelControlPlaneRole)

		connected := false
		if ms, err := safe.StateGetByID[*omni.MachineStatus](ctx, st, cms.Metadata().ID()); err == nil {
			connected = ms.TypedSpec().Value.GetConnected()
		} else if !state.IsNotFoundError(err) {
			return err
		}

		all[set]++

		if cp {
			cps++
		}

		if connected {
			up[set]++

			if cp {
				cpsUp++
			}
		}
	}

	var total, connected uint32

	for set := range all {
		total += all[set]
		connected += up[set]

		if _, err := safe.StateUpdateWithConflicts(ctx, st, omni.NewMachineSetStatus(set).Metadata(),
			func(mss *omni.MachineSetStatus) error {
				s := mss.TypedSpec().Value
				s.Ready = up[set] == all[set]
				s.Machines = &specs.Machines{Total: all[set], Healthy: up[set], Connected: up[set], Requested: all[set]}

				return nil
			}); err != nil && !state.IsNotFoundError(err) {
			return err
		}
	}

	_, err = safe.StateUpdateWithConflicts(ctx, st, omni.NewClusterStatus(cluster).Metadata(),
		func(cs *omni.ClusterStatus) error {
			s := cs.TypedSpec().Value
			s.Machines = &specs.Machines{Total: total, Healthy: connected, Connected: connected, Requested: total}
			s.Ready = connected == total
			s.ControlplaneReady = cpsUp == cps
			s.HasConnectedControlPlanes = cpsUp > 0
			s.Available = cpsUp > 0
			s.KubernetesAPIReady = cpsUp > cps/2 // etcd quorum

			return nil
		})

	return err
}

// setLabel sets a flag label (empty value) when on, removes it otherwise.
func setLabel(r resource.Resource, key string, on bool) {
	if on {
		r.Metadata().Labels().Set(key, "")
	} else {
		r.Metadata().Labels().Delete(key)
	}
}

// nextMAC returns the MAC address one above mac (the second port of the same NIC).
func nextMAC(mac string) string {
	var b [6]byte
	if _, err := fmt.Sscanf(mac, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]); err != nil {
		return mac
	}

	for i := 5; i >= 0; i-- {
		b[i]++
		if b[i] != 0 {
			break
		}
	}

	return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5])
}

// put creates r, or overwrites it when it already exists.
func put(ctx context.Context, st state.State, r resource.Resource) error {
	err := st.Create(ctx, r)
	if !state.IsConflictError(err) {
		return err
	}

	cur, err := st.Get(ctx, r.Metadata())
	if err != nil {
		return err
	}

	r.Metadata().SetVersion(cur.Metadata().Version())

	return st.Update(ctx, r)
}
