package wizard

import (
	"context"
	"flag"
	"fmt"
	"regexp"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/steps"
)

var _ = flag.Bool // goldens: go test ./internal/ui/wizard/ -update (golden's flag)

// TestResumeAtFirstNotDone: a saved install whose preflight and ISO hold opens at the machines step,
// the first two marked done.
func TestResumeAtFirstNotDone(t *testing.T) {
	d, dir := resumed(t, steps.ISO, 80, 24)
	scr := d.shows("step 3/5 · Machines", "Machines connected to Omni", "controlplane-1", "control planes 0/3, workers 0")
	assertFits(t, d.m.Render(), 80, 24)
	lines := strings.Split(scr, "\n")
	if !strings.Contains(lines[2], "✔ Preflight") || !strings.Contains(lines[3], "✔ Talos ISO") ||
		!strings.Contains(lines[4], "· Machines") || !strings.Contains(lines[6], "· Cluster") {
		t.Errorf("the step list must show preflight and ISO done, the rest pending:\n%s", scr)
	}

	// --only disks: the others are skipped, the wizard opens the disks step.
	dir = t.TempDir()
	save(t, dir, savedPlan(t, steps.Machines))
	d = newDriver(t, newFake(t, dir, map[steps.ID]bool{steps.Disks: true}), 80, 24)
	scr = d.shows("step 4/5 · Disks", "Disks of controlplane-1")
	if !strings.Contains(scr, "– Preflight") || !strings.Contains(scr, "– Cluster") {
		t.Errorf("steps not in --only must show as skipped (–):\n%s", scr)
	}
}

// TestFreshInstallProbesThenOpensTheISOForm: with nothing saved, the preflight runs at once and shows
// its probe results and the terminal's size; enter goes on to the ISO form, newest Talos preselected.
func TestFreshInstallProbesThenOpensTheISOForm(t *testing.T) {
	dir := t.TempDir()
	d := newDriver(t, newFake(t, dir, nil), 80, 24)
	d.shows("Preflight ✔ done", "reachable, service-account key accepted", "Talos versions offered", "image factory",
		"terminal 80×24")
	d.key("enter")
	scr := d.shows("step 2/5 · Talos ISO", "Talos version", "> 1.8.0", "1.7.6")
	if !strings.Contains(scr, "✔ Preflight") {
		t.Errorf("preflight must be done:\n%s", scr)
	}
	// Through the three pages with the defaults; the run shows the progress, the digest and the USB steps.
	d.keys("enter", "enter") // version, architecture
	d.shows("System extensions")
	d.keys("enter", "enter") // extensions, others
	d.shows("Extra kernel arguments")
	d.keys("enter", "enter", "enter")
	d.shows("Talos ISO ✔ done", "SHA-256 "+strings.Repeat("ab", 16), strings.Repeat("ab", 16),
		"cd /isos && sha256sum -c metal-amd64.iso.sha256", "cd /isos &&", "sudo dd if=metal-amd64.iso of="+steps.KeyPlaceholder)
	sv := load(t, dir)
	if sv.Plan.ISO.TalosVersion != testTalos || sv.Plan.ISO.Arch != "amd64" || sv.Plan.ISO.SHA256 == "" ||
		sv.Steps[steps.ISO].State != steps.Done {
		t.Errorf("the ISO choices and result must be saved: %+v %+v", sv.Plan.ISO, sv.Steps)
	}
	d.key("enter")
	d.shows("step 3/5 · Machines")
}

