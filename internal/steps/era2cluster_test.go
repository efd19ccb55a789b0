package steps

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/omnisim"
	"github.com/clubcedille/cedille-tui/internal/omnisim/omnisimtest"
	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/cosi-project/runtime/pkg/safe"
	"github.com/cosi-project/runtime/pkg/state"
	"github.com/siderolabs/omni/client/api/omni/specs"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
)

// era2Answers is an era-2 cluster of two machines, each with its network patch.
const era2Answers = `version: 1
era: 2
era2:
  cluster: k8s-lab
  talosVersion: 1.8.0
  kubernetesVersion: 1.30.0
  controlPlanes: {machineClass: k8s-lab-controlplane, size: 1}
  workers: {machineClass: k8s-lab-worker, size: 1}
  stack: k8s-foundation
  hub: k8s-hub
  labels: {etsmtl.club/external-network: "false"}
  machines:
    - id: 0b6c2a6e-5f0e-4c1e-9d43-1a2b3c4d5e01
      hostname: k8s-lab-controlplane-1.example.club
      interfaces:
        - mac: bc:24:11:04:02:01
          addresses: [10.10.4.11/25]
          routes: [{network: 0.0.0.0/0, gateway: 10.10.4.1}]
    - id: 0b6c2a6e-5f0e-4c1e-9d43-1a2b3c4d5e11
      hostname: k8s-lab-worker-1.example.club
      interfaces:
        - mac: bc:24:11:04:02:11
          dhcp: true
  vault:
    seal: {type: gcpckms, project: club-vault-lab, region: global, keyRing: vault, cryptoKey: vault-unseal,
      credentialsFile: /etc/cedille/gcp-kms.json}
    recoveryShares: 5
    recoveryThreshold: 3
`

func era2TestPlan(t *testing.T) plan.Plan {
	t.Helper()
	p, _, err := plan.ParseAnswers("answers.yaml", []byte(era2Answers))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// writeMachineClasses makes the MachineClasses the plan names, as PLATFORM.md §2.2's Terraform does.
func writeMachineClasses(ctx context.Context, t *testing.T, st state.State, names ...string) {
	t.Helper()
	for _, n := range names {
		mc := omni.NewMachineClass(n)
		mc.TypedSpec().Value = &specs.MachineClassSpec{MatchLabels: []string{"cluster-candidate = k8s-lab"}}
		if err := st.Create(ctx, mc); err != nil {
			t.Fatal(err)
		}
	}
}

// playOmniReady plays Omni's controllers: once the template's Cluster exists, its status says ready
// with healthy machines.
func playOmniReady(ctx context.Context, t *testing.T, st state.State, cluster string, healthy uint32) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, err := st.WatchFor(ctx, omni.NewCluster(cluster).Metadata(), state.WithEventTypes(state.Created))
		if err == nil {
			cs := omni.NewClusterStatus(cluster)
			cs.TypedSpec().Value = &specs.ClusterStatusSpec{Ready: true, Phase: specs.ClusterStatusSpec_RUNNING,
				KubernetesAPIReady: true, Machines: &specs.Machines{Total: healthy, Healthy: healthy}}
			err = st.Create(ctx, cs)
		}
		done <- err
	}()
	return done
}

