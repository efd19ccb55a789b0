package demo

import (
	"context"

	"github.com/clubcedille/cedille-tui/internal/actions"
	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/vaultops"
)

// Clients are what a dispatcher (internal/actions) writes through on the simulated platform: its
// fakes, as the person — the API server sees cedille:<name> for someone impersonated, as a real one
// would, and the name itself for the local person.
func (p *Platform) Clients() actions.ClientSource { return demoClients{p: p} }

type demoClients struct{ p *Platform }

func (c demoClients) For(a actions.Actor) (actions.Client, error) {
	imp, err := actions.Impersonation(a)
	if err != nil {
		return actions.Client{}, err
	}
	user := a.Name
	if !a.Local {
		user = imp.UserName
	}
	return actions.Client{Kube: c.p.Kube.Typed, Dynamic: c.p.Kube.Dynamic, User: user}, nil
}

// VaultReplicas finds the simulated Vault's servers, as a runbook's World.Vault does on a real
// platform (the caller closes each).
func (p *Platform) VaultReplicas(ctx context.Context) ([]*vaultops.Replica, error) {
	return p.VaultAccess().Replicas(ctx, plan.Plan{}, p.Kube)
}
