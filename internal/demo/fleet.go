package demo

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/clubcedille/cedille-tui/internal/omnisim"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/watch"
	"github.com/siderolabs/omni/client/pkg/client"
	"k8s.io/client-go/rest"
)

// The simulated era-2 fleet behind `cedille-tui demo --era 2` (PLATFORM.md §1.2, §2.2, §3.2, §4.3): Talos
// VM clusters on Proxmox made from Omni cluster templates, all held by one in-process omnisim that the
// real omni client reads; each cluster with its own simulated Kubernetes API serving era 2's kinds (Rook
// external Ceph, Velero, CloudNativePG, vault-secrets-operator, MetalLB or Cilium LB-IPAM — no Mayastor,
// no Kuma) and its own Vault, auto-unsealed by Google Cloud KMS. The hub k8s-shared runs ArgoCD, which
// reaches the spokes through Omni's Kubernetes proxy. The faults of FleetFaults are on from the start.

// The fleet's clusters: the ArgoCD hub and its two spokes.
const (
	FleetHub        = "k8s-shared"
	FleetProduction = "k8s-cedille-production-v2"
	FleetSandbox    = "k8s-cedille-sandbox"
)

// omniKubeProxy is Omni's Kubernetes proxy: a spoke's API server as ArgoCD reaches it, ?cluster=<name>.
const omniKubeProxy = "https://cedille.kubernetes.omni.siderolabs.io"

// inClusterServer is how ArgoCD names the cluster it runs in.
const inClusterServer = "https://kubernetes.default.svc"

// FleetServer is the server URL ArgoCD knows a fleet cluster by (its cluster Secret's `server`, its
// Applications' destination.server): Omni's Kubernetes proxy for a spoke, the in-cluster API for the
// hub, as the club's k8s-shared registers itself.
func FleetServer(cluster string) string {
	if cluster == FleetHub {
		return inClusterServer
	}
	return omniKubeProxy + "?cluster=" + cluster
}

// FleetOptions shape the simulated fleet.
type FleetOptions struct {
	// Now is the demo's clock (backups, syncs, certificates are that long ago); time.Now when nil.
	Now func() time.Time
}

func (o FleetOptions) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// Fleet is a running simulated era-2 fleet; Close releases it.
type Fleet struct {
	omniSrv  *omnisim.Server
	omni     *platform.Omni
	clusters []*fleetCluster
	// simMu guards the clusters' cold-start simulations (fleetdrill.go).
	simMu sync.Mutex
}

// fleetCluster is one cluster of the fleet: its shape, its Kubernetes API and its Vault.
type fleetCluster struct {
	spec  fleetSpec
	kube  *kubeFakes
	vault *vaultCluster
	// cold is its cold-start simulation, made on first use (fleetdrill.go).
	cold *coldSim
}

// StartFleet builds and seeds the simulated fleet: Omni's clusters and machines, and each cluster's
// Kubernetes objects and Vault, with FleetFaults on.
func StartFleet(ctx context.Context, o FleetOptions) (*Fleet, error) {
	now := o.now()
	specs := fleetSpecs()
	f := &Fleet{}
	var err error
	if f.omniSrv, err = omnisim.New(omnisim.Options{}); err != nil {
		return nil, fmt.Errorf("demo fleet: omni: %w", err)
	}
	if err := seedFleetOmni(ctx, f.omniSrv.State(), specs); err != nil {
		f.Close()
		return nil, fmt.Errorf("demo fleet: omni: %w", err)
	}
	if f.omni, err = platform.ConnectOmni(platform.OmniOptions{
		Endpoint: omnisim.InProcessEndpoint, Extra: []client.Option{f.omniSrv.InProcessOption()},
	}); err != nil {
		f.Close()
		return nil, err
	}
	// The client dials in process; the endpoint is only what messages name it by.
	f.omni.Endpoint = "the demo's simulated Omni"
	token := "demo." + randomHex(24) // the hub's Omni service-account tokens (fake, never shown)
	for _, s := range specs {
		c := &fleetCluster{spec: s}
		if c.kube, err = newKubeFakesServing(versions{talos: s.talos, kubernetes: s.kubernetes}, s.served()); err != nil {
			f.Close()
			return nil, fmt.Errorf("demo fleet: %s: %w", s.name, err)
		}
		typed, dyn := fleetObjects(s, now)
		if s.name == FleetHub {
			ht, hd := hubObjects(specs, token, now)
			typed, dyn = append(typed, ht...), append(dyn, hd...)
		}
		settleControllers(typed)
		c.kube.serveNameSelectors()
		if err := c.kube.store(typed, dyn); err != nil {
			f.Close()
			return nil, fmt.Errorf("demo fleet: %s: %w", s.name, err)
		}
		if err := c.kube.storeCRDMetadata(fleetGatewayAPICRDs(s)); err != nil {
			f.Close()
			return nil, fmt.Errorf("demo fleet: %s: %w", s.name, err)
		}
		c.kube.up.Store(true)
		c.vault, err = newFleetVault(ctx)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("demo fleet: %s: vault: %w", s.name, err)
		}
		f.clusters = append(f.clusters, c)
	}
	return f, nil
}

// Omni is the fleet's Omni (one, holding every cluster), through the real omni client.
func (f *Fleet) Omni() *platform.Omni { return f.omni }

// Clusters names the fleet's clusters, the hub first.
func (f *Fleet) Clusters() []string {
	out := make([]string, 0, len(f.clusters))
	for _, c := range f.clusters {
		out = append(out, c.spec.name)
	}
	return out
}

// Targets are the connections to one cluster of the fleet: its Kubernetes API (as Omni's proxy serves
// it) and its Vault. Omni is the fleet's (Fleet.Omni), not one cluster's: it is left out. An unknown
// cluster is an error naming the known ones.
func (f *Fleet) Targets(ctx context.Context, cluster string) (watch.Targets, error) {
	if err := ctx.Err(); err != nil {
		return watch.Targets{}, err
	}
	for _, c := range f.clusters {
		if c.spec.name != cluster {
			continue
		}
		host := omniKubeProxy + "?cluster=" + cluster
		k := c.kube.kube()
		k.Config, k.Host, k.Context = &rest.Config{Host: host}, host, "demo-"+cluster
		v, err := platform.ConnectVault(platform.VaultOptions{Addr: fleetVaultAddr(cluster), HTTPClient: c.vault.fleetClient(cluster, c.spec.vaultStorage)})
		if err != nil {
			return watch.Targets{}, err
		}
		return watch.Targets{Name: cluster, Demo: true, Kube: k,
			Vault: []watch.VaultTarget{{Name: fleetVaultReplica, Vault: v}}}, nil
	}
	return watch.Targets{}, fmt.Errorf("demo fleet: no cluster %q (the fleet's clusters: %s)", cluster, strings.Join(f.Clusters(), ", "))
}

// Close stops the clusters' cold-start controllers (when a drill started them), the simulated Omni and
// its client. The clusters' Kubernetes APIs and Vaults are in memory.
func (f *Fleet) Close() {
	f.stopSimulations()
	if f.omni != nil {
		_ = f.omni.Close()
	}
	if f.omniSrv != nil {
		f.omniSrv.Stop()
	}
}