// TestMachinesTableMakesThreeAndThree drives the machines table: c, w and space choose, the status line
// counts, the problems say what is missing, and enter runs the step only once the choice is valid.
func TestMachinesTableMakesThreeAndThree(t *testing.T) {
	d, dir := resumed(t, steps.ISO, 80, 24)
	d.shows("Machines connected to Omni", "6 connected", "control planes 0/3, workers 0", "machines: no machine chosen")

	d.key("enter")
	d.shows("not yet: no machine chosen")
	// The table is sorted by hostname: controlplane-1..3, worker-1..3.
	d.keys("c", "j", "c", "j", "w")
	scr := d.shows("control planes 2/3, workers 1", "2 control plane(s) chosen")
	for _, row := range []string{`control plane +controlplane-1 `, `control plane +controlplane-2 `, `worker +controlplane-3 `} {
		if !regexp.MustCompile(row).MatchString(scr) {
			t.Errorf("the role column must show the choice in words, the hostname whole (%s):\n%s", row, scr)
		}
	}
	d.key("enter")
	d.shows("not yet: 2 control plane(s) chosen")
	d.keys("c", "j", "w", "j", "w", "j", "w")
	d.shows("✔ control planes 3/3, workers 3")
	// space takes one out again; x too.
	d.key("space")
	d.shows("control planes 3/3, workers 2")
	d.key("w")
	d.shows("control planes 3/3, workers 3")
	// Saves run in the background: the file follows the screen shortly.
	sv := loadWhen(t, dir, func(sv steps.Saved) bool {
		return len(sv.Plan.ByRole(plan.RoleControlPlane)) == 3 && len(sv.Plan.ByRole(plan.RoleWorker)) == 3
	})
	if n := len(sv.Plan.ByRole(plan.RoleControlPlane)); n != 3 || len(sv.Plan.ByRole(plan.RoleWorker)) != 3 {
		t.Fatalf("every choice is saved: %+v", sv.Plan.Machines)
	}
	if sv.Plan.Machines[0].Hostname != "controlplane-1" || sv.Plan.Machines[5].Hostname != "worker-3" {
		t.Errorf("control planes first, then workers, by hostname: %+v", sv.Plan.Machines)
	}
	d.key("enter")
	d.shows("step 4/5 · Disks", "✔ Machines", "Disks of controlplane-1")
}

// TestDiskPickerRefusesTheUSBKey: the USB key left in controlplane-1 is dimmed, refused with its
// reason, and the install disk is shown by its by-id path once chosen.
func TestDiskPickerRefusesTheUSBKey(t *testing.T) {
	d, dir := resumed(t, steps.Machines, 80, 24)
	scr := d.shows("Disks of controlplane-1", "sda", "SanDisk Cruzer", "removable", "sdb", "Samsung SSD")
	if !strings.Contains(scr, "none chosen") {
		t.Errorf("no install disk yet:\n%s", scr)
	}
	d.key("i") // the cursor is on sda, the USB key
	d.shows("sda cannot be the install disk: USB disk: removable (the", "installer's key?); its removal renames the other disks")
	d.keys("j", "i")
	d.shows("install disk  /dev/disk/by-id/wwn-0x5002538e40a1c3f7 (now sdb)", "install sdb")
	sv := loadWhen(t, dir, func(sv steps.Saved) bool { return sv.Plan.Machines[0].InstallDisk.ByID != "" })
	if got := sv.Plan.Machines[0].InstallDisk; got.ByID != "/dev/disk/by-id/wwn-0x5002538e40a1c3f7" || got.WWID == "" {
		t.Errorf("install disk saved as %+v", got)
	}
	// Back on the key: still refused, whatever is chosen; the chosen disk stays.
	d.keys("k", "i")
	d.shows("install disk  /dev/disk/by-id/wwn-0x5002538e40a1c3f7 (now sdb)", "✖ not an install disk: USB disk",
		"sda cannot be the install disk")
	assertFits(t, d.m.Render(), 80, 24)
	golden.RequireEqual(t, []byte(d.m.Render()))
}

// TestPoolToggleRefusesTheInstallDisk: on a worker, p on the install disk is refused with the reason; p
// on an HDD makes it a pool disk, p again takes it back.
func TestPoolToggleRefusesTheInstallDisk(t *testing.T) {
	d, _ := resumed(t, steps.Machines, 80, 24)
	d.shows("Disks of controlplane-1")
	d.key("p")
	d.shows("controlplane-1 is a control plane: pool disks are for workers")
	d.keys("tab", "tab", "tab")
	d.shows("Disks of worker-1 (worker) · machine 4/6")
	d.key("i") // sda, the SSD
	d.shows("install disk  /dev/disk/by-id/wwn-0x5002538e4b2c91d0")
	d.key("p")
	d.shows("sda cannot be a pool disk: it is the install disk")
	d.keys("j", "p")
	d.shows("sdb is a Mayastor pool disk", "pool disks    1 disk for Mayastor")
	d.keys("j", "p")
	d.shows("pool disks    2 disks for Mayastor")
	d.key("p")
	d.shows("sdc is no longer a pool disk", "pool disks    1 disk")
	d.key("shift+tab")
	d.shows("Disks of controlplane-3")
	d.key("right")
	d.shows("Disks of worker-1")
}

