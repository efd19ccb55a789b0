package steps

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/cosi-project/runtime/pkg/safe"
	"github.com/cosi-project/runtime/pkg/state"
	"github.com/siderolabs/gen/pair"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
	"github.com/siderolabs/omni/client/pkg/template/operations"
)

// Era 2's steps (an era-2 cluster of the fleet, PLATFORM.md §2.2 and §4.3).
const (
	Era2Cluster  ID = "era2-cluster"
	Era2Register ID = "era2-register"
)

// Era2Steps are the steps of an era-2 install, in order.
func Era2Steps() []Step {
	return []Step{Era2ClusterStep{}, Era2CiliumStep{}, Era2RegisterStep{}, Era2VaultInitStep{}, Era2VaultBootstrapStep{}}
}

// Previewer is a step whose dry run asks the live system what its Run would change (a template sync's
// diff, a server-side dry run), changing nothing.
type Previewer interface {
	Preview(ctx context.Context, e *Env, p plan.Plan) ([]string, error)
}

// Era2ClusterStep makes the era-2 cluster in Omni: each machine's network patch (a ConfigPatch bound to
// the machine), then the cluster template (versions, its stack's network patch, the control planes and workers
// from their MachineClasses) synced as `omnictl cluster template sync` does, after a typed confirmation;
// then it waits until Omni says the cluster is ready with every requested machine healthy.
type Era2ClusterStep struct{}

func (Era2ClusterStep) ID() ID           { return Era2Cluster }
func (Era2ClusterStep) Title() string    { return "Cluster (era 2)" }
func (Era2ClusterStep) Fields() []string { return []string{"era2"} }

func (Era2ClusterStep) Describe(p plan.Plan) []string {
	if p.Era2 == nil {
		return []string{"no era2 section"}
	}
	e := p.Era2
	out := []string{fmt.Sprintf("sync the Omni cluster template of %s (Kubernetes %s, Talos %s, %s)",
		e.Cluster, plan.Canonical(e.KubernetesVersion), plan.Canonical(e.TalosVersion), e.ClusterNetwork()),
		fmt.Sprintf("  %d control planes from MachineClass %s, %d workers from MachineClass %s",
			e.ControlPlanes.Size, e.ControlPlanes.MachineClass, e.Workers.Size, e.Workers.MachineClass)}
	if e.EtcdSubnet != "" {
		out = append(out, "  etcd on "+e.EtcdSubnet+" only")
	}
	for _, m := range e.Machines {
		out = append(out, "apply the network patch of "+m.Hostname+" (machine "+m.ID+")")
	}
	return append(out, fmt.Sprintf("wait for cluster %s to be ready with its %d machines healthy", e.Cluster, era2Machines(e)))
}

func era2Machines(e *plan.Era2) int { return e.ControlPlanes.Size + e.Workers.Size }

// era2Diff is what a Run would change in Omni: the machine patches to write, and the template sync.
type era2Diff struct {
	patches []*omni.ConfigPatch // to create or update
	creates map[string]bool     // patch ID → it does not exist yet
	lines   []string
}

func (d era2Diff) empty() bool { return len(d.lines) == 0 }

// diffEra2 reads Omni and says what the patches and the template sync would change, changing nothing.
func diffEra2(ctx context.Context, st state.State, p plan.Plan) (era2Diff, []byte, error) {
	d := era2Diff{creates: map[string]bool{}}
	tmpl, err := plan.ClusterTemplateEra2(p)
	if err != nil {
		return d, nil, err
	}
	mps, err := plan.MachinePatches(p)
	if err != nil {
		return d, nil, err
	}
	hosts := map[string]string{}
	for _, m := range p.Era2.Machines {
		hosts[strings.ToLower(m.ID)] = m.Hostname
	}
	for _, mp := range mps {
		want := machinePatch(mp)
		have, err := safe.StateGetByID[*omni.ConfigPatch](ctx, st, mp.ID)
		switch {
		case state.IsNotFoundError(err):
			d.creates[mp.ID] = true
			d.patches = append(d.patches, want)
			d.lines = append(d.lines, "creating the network patch of "+hosts[mp.Machine])
		case err != nil:
			return d, nil, err
		case !samePatch(have, want):
			d.patches = append(d.patches, want)
			d.lines = append(d.lines, "updating the network patch of "+hosts[mp.Machine])
		}
	}
	sync, err := templateSync(ctx, st, tmpl)
	if err != nil {
		return d, nil, err
	}
	d.lines = append(d.lines, syncLines(sync, p.Era2.Cluster, hosts)...)
	return d, tmpl, nil
}

// machinePatch is the ConfigPatch resource of a machine's network patch.
func machinePatch(mp plan.MachinePatch) *omni.ConfigPatch {
	cp := omni.NewConfigPatch(mp.ID, pair.MakePair(omni.LabelMachine, mp.Machine))
	cp.Metadata().Annotations().Set(omni.ConfigPatchName, "network")
	cp.Metadata().Annotations().Set(omni.ConfigPatchDescription, "the machine's network, by cedille-tui install --era 2")
	_ = cp.TypedSpec().Value.SetUncompressedData(mp.Data) // uncompressed: never fails
	return cp
}

// samePatch tells whether Omni's patch has the wanted data and machine label.
func samePatch(have, want *omni.ConfigPatch) bool {
	hm, _ := have.Metadata().Labels().Get(omni.LabelMachine)
	wm, _ := want.Metadata().Labels().Get(omni.LabelMachine)
	hb, err := have.TypedSpec().Value.GetUncompressedData()
	if err != nil {
		return false
	}
	defer hb.Free()
	return hm == wm && bytes.Equal(hb.Data(), []byte(want.TypedSpec().Value.GetData()))
}