func TestEra2ClusterStep(t *testing.T) {
	srv, om := omnisimtest.Start(t, omnisim.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st := srv.State()
	e := &Env{Omni: om, Poll: time.Millisecond, ClusterWait: time.Minute}
	p := era2TestPlan(t)
	s := Era2ClusterStep{}

	// A class Omni does not have: nothing is written.
	writeMachineClasses(ctx, t, st, "k8s-lab-controlplane")
	e.Confirm = func(context.Context, Confirmation) error { return nil }
	_, err := s.Run(ctx, e, &p, func(Event) {})
	var ps plan.Problems
	if !errors.As(err, &ps) || !strings.Contains(err.Error(), `era2.workers.machineClass: Omni has no MachineClass "k8s-lab-worker"`) {
		t.Fatalf("an unknown class: %v", err)
	}
	writeMachineClasses(ctx, t, st, "k8s-lab-worker")

	// A Kubernetes version this Omni's Talos does not support: nothing is written.
	tv := talosVersion("1.8.0", false, "1.29.3")
	if err := st.Create(ctx, tv); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Run(ctx, e, &p, func(Event) {}); err == nil ||
		!strings.Contains(err.Error(), "era2.kubernetesVersion: Kubernetes 1.30.0 is not supported by Talos 1.8.0 (supported: 1.29.3)") {
		t.Fatalf("an unsupported version: %v", err)
	}
	if _, err := safe.StateUpdateWithConflicts(ctx, st, tv.Metadata(), func(r *omni.TalosVersion) error {
		r.TypedSpec().Value.CompatibleKubernetesVersions = []string{"1.29.3", "1.30.0"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	o, err := s.Check(ctx, e, p)
	if err != nil || o.Holds || !strings.Contains(o.Detail, "changes to make in Omni") {
		t.Fatalf("check before: %+v %v", o, err)
	}
	preview, err := s.Preview(ctx, e, p)
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(preview, "\n")
	for _, w := range []string{"creating the network patch of k8s-lab-worker-1.example.club", "creating cluster k8s-lab",
		"creating the control planes' machine set", "creating config patch cilium of cluster k8s-lab"} {
		if !strings.Contains(joined, w) {
			t.Errorf("the dry run lacks %q:\n%s", w, joined)
		}
	}
	if l, _ := safe.StateListAll[*omni.ConfigPatch](ctx, st); l.Len() != 0 {
		t.Fatalf("the dry run wrote %d patches", l.Len())
	}

	// Not confirmed: nothing is written.
	e.Confirm = func(context.Context, Confirmation) error { return ErrNotConfirmed }
	if _, err := s.Run(ctx, e, &p, func(Event) {}); !errors.Is(err, ErrNotConfirmed) {
		t.Fatalf("unconfirmed: %v", err)
	}
	if _, err := safe.StateGetByID[*omni.Cluster](ctx, st, "k8s-lab"); !state.IsNotFoundError(err) {
		t.Fatalf("an unconfirmed run made the cluster: %v", err)
	}

	var asked Confirmation
	e.Confirm = func(_ context.Context, c Confirmation) error { asked = c; return nil }
	ready := playOmniReady(ctx, t, st, "k8s-lab", 2)
	res, err := s.Run(ctx, e, &p, func(Event) {})
	if err != nil {
		t.Fatal(err)
	}
	if err := <-ready; err != nil {
		t.Fatal(err)
	}
	if asked.Expect != "k8s-lab" || len(asked.Touches) == 0 || !strings.Contains(res.Summary[0], "cluster k8s-lab ready") {
		t.Errorf("confirmation %+v, result %+v", asked, res)
	}
	cp, err := safe.StateGetByID[*omni.ConfigPatch](ctx, st, "600-0b6c2a6e-5f0e-4c1e-9d43-1a2b3c4d5e11")
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := cp.Metadata().Labels().Get(omni.LabelMachine); m != "0b6c2a6e-5f0e-4c1e-9d43-1a2b3c4d5e11" ||
		!strings.Contains(cp.TypedSpec().Value.GetData(), "hardwareAddr: bc:24:11:04:02:11") {
		t.Errorf("the worker's patch: %v %s", m, cp.TypedSpec().Value.GetData())
	}
	ms, err := safe.StateGetByID[*omni.MachineSet](ctx, st, omni.WorkersResourceID("k8s-lab"))
	if err != nil || ms.TypedSpec().Value.GetMachineAllocation().GetName() != "k8s-lab-worker" {
		t.Fatalf("workers' machine set: %v %v", ms, err)
	}

	if o, err := s.Check(ctx, e, p); err != nil || !o.Holds {
		t.Fatalf("check after: %+v %v", o, err)
	}
	var lines []string
	if _, err := s.Run(ctx, e, &p, func(ev Event) { lines = append(lines, ev.Message) }); err != nil ||
		!strings.Contains(strings.Join(lines, "\n"), "already in Omni") {
		t.Fatalf("rerun: %v %q", err, lines)
	}

	// More workers: the workers' machine set changes.
	bigger := p.Clone()
	bigger.Era2.Workers.Size = 3
	if preview, _ := s.Preview(ctx, e, bigger); !strings.Contains(strings.Join(preview, "\n"), "updating the workers' machine set") {
		t.Fatalf("preview of a bigger plan: %q", preview)
	}

	// Someone edits the machine's patch in Omni: the step is no longer done and would put it back.
	if _, err := safe.StateUpdateWithConflicts(ctx, st, cp.Metadata(), func(r *omni.ConfigPatch) error {
		return r.TypedSpec().Value.SetUncompressedData([]byte("machine: {}\n"))
	}); err != nil {
		t.Fatal(err)
	}
	if o, _ := s.Check(ctx, e, p); o.Holds {
		t.Fatalf("an edited patch still holds: %+v", o)
	}
	if preview, _ := s.Preview(ctx, e, p); !strings.Contains(strings.Join(preview, "\n"), "updating the network patch of k8s-lab-worker-1.example.club") {
		t.Fatalf("preview after the edit: %q", preview)
	}

}
