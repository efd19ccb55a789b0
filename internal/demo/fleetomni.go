package demo

import (
	"context"
	"fmt"
	"hash/fnv"

	"github.com/cosi-project/runtime/pkg/resource"
	"github.com/cosi-project/runtime/pkg/state"
	"github.com/siderolabs/omni/client/api/omni/specs"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"

	"github.com/clubcedille/cedille-tui/internal/omnisim"
	"github.com/clubcedille/cedille-tui/internal/platform"
)

// fleetSpec is the shape of one fleet cluster, as the club's Terraform and Omni cluster template make it
// (PLATFORM.md §2.2): Proxmox VMs, each a Talos machine in Omni.
type fleetSpec struct {
	name              string
	id                int    // the cluster's number in the club's Terraform: its VM ids and cluster subnet
	stack             string // the ArgoCD cluster Secret's `stack` label, which selects its ApplicationSets
	talos, kubernetes string

	controlPlanes, workers      int
	cpCores, cpMemMiB, cpDiskGB int
	wCores, wMemMiB, wDiskGB    int

	// cilium: Cilium is the CNI and its LB-IPAM hands out LoadBalancer addresses, Cilium's Gateway API
	// serves ingress (the k8s-foundation stack); otherwise flannel, MetalLB and Contour (k8s-base).
	cilium bool
	// lbAddress is the address of the ingress LoadBalancer Service.
	lbAddress string
	// database is its CloudNativePG Cluster's namespace and name.
	database [2]string
	// schedules are its Velero Schedules; secrets its VaultStaticSecrets.
	schedules []veleroSchedule
	secrets   []vaultSecret
	// vaultStorage is Vault's storage backend: gcs, or file on a sandbox.
	vaultStorage string
	// down is a worker whose VM is stopped: disconnected in Omni, its Node NotReady ("" none).
	down string
}

// Stacks of the fleet's ApplicationSets (the `stack` label of the cluster Secrets).
const (
	stackBase       = "k8s-base"
	stackFoundation = "k8s-foundation"
)

// fleetSpecs are the fleet's clusters, the hub first. Sizes follow the club's templates (control planes
// 4 cores, 8 GiB, 40 GB; workers 8 cores, 24 GiB, 250 GB); the cluster numbers are a GUESS.
func fleetSpecs() []fleetSpec {
	return []fleetSpec{
		{name: FleetHub, id: 2, stack: stackBase, talos: "1.8.0", kubernetes: "1.30.0",
			controlPlanes: 3, workers: 3, cpCores: 4, cpMemMiB: 8192, cpDiskGB: 40, wCores: 8, wMemMiB: 24576, wDiskGB: 250,
			lbAddress: "142.137.247.75", vaultStorage: "gcs", database: [2]string{"nextcloud", "nextcloud-pg"},
			schedules: []veleroSchedule{{"nextcloud-velero-schedule", "35 6 * * *", "nextcloud"}, {"vault-velero-schedule", "0 3 * * *", "vault"}},
			secrets:   []vaultSecret{{"nextcloud", "nextcloud-admin", "nextcloud/default/admin"}, {"nextcloud", "nextcloud-s3", "nextcloud/default/s3"}}},
		{name: FleetProduction, id: 9, stack: stackBase, talos: "1.8.0", kubernetes: "1.30.0",
			controlPlanes: 3, workers: 4, cpCores: 4, cpMemMiB: 8192, cpDiskGB: 40, wCores: 8, wMemMiB: 24576, wDiskGB: 250,
			lbAddress: "142.137.247.79", vaultStorage: "gcs", database: [2]string{"calidum-rotae", "calidum-rotae-pg"},
			schedules: []veleroSchedule{{"calidum-rotae-velero-schedule", "0 4 * * *", "calidum-rotae"}, {failedSchedule, "15 5 * * *", "raconteurs-grav"}},
			secrets: []vaultSecret{{"calidum-rotae", "calidum-rotae-secrets", "calidum-rotae/default/secrets"},
				{"raconteurs-grav", "raconteurs-grav-salt", "raconteurs-grav/default/grav/raconteurs-grav-salt"}}},
		{name: FleetSandbox, id: 10, stack: stackFoundation, talos: "1.7.6", kubernetes: "1.29.3",
			controlPlanes: 3, workers: 3, cpCores: 2, cpMemMiB: 4096, cpDiskGB: 40, wCores: 4, wMemMiB: 8192, wDiskGB: 100,
			cilium: true, lbAddress: "10.0.130.20", vaultStorage: "file", down: FleetSandbox + "-worker-2",
			database:  [2]string{"sandbox", "sandbox-pg"},
			schedules: []veleroSchedule{{"sandbox-velero-schedule", "0 2 * * *", "sandbox"}},
			secrets:   []vaultSecret{{"sandbox", "whoami-secrets", "sandbox/default/whoami"}, {staleSecretNS, staleSecret, "default_passwords/garagehq"}}},
	}
}