// Preview is the sync's diff in an operator's words, read from Omni; nothing is changed.
func (Era2ClusterStep) Preview(ctx context.Context, e *Env, p plan.Plan) ([]string, error) {
	om, err := e.omni()
	if err != nil {
		return nil, err
	}
	d, _, err := diffEra2(ctx, om.State(), p)
	if err != nil {
		return nil, om.Classify(err)
	}
	if d.empty() {
		return []string{"Omni already has the cluster template and every network patch: nothing to change"}, nil
	}
	return d.lines, nil
}

func (s Era2ClusterStep) Check(ctx context.Context, e *Env, p plan.Plan) (Outcome, error) {
	om, err := e.omni()
	if err != nil {
		return Outcome{}, err
	}
	if ps := p.ValidateEra2(nil, nil); len(ps) > 0 {
		return Outcome{Detail: ps[0].String()}, nil
	}
	d, _, err := diffEra2(ctx, om.State(), p)
	if err != nil {
		return Outcome{}, om.Classify(err)
	}
	if !d.empty() {
		return Outcome{Detail: fmt.Sprintf("%d changes to make in Omni (the cluster, its machine sets and the machines' network patches)", len(d.lines))}, nil
	}
	ok, line := era2Ready(ctx, om.State(), p.Era2)
	return Outcome{Holds: ok, Detail: line}, nil
}

// era2Ready tells whether Omni says the cluster is ready with every requested machine healthy.
func era2Ready(ctx context.Context, st state.State, e *plan.Era2) (bool, string) {
	cs, err := safe.StateGetByID[*omni.ClusterStatus](ctx, st, e.Cluster)
	if err != nil {
		return false, "cluster " + e.Cluster + ": no status yet"
	}
	line := clusterLine(cs)
	s := cs.TypedSpec().Value
	switch {
	case !s.GetReady():
		return false, "cluster " + e.Cluster + " not ready: " + line
	case int(s.GetMachines().GetHealthy()) < era2Machines(e):
		return false, fmt.Sprintf("cluster %s: %s; the plan asks for %d machines", e.Cluster, line, era2Machines(e))
	}
	return true, "cluster " + e.Cluster + " ready: " + line
}

// MachineClasses lists the names of Omni's MachineClasses.
func MachineClasses(ctx context.Context, st state.State) ([]string, error) {
	l, err := safe.StateListAll[*omni.MachineClass](ctx, st)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, l.Len())
	for c := range l.All() {
		out = append(out, c.Metadata().ID())
	}
	return out, nil
}

func (s Era2ClusterStep) Run(ctx context.Context, e *Env, p *plan.Plan, emit func(Event)) (Result, error) {
	om, err := e.omni()
	if err != nil {
		return Result{}, err
	}
	classes, err := MachineClasses(ctx, om.State())
	if err != nil {
		return Result{}, om.Classify(err)
	}
	inv, err := LoadInventory(ctx, e)
	if err != nil {
		return Result{}, err
	}
	if ps := p.ValidateEra2(classes, inv); len(ps) > 0 {
		return Result{}, ps
	}
	c := p.Era2.Cluster
	d, tmpl, err := diffEra2(ctx, om.State(), *p)
	if err != nil {
		return Result{}, om.Classify(err)
	}
	if !d.empty() {
		if e.Confirm == nil {
			return Result{}, fmt.Errorf("syncing cluster %s installs Talos on the machines Omni allocates and needs a typed confirmation: %w", c, ErrNotConfirmed)
		}
		cf := Confirmation{Action: fmt.Sprintf("sync cluster %s in Omni: the machines allocated from its MachineClasses install Talos and their disks are wiped", c),
			Touches: d.lines, Expect: c}
		if err := e.Confirm(ctx, cf); err != nil {
			return Result{}, err
		}
		for _, l := range d.lines {
			emit(Event{Step: Era2Cluster, Message: l})
		}
		for _, cp := range d.patches {
			if err := writePatch(ctx, om.State(), cp, d.creates[cp.Metadata().ID()]); err != nil {
				return Result{}, fmt.Errorf("write the network patch %s: %w", cp.Metadata().ID(), om.Classify(err))
			}
		}
		if err := operations.SyncTemplate(ctx, bytes.NewReader(tmpl), io.Discard, om.State(), operations.SyncOptions{}, nil); err != nil {
			return Result{}, fmt.Errorf("sync the cluster template: %w", om.Classify(err))
		}
	} else {
		emit(Event{Step: Era2Cluster, Message: "the cluster template and the network patches are already in Omni"})
	}
	wait := e.ClusterWait
	if wait <= 0 {
		wait = 60 * time.Minute
	}
	line := ""
	err = e.until(ctx, wait, func() (bool, error) {
		var ok bool
		ok, line = era2Ready(ctx, om.State(), p.Era2)
		return ok, nil
	}, func() error {
		return fmt.Errorf("%s after %s: look at the machines in Omni; resume to keep waiting", line, wait)
	})
	if err != nil {
		return Result{}, err
	}
	emit(Event{Step: Era2Cluster, Message: line})
	return Result{Summary: []string{line}}, nil
}

// writePatch creates the patch, or updates Omni's to its data and labels.
func writePatch(ctx context.Context, st state.State, cp *omni.ConfigPatch, create bool) error {
	if create {
		return st.Create(ctx, cp)
	}
	_, err := safe.StateUpdateWithConflicts(ctx, st, cp.Metadata(), func(r *omni.ConfigPatch) error {
		r.TypedSpec().Value = cp.TypedSpec().Value
		for k, v := range cp.Metadata().Labels().Raw() {
			r.Metadata().Labels().Set(k, v)
		}
		for k, v := range cp.Metadata().Annotations().Raw() {
			r.Metadata().Annotations().Set(k, v)
		}
		return nil
	})
	return err
}
