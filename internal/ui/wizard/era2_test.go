package wizard

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"
	"github.com/clubcedille/cedille-tui/internal/omnisim"
	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/steps"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
	"github.com/cosi-project/runtime/pkg/safe"
	"github.com/cosi-project/runtime/pkg/state"
	"github.com/siderolabs/omni/client/api/omni/specs"
	"github.com/siderolabs/omni/client/pkg/omni/resources/infra"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
)

// era2Classes are the simulated Omni's MachineClasses, as PLATFORM.md §2.2's Terraform makes them.
var era2Classes = []string{"k8s-poc-controlplane", "k8s-poc-worker"}

// withFleet gives the simulated Omni MachineClasses and a hub cluster.
func withFleet(t *testing.T, s *simOmni) {
	t.Helper()
	ctx := context.Background()
	st := s.srv.State()
	for _, n := range era2Classes {
		mc := omni.NewMachineClass(n)
		mc.TypedSpec().Value = &specs.MachineClassSpec{MatchLabels: []string{"cluster-candidate = k8s-poc"}}
		if err := st.Create(ctx, mc); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Create(ctx, omni.NewCluster("k8s-shared")); err != nil {
		t.Fatal(err)
	}
}

// newEra2Real is the wizard as `cedille-tui install` starts it: era 1's steps, era 2's offered.
func newEra2Real(s *simOmni, stateDir string, era int) *Model {
	env := &steps.Env{Omni: s.om, ConfigDir: stateDir, Poll: 50 * time.Millisecond,
		MachineWait: 20 * time.Second, ClusterWait: 30 * time.Second}
	return New(Options{Steps: realSteps(), Env: env, Store: steps.NewStore(stateDir), Theme: theme.New(false, true),
		Endpoint: omnisim.InProcessEndpoint, Refresh: time.Second, Era: era,
		Era2: &Era2Install{Steps: steps.Era2Steps(), Store: steps.Store{Path: filepath.Join(stateDir, "install-era2.yaml")}}})
}

// playClusterReady plays Omni's controllers for a cluster made from MachineClasses: once the template's
// Cluster exists, its status says ready with its machines healthy.
func playClusterReady(t *testing.T, st state.State, cluster string, healthy uint32) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		if _, err := st.WatchFor(ctx, omni.NewCluster(cluster).Metadata(), state.WithEventTypes(state.Created)); err != nil {
			return
		}
		cs := omni.NewClusterStatus(cluster)
		cs.TypedSpec().Value = &specs.ClusterStatusSpec{Ready: true, Phase: specs.ClusterStatusSpec_RUNNING,
			KubernetesAPIReady: true, Machines: &specs.Machines{Total: healthy, Healthy: healthy}}
		_ = st.Create(ctx, cs)
	}()
}