// served are the custom resources the cluster's API serves: era 2's (the LB pools of its load balancer
// only, the ApplicationSets on the hub only), cert-manager's, vault-config-operator's, its ingress's, and
// ArgoCD's on the hub — never Mayastor's or Kuma's.
func (s fleetSpec) served() []platform.Kind {
	var out []platform.Kind
	for _, k := range platform.Era2Kinds() {
		switch {
		case k == platform.MetalLBPool && s.cilium, k == platform.CiliumLBPool && !s.cilium:
		case k == platform.ArgoApplicationSet && s.name != FleetHub:
		default:
			out = append(out, k)
		}
	}
	out = append(out, platform.CertManagerCert, platform.VaultPolicy, platform.VaultAuthRole, platform.VaultMount,
		platform.VaultRandom)
	if s.cilium {
		// The Gateway API CRDs Cilium requires, the console's kinds and the others.
		out = append(out, platform.GatewayClass, platform.Gateway, platform.HTTPRoute, platform.GRPCRoute, platform.ReferenceGrant)
	} else {
		out = append(out, platform.ContourHTTPProxy)
	}
	if s.name == FleetHub {
		out = append(out, platform.ArgoApplication, platform.ArgoAppProject)
	}
	return out
}

// machines are the cluster's VMs as Talos reports them: <cluster>-controlplane-<n> and
// <cluster>-worker-<n>, on the cluster's VLAN subnet (cidrsubnet(10.10.0.0/16, 9, id)).
func (s fleetSpec) machines() []DemoMachine {
	base := s.id * 128 // the /25's offset in 10.10.0.0/16
	vm := func(role string, n, index, cores, memMiB, diskGB int) DemoMachine {
		host := fmt.Sprintf("%s-%s-%d", s.name, role, n)
		vmid := 1000000 + s.id*1000 + index
		h := fnv.New32a()
		_, _ = h.Write([]byte(host))
		sum := h.Sum32()
		m := DemoMachine{
			ID:       fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", sum, s.id, index, n, vmid),
			Hostname: host, Role: role,
			Address: fmt.Sprintf("10.10.%d.%d", (base+10+index)/256, (base+10+index)%256), PrefixLen: 25,
			Gateway: fmt.Sprintf("10.10.%d.%d", (base+1)/256, (base+1)%256),
			NIC:     "ens18", MAC: fmt.Sprintf("bc:24:11:%02x:%02x:%02x", byte(vmid>>16), byte(vmid>>8), byte(vmid)),
			CPUModel: "Common KVM processor", Sockets: 1, CPUCores: cores, CPUThreads: cores, CPUMHz: 2100,
			MemoryMiB: memMiB,
			Disks: []DemoDisk{{LinuxName: "/dev/sda", Model: "QEMU HARDDISK", Serial: "drive-scsi0",
				SizeBytes: uint64(diskGB) << 30, Type: DiskHDD, Transport: "scsi", System: true,
				BusPath: "/pci0000:00/0000:00:05.0/0000:01:01.0/virtio1/host2/target2:0:0/2:0:0:0"}},
		}
		return m
	}
	var out []DemoMachine
	for i := range s.controlPlanes {
		out = append(out, vm(RoleControlPlane, i+1, i, s.cpCores, s.cpMemMiB, s.cpDiskGB))
	}
	for i := range s.workers {
		out = append(out, vm(RoleWorker, i+1, 10+i, s.wCores, s.wMemMiB, s.wDiskGB))
	}
	return out
}

// seedFleetOmni writes into st what the club's Omni shows for the fleet: the TalosVersion catalogue, and
// for each cluster its Cluster, ClusterStatus, machine sets, and each VM's Machine, MachineStatus,
// ClusterMachine and ClusterMachineStatus. A cluster's stopped VM (fleetSpec.down) is disconnected, and
// its cluster's counts and readiness say so.
func seedFleetOmni(ctx context.Context, st state.State, clusters []fleetSpec) error {
	schematic, err := omnisim.Schematic{}.ID()
	if err != nil {
		return err
	}
	rs := omniCatalogue()
	for _, s := range clusters {
		rs = append(rs, fleetClusterResources(s, schematic)...)
	}
	for _, r := range rs {
		if err := put(ctx, st, r); err != nil {
			return fmt.Errorf("seed %s %s: %w", r.Metadata().Type(), r.Metadata().ID(), err)
		}
	}
	for _, s := range clusters {
		if s.down == "" {
			continue
		}
		// Omni's controllers count the machines from their connection, as after a power loss.
		if err := recountOmni(ctx, st, s.name); err != nil {
			return fmt.Errorf("seed %s: %w", s.name, err)
		}
	}
	return nil
}

