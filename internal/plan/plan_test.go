package plan

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// Test machines modelled on the platform's era-1 hardware: SATA SSD system disks, WD Red pool HDDs,
// and the installer's USB key left in controlplane-1, enumerating as /dev/sda.
var (
	usbKey = DiskFacts{LinuxName: "/dev/sda", Model: "SanDisk Cruzer Blade", Serial: "4C531001", Size: 16_008_609_792,
		Type: "HDD", Transport: "usb", BusPath: "/pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host6/target6:0:0/6:0:0:0"}
	cpSSD = DiskFacts{LinuxName: "/dev/sdb", Model: "Samsung SSD 860", Serial: "S3YHNX0M4128", WWID: "naa.5002538e40a1c3f7",
		Size: 250_059_350_016, Type: "SSD", Transport: "sata"}
	wSSD = DiskFacts{LinuxName: "/dev/sda", Model: "Samsung SSD 860", Serial: "S3Z2NB0KB473", WWID: "naa.5002538e4b2c91d0",
		Size: 500_107_862_016, Type: "SSD", Transport: "sata"}
	wHDD1 = DiskFacts{LinuxName: "/dev/sdb", Model: "WDC WD30EFRX-68E", Serial: "WD-WCC4N5DAHR67", WWID: "naa.50014ee2b6a1f3c2",
		Size: 3_000_592_982_016, Type: "HDD", Transport: "sata"}
	wHDD2 = DiskFacts{LinuxName: "/dev/sdc", Model: "WDC WD30EFRX-68E", Serial: "WD-WCC4N7KEPLJ7", WWID: "naa.50014ee20c7d52e9",
		Size: 3_000_592_982_016, Type: "HDD", Transport: "sata"}
	roDisk = DiskFacts{LinuxName: "/dev/sdd", Model: "Virtual CD", Serial: "RO-1", Size: 20_000_000_000, Type: "SSD",
		Transport: "sata", Readonly: true}
)

func inventory() *Inventory {
	inv := &Inventory{
		TalosVersions:      []string{"1.10.7", "1.11.5"},
		KubernetesVersions: map[string][]string{"v1.11.5": {"1.33.5", "1.34.1"}, "v1.10.7": {"1.32.9", "1.33.5"}},
		Machines:           map[string]MachineFacts{},
	}
	for _, id := range []string{"cp1", "cp2", "cp3"} {
		disks := []DiskFacts{cpSSD}
		if id == "cp1" {
			disks = []DiskFacts{usbKey, cpSSD, roDisk}
		}
		inv.Machines[id] = MachineFacts{ID: id, Hostname: "controlplane-" + id[2:], Connected: true, Disks: disks}
	}
	inv.Machines["w1"] = MachineFacts{ID: "w1", Hostname: "worker-1", Connected: true, Disks: []DiskFacts{usbKey, wSSD, wHDD1, wHDD2}}
	return inv
}

