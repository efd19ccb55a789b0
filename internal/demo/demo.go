// Package demo is the embedded, simulated era-1 Cedille platform behind `cedille-tui demo`: the same
// platform interfaces the real connections use, served in-process — client-go fake clientsets for
// Kubernetes, the omnisim COSI state over an in-process gRPC listener for the real omni client, and an
// in-process HTTP handler for the Vault API — plus fault injection to practise recovery.
package demo

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/clubcedille/cedille-tui/internal/omnisim"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/watch"
	"github.com/siderolabs/omni/client/pkg/client"
)

// ClusterName is the simulated Omni cluster.
const ClusterName = "cedille-cluster"

// Options shape the simulated platform.
type Options struct {
	// Installed starts the platform as the wizard leaves it — Vault initialized and unsealed,
	// vault-config-operator reconciled, the vclusters registered in ArgoCD — instead of as era 1 left it.
	Installed bool
	// Now is the demo's clock (certificate expiry); time.Now when nil.
	Now func() time.Time
}

func (o Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// Platform is a running simulated platform.
type Platform struct {
	Kube     *platform.Kube
	Omni     *platform.Omni
	Vault    []watch.VaultTarget
	omni     *omnisim.Server
	vault    *vaultCluster
	machines []DemoMachine

	mu     sync.Mutex
	faults map[string]bool
}

// Start builds and seeds the simulated platform; Close releases it.
func Start(ctx context.Context, o Options) (*Platform, error) {
	p := &Platform{machines: DemoMachines(), faults: map[string]bool{}}
	var err error
	if p.Kube, err = newKube(p.machines, o); err != nil {
		return nil, fmt.Errorf("demo: kubernetes: %w", err)
	}
	if p.omni, err = omnisim.New(omnisim.Options{}); err != nil {
		return nil, fmt.Errorf("demo: omni: %w", err)
	}
	if err := SeedOmni(ctx, p.omni.State()); err != nil {
		p.omni.Stop()
		return nil, fmt.Errorf("demo: omni: %w", err)
	}
	if p.Omni, err = platform.ConnectOmni(platform.OmniOptions{
		Endpoint: omnisim.InProcessEndpoint, Extra: []client.Option{p.omni.InProcessOption()},
	}); err != nil {
		p.omni.Stop()
		return nil, err
	}

	p.vault = newVaultCluster("vault-0", "vault-1", "vault-2")
	for _, r := range p.vault.replicas {
		v, err := platform.ConnectVault(platform.VaultOptions{
			Addr:       "http://" + r.name + ".vault-internal.vault.svc:8200",
			HTTPClient: p.vault.client(r.name),
		})
		if err != nil {
			p.Close()
			return nil, err
		}
		p.Vault = append(p.Vault, watch.VaultTarget{Name: r.name, Vault: v})
	}
	if o.Installed {
		if _, _, err := p.vault.initialize(5, 3); err != nil {
			p.Close()
			return nil, err
		}
		if err := p.vault.unsealAll(ctx); err != nil {
			p.Close()
			return nil, err
		}
	}
	return p, nil
}

// Targets are the simulated connections, as the hub and `status` take them.
func (p *Platform) Targets() watch.Targets {
	return watch.Targets{Name: ClusterName, Demo: true, Kube: p.Kube, Omni: p.Omni, Vault: p.Vault}
}

// Close stops the simulated servers.
func (p *Platform) Close() {
	if p.Omni != nil {
		_ = p.Omni.Close()
	}
	if p.omni != nil {
		p.omni.Stop()
	}
}
