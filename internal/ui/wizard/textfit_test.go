package wizard

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/steps"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
)

// demoWidthSteps are the fake steps and one titled as the longest of the real ones, so the pane is as
// narrow as in the demo's twelve-step wizard.
func demoWidthSteps(inv *plan.Inventory) []steps.Step {
	return append(fakeSteps(inv), fakeStep{id: steps.VaultBootstrap, title: "Vault bootstrap",
		holds: func(plan.Plan) (bool, string) { return false, "not done" }})
}

// TestDiskRefusalsWrapWithinThePane: at 80×24, with the pane as narrow as the demo's, a USB key left in a
// worker is refused as its install disk and as a pool disk with every word of the reason on the screen,
// and so is the plan's problem; nothing runs off the pane.
func TestDiskRefusalsWrapWithinThePane(t *testing.T) {
	inv := testInventory()
	usb := plan.DiskFacts{LinuxName: "/dev/sdd", Model: "SanDisk Cruzer Blade", Serial: "4C530001160823117352",
		Size: 16008609792, Type: "HDD", Transport: "usb", BusPath: "/pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host6/target6:0:0/6:0:0:0"}
	w1 := inv.Machines[demoID(t, "worker-1")]
	w1.Disks = append([]plan.DiskFacts{usb}, w1.Disks...)
	inv.Machines[w1.ID] = w1

	dir := t.TempDir()
	save(t, dir, savedPlan(t, steps.Machines))
	m := New(Options{Steps: demoWidthSteps(inv), Env: &steps.Env{}, Store: steps.NewStore(dir), Theme: theme.New(false, true),
		Endpoint: "grpc://omni.test", Inventory: func(context.Context) (*plan.Inventory, error) { return inv, nil },
		Refresh: time.Second, Now: func() time.Time { return at }})
	d := newDriver(t, m, 80, 24)
	d.shows("Disks of controlplane-1")
	if w := m.rightWidth(); w != 59 {
		t.Fatalf("the pane is %d wide, the demo's is 59", w)
	}
	d.keys("tab", "tab", "tab")
	d.shows("Disks of worker-1 (worker)", "sdd")
	d.key("i") // the cursor is on the key
	scr := d.shows("sdd cannot be the install disk")
	assertFits(t, d.m.Render(), 80, 24)
	text := paneText(scr)
	reason := plan.InstallRefusal(usb)
	first := savedPlan(t, steps.Machines).Plan.Validate(inv).Disks()[0]
	for _, want := range []string{"not an install disk: " + reason, "not a pool disk: " + reason,
		"sdd cannot be the install disk: " + reason, first.Path + ": " + first.Message} {
		if !strings.Contains(text, want) {
			t.Errorf("the pane must say %q whole:\n%s", want, scr)
		}
	}
}

// paneText is the right pane's text, its rows joined by spaces as a person reads them.
func paneText(scr string) string {
	var words []string
	for _, r := range strings.Split(scr, "\n") {
		if _, pane, ok := strings.Cut(r, "│ "); ok {
			words = append(words, strings.Fields(pane)...)
		}
	}
	return strings.Join(words, " ")
}

// TestSizesInIECUnits: the wizard writes sizes as the console does, in binary units — the Kingston SSD
// sold as 240 GB is 223.6 GiB on both — and never in decimal ones.
func TestSizesInIECUnits(t *testing.T) {
	decimal := regexp.MustCompile(`\d (kB|MB|GB|TB)\b`)
	d, _ := resumed(t, steps.ISO, 80, 24)
	scr := d.shows("Machines connected to Omni", "16.0 GiB", "64.0 GiB")
	if decimal.MatchString(scr) {
		t.Errorf("a decimal unit on the machines pane:\n%s", scr)
	}
	d, _ = resumed(t, steps.Machines, 80, 24)
	d.shows("Disks of controlplane-1")
	d.keys("tab", "tab")
	scr = d.shows("Disks of controlplane-3", "223.6 GiB")
	if decimal.MatchString(scr) {
		t.Errorf("a decimal unit on the disks pane:\n%s", scr)
	}
}
