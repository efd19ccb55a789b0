package plan

import (
	"fmt"
	"github.com/clubcedille/cedille-tui/internal/units"
	"strings"
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