func goodPlan() Plan {
	p := New()
	p.ISO.TalosVersion = "1.11.5"
	p.Cluster.KubernetesVersion = "1.34.1"
	p.Machines = []Machine{
		{ID: "cp1", Role: RoleControlPlane, InstallDisk: cpSSD.Identity()},
		{ID: "cp2", Role: RoleControlPlane, InstallDisk: cpSSD.Identity()},
		{ID: "cp3", Role: RoleControlPlane, InstallDisk: cpSSD.Identity()},
		{ID: "w1", Role: RoleWorker, InstallDisk: wSSD.Identity(), PoolDisks: []Disk{wHDD1.Identity(), wHDD2.Identity()}},
	}
	return p.WithDefaults()
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name   string
		mut    func(*Plan)
		noInv  bool
		path   string // "" = valid
		substr string
	}{
		{name: "the platform's plan is valid"},
		{name: "valid without an inventory", noInv: true},
		{name: "USB install disk refused", mut: func(p *Plan) { p.Machines[0].InstallDisk = usbKey.Identity() },
			path: "machines[0].installDisk", substr: "USB disk"},
		{name: "read-only install disk refused", mut: func(p *Plan) { p.Machines[0].InstallDisk = roDisk.Identity() },
			path: "machines[0].installDisk", substr: "read-only"},
		{name: "pool disk equal to the install disk refused", mut: func(p *Plan) {
			p.Machines[3].PoolDisks = []Disk{wSSD.Identity()}
		}, path: "machines[3].poolDisks[0]", substr: "is the install disk"},
		{name: "pool disk equal to the install disk refused offline", noInv: true, mut: func(p *Plan) {
			p.Machines[3].PoolDisks = []Disk{{Serial: wSSD.Serial}}
		}, path: "machines[3].poolDisks[0]", substr: "is the install disk"},
		{name: "pool disk listed twice", mut: func(p *Plan) { p.Machines[3].PoolDisks = []Disk{wHDD1.Identity(), wHDD1.Identity()} },
			path: "machines[3].poolDisks[1]", substr: "twice"},
		{name: "pool disks on a control plane", mut: func(p *Plan) { p.Machines[0].PoolDisks = []Disk{roDisk.Identity()} },
			path: "machines[0].poolDisks", substr: "for workers"},
		{name: "USB pool disk refused", mut: func(p *Plan) { p.Machines[3].PoolDisks = []Disk{usbKey.Identity()} },
			path: "machines[3].poolDisks[0]", substr: "cannot be a pool disk: USB disk"},
		{name: "pool disk not on the machine", mut: func(p *Plan) { p.Machines[3].PoolDisks = []Disk{{WWID: "naa.1"}} },
			path: "machines[3].poolDisks[0]", substr: "no disk wwid naa.1 on worker-1"},
		{name: "two control planes", mut: func(p *Plan) { p.Machines[2].Role = RoleWorker },
			path: "machines", substr: "2 control plane(s) chosen; the platform runs 3"},
		{name: "four control planes", mut: func(p *Plan) { p.Machines[3].Role = RoleControlPlane; p.Machines[3].PoolDisks = nil },
			path: "machines", substr: "4 control plane(s)"},
		{name: "no machines", mut: func(p *Plan) { p.Machines = nil }, path: "machines", substr: "no machine chosen"},
		{name: "unknown role", mut: func(p *Plan) { p.Machines[3].Role = "master" }, path: "machines[3].role", substr: `"master"`},
		{name: "machine listed twice", mut: func(p *Plan) { p.Machines[1].ID = "cp1" }, path: "machines[1].id", substr: "twice"},
		{name: "machine not connected", mut: func(p *Plan) { p.Machines[3].ID = "w9" }, path: "machines[3].id", substr: "not connected"},
		{name: "install disk missing", mut: func(p *Plan) { p.Machines[1].InstallDisk = Disk{} },
			path: "machines[1].installDisk", substr: "required"},
		{name: "install disk not on the machine", mut: func(p *Plan) { p.Machines[1].InstallDisk = Disk{Serial: "NOPE"} },
			path: "machines[1].installDisk", substr: "no disk serial NOPE on controlplane-2"},
		{name: "unknown Talos version", mut: func(p *Plan) { p.ISO.TalosVersion = "1.99.0"; p.Cluster.TalosVersion = "1.99.0" },
			path: "iso.talosVersion", substr: "not offered by this Omni (offered: 1.10.7, 1.11.5)"},
		{name: "malformed Talos version", mut: func(p *Plan) { p.ISO.TalosVersion = "latest" },
			path: "iso.talosVersion", substr: "not a version"},
		{name: "Talos version missing", mut: func(p *Plan) { p.ISO.TalosVersion = ""; p.Cluster.TalosVersion = "" },
			path: "iso.talosVersion", substr: "required (e.g. 1.11.5)"},
		{name: "Kubernetes unsupported by that Talos", mut: func(p *Plan) { p.Cluster.KubernetesVersion = "1.30.0" },
			path: "cluster.kubernetesVersion", substr: "not supported by Talos 1.11.5"},
		{name: "Kubernetes missing", mut: func(p *Plan) { p.Cluster.KubernetesVersion = "" },
			path: "cluster.kubernetesVersion", substr: "required"},
		{name: "v-prefixed versions are the same versions", mut: func(p *Plan) {
			p.ISO.TalosVersion, p.Cluster.TalosVersion, p.Cluster.KubernetesVersion = "v1.11.5", "v1.11.5", "v1.34.1"
		}},
		{name: "bad architecture", mut: func(p *Plan) { p.ISO.Arch = "x86" }, path: "iso.arch", substr: "amd64 or arm64"},
		{name: "kernel arg with a space", mut: func(p *Plan) { p.ISO.KernelArgs = []string{"console=tty0 quiet"} },
			path: "iso.kernelArgs[0]", substr: "without spaces"},
		{name: "bad cluster name", mut: func(p *Plan) { p.Cluster.Name = "Cedille_Cluster" }, path: "cluster.name", substr: "lowercase"},
		{name: "encryption without a reason", mut: func(p *Plan) { p.Cluster.Encryption = true },
			path: "cluster.encryptionReason", substr: "never unlocked"},
		{name: "encryption with a reason", mut: func(p *Plan) {
			p.Cluster.Encryption, p.Cluster.EncryptionReason = true, "stolen-disk threat model; TPM tested"
		}},
		{name: "too few huge pages for Mayastor", mut: func(p *Plan) { p.Cluster.HugePages = 512 },
			path: "cluster.hugePages", substr: "at least 1024"},
		{name: "schema version", mut: func(p *Plan) { p.Version = 2 }, path: "version", substr: "not supported"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := goodPlan()
			if c.mut != nil {
				c.mut(&p)
			}
			inv := inventory()
			if c.noInv {
				inv = nil
			}
			ps := p.Validate(inv)
			if c.path == "" {
				if len(ps) > 0 {
					t.Fatalf("unexpected problems:\n%v", ps)
				}
				return
			}
			for _, pr := range ps {
				if pr.Path == c.path && strings.Contains(pr.Message, c.substr) {
					return
				}
			}
			t.Fatalf("want a problem at %s containing %q, got:\n%v", c.path, c.substr, ps)
		})
	}
}

