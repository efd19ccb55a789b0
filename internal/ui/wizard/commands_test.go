package wizard

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/steps"
)

// copied is what a person copying a command off the screen gets: the rows from the one holding start on,
// each taken from where the command is (the whole row when the command has it to itself, else the pane's
// part, as a block selection takes it), up to the row that does not continue the command; nth skips the
// rows holding start before it.
// startsRow tells whether what precedes a match leaves it at the start of a screen row or of the pane.
func startsRow(before string) bool {
	return strings.TrimSpace(before) == "" || strings.HasSuffix(strings.TrimRight(before, " "), "│")
}

func copied(t testing.TB, scr, start string, nth int) string {
	t.Helper()
	rows := strings.Split(scr, "\n")
	for i, r := range rows {
		at := strings.Index(r, start)
		if at < 0 || !startsRow(r[:at]) {
			continue // not a command's start: e.g. "cd " inside a digest's hex
		}
		if nth > 0 {
			nth--
			continue
		}
		var out []string
		for _, r := range rows[i:] {
			if _, pane, ok := strings.Cut(r, "│ "); ok && at > 0 {
				r = pane
			}
			r = strings.TrimRight(r, " ")
			out = append(out, r)
			if !strings.HasSuffix(r, " &&") && !strings.HasSuffix(r, " \\") {
				return strings.Join(out, "\n")
			}
		}
		t.Fatalf("the command starting %q does not end on the screen:\n%s", start, scr)
	}
	t.Fatalf("no command starting %q on the screen:\n%s", start, scr)
	return ""
}

// runCopied runs a command copied off the screen through sh, from dir; its output.
func runCopied(t testing.TB, cmd, dir string) string {
	t.Helper()
	c := exec.Command("sh", "-c", cmd)
	c.Dir = dir
	out, err := c.CombinedOutput()
	if err != nil {
		t.Fatalf("%s\n(run from %s): %v\n%s", cmd, dir, err, out)
	}
	return string(out)
}

// TestCommandRows: a command stays on one row in the pane when it fits, has a row to itself when it fits
// the screen, else is cut where sh reads on — never inside a word — each row then its own.
func TestCommandRows(t *testing.T) {
	long := "/home/firstname.lastname/.local/state/cedille-tui/demo/iso"
	cases := []struct {
		name, cmd    string
		pane, screen int
		want         []string
	}{
		{"fits the pane", "ls -l /dev/disk/by-id/usb-*", 59, 80, []string{"  ls -l /dev/disk/by-id/usb-*"}},
		{"fits the screen", "cd /isos/of/the/platform && sha256sum -c metal-amd64-omni-cedille.iso.sha256", 59, 80,
			[]string{wideMark + "  cd /isos/of/the/platform && sha256sum -c metal-amd64-omni-cedille.iso.sha256"}},
		{"cut after &&, every row in the pane", "cd /isos && sha256sum -c metal-amd64-omni-cedille-v1.8.0.iso.sha256", 59, 60,
			[]string{"  cd /isos &&", "    sha256sum -c metal-amd64-omni-cedille-v1.8.0.iso.sha256"}},
		{"cut after && and at spaces", "cd " + long + " && sudo dd if=metal-amd64-omni-cedille-v1.8.0.iso of=" +
			steps.KeyPlaceholder + " bs=4M conv=fsync status=progress", 59, 80,
			[]string{wideMark + "  cd " + long + " &&",
				wideMark + "    sudo dd if=metal-amd64-omni-cedille-v1.8.0.iso \\",
				wideMark + "      of=" + steps.KeyPlaceholder + " bs=4M conv=fsync status=progress"}},
		{"a quoted word is one", "cd '/isos/my isos' && sha256sum -c 'metal amd64.iso.sha256'", 34, 34,
			[]string{"  cd '/isos/my isos' &&", "    sha256sum -c \\", "      'metal amd64.iso.sha256'"}},
		{"a word wider than the screen stays whole", "cd " + long + " && ls", 20, 40,
			[]string{wideMark + "  cd " + long + " &&", wideMark + "    ls"}},
	}
	for _, c := range cases {
		got := commandRows(c.cmd, c.pane, c.screen)
		if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}
	// Whatever the widths, sh reads the rows as the command.
	for _, c := range cases {
		for _, w := range []int{10, 30, 59, 80, 200} {
			rows := commandRows(c.cmd, min(w, 59), w)
			text := strings.ReplaceAll(strings.Join(rows, "\n"), wideMark, "")
			if got := strings.Join(shellWords(strings.NewReplacer(" \\\n", " ", " &&\n", " && ").Replace(text)), " "); got != strings.Join(shellWords(c.cmd), " ") {
				t.Errorf("%s at %d: rows %q read as %q", c.name, w, rows, got)
			}
		}
	}
}

