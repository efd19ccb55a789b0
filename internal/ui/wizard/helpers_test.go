package wizard

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/steps"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
	"github.com/siderolabs/omni/client/api/omni/specs"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
)

// at is the fixed clock of the tests.
var at = time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC)

const testTalos, testKube = "1.8.0", "1.31.1"

// testMachine is one of the era-1 machines (PLATFORM.md §2.1, §2.3; the demo's DemoMachines), freshly
// booted from the ISO.
type testMachine struct {
	id, host, cpu string
	cores, memMiB int
	nic, mac      string
	disks         []*specs.MachineStatusSpec_HardwareStatus_BlockDevice
}

func sataBus(port int) string {
	return fmt.Sprintf("/pci0000:00/0000:00:1f.2/ata%d/host%d/target%d:0:0/%d:0:0:0", port+1, port, port, port)
}

func disk(linux, model, serial, wwid string, size uint64, typ string, port int) *specs.MachineStatusSpec_HardwareStatus_BlockDevice {
	return &specs.MachineStatusSpec_HardwareStatus_BlockDevice{LinuxName: linux, Model: model, Serial: serial, Wwid: wwid,
		Size: size, Type: typ, Transport: "sata", BusPath: sataBus(port)}
}

// testMachines are the six era-1 machines: three control planes (controlplane-1 still has the
// installer's USB key, which enumerates as /dev/sda and pushes its SSD to /dev/sdb) and three workers
// with the two Mayastor HDDs each of PLATFORM.md §2.3.
func testMachines() []testMachine {
	const (
		xeonE3, xeonE5             = "Intel(R) Xeon(R) CPU E3-1230 v3 @ 3.30GHz", "Intel(R) Xeon(R) CPU E5-2620 v4 @ 2.10GHz"
		s250, s240, s500, s3T, s2T = 250059350016, 240057409536, 500107862016, 3000592982016, 2000398934016
	)
	usb := &specs.MachineStatusSpec_HardwareStatus_BlockDevice{LinuxName: "/dev/sda", Model: "SanDisk Cruzer Blade",
		Serial: "4C530001160823117352", Size: 16008609792, Type: "HDD", Transport: "usb",
		BusPath: "/pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host6/target6:0:0/6:0:0:0"}
	cp := func(n int, id, mac string, d *specs.MachineStatusSpec_HardwareStatus_BlockDevice) testMachine {
		return testMachine{id: id, host: fmt.Sprintf("controlplane-%d", n), cpu: xeonE3, cores: 4, memMiB: 16384,
			nic: "eno1", mac: mac, disks: []*specs.MachineStatusSpec_HardwareStatus_BlockDevice{d}}
	}
	w := func(n int, id, mac string, ds ...*specs.MachineStatusSpec_HardwareStatus_BlockDevice) testMachine {
		return testMachine{id: id, host: fmt.Sprintf("worker-%d", n), cpu: xeonE5, cores: 16, memMiB: 65536,
			nic: "eno1", mac: mac, disks: ds}
	}
	cp1 := cp(1, "4c4c4544-0031-4d10-8035-b4c04f4e3332", "d0:94:66:1a:3c:51",
		disk("/dev/sdb", "Samsung SSD 860 EVO 250GB", "S3YHNX0M412873K", "naa.5002538e40a1c3f7", s250, "SSD", 1))
	cp1.disks = append([]*specs.MachineStatusSpec_HardwareStatus_BlockDevice{usb}, cp1.disks...)
	return []testMachine{cp1,
		cp(2, "4c4c4544-0031-4d10-8036-b4c04f4e3332", "d0:94:66:1a:41:0e",
			disk("/dev/sda", "Samsung SSD 860 EVO 250GB", "S3YHNX0M412901B", "naa.5002538e40a1c412", s250, "SSD", 0)),
		cp(3, "4c4c4544-0031-4d10-8037-b4c04f4e3332", "d0:94:66:1a:2f:b8",
			disk("/dev/sda", "KINGSTON SA400S37240G", "50026B778320F1A4", "naa.50026b778320f1a4", s240, "SSD", 0)),
		w(1, "4c4c4544-0048-3610-8057-c3c04f395a32", "24:6e:96:0b:7c:40",
			disk("/dev/sda", "Samsung SSD 860 EVO 500GB", "S3Z2NB0KB47390M", "naa.5002538e4b2c91d0", s500, "SSD", 0),
			disk("/dev/sdb", "WDC WD30EFRX-68EUZN0", "WD-WCC4N5DAHR67", "naa.50014ee2b6a1f3c2", s3T, "HDD", 1),
			disk("/dev/sdc", "WDC WD30EFRX-68EUZN0", "WD-WCC4N7KEPLJ7", "naa.50014ee20c7d52e9", s3T, "HDD", 2)),
		w(2, "4c4c4544-0048-3610-8058-c3c04f395a32", "24:6e:96:0b:81:a4",
			disk("/dev/sda", "KINGSTON SA400S37240G", "50026B7683A2B9E1", "naa.50026b7683a2b9e1", s240, "SSD", 0),
			disk("/dev/sdb", "WDC WD30EFRX-68EUZN0", "WD-WCC4N5DAHTP3", "naa.50014ee2b6a20b17", s3T, "HDD", 1),
			disk("/dev/sdc", "WDC WD30EFRX-68EUZN0", "WD-WCC4N7KEPKF7", "naa.50014ee20c7d4a31", s3T, "HDD", 2)),
		w(3, "4c4c4544-0048-3610-8059-c3c04f395a32", "24:6e:96:0b:95:1c",
			disk("/dev/sda", "Samsung SSD 860 EVO 500GB", "S3Z2NB0KB47415T", "naa.5002538e4b2c9a66", s500, "SSD", 0),
			disk("/dev/sdb", "ST2000VN004-2E4164", "Z5274QJ6", "naa.5000c500a3b7e2f1", s2T, "HDD", 1),
			disk("/dev/sdc", "WDC WD2004FBYZ-01YCBB1", "WD-WMC6N0D6KXX4", "naa.50014ee0aeb5c7d8", s2T, "HDD", 2)),
	}
}