func TestDiskRules(t *testing.T) {
	cases := []struct {
		name           string
		d              DiskFacts
		install, pool  string // "" = allowed, else a fragment of the refusal
		byID           string
		removableMedia bool
	}{
		{name: "SATA SSD with an NAA WWID", d: cpSSD, pool: "", byID: "/dev/disk/by-id/wwn-0x5002538e40a1c3f7"},
		{name: "pool HDD with a truncated model: the WWN path does not need it", d: wHDD1,
			byID: "/dev/disk/by-id/wwn-0x50014ee2b6a1f3c2"},
		{name: "USB key", d: usbKey, install: "USB disk", pool: "USB disk",
			byID: "/dev/disk/by-id/usb-SanDisk_Cruzer_Blade_4C531001-0:0", removableMedia: true},
		{name: "USB by bus path only", d: DiskFacts{Serial: "X", BusPath: "/pci0000:00/usb1/1-1", Size: 64e9},
			install: "USB disk", pool: "USB disk", byID: "/dev/disk/by-id/ata-_X", removableMedia: true},
		{name: "read-only", d: roDisk, install: "read-only", pool: "read-only", byID: "/dev/disk/by-id/ata-Virtual_CD_RO-1"},
		{name: "SD card", d: DiskFacts{Serial: "SD1", Type: "SD", Transport: "mmc", Size: 32e9}, install: "removable media",
			pool: "removable media", byID: "/dev/disk/by-id/scsi-_SD1", removableMedia: true},
		{name: "no identity", d: DiskFacts{LinuxName: "/dev/sdz", Size: 100e9, Transport: "sata"},
			install: "no serial or WWID", pool: "no serial or WWID"},
		{name: "too small to install on", d: DiskFacts{Serial: "S", Size: 8e9, Transport: "sata", Model: "Tiny"},
			install: "too small: 7.5 GiB, Talos needs at least 9.3 GiB", byID: "/dev/disk/by-id/ata-Tiny_S"},
		{name: "NVMe with an EUI", d: DiskFacts{Serial: "S5", WWID: "eui.0025388b71b21f4c", Transport: "nvme", Size: 1e12},
			byID: "/dev/disk/by-id/nvme-eui.0025388b71b21f4c"},
		{name: "NVMe with a vendor WWID", d: DiskFacts{Serial: "S5GX", WWID: "nvme.144d-5335", Model: "Samsung SSD 970 EVO",
			Transport: "nvme", Size: 1e12}, byID: "/dev/disk/by-id/nvme-Samsung_SSD_970_EVO_S5GX"},
		{name: "virtio", d: DiskFacts{Serial: "drive-scsi0", Transport: "virtio", Size: 40e9}, byID: "/dev/disk/by-id/virtio-drive-scsi0"},
		{name: "system disk: fine to reinstall on, not a pool", d: DiskFacts{Serial: "SYS", Transport: "sata", Size: 250e9, System: true, Model: "M"},
			pool: "Talos is installed", byID: "/dev/disk/by-id/ata-M_SYS"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			check := func(what, got, want string) {
				t.Helper()
				if (want == "") != (got == "") || !strings.Contains(got, want) {
					t.Errorf("%s refusal = %q, want %q", what, got, want)
				}
			}
			check("install", InstallRefusal(c.d), c.install)
			check("pool", PoolRefusal(c.d, Disk{Serial: "OTHER"}), c.pool)
			if got := ByIDPath(c.d); got != c.byID {
				t.Errorf("ByIDPath = %q, want %q", got, c.byID)
			}
			if got := c.d.Removable(); got != c.removableMedia {
				t.Errorf("Removable = %v, want %v", got, c.removableMedia)
			}
		})
	}
	if why := PoolRefusal(wHDD1, wHDD1.Identity()); !strings.Contains(why, "install disk") {
		t.Errorf("pool refusal of the install disk = %q", why)
	}
}