// TestEraOfferNeedsMachineClasses: without MachineClasses or an infrastructure provider the wizard is era
// 1's, no question asked; with them, its first screen offers both eras, naming Omni's classes.
func TestEraOfferNeedsMachineClasses(t *testing.T) {
	sim := newSimOmni(t)
	d := newDriver(t, newEra2Real(sim, t.TempDir(), 0), 80, 24)
	scr := d.shows("Preflight ✔ done", "step 1/5 · Preflight")
	if strings.Contains(scr, "Which install?") || strings.Contains(scr, "era 2") {
		t.Errorf("no MachineClass: no offer\n%s", scr)
	}

	// An infrastructure provider and no MachineClass yet: offered, saying a class is needed.
	ps := infra.NewProviderStatus("proxmox")
	ps.TypedSpec().Value = &specs.InfraProviderStatusSpec{Name: "Proxmox"}
	if err := sim.srv.State().Create(context.Background(), ps); err != nil {
		t.Fatal(err)
	}
	d = newDriver(t, newEra2Real(sim, t.TempDir(), 0), 80, 24)
	d.shows("Which install?", "(none yet: make one for the infrastructure providers proxmox)")

	withFleet(t, sim)
	d = newDriver(t, newEra2Real(sim, t.TempDir(), 0), 80, 24)
	scr = d.shows("Which install?", "▸ era 1: one bare-metal cluster from machines Omni sees",
		"era 2: a new cluster of the fleet, VMs from MachineClasses", "k8s-poc-controlplane, k8s-poc-worker",
		"Omni allocates Talos VMs")
	assertFits(t, scr, 80, 24)
	golden.RequireEqual(t, []byte(scr))
	if strings.Contains(scr, "Preflight") {
		t.Errorf("the steps are the era's, shown once it is chosen:\n%s", scr)
	}
	d.key("enter") // era 1
	d.shows("Preflight ✔ done", "step 1/5 · Preflight")

	// Era 2 chosen, then quit before its form is submitted: nothing to resume, the question again. Era 1
	// begun: it resumes, no question.
	dir := t.TempDir()
	d = newDriver(t, newEra2Real(sim, dir, 0), 80, 24)
	d.shows("Which install?")
	d.key("2")
	d.shows("step 1/5 · Cluster (era 2)", "Cluster name")
	d.key("ctrl+c")
	d.waitQuit()
	d = newDriver(t, newEra2Real(sim, dir, 0), 80, 24)
	d.shows("Which install?")
	d.key("1")
	d.shows("Preflight ✔ done")
	d.key("q")
	d.waitQuit()
	d = newDriver(t, newEra2Real(sim, dir, 0), 80, 24)
	if scr := d.shows("✔ Preflight", "step 2/5 · Talos ISO"); strings.Contains(scr, "Which install?") {
		t.Errorf("an era-1 install under way resumes without the question:\n%s", scr)
	}
}

// era2Machines is a network patches file as the form reads it: the answers file's era2.machines.
const era2Machines = `- id: 6a0e1c52-3b9d-4f27-8e11-0c4d2f7a9b01
  hostname: k8s-poc-cp-1.example.club
  nameservers: [1.1.1.1]
  interfaces:
    - mac: bc:24:11:03:02:01
      addresses: [10.10.3.11/25]
      routes: [{network: 0.0.0.0/0, gateway: 10.10.3.1}]
`

