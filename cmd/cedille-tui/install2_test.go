package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clubcedille/cedille-tui/internal/omnisim"
	"github.com/clubcedille/cedille-tui/internal/omnisim/omnisimtest"
	"github.com/cosi-project/runtime/pkg/safe"
	"github.com/siderolabs/omni/client/api/omni/specs"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
)

const era2Example = "../../assets/answers.era2.example.yaml"

// TestInstallEra2Flags: --era and the answers file's era must agree; --era 2 without one is the wizard's.
func TestInstallEra2Flags(t *testing.T) {
	tests := []struct {
		args []string
		says string
	}{
		{[]string{"install", "--era", "2"}, "the install wizard needs a terminal on stdin and stdout: run `cedille-tui install --answers FILE` (see assets/answers.era2.example.yaml)"},
		{[]string{"install", "--era", "2", "--answers", "../../assets/answers.example.yaml", "--dry-run"}, "is not an era-2 answers file"},
		{[]string{"install", "--era", "1", "--answers", era2Example, "--dry-run"}, "drop --era 1"},
		{[]string{"install", "--era", "3"}, "--era 3"},
	}
	for _, tt := range tests {
		r := runCLI(t, nil, tt.args...)
		if r.code == 0 || !strings.Contains(r.stderr, tt.says) {
			t.Errorf("%v: exit %d, stderr %q; want it to say %q", tt.args, r.code, r.stderr, tt.says)
		}
	}
	broken := filepath.Join(t.TempDir(), "broken.yaml")
	if err := os.WriteFile(broken, []byte("version: 1\nera: 2\nera2: [k8s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := runCLI(t, nil, "install", "--era", "2", "--answers", broken, "--dry-run"); r.code == 0 ||
		!strings.Contains(r.stderr, "broken.yaml:3: did not find expected") {
		t.Errorf("a broken era-2 file: exit %d, stderr %q", r.code, r.stderr)
	}
	r := runCLI(t, nil, "install", "--help")
	if r.code != 0 || !strings.Contains(r.stdout, "--era ERA") || !strings.Contains(r.stdout, "era2-register") {
		t.Errorf("help: %d %s", r.code, r.stdout)
	}
}

// TestInstallEra2DryRun: the dry run reads Omni's MachineClasses and shows the template sync's diff,
// changing nothing; without Omni it says what each step would do.
func TestInstallEra2DryRun(t *testing.T) {
	r := runCLI(t, nil, "install", "--answers", era2Example, "--dry-run")
	if r.code != 0 || !strings.Contains(r.stdout, "era: 2") || !strings.Contains(r.stdout, "# Omni not configured") ||
		!strings.Contains(r.stdout, "sync the Omni cluster template of k8s-poc (Kubernetes v1.30.0, Talos v1.8.0, kube-proxy in IPVS mode)") {
		t.Fatalf("without Omni: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}

	srv, om := omnisimtest.StartLoopback(t, omnisim.Options{})
	ctx := context.Background()
	mc := omni.NewMachineClass("k8s-poc-controlplane")
	mc.TypedSpec().Value = &specs.MachineClassSpec{MatchLabels: []string{"role = controlplane, cluster-candidate = k8s-poc"}}
	if err := srv.State().Create(ctx, mc); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"OMNI_ENDPOINT": om.Endpoint}
	r = runCLI(t, env, "install", "--era", "2", "--answers", era2Example, "--dry-run")
	if r.code != 1 || !strings.Contains(r.stdout, `answers.era2.example.yaml:14: era2.workers.machineClass: Omni has no MachineClass "k8s-poc-worker" (it has: k8s-poc-controlplane)`) ||
		!strings.Contains(r.stdout, "not described until the problems above are fixed") {
		t.Fatalf("an unknown class: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}

	mc = omni.NewMachineClass("k8s-poc-worker")
	mc.TypedSpec().Value = &specs.MachineClassSpec{MatchLabels: []string{"role = worker, cluster-candidate = k8s-poc"}}
	if err := srv.State().Create(ctx, mc); err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, env, "install", "--era", "2", "--answers", era2Example, "--dry-run")
	for _, w := range []string{"era2-cluster — Cluster (era 2)", "  creating the network patch of k8s-poc-controlplane-1.etsmtl.club",
		"  creating cluster k8s-poc", "  creating the workers' machine set", "era2-register — Registration in the hub",
		"not previewed (get the hub k8s-shared's kubeconfig from Omni"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("the dry run lacks %q", w)
		}
	}
	if r.code != 0 || t.Failed() {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if l, _ := safe.StateListAll[*omni.Cluster](ctx, srv.State()); l.Len() != 0 {
		t.Fatal("the dry run made a cluster")
	}
}