// TestEncryptionOffByDefault: e asks for the reason; an empty one is refused, esc leaves it off.
func TestEncryptionOffByDefault(t *testing.T) {
	d, dir := resumed(t, steps.Machines, 100, 30)
	d.shows("encryption off: on this platform system-disk encryption never unlocked")
	d.key("e")
	d.shows("Turn disk encryption on?", "why is it wanted?")
	d.key("enter")
	d.shows("say why encryption is wanted")
	d.typed("TPM tested on one node")
	d.key("enter")
	d.shows("encryption ON (e turns it off), because: TPM tested on one node")
	if sv := load(t, dir); !sv.Plan.Cluster.Encryption || sv.Plan.Cluster.EncryptionReason != "TPM tested on one node" {
		t.Errorf("encryption saved as %+v", sv.Plan.Cluster)
	}
	d.key("e")
	d.shows("disk encryption off")
}

// TestReviewConfirmsByTypedName: the cluster form, then the review listing every wiped disk by by-id
// path; a wrong name is refused, the right one runs the step, whose Confirm holds.
func TestReviewConfirmsByTypedName(t *testing.T) {
	d, _ := resumed(t, steps.Disks, 80, 24)
	d.shows("step 5/5 · Cluster", "Cluster name", "> cedille-cluster", "Kubernetes version", "1.31.1")
	d.keys("enter", "enter")
	scr := d.shows("Review: create cluster cedille-cluster", "These 12 disks will be WIPED (6 machines)",
		"controlplane-1  /dev/disk/by-id/wwn-0x5002538e40a1c3f7  install",
		"worker-3", "/dev/disk/by-id/wwn-0x50014ee0aeb5c7d8  pool", "Type the cluster name to confirm")
	if strings.Contains(scr, "/dev/sd") {
		t.Errorf("the review names disks by by-id path only:\n%s", scr)
	}
	d.typed("cedille")
	d.key("enter")
	d.shows(`"cedille" is not the cluster name: nothing was wiped`)
	assertFits(t, d.m.Render(), 80, 24)
	golden.RequireEqual(t, []byte(d.m.Render()))
	if d.m.st[4].state == steps.Running || d.m.st[4].ran {
		t.Fatal("a wrong name must not run the step")
	}
	d.typed("-cluster")
	d.key("enter")
	d.shows("Cluster ✔ done", "/home/op/.config/cedille-tui/cedille-cluster.kubeconfig",
		"press enter to open the console", "controlplane-1  running  ready")
	d.key("enter")
	d.waitQuit()
	if r := d.m.Result(); !r.Finished || r.Kubeconfig != "/home/op/.config/cedille-tui/cedille-cluster.kubeconfig" {
		t.Errorf("result = %+v", r)
	}
}

// TestQuitMidwayThenResume: q after choosing some machines; a new wizard on the same state resumes at
// the machines step with the choices kept. q while a step runs asks first.
func TestQuitMidwayThenResume(t *testing.T) {
	d, dir := resumed(t, steps.ISO, 80, 24)
	d.shows("Machines connected to Omni")
	d.keys("c", "j", "c")
	d.shows("control planes 2/3")
	d.key("q")
	d.waitQuit()

	d = newDriver(t, newFake(t, dir, nil), 80, 24)
	d.shows("step 3/5 · Machines", "control planes 2/3, workers 0")
}

