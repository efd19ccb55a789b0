package wizard

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/steps"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
)

func TestMeterRateAndETA(t *testing.T) {
	var m meter
	m = m.next(0, 1000, at)
	if p := m.progress(); p.Rate != 0 || p.ETA != -1 {
		t.Fatalf("no rate before a second sample: %+v", p)
	}
	m = m.next(100, 1000, at.Add(50*time.Millisecond)) // too soon to measure
	if m.progress().Rate != 0 || m.done != 100 {
		t.Fatalf("a sample under 100 ms only moves the count: %+v", m)
	}
	m = m.next(200, 1000, at.Add(time.Second))
	if p := m.progress(); p.Rate != 200 || p.ETA != 4*time.Second {
		t.Fatalf("200 B in 1 s: %+v", p)
	}
	m = m.next(600, 1000, at.Add(2*time.Second)) // 400 B/s now; the average moves toward it
	if r := m.progress().Rate; r <= 200 || r >= 400 {
		t.Fatalf("smoothed rate %v, want between 200 and 400", r)
	}
	if p := m.next(1000, 1000, at.Add(3*time.Second)).progress(); p.ETA != 0 {
		t.Fatalf("done: ETA %v", p.ETA)
	}
	// A counter that goes back (a restarted download) starts afresh.
	if m = m.next(10, 1000, at.Add(4*time.Second)); m.rate != 0 || m.done != 10 {
		t.Fatalf("restart: %+v", m)
	}
	if p := (meter{}).next(5, -1, at).progress(); p.Total != -1 || p.ETA != -1 {
		t.Fatalf("unknown total: %+v", p)
	}
}

func TestShortIDs(t *testing.T) {
	dell := []string{"4c4c4544-0031-4d10-8035-b4c04f4e3332", "4c4c4544-0031-4d10-8036-b4c04f4e3332",
		"4c4c4544-0048-3610-8057-c3c04f395a32"}
	got := shortIDs(dell)
	if got[dell[0]] == got[dell[1]] || !strings.HasPrefix(got[dell[0]], "0031-4d10-8035") {
		t.Errorf("the segments shared by all are left out: %v", got)
	}
	lab := []string{"00000001-0031-4d10-8035-aaaaaaaaaaaa", "00000002-0031-4d10-8035-aaaaaaaaaaaa"}
	if got := shortIDs(lab); got[lab[0]] != "00000001" || got[lab[1]] != "00000002" {
		t.Errorf("lab IDs: %v", got)
	}
	if got := shortIDs([]string{"only-one"}); got["only-one"] != "only-one" {
		t.Errorf("one machine: %v", got)
	}
	if got := shortIDs([]string{"a-b", "a-b-c"}); got["a-b"] != "a-b" {
		t.Errorf("mixed shapes: %v", got)
	}
}

func TestWipeList(t *testing.T) {
	sv := savedPlan(t, steps.Disks)
	lines := WipeList(sv.Plan, 66)
	if len(lines) != 12 || lines[0] != "  controlplane-1  /dev/disk/by-id/wwn-0x5002538e40a1c3f7  install" ||
		lines[4] != "                  /dev/disk/by-id/wwn-0x50014ee2b6a1f3c2  pool" {
		t.Errorf("one line per disk when it fits:\n%s", strings.Join(lines, "\n"))
	}
	narrow := WipeList(sv.Plan, 50)
	if len(narrow) != 18 || narrow[0] != "  controlplane-1" || narrow[1] != "    /dev/disk/by-id/wwn-0x5002538e40a1c3f7  install" {
		t.Errorf("machine, then its disks, when narrow:\n%s", strings.Join(narrow, "\n"))
	}
}

func TestISOValues(t *testing.T) {
	inv := testInventory()
	v := newISOValues(plan.ISO{Extensions: []string{"siderolabs/iscsi-tools", "siderolabs/nut-client"}}, inv)
	if v.Talos != testTalos || v.Arch != "amd64" || v.Preset != plan.DefaultPreset || v.Other != "siderolabs/nut-client" ||
		!slices.Equal(v.versions, []string{testTalos, "1.7.6"}) {
		t.Errorf("defaults: %+v", v)
	}
	v = newISOValues(plan.ISO{TalosVersion: "v1.7.6"}, inv)
	if v.Talos != "1.7.6" {
		t.Errorf("the plan's version in the offered spelling: %q", v.Talos)
	}
	v.Extensions = []string{"siderolabs/amd-ucode", "siderolabs/iscsi-tools"}
	v.Other = " siderolabs/nut-client, , siderolabs/iscsi-tools "
	v.KernelArgs = " console=ttyS0  net.ifnames=0 "
	v.Dir = " /isos "
	iso := v.applyTo(plan.ISO{SecureBoot: true})
	if !slices.Equal(iso.Extensions, []string{"siderolabs/iscsi-tools", "siderolabs/amd-ucode", "siderolabs/nut-client"}) ||
		!slices.Equal(iso.KernelArgs, []string{"console=ttyS0", "net.ifnames=0"}) || iso.Dir != "/isos" || !iso.SecureBoot {
		t.Errorf("applied: %+v", iso)
	}
	if checkExtensions("a/b, c d") == nil || checkExtensions("a/b,c/d") != nil {
		t.Error("extension names are single words")
	}
	if checkPreset("my preset") == nil || checkPreset("cedille") != nil {
		t.Error("preset names are one word")
	}
	if checkClusterName("Cedille_Cluster") == nil || checkClusterName("cedille-cluster") != nil {
		t.Error("cluster names follow Omni's rule")
	}
	if c := newClusterValues(plan.Plan{ISO: plan.ISO{TalosVersion: testTalos}}, inv); c.Kubernetes != testKube || c.Name != plan.DefaultClusterName {
		t.Errorf("cluster defaults: %+v", c)
	}
}