// TestEra2WizardOnSimulatedOmni drives era 2's install against the simulated Omni with the real steps:
// the offer, the form's choices from Omni, a bad value refused at its field with the plan's words, the
// review and the typed name, the cluster step's run and its state in install-era2.yaml, then a resume
// that goes straight to era 2.
func TestEra2WizardOnSimulatedOmni(t *testing.T) {
	sim := newSimOmni(t)
	withFleet(t, sim)
	stateDir := t.TempDir()
	patches := filepath.Join(t.TempDir(), "machines.yaml")
	if err := os.WriteFile(patches, []byte(era2Machines), 0o600); err != nil {
		t.Fatal(err)
	}
	d := newDriver(t, newEra2Real(sim, stateDir, 0), 80, 24)
	d.shows("Which install?")
	d.keys("down", "enter")

	d.shows("cedille-tui install era 2", "step 1/5 · Cluster (era 2)", "Cluster name")
	d.typed("K8s")
	d.key("enter")
	d.shows(`"K8s": a DNS label`) // the plan's rule, at the field
	d.keys("backspace", "backspace", "backspace")
	d.typed("k8s-poc")
	d.key("enter")
	d.shows("Talos version", "> 1.8.0", "1.7.6") // offered by Omni, newest first
	d.key("enter")
	d.shows("Kubernetes version", "> "+testKube)
	d.key("enter")

	d.shows("Control planes' MachineClass", "> k8s-poc-controlplane", "k8s-poc-worker")
	d.key("enter")
	d.typed("2") // after the 3 offered: 32
	d.key("enter")
	d.shows("32: an odd number of control planes")
	d.key("backspace")
	d.key("enter")
	d.shows("Workers' MachineClass")
	d.keys("enter", "enter")

	d.shows("etcd subnet")
	d.typed("10.10.3.0/25")
	d.key("enter")
	d.typed(patches)
	d.keys("enter", "enter")

	d.shows("Stack", "k8s-base", "k8s-foundation")
	d.key("enter")
	d.shows("Hub", "> k8s-shared")
	d.key("enter")
	d.typed("external-network=false")
	d.key("enter")
	d.shows("the club's labels are etsmtl.club/<name>")
	for range len("external-network=false") {
		d.key("backspace")
	}
	d.typed("etsmtl.club/external-network=false")
	d.key("enter")

	d.shows("Cloud KMS project")
	for _, s := range []string{"club-vault-poc", "global", "vault", "vault-unseal"} {
		d.typed(s)
		d.key("enter")
	}
	d.shows("KMS credentials file")
	d.typed("/etc/cedille/gcp-kms.json")
	d.keys("enter", "enter", "enter", "enter")

	scr := d.shows("Review: create cluster k8s-poc (era 2)", "3 control planes, 2", "stack k8s-base",
		"Omni allocates 5 VMs from MachineClasses", "apply the network patch of k8s-poc-cp-1.example.club",
		"Type the cluster name to confirm")
	assertFits(t, scr, 80, 24)
	golden.RequireEqual(t, []byte(scr))
	sv := loadEra2(t, stateDir)
	if e := sv.Plan.Era2; e == nil || e.Cluster != "k8s-poc" || e.Hub != "k8s-shared" || len(e.Machines) != 1 ||
		e.Labels["etsmtl.club/external-network"] != "false" || e.Vault.Seal.CredentialsFile != "/etc/cedille/gcp-kms.json" {
		t.Fatalf("saved era-2 plan: %+v", sv.Plan.Era2)
	}
	if _, err := os.Stat(filepath.Join(stateDir, "install.yaml")); !os.IsNotExist(err) {
		t.Errorf("era 2 must not write era 1's state: %v", err)
	}

	playClusterReady(t, sim.srv.State(), "k8s-poc", 5)
	d.typed("k8s-pco")
	d.key("enter")
	d.shows(`"k8s-pco" is not the cluster name: nothing was wiped`)
	for range 3 {
		d.key("backspace")
	}
	d.typed("poc")
	d.key("enter")
	d.shows("Cluster (era 2) ✔ done", "cluster k8s-poc ready")
	ctx := context.Background()
	if _, err := safe.StateGetByID[*omni.Cluster](ctx, sim.srv.State(), "k8s-poc"); err != nil {
		t.Fatalf("the cluster template was not synced: %v", err)
	}
	patchesIn, err := safe.StateListAll[*omni.ConfigPatch](ctx, sim.srv.State())
	if err != nil || patchesIn.Len() == 0 {
		t.Fatalf("no network patch in Omni: %v", err)
	}
	if sv := loadEra2(t, stateDir); sv.Steps[steps.Era2Cluster].State != steps.Done {
		t.Errorf("era2-cluster saved as %v", sv.Steps[steps.Era2Cluster].State)
	}
	d.key("enter")
	d.shows("step 3/5 · Registration in the hub")
	d.key("q")
	d.waitQuit()
	if r := d.m.Result(); r.State != filepath.Join(stateDir, "install-era2.yaml") {
		t.Errorf("result state = %q", r.State)
	}

	// A new wizard resumes era 2 without asking.
	d = newDriver(t, newEra2Real(sim, stateDir, 0), 80, 24)
	scr = d.shows("cedille-tui install era 2", "✔ Cluster (era 2)", "step 3/5 · Registration in the hub")
	if strings.Contains(scr, "Which install?") {
		t.Errorf("a saved era-2 install resumes without the question:\n%s", scr)
	}
}

