package plan

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/clubcedille/cedille-tui/internal/units"
)

// MinInstallBytes is the smallest install disk Talos accepts (its system requirements: 10 GB, 9.3 GiB).
const MinInstallBytes = 10_000_000_000

// Inventory is what Omni reports, against which a plan is checked: the Talos versions it offers and the
// connected machines with their hardware. A nil Inventory checks the plan on its own (--dry-run offline).
type Inventory struct {
	TalosVersions []string
	// KubernetesVersions are, per Talos version, the Kubernetes versions it supports.
	KubernetesVersions map[string][]string
	Machines           map[string]MachineFacts
	// MachineClasses, Clusters and InfraProviders are the names of Omni's MachineClasses, clusters and
	// infrastructure providers (those that report a status), read for an era-2 install only (nil when not
	// read).
	MachineClasses []string
	Clusters       []string
	InfraProviders []string
}

// MachineFacts is one machine as Omni sees it.
type MachineFacts struct {
	ID, Hostname string
	Connected    bool
	Maintenance  bool // booted from the ISO, Talos not installed
	Arch         string
	CPU          string
	Cores        int
	MemoryMiB    uint64
	NICs         []string
	Disks        []DiskFacts
}

// DiskFacts is one block device as Talos reports it through Omni.
type DiskFacts struct {
	LinuxName string // /dev/sdb: how it enumerated at this boot, not stable
	Model     string // may be truncated (sysfs cuts ATA models to 16 characters)
	Serial    string
	WWID      string
	Size      uint64
	Type      string // HDD, SSD, NVME, SD, CD
	Transport string // sata, nvme, usb, mmc, virtio…
	BusPath   string
	System    bool // Talos is installed on it now
	Readonly  bool
}

// Identity is the stable identity the plan stores for the disk.
func (d DiskFacts) Identity() Disk {
	return Disk{WWID: d.WWID, Serial: d.Serial, ByID: ByIDPath(d)}
}

// Matches tells whether the plan's disk names this device.
func (d DiskFacts) Matches(p Disk) bool { return p.Same(Disk{WWID: d.WWID, Serial: d.Serial}) }

// Removable tells whether the disk is on a bus whose devices come and go (USB keys, SD cards): such a
// disk is what shifted /dev/sdb on this platform.
func (d DiskFacts) Removable() bool {
	t, ty := strings.ToLower(d.Transport), strings.ToUpper(d.Type)
	return t == "usb" || t == "mmc" || t == "sd" || ty == "SD" || ty == "CD" ||
		strings.Contains(strings.ToLower(d.BusPath), "/usb")
}

// ByIDPath renders the /dev/disk/by-id path udev gives the disk, from its stable identity: the first of
// ByIDLinks. The WWN form is preferred because it does not depend on the model string, which Talos may
// report truncated. "" when the disk has no identity to name it by.
func ByIDPath(d DiskFacts) string {
	if l := ByIDLinks(d); len(l) > 0 {
		return l[0]
	}
	return ""
}

// ByIDLinks are the /dev/disk/by-id links udev creates for the disk, preferred first: wwn-0x<WWN> for an
// NAA WWID, nvme-eui.<EUI> for an NVMe EUI, then <bus>-<model>_<serial> (spaces in the model turned into
// underscores; usb-…-0:0 for USB mass storage, virtio-<serial>).
func ByIDLinks(d DiskFacts) []string {
	const dir = "/dev/disk/by-id/"
	var out []string
	w := strings.ToLower(strings.TrimSpace(d.WWID))
	transport := strings.ToLower(d.Transport)
	switch {
	case strings.HasPrefix(w, "naa."):
		out = append(out, dir+"wwn-0x"+strings.TrimPrefix(w, "naa."))
	case strings.HasPrefix(w, "eui.") && transport == "nvme":
		out = append(out, dir+"nvme-"+w)
	}
	serial := strings.TrimSpace(d.Serial)
	if serial == "" {
		return out
	}
	model := strings.Join(strings.Fields(d.Model), "_")
	switch transport {
	case "nvme":
		out = append(out, dir+"nvme-"+model+"_"+serial)
	case "usb":
		out = append(out, dir+"usb-"+model+"_"+serial+"-0:0")
	case "virtio":
		out = append(out, dir+"virtio-"+serial)
	case "sata", "ata", "":
		out = append(out, dir+"ata-"+model+"_"+serial)
	default:
		out = append(out, dir+"scsi-"+model+"_"+serial)
	}
	return out
}

// InstallRefusal says why a disk cannot be the install disk, "" when it can.
func InstallRefusal(d DiskFacts) string {
	if why := commonRefusal(d); why != "" {
		return why
	}
	if d.Size > 0 && d.Size < MinInstallBytes {
		return fmt.Sprintf("too small: %s, Talos needs at least %s", units.Binary(d.Size), units.Binary(MinInstallBytes))
	}
	return ""
}

