//go:build linux

package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clubcedille/cedille-tui/internal/omnisim"
	"github.com/clubcedille/cedille-tui/internal/omnisim/omnisimtest"
	"github.com/siderolabs/omni/client/api/omni/specs"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
)

// TestInstallWizardOffersEra2 runs the built binary on a terminal against a simulated Omni with
// MachineClasses: `install` offers both eras on its first screen; 2 opens era 2's form; ctrl+c quits
// (nothing submitted: the next `install` asks again); `install --era 2` opens the form straight away.
func TestInstallWizardOffersEra2(t *testing.T) {
	bin := buildBinary(t)
	srv, om := omnisimtest.StartLoopback(t, omnisim.Options{})
	for _, n := range []string{"k8s-poc-controlplane", "k8s-poc-worker"} {
		mc := omni.NewMachineClass(n)
		mc.TypedSpec().Value = &specs.MachineClassSpec{MatchLabels: []string{"cluster-candidate = k8s-poc"}}
		if err := srv.State().Create(context.Background(), mc); err != nil {
			t.Fatal(err)
		}
	}
	env := binaryEnv(t, "OMNI_ENDPOINT="+om.Endpoint)
	run := func(args ...string) (*exec.Cmd, *pty) {
		term := openPTY(t)
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		cmd.Stdin, cmd.Stdout, cmd.Stderr = term.tty, term.tty, term.tty
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd, term
	}

	cmd, term := run("install")
	term.waitFor(t, "k8s-poc-controlplane, k8s-poc-worker")
	term.press(t, "2")
	term.waitFor(t, "Cluster name")
	term.press(t, "\x03") // ctrl+c
	if err := cmd.Wait(); err != nil {
		t.Fatalf("install: %v\n%s", err, term.screen())
	}

	cmd, term = run("install") // nothing was submitted: the question again
	term.waitFor(t, "k8s-poc-controlplane, k8s-poc-worker")
	term.press(t, "\x03")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("install again: %v\n%s", err, term.screen())
	}

	cmd, term = run("install", "--era", "2")
	term.waitFor(t, "Cluster name")
	term.press(t, "\x03")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("install --era 2: %v\n%s", err, term.screen())
	}
	for _, e := range env {
		if dir, ok := strings.CutPrefix(e, "XDG_STATE_HOME="); ok {
			if _, err := os.Stat(filepath.Join(dir, "cedille-tui", "install.yaml")); !os.IsNotExist(err) {
				t.Errorf("era 2's wizard wrote era 1's state: %v", err)
			}
		}
	}
}
