package steps

import (
	"context"
	"slices"

	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/cosi-project/runtime/pkg/safe"
	"github.com/siderolabs/omni/client/pkg/omni/resources/infra"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
)

// LoadEra2Inventory is what an era-2 install chooses from: Omni's inventory (the Talos versions and
// the Kubernetes versions each supports), with the names of its MachineClasses, of its clusters (the
// hub is one of them) and of its infrastructure providers (when the key may read them), each sorted.
func LoadEra2Inventory(ctx context.Context, e *Env) (*plan.Inventory, error) {
	inv, err := LoadInventory(ctx, e)
	if err != nil {
		return nil, err
	}
	om, _ := e.omni() // LoadInventory answered: Omni is configured
	classes, err := MachineClasses(ctx, om.State())
	if err != nil {
		return nil, om.Classify(err)
	}
	cs, err := safe.StateListAll[*omni.Cluster](ctx, om.State())
	if err != nil {
		return nil, om.Classify(err)
	}
	out := *inv
	// An Omni that does not let the key read its providers' statuses still has its MachineClasses.
	if ps, err := safe.StateListAll[*infra.ProviderStatus](ctx, om.State()); err == nil {
		for p := range ps.All() {
			out.InfraProviders = append(out.InfraProviders, p.Metadata().ID())
		}
		slices.Sort(out.InfraProviders)
	}
	out.MachineClasses = classes
	out.Clusters = make([]string, 0, cs.Len())
	for c := range cs.All() {
		out.Clusters = append(out.Clusters, c.Metadata().ID())
	}
	slices.Sort(out.MachineClasses)
	slices.Sort(out.Clusters)
	return &out, nil
}
