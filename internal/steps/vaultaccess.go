package steps

import (
	"context"
	"fmt"
	"net/url"

	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/vaultops"
)

// VaultAccess is how the Vault steps reach the installed cluster and Vault's servers.
type VaultAccess interface {
	// Kube connects to the cluster the install created.
	Kube(ctx context.Context, p plan.Plan) (*platform.Kube, error)
	// Replicas finds Vault's servers, the one initialized and unsealed first (the leader-to-be, vault-0)
	// first. The caller closes each.
	Replicas(ctx context.Context, p plan.Plan, k *platform.Kube) ([]*vaultops.Replica, error)
	// InCluster tells whether Vault runs in the cluster (it reaches the API server at
	// https://kubernetes.default.svc and has its own service-account CA and token).
	InCluster() bool
	// Token is a token the operator gave (VAULT_TOKEN), for a bootstrap in a later process than the init.
	Token() vaultops.Secret
}

// InClusterAPI is the API server as a pod reaches it.
const InClusterAPI = "https://kubernetes.default.svc"

// ClusterVault is the real access: the plan's kubeconfig; Vault's server pods through port-forwards, or
// the single server VAULT_ADDR names.
type ClusterVault struct {
	// Options are the vault CLI's variables (VAULT_ADDR, VAULT_CACERT, VAULT_TOKEN…).
	Options platform.VaultOptions
}

func (c ClusterVault) Kube(_ context.Context, p plan.Plan) (*platform.Kube, error) {
	if p.Cluster.Kubeconfig == "" {
		return nil, fmt.Errorf("no kubeconfig yet: the cluster step saves it (or set cluster.kubeconfig in the answers)")
	}
	return platform.ConnectKube(platform.KubeOptions{Kubeconfig: p.Cluster.Kubeconfig, UserAgent: "cedille-tui/install"},
		func(string) (string, bool) { return "", false })
}

func (c ClusterVault) Replicas(ctx context.Context, _ plan.Plan, k *platform.Kube) ([]*vaultops.Replica, error) {
	if c.Options.Addr != "" {
		o := c.Options
		o.Token = ""
		v, err := platform.ConnectVault(o)
		if err != nil {
			return nil, err
		}
		name := o.Addr
		if u, err := url.Parse(o.Addr); err == nil {
			name = u.Host
		}
		return []*vaultops.Replica{{Name: name, Vault: v}}, nil
	}
	if k == nil {
		return nil, fmt.Errorf("no cluster to find Vault in, and %s is not set", platform.EnvVaultAddr)
	}
	return vaultops.FindReplicas(ctx, k, c.Options.CACert)
}

func (c ClusterVault) InCluster() bool { return c.Options.Addr == "" }

func (c ClusterVault) Token() vaultops.Secret { return vaultops.NewSecret(c.Options.Token) }

func (e *Env) vault() VaultAccess {
	if e.Vault != nil {
		return e.Vault
	}
	return ClusterVault{}
}
