// Package plan is the install plan: what the wizard's forms fill and the answers file holds, with a pure
// Validate. It holds no secret (service-account keys, unseal keys and tokens never enter it), so it can
// be saved after every step and read back after a crash.
package plan

import (
	"slices"
	"strconv"
	"strings"
)

// SchemaVersion is the plan's schema; a file with another version is refused, not guessed at.
const SchemaVersion = 1

// Role of a machine in the cluster.
type Role string

const (
	RoleControlPlane Role = "controlplane"
	RoleWorker       Role = "worker"
)

// ControlPlanes is the number of control-plane machines the platform runs (an etcd quorum that survives
// one loss; PLATFORM.md §2.1).
const ControlPlanes = 3

// Plan is the whole install plan. The YAML names are the answers file's schema (assets/answers.example.yaml).
type Plan struct {
	Version int `yaml:"version"`
	// Era is the platform's era the plan installs: 0 or 1 is era 1 (one bare-metal cluster), 2 an era-2
	// cluster of the fleet, described by Era2.
	Era       int       `yaml:"era,omitempty"`
	Era2      *Era2     `yaml:"era2,omitempty"`
	ISO       ISO       `yaml:"iso,omitempty"`
	Machines  []Machine `yaml:"machines,omitempty"`
	Cluster   Cluster   `yaml:"cluster,omitempty"`
	Vault     Vault     `yaml:"vault,omitempty"`
	Storage   Storage   `yaml:"storage,omitempty"`
	GitOps    GitOps    `yaml:"gitops,omitempty"`
	VClusters VClusters `yaml:"vclusters,omitempty"`
}

// ISO is the Talos image Omni's image factory builds for the machines: one schematic (extensions and
// kernel arguments) for every machine, saved as a preset so a machine added later boots the same ISO.
type ISO struct {
	TalosVersion string   `yaml:"talosVersion"`
	Arch         string   `yaml:"arch"`
	Extensions   []string `yaml:"extensions,omitempty"`
	KernelArgs   []string `yaml:"kernelArgs,omitempty"`
	SecureBoot   bool     `yaml:"secureBoot,omitempty"`
	// Dir is where the ISO is downloaded ("" = the current directory).
	Dir string `yaml:"dir,omitempty"`
	// Preset names the saved choices.
	Preset string `yaml:"preset,omitempty"`

	// Filled by the iso step: the image factory schematic, the file and its SHA-256. A later download
	// of the same choices must give the same digest.
	SchematicID string `yaml:"schematicID,omitempty"`
	File        string `yaml:"file,omitempty"`
	SHA256      string `yaml:"sha256,omitempty"`
	// Built is Choices() when the file was built: the file is stale when they differ.
	Built string `yaml:"built,omitempty"`
}

// Choices is the ISO's choices as one string: a change of any of them means another image.
func (i ISO) Choices() string {
	return strings.Join([]string{Canonical(i.TalosVersion), i.Arch, strings.Join(i.Extensions, ","),
		strings.Join(i.KernelArgs, " "), strconv.FormatBool(i.SecureBoot)}, "|")
}

// Disk names a disk by a stable identity: its WWID or serial, never its Linux name (/dev/sdb moves when
// a USB key is pulled; PLATFORM.md §2.1). ByID is the /dev/disk/by-id path rendered from it when the
// disk was chosen; it is what the patches carry and the screens show.
type Disk struct {
	WWID   string `yaml:"wwid,omitempty"`
	Serial string `yaml:"serial,omitempty"`
	ByID   string `yaml:"byID,omitempty"`
}

// Empty tells whether no identity is set.
func (d Disk) Empty() bool { return d.WWID == "" && d.Serial == "" }

// Same tells whether two disks name the same device (same WWID, or same serial).
func (d Disk) Same(o Disk) bool {
	return (d.WWID != "" && strings.EqualFold(d.WWID, o.WWID)) || (d.Serial != "" && d.Serial == o.Serial)
}

// String is the disk as people read it: its by-id path, else its identity.
func (d Disk) String() string {
	switch {
	case d.ByID != "":
		return d.ByID
	case d.WWID != "":
		return "wwid " + d.WWID
	default:
		return "serial " + d.Serial
	}
}

// Machine is one machine that joins the cluster, by its Omni machine ID.
type Machine struct {
	ID string `yaml:"id"`
	// Hostname is informative (what Omni reported when it was chosen).
	Hostname    string `yaml:"hostname,omitempty"`
	Role        Role   `yaml:"role"`
	InstallDisk Disk   `yaml:"installDisk"`
	// PoolDisks are the Mayastor pool disks (workers only); they are wiped.
	PoolDisks []Disk `yaml:"poolDisks,omitempty"`
}