// TestEra2Direct: --era 2 opens era 2's form at once, even on an Omni without MachineClasses, whose
// absence the form's class field says in the plan's words.
func TestEra2Direct(t *testing.T) {
	sim := newSimOmni(t)
	d := newDriver(t, newEra2Real(sim, t.TempDir(), plan.Era2Version), 80, 24)
	d.shows("cedille-tui install era 2", "step 1/5 · Cluster (era 2)", "Cluster name")
	d.typed("k8s-poc")
	d.keys("enter", "enter", "enter")
	d.shows("Control planes' MachineClass")
	d.typed("k8s-poc-controlplane")
	d.key("enter")
	d.shows(`Omni has no MachineClass "k8s-poc-controlplane"`)
}

func loadEra2(t *testing.T, dir string) steps.Saved {
	t.Helper()
	sv, found, err := steps.Store{Path: filepath.Join(dir, "install-era2.yaml")}.Load()
	if err != nil || !found {
		t.Fatalf("install-era2.yaml: found %v, %v", found, err)
	}
	return sv
}

// TestEra2Accessible: the plain prompts offer era 2 as their first question when Omni has MachineClasses,
// then ask the era-2 form (Omni's choices numbered), save the plan in install-era2.yaml, print the review
// and refuse a wrong name: nothing is made in Omni.
func TestEra2Accessible(t *testing.T) {
	sim := newSimOmni(t)
	withFleet(t, sim)
	stateDir := t.TempDir()
	answers := []string{
		"2",       // era 2
		"k8s-poc", // cluster name
		"", "",    // Talos, Kubernetes: the newest offered
		"", "", "", "", // the classes named for their roles, 3 control planes, 2 workers
		"", "", "", // no etcd subnet, no patches file, no workload proxy
		"", "", "etsmtl.club/external-network=false", // stack, hub, labels
		"club-vault-poc", "global", "vault", "vault-unseal",
		"/etc/cedille/gcp-kms.json", "", "", "", // the credentials file, 5 shares, 3 of them
		"k8s-pco", // the wrong name
	}
	var out syncBuffer
	env := &steps.Env{Omni: sim.om, ConfigDir: stateDir}
	_, err := RunAccessible(context.Background(), AccessibleOptions{Steps: realSteps(), Env: env, Store: steps.NewStore(stateDir),
		In: strings.NewReader(strings.Join(answers, "\n") + "\n"), Out: &out, Report: printer(&out),
		Era2: &Era2Install{Steps: steps.Era2Steps(), Store: steps.Store{Path: filepath.Join(stateDir, "install-era2.yaml")}}})
	text := out.String()
	if !errors.Is(err, steps.ErrNotConfirmed) {
		t.Fatalf("want the wrong name refused, got %v\n%s", err, text)
	}
	for _, w := range []string{"Which install? (Omni makes VMs)", "era 2: a new cluster of the fleet, VMs from MachineClasses k8s-poc-controlplane, k8s-poc-worker",
		"== Cluster (era 2) (step 1 of 5) ==", "k8s-poc-controlplane", "k8s-shared",
		"Creating cluster k8s-poc: Omni allocates 5 VMs from MachineClasses k8s-poc-controlplane and k8s-poc-worker"} {
		if !strings.Contains(text, w) {
			t.Errorf("the prompts lack %q:\n%s", w, text)
		}
	}
	sv := loadEra2(t, stateDir)
	if e := sv.Plan.Era2; e == nil || e.Cluster != "k8s-poc" || e.ControlPlanes.MachineClass != "k8s-poc-controlplane" ||
		e.Workers.Size != 2 || e.Vault.RecoveryThreshold != 3 {
		t.Fatalf("saved era-2 plan: %+v", sv.Plan.Era2)
	}
	if l, _ := safe.StateListAll[*omni.Cluster](context.Background(), sim.srv.State()); l.Len() != 1 {
		t.Errorf("a refused confirmation made a cluster: %d clusters", l.Len())
	}
}