// fleetClusterResources are one cluster's Omni resources, all its machines running and healthy but the
// stopped one.
func fleetClusterResources(s fleetSpec, schematic string) []resource.Resource {
	machines := s.machines()
	cluster := omni.NewCluster(s.name)
	cluster.TypedSpec().Value.TalosVersion = s.talos
	cluster.TypedSpec().Value.KubernetesVersion = s.kubernetes
	rs := []resource.Resource{cluster}

	n := uint32(len(machines))
	cs := omni.NewClusterStatus(s.name)
	cs.TypedSpec().Value = &specs.ClusterStatusSpec{
		Available: true, Ready: true, KubernetesAPIReady: true, ControlplaneReady: true, HasConnectedControlPlanes: true,
		Machines: &specs.Machines{Total: n, Healthy: n, Connected: n, Requested: n},
		Phase:    specs.ClusterStatusSpec_RUNNING, TalosVersion: s.talos, KubernetesVersion: s.kubernetes,
	}
	rs = append(rs, cs)

	for _, role := range []string{RoleControlPlane, RoleWorker} {
		count := uint32(s.controlPlanes)
		id := omni.ControlPlanesResourceID(s.name)
		if role == RoleWorker {
			count, id = uint32(s.workers), omni.WorkersResourceID(s.name)
		}
		ms := omni.NewMachineSet(id)
		ms.TypedSpec().Value.UpdateStrategy = specs.MachineSetSpec_Rolling
		fleetLabels(ms, s.name, role, "")
		mss := omni.NewMachineSetStatus(id)
		mss.TypedSpec().Value = &specs.MachineSetStatusSpec{Phase: specs.MachineSetPhase_Running, Ready: true,
			Machines: &specs.Machines{Total: count, Healthy: count, Connected: count, Requested: count}}
		fleetLabels(mss, s.name, role, "")
		rs = append(rs, ms, mss)
	}

	for _, m := range machines {
		up := m.Hostname != s.down
		mst := machineStatus(m, schematic, "v"+s.talos)
		spec := mst.TypedSpec().Value
		spec.Cluster = s.name
		spec.Role = specs.MachineStatusSpec_WORKER
		if m.Role == RoleControlPlane {
			spec.Role = specs.MachineStatusSpec_CONTROL_PLANE
		}
		// A Proxmox VM: one QEMU memory device, one virtio NIC.
		spec.Hardware.MemoryModules = []*specs.MachineStatusSpec_HardwareStatus_MemoryModule{
			{SizeMb: uint32(m.MemoryMiB), Description: "QEMU DIMM"}}
		spec.Network.NetworkLinks = []*specs.MachineStatusSpec_NetworkStatus_NetworkLinkStatus{
			{LinuxName: m.NIC, HardwareAddress: m.MAC, SpeedMbps: 10000, LinkUp: true, Description: "Red Hat, Inc. Virtio network device"}}
		spec.Connected = up
		ml := mst.Metadata().Labels()
		ml.Set(omni.MachineStatusLabelReadyToUse, "")
		ml.Set(omni.LabelCluster, s.name)
		role := omni.LabelWorkerRole
		if m.Role == RoleControlPlane {
			role = omni.LabelControlPlaneRole
		}
		ml.Set(role, "")
		setLabel(mst, omni.MachineStatusLabelConnected, up)
		setLabel(mst, omni.MachineStatusLabelDisconnected, !up)

		mach := machine(m)
		mach.TypedSpec().Value.Connected = up
		setLabel(mach, omni.MachineStatusLabelConnected, up)

		cm := omni.NewClusterMachine(m.ID)
		cm.TypedSpec().Value.KubernetesVersion = s.kubernetes
		fleetLabels(cm, s.name, m.Role, "")

		cms := omni.NewClusterMachineStatus(m.ID)
		cms.TypedSpec().Value = &specs.ClusterMachineStatusSpec{Ready: up, Stage: specs.ClusterMachineStatusSpec_RUNNING,
			ConfigUpToDate: true, ManagementAddress: m.ManagementAddress(), ConfigApplyStatus: specs.ConfigApplyStatus_APPLIED}
		fleetLabels(cms, s.name, m.Role, m.Hostname)
		setLabel(cms, omni.MachineStatusLabelConnected, up)

		rs = append(rs, mach, mst, cm, cms)
	}
	return rs
}

// fleetLabels puts the labels Omni sets on a cluster's resources: cluster, machine set and role, and the
// node name on a ClusterMachineStatus.
func fleetLabels(r resource.Resource, cluster, role, nodeName string) {
	l := r.Metadata().Labels()
	l.Set(omni.LabelCluster, cluster)
	if role == RoleControlPlane {
		l.Set(omni.LabelMachineSet, omni.ControlPlanesResourceID(cluster))
		l.Set(omni.LabelControlPlaneRole, "")
	} else {
		l.Set(omni.LabelMachineSet, omni.WorkersResourceID(cluster))
		l.Set(omni.LabelWorkerRole, "")
	}
	if nodeName != "" {
		l.Set(omni.ClusterMachineStatusLabelNodeName, nodeName)
	}
}