func TestWrapKeepsPaths(t *testing.T) {
	got := wrap("install disk of controlplane-1: /dev/disk/by-id/wwn-0x5002538e40a1c3f7", 40)
	if got != "install disk of controlplane-1:\n/dev/disk/by-id/wwn-0x5002538e40a1c3f7" {
		t.Errorf("a path moves whole to the next line: %q", got)
	}
	if got := wrap(strings.Repeat("x", 25), 10); got != "xxxxxxxxxx\nxxxxxxxxxx\nxxxxx" {
		t.Errorf("a word longer than the width is cut: %q", got)
	}
}

// TestColourScreensFit renders every pane in colour at a few sizes: exactly the window, never a panic.
func TestColourScreensFit(t *testing.T) {
	dir := t.TempDir()
	save(t, dir, savedPlan(t, steps.Machines))
	m := newFake(t, dir, nil)
	m.theme = theme.New(true, true)
	d := newDriver(t, m, 150, 40)
	d.shows("Disks of controlplane-1", "SERIAL", "WWID", "BUS PATH")
	for _, size := range [][2]int{{80, 24}, {120, 40}, {200, 60}} {
		d.m.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		assertFits(t, d.m.Render(), size[0], size[1])
	}
	d.key("?")
	d.shows("Everywhere", "not in the cluster", "disk encryption")
	d.key("esc")
	d.shows("Disks of controlplane-1")
}

// TestAccessibleInstall answers the plain prompts through a pipe, on the simulated Omni, and ends with
// the cluster created and its kubeconfig saved.
func TestAccessibleInstall(t *testing.T) {
	sim := newSimOmni(t)
	stateDir, configDir, isoDir := t.TempDir(), t.TempDir(), t.TempDir()
	answers := []string{
		"", "", "0", "", "", isoDir, "", // ISO: version, arch, extensions (0 = done), others, kernel args, dir, preset
		"1", "1", "1", "2", "2", "2", // machines by hostname: three control planes, three workers
		"", "", "", // control planes: their only install disk
		"1", "1", "2", "0", "1", "1", "2", "0", "1", "1", "2", "0", // workers: SSD, then both HDDs as pool
		"",                        // encryption: no
		"", "", "cedille-cluster", // cluster name, Kubernetes version, the typed confirmation
	}
	in := strings.NewReader(strings.Join(answers, "\n") + "\n")
	var out syncBuffer
	var report []string
	var mu sync.Mutex
	env := &steps.Env{Omni: sim.om, ConfigDir: configDir, Poll: 50 * time.Millisecond, MachineWait: 20 * time.Second,
		ClusterWait: 30 * time.Second}
	res, err := RunAccessible(context.Background(), AccessibleOptions{Steps: realSteps(), Env: env,
		Store: steps.NewStore(stateDir), In: in, Out: &out, Report: func(u steps.Update) {
			mu.Lock()
			defer mu.Unlock()
			line := fmt.Sprintf("[%s] %s", u.Step, u.State)
			if u.Event != nil {
				line = fmt.Sprintf("[%s] %s", u.Step, u.Event.Message)
			}
			report = append(report, line)
		}})
	text := out.String()
	if err != nil {
		t.Fatalf("accessible install: %v\n%s\n%s", err, text, strings.Join(report, "\n"))
	}
	for _, want := range []string{"Talos version", "1. 1.8.0", "not offered as install disk: sda  SanDisk Cruzer Blade",
		"USB disk: removable", "control planes 3/3, workers 3", "Creating cluster cedille-cluster wipes these 12 disks",
		"worker-1        /dev/disk/by-id/wwn-0x5002538e4b2c91d0  install", "/dev/disk/by-id/wwn-0x50014ee2b6a1f3c2  pool", "Type the cluster name to confirm"} {
		if !strings.Contains(text, want) {
			t.Errorf("the prompts lack %q:\n%s", want, text)
		}
	}
	kc := filepath.Join(configDir, "cedille-cluster.kubeconfig")
	if _, err := os.Stat(kc); err != nil || !res.Finished || res.Kubeconfig != kc {
		t.Errorf("result %+v, kubeconfig: %v", res, err)
	}
	if strings.Contains(text, "\x1b[") {
		t.Error("accessible output holds escape sequences")
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestSubmitRefusedReopensTheForm: answers the plan refuses (here a replica count that is not a number,
// past the field's own check: the form's apply is given it) reopen the step's form with the problem
// flashed; the step does not run.
func TestSubmitRefusedReopensTheForm(t *testing.T) {
	o := newFake(t, t.TempDir(), nil).o
	o.Steps = append(o.Steps, fakeStep{id: steps.Storage, title: "Storage"})
	m := New(o)
	m.sv = savedPlan(t, steps.Disks)
	m.edit(m.index(steps.Storage))
	f := m.pane.(*formScreen)
	apply := f.bound.Apply
	f.bound.Apply = func(p *plan.Plan) plan.Problems {
		apply(p)
		return plan.Problems{{Path: "storage.replicas", Message: "many is not a number"}}
	}
	f.submit()
	if sc, ok := m.pane.(*formScreen); !ok || sc.id != steps.Storage || sc.bound.Apply == nil || m.running >= 0 {
		t.Fatalf("the storage form must reopen: screen %T, running %d", m.pane, m.running)
	}
	if !m.flash.IsErr() || !strings.Contains(m.flash.Text(), "storage.replicas") {
		t.Errorf("the problem must be flashed: %q", m.flash.Text())
	}
}