// machineStatuses are the test machines as Omni reports them: connected, in maintenance mode (booted
// from the ISO, Talos not installed), in no cluster.
func machineStatuses() []*omni.MachineStatus {
	var out []*omni.MachineStatus
	for _, m := range testMachines() {
		ms := omni.NewMachineStatus(m.id)
		ms.TypedSpec().Value = &specs.MachineStatusSpec{Connected: true, Maintenance: true,
			Hardware: &specs.MachineStatusSpec_HardwareStatus{Arch: "amd64", Blockdevices: m.disks,
				Processors:    []*specs.MachineStatusSpec_HardwareStatus_Processor{{CoreCount: uint32(m.cores), Description: m.cpu}},
				MemoryModules: []*specs.MachineStatusSpec_HardwareStatus_MemoryModule{{SizeMb: uint32(m.memMiB)}}},
			Network: &specs.MachineStatusSpec_NetworkStatus{Hostname: m.host,
				NetworkLinks: []*specs.MachineStatusSpec_NetworkStatus_NetworkLinkStatus{
					{LinuxName: m.nic, HardwareAddress: m.mac, SpeedMbps: 1000, LinkUp: true}}}}
		out = append(out, ms)
	}
	return out
}

func talosVersions() []*omni.TalosVersion {
	var out []*omni.TalosVersion
	for v, ks := range map[string][]string{"1.7.6": {"1.29.3", "1.30.3"}, testTalos: {"1.30.0", testKube}} {
		tv := omni.NewTalosVersion(v)
		tv.TypedSpec().Value = &specs.TalosVersionSpec{Version: v, CompatibleKubernetesVersions: ks}
		out = append(out, tv)
	}
	return out
}

// testInventory is what LoadInventory reads from an Omni holding the demo's machines.
func testInventory() *plan.Inventory {
	inv := steps.InventoryFrom(machineStatuses(), talosVersions())
	return &inv
}

// demoID is a test machine's Omni ID by hostname.
func demoID(t testing.TB, host string) string {
	t.Helper()
	for _, m := range testMachines() {
		if m.host == host {
			return m.id
		}
	}
	t.Fatalf("no test machine %s", host)
	return ""
}

// fakeStep is a test double: canned Check and Run over the plan, no I/O.
type fakeStep struct {
	id    steps.ID
	title string
	holds func(p plan.Plan) (bool, string)
	run   func(ctx context.Context, e *steps.Env, p *plan.Plan, emit func(steps.Event)) error
	// result is what a run that succeeded did, as the real step's would say it; nil says nothing.
	result func(e *steps.Env, p plan.Plan) steps.Result
	runs   *int
}