// TestQuitWhileRunningAsks: q during a run asks; n stays, y stops the step, which is saved as failed
// (it resumes next time).
func TestQuitWhileRunningAsks(t *testing.T) {
	dir := t.TempDir()
	save(t, dir, savedPlan(t, steps.ISO))
	m := newFake(t, dir, nil)
	m.o.Steps[2] = blockingStep{fakeStep: m.o.Steps[2].(fakeStep)}
	d := newDriver(t, m, 80, 24)
	d.shows("Machines connected to Omni")
	d.keys("c", "j", "c", "j", "c", "j", "w")
	d.press("enter")
	d.shows("Machines", "running", "waiting for the machines")
	d.press("q")
	d.shows("a step is running: quit anyway?")
	d.press("n")
	d.shows("Machines", "running")
	if strings.Contains(d.screen(), "quit anyway") {
		t.Fatal("n must keep the wizard")
	}
	d.press("q")
	d.press("y")
	d.waitQuit()
	sv := load(t, dir)
	if rec := sv.Steps[steps.Machines]; rec.State != steps.Failed || !strings.Contains(rec.Detail, "context canceled") {
		t.Errorf("the stopped step is saved as failed: %+v", rec)
	}
	if len(sv.Plan.Machines) != 4 {
		t.Errorf("the choices are kept: %+v", sv.Plan.Machines)
	}
	// The machines step's Check is the truth on resume: three control planes and a worker hold.
	d = newDriver(t, newFake(t, dir, nil), 80, 24)
	d.shows("step 4/5 · Disks", "✔ Machines", "machine 1/4")
}

// blockingStep runs until it is cancelled.
type blockingStep struct{ fakeStep }

func (b blockingStep) Run(ctx context.Context, _ *steps.Env, _ *plan.Plan, emit func(steps.Event)) (steps.Result, error) {
	emit(steps.Event{Message: "waiting for the machines"})
	<-ctx.Done()
	return steps.Result{}, ctx.Err()
}

// TestFailureShowsProblemsAndRetries: a failed step shows its problems by field path and offers r and e.
func TestFailureShowsProblemsAndRetries(t *testing.T) {
	dir := t.TempDir()
	save(t, dir, savedPlan(t, steps.Machines))
	m := newFake(t, dir, nil)
	calls := 0
	ds := m.o.Steps[3].(fakeStep)
	ds.run = func(_ context.Context, _ *steps.Env, p *plan.Plan, _ func(steps.Event)) error {
		calls++
		if calls == 1 {
			return plan.Problems{{Path: "machines[0].installDisk", Message: "no disk wwid naa.1 on controlplane-1"}}
		}
		resolved, _ := steps.Resolve(*p, testInventory())
		*p = resolved
		return nil
	}
	m.o.Steps[3] = ds
	d := newDriver(t, m, 80, 24)
	d.shows("Disks of controlplane-1")
	d.keys("j", "i", "tab", "i", "tab", "i", "tab", "i", "tab", "i", "tab", "i")
	d.shows("every machine's disks are chosen")
	d.key("enter")
	d.shows("Disks ✖ failed", "the plan has 1 problem:", "machines[0].installDisk: no disk wwid naa.1 on controlplane-1",
		"r retries with the same plan; e edits the step's choices")
	if sv := load(t, dir); sv.Steps[steps.Disks].State != steps.Failed || sv.Plan.Machines[0].InstallDisk.Empty() {
		t.Errorf("the failure and the plan are saved: %+v", sv.Steps)
	}
	d.key("e")
	d.shows("Disks of controlplane-1", "install disk  /dev/disk/by-id/wwn-0x5002538e40a1c3f7")
	d.key("enter")
	d.shows("step 5/5 · Cluster", "✔ Disks")
}

// TestTooSmallKeepsProgress: below 80×24 one line says so; back to 80×24 the same pane is there.
func TestTooSmallKeepsProgress(t *testing.T) {
	d, _ := resumed(t, steps.ISO, 80, 24)
	d.shows("Machines connected to Omni")
	d.keys("c", "j", "w")
	for _, size := range [][2]int{{79, 24}, {80, 23}, {40, 10}, {1, 1}} {
		d.m.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		out := d.m.Render()
		assertFits(t, out, size[0], size[1])
		want := fmt.Sprintf("terminal too small (need 80×24), now %d×%d", size[0], size[1])
		first := strings.TrimRight(strings.TrimSuffix(strings.Split(out, "\n")[0], "…"), " ")
		if !strings.HasPrefix(first, want) && !strings.HasPrefix(want, first) {
			t.Errorf("%dx%d: %q", size[0], size[1], first)
		}
		d.key("c") // keys still work while small
	}
	d.m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	d.shows("Machines connected to Omni", "control planes 2/3, workers 0")
	for w := 1; w <= 130; w += 7 {
		for h := 1; h <= 40; h += 3 {
			d.m.Update(tea.WindowSizeMsg{Width: w, Height: h})
			assertFits(t, d.m.Render(), w, h)
		}
	}
}
