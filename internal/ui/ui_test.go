package ui_test

import (
	"bytes"
	"context"
	"fmt"
	"image/color"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/clubcedille/cedille-tui/internal/demo"
	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/ui"
	"github.com/clubcedille/cedille-tui/internal/ui/app"
	"github.com/clubcedille/cedille-tui/internal/ui/common"
	"github.com/clubcedille/cedille-tui/internal/ui/shell"
	"github.com/clubcedille/cedille-tui/internal/ui/uitest"
	"github.com/clubcedille/cedille-tui/internal/watch"
)

// at is the fixed clock of every golden: ages and the header time do not move.
var at = time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC)

// demoSnapshot reads the simulated platform once, the way `status` does, at a fixed time.
func demoSnapshot(t *testing.T) watch.Snapshot {
	t.Helper()
	return demoSnapshotOf(t, demo.Options{})
}

// demoSnapshotOf is demoSnapshot of a demo started with opts (its clock the fixed one).
func demoSnapshotOf(t *testing.T, opts demo.Options) watch.Snapshot {
	t.Helper()
	opts.Now = func() time.Time { return at }
	d, err := demo.Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	return watch.Collect(context.Background(), d.Targets(), 5*time.Second, at)
}

// oneShot is a snapshot channel that delivers s once and closes.
func oneShot(s watch.Snapshot) <-chan watch.Snapshot {
	ch := make(chan watch.Snapshot, 1)
	ch <- s
	close(ch)
	return ch
}

func TestShellGoldens(t *testing.T) {
	snap := demoSnapshot(t)
	for _, size := range [][2]int{{80, 24}, {160, 50}} {
		for _, color := range []bool{true, false} {
			name := fmt.Sprintf("%dx%d_color", size[0], size[1])
			if !color {
				name = fmt.Sprintf("%dx%d_nocolor", size[0], size[1])
			}
			t.Run(name, func(t *testing.T) {
				m := ui.NewConsole(ui.ConsoleOptions{Snapshots: oneShot(snap), Color: color, Dark: true})
				tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(size[0], size[1]))
				teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("worst first")) },
					teatest.WithDuration(5*time.Second))
				tm.Send(tea.KeyPressMsg{Code: 'q', Text: "q"})
				final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*app.Model)
				out := final.Render()
				uitest.AssertFits(t, out, size[0], size[1])
				if hasColor := colorSGR.MatchString(out); hasColor != color {
					t.Fatalf("colour=%v but colour codes present=%v", color, hasColor)
				}
				plain := ansi.Strip(out)
				for _, want := range []string{"Overview", "cedille-cluster", "✖ Down", "q quit", "secrets", "vclusters", "storage",
					"Vault/vault-0", "not initialized"} {
					if !strings.Contains(plain, want) {
						t.Errorf("screen lacks %q", want)
					}
				}
				golden.RequireEqual(t, []byte(out))
			})
		}
	}
}

// colorSGR matches a foreground or background colour in an SGR sequence; NO_COLOR keeps bold and reverse.
var colorSGR = regexp.MustCompile(`\x1b\[[0-9;:]*\b[34]8[;:]`)

func TestSizeSweepNeverPanics(t *testing.T) {
	snap := demoSnapshot(t)
	for _, color := range []bool{true, false} {
		m := ui.NewConsole(ui.ConsoleOptions{Color: color, Dark: true})
		m.Update(common.SnapshotMsg{Snapshot: snap})
		for w := 1; w <= 80; w++ {
			for h := 1; h <= 24; h++ {
				m.Update(tea.WindowSizeMsg{Width: w, Height: h})
				out := m.Render()
				uitest.AssertFits(t, out, w, h)
				small := !shell.Fits(w, h)
				want := common.Fit(fmt.Sprintf("terminal too small (need 80×24), now %d×%d: enlarge it, nothing is lost", w, h), w)
				if first := strings.Split(out, "\n")[0]; small && first != want {
					t.Fatalf("%d×%d: first line %q, want the too-small notice %q", w, h, first, want)
				}
				if !small && !strings.Contains(out, "certificates") {
					t.Fatalf("80×24 must show every layer:\n%s", out)
				}
			}
		}
	}
	// Keys and pages at the smallest size must not panic either.
	m := ui.NewConsole(ui.ConsoleOptions{Color: true})
	m.Update(tea.WindowSizeMsg{Width: 1, Height: 1})
	m.Update(common.SnapshotMsg{Snapshot: snap})
	for _, k := range []string{"j", "enter", "?", "esc", "/", "x", "esc", "G", "s", "S", "esc", "esc", "e", "j", "s", "/", "v", "enter", "enter"} {
		m.Update(uitest.KeyMsg(k))
		_ = m.Render()
	}
}