// PoolRefusal says why a disk cannot be a Mayastor pool disk, "" when it can.
func PoolRefusal(d DiskFacts, install Disk) string {
	switch {
	case d.Matches(install):
		return "it is the install disk"
	case d.System:
		return "Talos is installed on it (system disk)"
	}
	return commonRefusal(d)
}

func commonRefusal(d DiskFacts) string {
	switch {
	case d.Readonly:
		return "read-only"
	case strings.EqualFold(d.Transport, "usb") || strings.Contains(strings.ToLower(d.BusPath), "/usb"):
		return "USB disk: removable (the installer's key?); its removal renames the other disks"
	case d.Removable():
		return "removable media (" + strings.ToUpper(d.Type) + "/" + d.Transport + ")"
	case d.WWID == "" && d.Serial == "":
		return "no serial or WWID: it cannot be named by a stable identity"
	}
	return ""
}

// DiskRefusal is why a disk cannot take the use asked of it; it reads "sdb cannot be the install disk:
// read-only".
type DiskRefusal struct {
	Disk DiskFacts
	Use  string // "the install disk", "a pool disk"
	Why  string // InstallRefusal's or PoolRefusal's reason
}

func (r DiskRefusal) Error() string {
	return strings.TrimPrefix(r.Disk.LinuxName, "/dev/") + " cannot be " + r.Use + ": " + r.Why
}

// ErrPoolOnControlPlane refuses a pool disk to a control plane; a caller names the machine before it
// ("controlplane-1 is a control plane: pool disks are for workers …").
var ErrPoolOnControlPlane = errors.New("pool disks are for workers (control planes run no Mayastor io-engine)")

// WithInstallDisk is the machine installed on d, which stops being one of its pool disks (the install
// disk is never wiped for a pool). A disk InstallRefusal refuses is a DiskRefusal, the machine unchanged.
// The machine returned shares no slice with m.
func (m Machine) WithInstallDisk(d DiskFacts) (Machine, error) {
	if why := InstallRefusal(d); why != "" {
		return m, DiskRefusal{Disk: d, Use: "the install disk", Why: why}
	}
	m.InstallDisk = d.Identity()
	m.PoolDisks = slices.DeleteFunc(slices.Clone(m.PoolDisks), d.Matches)
	return m, nil
}

// WithPoolDisk is the machine with d among its Mayastor pool disks (on, after the others) or not
// (off). Only a worker has pool disks: a control plane is refused with ErrPoolOnControlPlane, whether
// on or off. A disk PoolRefusal refuses cannot be turned on (a DiskRefusal); it can always be turned
// off. Refused, the machine comes back unchanged; the machine returned shares no slice with m.
func (m Machine) WithPoolDisk(d DiskFacts, on bool) (Machine, error) {
	if m.Role != RoleWorker {
		return m, ErrPoolOnControlPlane
	}
	if !on {
		m.PoolDisks = slices.DeleteFunc(slices.Clone(m.PoolDisks), d.Matches)
		return m, nil
	}
	if why := PoolRefusal(d, m.InstallDisk); why != "" {
		return m, DiskRefusal{Disk: d, Use: "a pool disk", Why: why}
	}
	if !slices.ContainsFunc(m.PoolDisks, d.Matches) {
		m.PoolDisks = append(slices.Clone(m.PoolDisks), d.Identity())
	}
	return m, nil
}

// SetMachine replaces the plan's machine i with m, in a fresh slice: a copy of the plan taken before (a
// save in flight) keeps its own.
func (p *Plan) SetMachine(i int, m Machine) {
	ms := p.Clone().Machines
	ms[i] = m
	p.Machines = ms
}

// encryptionReasonMissing is the problem of encryption turned on without a reason.
const encryptionReasonMissing = "disk encryption never unlocked at first boot on this platform " +
	"(PLATFORM.md §2.1): say why it is wanted, or leave encryption off"

// WithEncryption is the cluster with Talos disk encryption on, for reason (trimmed), or off (the reason
// kept, offered again when it is turned back on). On without a reason is refused with the problem
// Validate reports for it, and encryption is then off.
func (c Cluster) WithEncryption(on bool, reason string) (Cluster, Problems) {
	if !on {
		c.Encryption = false
		return c, nil
	}
	r := strings.TrimSpace(reason)
	if r == "" {
		c.Encryption = false
		return c, Problems{{Path: "cluster.encryptionReason", Message: encryptionReasonMissing}}
	}
	c.Encryption, c.EncryptionReason = true, r
	return c, nil
}
