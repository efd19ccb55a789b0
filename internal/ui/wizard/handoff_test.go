package wizard

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/steps"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
)

// TestHandoffNamesThePathItWrites: the hand-off says where its summary goes — the install's config
// directory, which the demo keeps under its state directory — before it runs and after, and the summary
// names the SSO manifests by the path they are written to: never a $XDG_CONFIG_HOME it did not use.
func TestHandoffNamesThePathItWrites(t *testing.T) {
	root, err := os.MkdirTemp("", "st") // short: a path the pane shows on one line, as the demo's
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	configDir := filepath.Join(root, "demo", "config")
	path := filepath.Join(configDir, steps.HandoffFile)
	dir := t.TempDir()
	p := plan.New()
	p.Cluster.Kubeconfig = filepath.Join(configDir, "cedille-cluster.kubeconfig")
	save(t, dir, steps.Saved{Plan: p})
	m := New(Options{Steps: []steps.Step{steps.HandoffStep{}}, Env: &steps.Env{ConfigDir: configDir}, Store: steps.NewStore(dir),
		Theme: theme.New(false, true), Endpoint: "demo"})
	d := newDriver(t, m, 80, 24)
	scr := d.shows("Hand-off · not done", "What this step does")
	if text := paneText(scr); !strings.Contains(text, path) || strings.Contains(text, "XDG_CONFIG_HOME") {
		t.Errorf("before it runs, the hand-off must name %s:\n%s", path, scr)
	}
	d.key("enter")
	scr = d.shows("Hand-off ✔ done")
	if text := paneText(scr); !strings.Contains(text, "summary written to "+path) {
		t.Errorf("after it ran, the hand-off must name %s:\n%s", path, scr)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if manifests := filepath.Join(configDir, steps.SSOManifests); !strings.Contains(string(b), manifests) {
		t.Errorf("the summary must name the SSO manifests' file %s:\n%s", manifests, b)
	}
}