// Cluster is the Omni cluster.
type Cluster struct {
	Name              string `yaml:"name"`
	KubernetesVersion string `yaml:"kubernetesVersion"`
	// TalosVersion defaults to the ISO's.
	TalosVersion string `yaml:"talosVersion,omitempty"`
	// Encryption turns on Talos system-disk encryption. Off by default: on this platform it never
	// unlocked at first boot (PLATFORM.md §2.1); EncryptionReason must say why it is wanted anyway.
	Encryption       bool   `yaml:"encryption,omitempty"`
	EncryptionReason string `yaml:"encryptionReason,omitempty"`
	// HugePages is the number of 2 MiB huge pages on pool nodes (Mayastor's io-engine needs 1024 = 2 GiB).
	HugePages int `yaml:"hugePages,omitempty"`
	// Kubeconfig is where the cluster step saved the kubeconfig; the later steps use it.
	Kubeconfig string `yaml:"kubeconfig,omitempty"`
}

// Defaults that fit the platform.
const (
	DefaultArch        = "amd64"
	DefaultClusterName = "cedille-cluster"
	DefaultHugePages   = 1024
	DefaultPreset      = "cedille"
)

// New returns a plan with the platform's defaults; versions are filled from what Omni offers.
func New() Plan {
	return Plan{
		Version: SchemaVersion,
		ISO:     ISO{Arch: DefaultArch, Preset: DefaultPreset},
		Cluster: Cluster{Name: DefaultClusterName, HugePages: DefaultHugePages},
	}
}

// WithDefaults fills what an answers file may leave out.
func (p Plan) WithDefaults() Plan {
	if p.Version == 0 {
		p.Version = SchemaVersion
	}
	if p.IsEra2() {
		return p // era 2 reads only its section: no era-1 default is filled in
	}
	if p.ISO.Arch == "" {
		p.ISO.Arch = DefaultArch
	}
	if p.ISO.Preset == "" {
		p.ISO.Preset = DefaultPreset
	}
	if p.Cluster.Name == "" {
		p.Cluster.Name = DefaultClusterName
	}
	if p.Cluster.TalosVersion == "" {
		p.Cluster.TalosVersion = p.ISO.TalosVersion
	}
	if p.Cluster.HugePages == 0 {
		p.Cluster.HugePages = DefaultHugePages
	}
	return p
}

// Machine returns the plan's machine with that ID.
func (p Plan) Machine(id string) (Machine, bool) {
	i := slices.IndexFunc(p.Machines, func(m Machine) bool { return m.ID == id })
	if i < 0 {
		return Machine{}, false
	}
	return p.Machines[i], true
}

// ByRole returns the machines of a role, in plan order.
func (p Plan) ByRole(r Role) []Machine {
	var out []Machine
	for _, m := range p.Machines {
		if m.Role == r {
			out = append(out, m)
		}
	}
	return out
}

// Wiped lists, per machine, every disk the cluster step wipes: the install disk and the pool disks.
func (p Plan) Wiped() []WipedDisks {
	out := make([]WipedDisks, 0, len(p.Machines))
	for _, m := range p.Machines {
		w := WipedDisks{Machine: m}
		if !m.InstallDisk.Empty() {
			w.Disks = append(w.Disks, WipedDisk{Disk: m.InstallDisk, Use: "Talos install disk"})
		}
		for _, d := range m.PoolDisks {
			w.Disks = append(w.Disks, WipedDisk{Disk: d, Use: "Mayastor pool disk"})
		}
		out = append(out, w)
	}
	return out
}

// WipedDisks are the disks of one machine that an install wipes.
type WipedDisks struct {
	Machine Machine
	Disks   []WipedDisk
}

// WipedDisk is one wiped disk and what it becomes.
type WipedDisk struct {
	Disk Disk
	Use  string
}

// Merge keeps what the install learned (recorded in saved) for a plan read afresh from an answers file:
// the ISO's schematic, file and digest when the ISO choices are the same, the kubeconfig of the same
// cluster, and each disk's WWID and by-id path when it names the same disk. The answers win everywhere
// else.
func Merge(answers, saved Plan) Plan {
	out := answers
	if answers.ISO.Choices() == saved.ISO.Choices() && answers.ISO.Preset == saved.ISO.Preset {
		out.ISO.SchematicID, out.ISO.File, out.ISO.SHA256, out.ISO.Built =
			saved.ISO.SchematicID, saved.ISO.File, saved.ISO.SHA256, saved.ISO.Built
	}
	if answers.Cluster.Name == saved.Cluster.Name && answers.Cluster.Kubeconfig == "" {
		out.Cluster.Kubeconfig = saved.Cluster.Kubeconfig
	}
	out.Machines = append([]Machine(nil), answers.Machines...)
	for i, m := range out.Machines {
		old, ok := saved.Machine(m.ID)
		if !ok {
			continue
		}
		m.InstallDisk = learned(m.InstallDisk, []Disk{old.InstallDisk})
		m.PoolDisks = append([]Disk(nil), m.PoolDisks...)
		for j := range m.PoolDisks {
			m.PoolDisks[j] = learned(m.PoolDisks[j], old.PoolDisks)
		}
		if m.Hostname == "" {
			m.Hostname = old.Hostname
		}
		out.Machines[i] = m
	}
	return out
}

func learned(d Disk, known []Disk) Disk {
	for _, k := range known {
		if d.Same(k) {
			if d.WWID == "" {
				d.WWID = k.WWID
			}
			if d.Serial == "" {
				d.Serial = k.Serial
			}
			if d.ByID == "" {
				d.ByID = k.ByID
			}
		}
	}
	return d
}