// TestDemoDrivenThroughModel runs the console on the live simulated platform (hub, informers, Omni
// watches over gRPC, Vault polling): it must show the six nodes, open one, react to a fault, and quit on q.
func TestDemoDrivenThroughModel(t *testing.T) {
	drv := liveDemo(t)
	drv.Shows("Overview", "[demo]", "secrets", "Vault/vault-0")
	// A fault shows on the overview: the cluster layer goes Down.
	start := time.Now()
	drv.Key("N")
	drv.Until("the cluster layer Down", func(s string) bool {
		for _, l := range strings.Split(s, "\n") {
			if strings.Contains(l, "cluster") && strings.Contains(l, "Down") {
				return true
			}
		}
		return false
	})
	t.Logf("fault N reached the overview in %s", time.Since(start).Round(time.Millisecond))
	drv.Key("H")
	drv.Until("the fault healed", func(s string) bool { return !strings.Contains(s, "Node/worker-2") })

	for _, k := range []string{":", "n", "o", "enter"} {
		drv.Key(k)
	}
	drv.Shows("controlplane-1", "controlplane-2", "controlplane-3", "worker-1", "worker-2", "worker-3",
		"6 nodes", "✔ connected")

	drv.Key("j")
	drv.Key("enter")
	scr := drv.Shows("Node controlplane-2", "Omni machine", "Disks")
	if !strings.Contains(scr, "Nodes › controlplane-2") && !strings.Contains(scr, "› controlplane-2") {
		t.Errorf("breadcrumb missing:\n%s", scr)
	}
	drv.Key("esc")
	drv.Key("N")
	scr = drv.Shows("NotReady", "1 Down", "offline")
	if !strings.Contains(scr, "worker-2 lost power") {
		t.Errorf("the fault's note should flash in the header:\n%s", scr)
	}
	drv.Key("H")
	drv.Until("worker-2 healed", func(s string) bool { return !strings.Contains(s, "NotReady") })

	// : jumps to a layer; enter opens a finding with its YAML.
	for _, k := range []string{":", "s", "t", "o", "enter"} {
		drv.Key(k)
	}
	drv.Shows("DiskPool/mayastor/hdd-worker-2-pkf7", "StorageClass/mayastor")
	drv.Key("enter")
	drv.Shows("Why", "YAML", "pool_status: Online")
	if quit := drv.Key("q"); !quit {
		t.Fatal("q must quit")
	}
}

func keyAction(f demo.Fault) app.Action {
	return ui.KeyAction(f.Key, f.Help, f.Run)
}

// TestAdaptsToLightBackground: when the terminal reports a light background the colours change, the
// text does not.
func TestAdaptsToLightBackground(t *testing.T) {
	snap := demoSnapshot(t)
	m := ui.NewConsole(ui.ConsoleOptions{Color: true, Dark: true, DetectBackground: true})
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	m.Update(common.SnapshotMsg{Snapshot: snap})
	dark := m.Render()
	m.Update(tea.BackgroundColorMsg{Color: color.White})
	light := m.Render()
	if dark == light {
		t.Fatal("a light background must change the styles")
	}
	if ansi.Strip(dark) != ansi.Strip(light) {
		t.Fatal("the background must change colours only, never the text")
	}
}

// TestPageGoldens: the node list, a layer's table, a finding's detail, the Warning events and one event's
// detail at 80×24, reached by keys.
func TestPageGoldens(t *testing.T) {
	snap := demoSnapshot(t)
	// Without the workloads layer no finding names the pods: an event about one opens the event itself.
	unjudged := snap
	unjudged.Report = health.NewReport(slices.DeleteFunc(slices.Clone(snap.Report.Layers),
		func(l health.LayerReport) bool { return l.Name == health.LayerWorkloads })...)
	for _, tc := range []struct {
		name string
		keys []string
		want string
		snap *watch.Snapshot
	}{
		{"nodes", []string{":", "n", "o", "enter"}, "6 nodes", nil},
		{"layer_storage", []string{":", "s", "t", "o", "enter"}, "StorageClass/mayastor", nil},
		{"finding_diskpool", []string{":", "s", "t", "o", "enter", "enter"}, "YAML", nil},
		{"layer_workloads", []string{":", "w", "o", "enter"}, "StatefulSet/vault/vault", nil},
		{"finding_pod", []string{":", "w", "o", "enter", "j", "j", "enter"}, "the summary the console keeps", nil},
		{"layer_secrets", []string{"enter"}, "Vault/vault-0", nil},
		{"events", []string{"e"}, "Warning events about", nil},
		{"event_detail", []string{":", "e", "v", "enter", "j", "j", "j", "j", "enter"}, "Vault is sealed", &unjudged},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := snap
			if tc.snap != nil {
				s = *tc.snap
			}
			m := ui.NewConsole(ui.ConsoleOptions{Snapshots: oneShot(s), Color: false})
			drv := uitest.New(t, m, 80, 24)
			drv.Shows("worst first") // the snapshot has arrived
			for _, k := range tc.keys {
				drv.Key(k)
			}
			out := drv.Shows(tc.want)
			uitest.AssertFits(t, out, 80, 24)
			golden.RequireEqual(t, []byte(out))
		})
	}
}

// liveDemo runs the console on the live simulated platform (hub, informers, Omni watches over gRPC,
// Vault polling) with the demo's faults as actions, at 100×30; everything stops with the test.
func liveDemo(t *testing.T) *uitest.Driver[*app.Model] {
	t.Helper()
	d, err := demo.Start(context.Background(), demo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	hub := watch.NewHub(watch.HubOptions{Platform: demo.ClusterName, Demo: true}, d.Targets().Sources()...)
	go hub.Run(ctx)
	ch, unsub := hub.Subscribe()
	t.Cleanup(unsub)
	var actions []app.Action
	for _, f := range d.Faults() {
		actions = append(actions, keyAction(f))
	}
	m := ui.NewConsole(ui.ConsoleOptions{Snapshots: ch, Color: false, Actions: actions, ActionsTitle: "Demo faults"})
	return uitest.New(t, m, 100, 30)
}