func TestParseAnswers(t *testing.T) {
	const good = `version: 1
iso:
  talosVersion: 1.11.5
cluster:
  kubernetesVersion: 1.34.1
machines:
  - id: cp1
    role: controlplane
    installDisk: {wwid: naa.5002538e40a1c3f7}
  - id: cp2
    role: controlplane
    installDisk: {serial: S3YHNX0M4128}
  - id: cp3
    role: controlplane
    installDisk: {serial: S3YHNX0M4128}
  - id: w1
    role: worker
    installDisk: {serial: S3Z2NB0KB473}
    poolDisks:
      - {serial: WD-WCC4N5DAHR67}
`
	p, lines, err := ParseAnswers("answers.yaml", []byte(good))
	if err != nil {
		t.Fatalf("good answers refused: %v", err)
	}
	if p.Cluster.Name != DefaultClusterName || p.ISO.Arch != "amd64" || p.Cluster.TalosVersion != "1.11.5" || p.Cluster.HugePages != 1024 {
		t.Errorf("defaults not filled: %+v", p)
	}
	if ps := p.Validate(inventory()); len(ps) > 0 {
		t.Errorf("good answers invalid against the inventory: %v", ps)
	}
	if got := lines.Line("machines[3].poolDisks[0]"); got != 20 {
		t.Errorf("line of machines[3].poolDisks[0] = %d, want 20", got)
	}
	if got := lines.Line("machines[1].installDisk.serial"); got != 12 {
		t.Errorf("line of machines[1].installDisk.serial = %d, want 12", got)
	}
	if got := lines.Line("cluster.name"); got != 4 {
		t.Errorf("an absent field points at its parent: line %d, want 4", got)
	}

	cases := []struct {
		name, data string
		want       []string // fragments of the error, each must appear
	}{
		{"unknown field", strings.Replace(good, "installDisk: {serial: S3Z2NB0KB473}", "instalDisk: {serial: S3Z2NB0KB473}", 1),
			[]string{"answers.yaml:18:", `unknown field "instalDisk" in machine`}},
		{"wrong type", strings.Replace(good, "talosVersion: 1.11.5", "talosVersion: [1.11.5]", 1),
			[]string{"answers.yaml:3:", "a list where a string is expected"}},
		{"syntax", "iso:\n  talosVersion: 1.11.5\n bad indent: x\n", []string{"answers.yaml:3:", "did not find expected key"}},
		{"empty", "", []string{"empty answers file"}},
		{"validation mapped to its line", strings.Replace(good, "role: worker", "role: master", 1),
			[]string{"answers.yaml:17: machines[3].role:", `"master"`, "answers.yaml:6: machines:", "no worker"}},
		{"two control planes named with their line", strings.Replace(good, "  - id: cp3\n    role: controlplane", "  - id: cp3\n    role: worker", 1),
			[]string{"machines: 2 control plane(s) chosen"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := ParseAnswers("answers.yaml", []byte(c.data))
			if err == nil {
				t.Fatal("accepted")
			}
			var ae AnswersErrors
			if !errors.As(err, &ae) {
				t.Fatalf("error %T is not AnswersErrors: %v", err, err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	p := goodPlan()
	b, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, _, err := ParseAnswers("state", b)
	if err != nil {
		t.Fatalf("a marshalled plan does not parse back: %v\n%s", err, b)
	}
	if len(back.Machines) != 4 || back.Machines[3].PoolDisks[1].ByID != "/dev/disk/by-id/wwn-0x50014ee20c7d52e9" {
		t.Errorf("round trip lost data:\n%s", b)
	}
}

func TestWiped(t *testing.T) {
	w := goodPlan().Wiped()
	if len(w) != 4 || len(w[0].Disks) != 1 || len(w[3].Disks) != 3 || w[3].Disks[2].Use != "Mayastor pool disk" {
		t.Fatalf("wiped = %+v", w)
	}
}

func TestMerge(t *testing.T) {
	saved := goodPlan()
	saved.ISO.SchematicID, saved.ISO.File, saved.ISO.SHA256, saved.ISO.Built = "abc", "/isos/x.iso", "ff", saved.ISO.Choices()
	saved.Cluster.Kubeconfig = "/home/op/.config/cedille-tui/cedille-cluster.kubeconfig"
	saved.Machines[3].Hostname = "worker-1"

	answers := goodPlan()
	for i := range answers.Machines { // an answers file names disks by serial only
		answers.Machines[i].InstallDisk = Disk{Serial: answers.Machines[i].InstallDisk.Serial}
	}
	answers.Machines[3].PoolDisks = []Disk{{Serial: wHDD2.Serial}}

	got := Merge(answers, saved)
	if got.ISO.SchematicID != "abc" || got.Cluster.Kubeconfig != saved.Cluster.Kubeconfig {
		t.Errorf("learned ISO/kubeconfig lost: %+v %+v", got.ISO, got.Cluster)
	}
	if d := got.Machines[0].InstallDisk; d.ByID != cpSSD.Identity().ByID || d.WWID != cpSSD.WWID {
		t.Errorf("install disk not completed from the saved plan: %+v", d)
	}
	if len(got.Machines[3].PoolDisks) != 1 || got.Machines[3].PoolDisks[0].ByID != wHDD2.Identity().ByID {
		t.Errorf("the answers' pool disks must win, completed: %+v", got.Machines[3].PoolDisks)
	}
	if got.Machines[3].Hostname != "worker-1" {
		t.Errorf("hostname not kept")
	}

	answers.ISO.Extensions = []string{"siderolabs/iscsi-tools"}
	answers.Cluster.Name = "other"
	got = Merge(answers, saved)
	if got.ISO.SchematicID != "" || got.Cluster.Kubeconfig != "" {
		t.Errorf("changed choices must not keep the old ISO or another cluster's kubeconfig: %+v %+v", got.ISO, got.Cluster)
	}
	if saved.Machines[0].InstallDisk.ByID == "" || answers.Machines[0].InstallDisk.ByID != "" {
		t.Errorf("Merge modified its inputs")
	}
}

// exampleAnswers is assets/answers.example.yaml, parsed and judged as an answers file.
func exampleAnswers(t *testing.T) Plan {
	t.Helper()
	b, err := os.ReadFile("../../assets/answers.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := ParseAnswers("answers.example.yaml", b)
	if err != nil {
		t.Fatalf("the documented example does not parse:\n%v", err)
	}
	return p
}

func TestExampleAnswersFileIsValid(t *testing.T) {
	p := exampleAnswers(t)
	if len(p.ByRole(RoleControlPlane)) != 3 || len(p.ByRole(RoleWorker)) != 3 || p.Cluster.Encryption {
		t.Errorf("example plan: %+v", p)
	}
}

func TestProblemFilters(t *testing.T) {
	ps := Problems{
		{Path: "machines"}, {Path: "machines[1].id"}, {Path: "machines[2].role"},
		{Path: "machines[0].installDisk"}, {Path: "machines[3].poolDisks[1]"},
		{Path: "cluster.encryptionReason"}, {Path: "cluster.name"}, {Path: "iso.talosVersion"},
	}
	paths := func(ps Problems) string {
		s := make([]string, len(ps))
		for i, p := range ps {
			s[i] = p.Path
		}
		return strings.Join(s, " ")
	}
	if got := paths(ps.MachineChoice()); got != "machines machines[1].id machines[2].role" {
		t.Errorf("MachineChoice = %q", got)
	}
	if got := paths(ps.Disks()); got != "machines[0].installDisk machines[3].poolDisks[1] cluster.encryptionReason" {
		t.Errorf("Disks = %q", got)
	}
	if got := paths(ps.Only("iso", "cluster")); got != "cluster.encryptionReason cluster.name iso.talosVersion" {
		t.Errorf("Only = %q", got)
	}
}

func TestByIDLinks(t *testing.T) {
	cases := []struct {
		d    DiskFacts
		want []string
	}{
		{DiskFacts{Model: "WDC WD30EFRX-68EUZN0", Serial: "WD-WCC4N5DAHR67", WWID: "naa.50014ee2b6a1f3c2", Transport: "sata"},
			[]string{"/dev/disk/by-id/wwn-0x50014ee2b6a1f3c2", "/dev/disk/by-id/ata-WDC_WD30EFRX-68EUZN0_WD-WCC4N5DAHR67"}},
		{DiskFacts{Model: "SanDisk Cruzer Blade", Serial: "4C53", Transport: "usb"},
			[]string{"/dev/disk/by-id/usb-SanDisk_Cruzer_Blade_4C53-0:0"}},
		{DiskFacts{Model: "Samsung SSD 970", Serial: "S46", WWID: "eui.0025385b71b0aa12", Transport: "nvme"},
			[]string{"/dev/disk/by-id/nvme-eui.0025385b71b0aa12", "/dev/disk/by-id/nvme-Samsung_SSD_970_S46"}},
		{DiskFacts{LinuxName: "/dev/vda"}, nil},
	}
	for _, c := range cases {
		got := ByIDLinks(c.d)
		if strings.Join(got, " ") != strings.Join(c.want, " ") {
			t.Errorf("%+v: %v, want %v", c.d, got, c.want)
		}
		if want := ""; len(c.want) > 0 {
			want = c.want[0]
			if ByIDPath(c.d) != want {
				t.Errorf("ByIDPath(%+v) = %q, want the preferred link %q", c.d, ByIDPath(c.d), want)
			}
		} else if ByIDPath(c.d) != want {
			t.Errorf("ByIDPath of a disk without identity = %q", ByIDPath(c.d))
		}
	}
}

// TestDecodeAnswersDoesNotJudge: a file with only what the Vault steps read decodes (defaults filled);
// ParseAnswers judges the whole plan and refuses it; a syntax error is refused by both.
func TestDecodeAnswersDoesNotJudge(t *testing.T) {
	data := []byte("version: 1\ncluster: {kubeconfig: /k}\nvault: {shares: 3, threshold: 2}\n")
	p, _, err := DecodeAnswers("a.yaml", data)
	if err != nil || p.Vault.Shares != 3 || p.Cluster.Kubeconfig != "/k" || p.ISO.Arch != "amd64" {
		t.Fatalf("decode: %+v %v", p, err)
	}
	if _, _, err := ParseAnswers("a.yaml", data); err == nil || !strings.Contains(err.Error(), "machines") {
		t.Errorf("ParseAnswers must judge the whole plan: %v", err)
	}
	if _, _, err := DecodeAnswers("a.yaml", []byte("vault: {shares: three}\n")); err == nil || !strings.Contains(err.Error(), "a.yaml:1:") {
		t.Errorf("a wrong type: %v", err)
	}
}