// TestISOCommandsCopyFromTheScreen: at 80×24, the finished ISO step shows its SHA-256 whole and its
// commands unbroken, even with a path wider than the pane; copied off the screen and run from another
// directory, the check passes.
func TestISOCommandsCopyFromTheScreen(t *testing.T) {
	isoDir := filepath.Join(t.TempDir(), "demo", "iso") // about 60 columns: wider than the pane with "cd"
	iso := filepath.Join(isoDir, "metal-amd64-omni-cedille-v1.8.0.iso")
	sum := writeISO(t, iso)
	ss := fakeSteps(testInventory())
	for i, s := range ss {
		if s.ID() == steps.ISO {
			f := s.(fakeStep)
			f.run = func(_ context.Context, _ *steps.Env, p *plan.Plan, emit func(steps.Event)) error {
				p.ISO.File, p.ISO.SHA256, p.ISO.Built = iso, sum, p.ISO.Choices()
				for _, l := range steps.USBInstructions(iso) {
					emit(steps.Event{Message: l})
				}
				return nil
			}
			ss[i] = f
		}
	}
	dir := t.TempDir()
	save(t, dir, savedPlan(t, steps.Preflight))
	o := newFake(t, dir, nil).o
	o.Steps = ss
	d := newDriver(t, New(o), 80, 24)
	d.shows("step 2/5 · Talos ISO", "Talos version")
	d.keys("enter", "enter", "enter", "enter", "enter", "enter", "enter")
	scr := d.shows("Talos ISO ✔ done", "SHA-256 "+sum[:32], sum[32:])
	assertFits(t, d.m.Render(), 80, 24)
	if strings.Contains(scr, "…") {
		t.Errorf("nothing is cut:\n%s", scr)
	}
	check := copied(t, scr, "cd ", 0)
	if out := runCopied(t, check, t.TempDir()); !strings.Contains(out, filepath.Base(iso)+": OK") {
		t.Errorf("%s said %q", check, out)
	}
	// The write, aimed at a file instead of the key and without sudo, copies the ISO.
	key := filepath.Join(t.TempDir(), "key")
	runCopied(t, strings.NewReplacer(steps.KeyPlaceholder, key, "sudo ", "").Replace(copied(t, scr, "cd ", 1)), t.TempDir())
	if b, err := os.ReadFile(key); err != nil || len(b) != len(isoBytes) {
		t.Errorf("the write copied %d bytes (%v), want the ISO's %d", len(b), err, len(isoBytes))
	}
}

var isoBytes = bytes.Repeat([]byte("talos"), 4096)

// writeISO writes an ISO at path with its .sha256 beside it, in sha256sum's format (the download package's
// own is checked against sha256sum in the steps' tests); its digest.
func writeISO(t testing.TB, path string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, isoBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	name := filepath.Base(path)
	runCopied(t, "sha256sum "+name+" > "+name+".sha256", filepath.Dir(path))
	b, err := os.ReadFile(path + ".sha256")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(b))[0]
}