func (f fakeStep) ID() steps.ID                { return f.id }
func (f fakeStep) Title() string               { return f.title }
func (f fakeStep) Fields() []string            { return nil }
func (f fakeStep) Describe(plan.Plan) []string { return []string{"fake " + string(f.id)} }
func (f fakeStep) Check(_ context.Context, _ *steps.Env, p plan.Plan) (steps.Outcome, error) {
	ok, d := f.holds(p)
	return steps.Outcome{Holds: ok, Detail: d}, nil
}
func (f fakeStep) Run(ctx context.Context, e *steps.Env, p *plan.Plan, emit func(steps.Event)) (steps.Result, error) {
	if f.runs != nil {
		*f.runs++
	}
	if f.run != nil {
		if err := f.run(ctx, e, p, emit); err != nil {
			return steps.Result{}, err
		}
	}
	if f.result == nil {
		return steps.Result{}, nil
	}
	return f.result(e, *p), nil
}

// fakeSteps are the five install steps as doubles whose Checks read the plan the way the real ones do
// (against testInventory), and whose Runs fill what the real ones learn.
func fakeSteps(inv *plan.Inventory) []steps.Step {
	valid := func(p plan.Plan, filter func(plan.Problems) plan.Problems) (bool, string) {
		if ps := filter(p.Validate(inv)); len(ps) > 0 {
			return false, ps[0].String()
		}
		return true, "ok"
	}
	return []steps.Step{
		fakeStep{id: steps.Preflight, title: "Preflight",
			holds: func(p plan.Plan) (bool, string) {
				return valid(p, func(ps plan.Problems) plan.Problems { return ps.Only("iso.talosVersion", "cluster.kubernetesVersion") })
			},
			run: func(_ context.Context, _ *steps.Env, p *plan.Plan, emit func(steps.Event)) error {
				emit(steps.Event{Message: "Omni grpc://omni.test reachable, service-account key accepted"})
				emit(steps.Event{Message: "Talos versions offered: 1.7.6, " + testTalos})
				emit(steps.Event{Message: "image factory: https://factory.test"})
				if p.ISO.TalosVersion == "" {
					p.ISO.TalosVersion = testTalos
				}
				if p.Cluster.KubernetesVersion == "" {
					p.Cluster.KubernetesVersion = testKube
				}
				return nil
			}},
		fakeStep{id: steps.ISO, title: "Talos ISO",
			holds: func(p plan.Plan) (bool, string) {
				if p.ISO.File == "" || p.ISO.Built != p.ISO.Choices() {
					return false, "not downloaded yet"
				}
				return true, p.ISO.File
			},
			run: func(_ context.Context, _ *steps.Env, p *plan.Plan, emit func(steps.Event)) error {
				for i := int64(0); i <= 4; i++ {
					emit(steps.Event{Done: i * 25, Total: 100, Unit: "B"})
				}
				p.ISO.File, p.ISO.SHA256, p.ISO.Built = "/isos/metal-amd64.iso", strings.Repeat("ab", 32), p.ISO.Choices()
				for _, l := range steps.USBInstructions(p.ISO.File) {
					emit(steps.Event{Message: l})
				}
				return nil
			},
			result: func(_ *steps.Env, p plan.Plan) steps.Result { return steps.ISOResult(p) }},
		fakeStep{id: steps.Machines, title: "Machines",
			holds: func(p plan.Plan) (bool, string) { return valid(p, plan.Problems.MachineChoice) }},
		fakeStep{id: steps.Disks, title: "Disks",
			holds: func(p plan.Plan) (bool, string) {
				if ok, d := valid(p, plan.Problems.Disks); !ok {
					return ok, d
				}
				for _, m := range p.Machines {
					if m.InstallDisk.ByID == "" {
						return false, "install disk path not recorded yet"
					}
				}
				return true, "every disk chosen"
			},
			run: func(_ context.Context, _ *steps.Env, p *plan.Plan, emit func(steps.Event)) error {
				resolved, items := steps.Resolve(*p, inv)
				*p = resolved
				emit(steps.Event{Items: items})
				return nil
			}},
		fakeStep{id: steps.Cluster, title: "Cluster",
			holds: func(p plan.Plan) (bool, string) {
				return p.Cluster.Kubeconfig != "", "kubeconfig " + p.Cluster.Kubeconfig
			},
			run: func(ctx context.Context, e *steps.Env, p *plan.Plan, emit func(steps.Event)) error {
				c := steps.Confirmation{Action: "create", Touches: steps.WipeLines(*p), Expect: p.Cluster.Name}
				if e.Confirm == nil {
					return steps.ErrNotConfirmed
				}
				if err := e.Confirm(ctx, c); err != nil {
					return err
				}
				emit(steps.Event{Items: []steps.Item{{Name: "controlplane-1", State: "running", OK: true, Detail: "ready"}},
					Done: 1, Total: 6, Unit: "machines"})
				p.Cluster.Kubeconfig = "/home/op/.config/cedille-tui/" + p.Cluster.Name + ".kubeconfig"
				emit(steps.Event{Message: "kubeconfig saved to " + p.Cluster.Kubeconfig})
				return nil
			},
			result: func(_ *steps.Env, p plan.Plan) steps.Result { return steps.ClusterResult(p) }},
	}
}

