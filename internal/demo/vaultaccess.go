package demo

import (
	"context"
	"errors"

	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/steps"
	"github.com/clubcedille/cedille-tui/internal/vaultops"
)

// VaultAccess is how the Vault steps reach the simulated platform: its fake Kubernetes API and the three
// simulated Vault replicas, in process, as Vault running in the cluster (InCluster). There is no
// VAULT_TOKEN: the bootstrap uses the root token the init step hands over.
func (p *Platform) VaultAccess() steps.VaultAccess { return demoVaultAccess{p: p} }

type demoVaultAccess struct{ p *Platform }

func (a demoVaultAccess) Kube(context.Context, plan.Plan) (*platform.Kube, error) {
	return a.p.Kube, nil
}

// Replicas are vault-0, vault-1 and vault-2, each a fresh connection without a token; before a Blank
// demo's cluster is installed each carries the error its missing pod would give.
func (a demoVaultAccess) Replicas(context.Context, plan.Plan, *platform.Kube) ([]*vaultops.Replica, error) {
	c := a.p.vault
	out := make([]*vaultops.Replica, 0, len(c.replicas))
	for _, r := range c.replicas {
		rep := &vaultops.Replica{Name: r.name}
		out = append(out, rep)
		if c.down.Load() {
			rep.Err = errors.New("Vault's pods do not exist yet")
			continue
		}
		v, err := platform.ConnectVault(platform.VaultOptions{
			Addr:       replicaAddr(r.name),
			HTTPClient: c.client(r.name),
		})
		if err != nil {
			return nil, err
		}
		rep.Vault = v
	}
	return out, nil
}

func (demoVaultAccess) InCluster() bool { return true }

func (demoVaultAccess) Token() vaultops.Secret { return vaultops.Secret{} }