// newFake builds a wizard over the fake steps and the demo inventory, with its state in dir.
func newFake(t testing.TB, dir string, only map[steps.ID]bool) *Model {
	inv := testInventory()
	return New(Options{Steps: fakeSteps(inv), Env: &steps.Env{}, Store: steps.NewStore(dir), Only: only,
		Theme: theme.New(false, true), Endpoint: "grpc://omni.test",
		Inventory: func(context.Context) (*plan.Inventory, error) { return testInventory(), nil },
		Refresh:   time.Second, Now: func() time.Time { return at }})
}

// savedPlan is a plan filled up to (and including) a step, as the wizard would have left it.
func savedPlan(t testing.TB, upTo steps.ID) steps.Saved {
	t.Helper()
	p := plan.New()
	p.ISO.TalosVersion, p.Cluster.KubernetesVersion = testTalos, testKube
	p = p.WithDefaults()
	if upTo == steps.Preflight {
		return steps.Saved{Plan: p}
	}
	p.ISO.File, p.ISO.SHA256 = "/isos/metal-amd64.iso", strings.Repeat("ab", 32)
	p.ISO.Built = p.ISO.Choices()
	if upTo == steps.ISO {
		return steps.Saved{Plan: p}
	}
	inv := testInventory()
	for _, h := range []string{"controlplane-1", "controlplane-2", "controlplane-3", "worker-1", "worker-2", "worker-3"} {
		role := plan.RoleControlPlane
		if strings.HasPrefix(h, "worker") {
			role = plan.RoleWorker
		}
		p.Machines = append(p.Machines, plan.Machine{ID: demoID(t, h), Hostname: h, Role: role})
	}
	if upTo == steps.Machines {
		return steps.Saved{Plan: p}
	}
	for i, m := range p.Machines {
		f := inv.Machines[m.ID]
		for _, d := range f.Disks {
			switch {
			case plan.InstallRefusal(d) != "":
			case m.InstallDisk.Empty() && d.Type == "SSD":
				p.Machines[i].InstallDisk = d.Identity()
			case m.Role == plan.RoleWorker && d.Type == "HDD":
				p.Machines[i].PoolDisks = append(p.Machines[i].PoolDisks, d.Identity())
			}
		}
	}
	return steps.Saved{Plan: p}
}

// resumed starts the fake wizard, on a w×h terminal, over a saved install whose steps up to upTo hold;
// dir is its state directory.
func resumed(t testing.TB, upTo steps.ID, w, h int) (d *driver, dir string) {
	t.Helper()
	dir = t.TempDir()
	save(t, dir, savedPlan(t, upTo))
	return newDriver(t, newFake(t, dir, nil), w, h), dir
}

func save(t testing.TB, dir string, sv steps.Saved) {
	t.Helper()
	if err := steps.NewStore(dir).Save(sv); err != nil {
		t.Fatal(err)
	}
}

// loadWhen reads the saved install until ok holds (saves run in the background), at most 5 s; it returns
// the last reading either way.
func loadWhen(t testing.TB, dir string, ok func(steps.Saved) bool) steps.Saved {
	t.Helper()
	end := time.Now().Add(5 * time.Second)
	for {
		sv := load(t, dir)
		if ok(sv) || time.Now().After(end) {
			return sv
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func load(t testing.TB, dir string) steps.Saved {
	t.Helper()
	sv, found, err := steps.NewStore(dir).Load()
	if err != nil || !found {
		t.Fatalf("load: found=%v err=%v", found, err)
	}
	return sv
}
