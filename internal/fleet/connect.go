package fleet

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/watch"
	"github.com/siderolabs/omni/client/pkg/client/management"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"k8s.io/client-go/tools/clientcmd"
)

// Connector reaches one cluster of the fleet: the connections its watch set reads.
type Connector interface {
	Connect(ctx context.Context, cluster string) (watch.Targets, error)
}

// Defaults of the service account the console reaches the clusters as.
const (
	// DefaultUser is the user Omni's kubeconfigs name (the spokes' audit logs show it).
	DefaultUser = "cedille-tui"
	// DefaultGroup is the group each cluster binds to the console's read role (deploy/).
	DefaultGroup = "cedille-console:fleet"
	// DefaultTTL is how long an issued kubeconfig's token lives: a console left open a working day.
	DefaultTTL = 8 * time.Hour
)

// OmniConnector reaches a cluster through Omni's Kubernetes proxy with a kubeconfig Omni issues for a
// service account (management Kubeconfig with ServiceAccount set, as `omnictl kubeconfig --cluster NAME
// --service-account --user USER` does): no kubeconfig file per cluster to keep, and a token that expires.
// Vault is then the cluster's own Vault pods, reached through the API server.
type OmniConnector struct {
	Omni   *platform.Omni
	User   string
	Groups []string
	TTL    time.Duration
	// VaultCACert is VAULT_CACERT, trusted for the clusters' Vault pods before each cluster's CA.
	VaultCACert string
	// UserAgent names the console in the clusters' audit logs.
	UserAgent string
}

// Connect asks Omni for the cluster's kubeconfig and builds its targets; nothing is contacted but Omni.
func (c OmniConnector) Connect(ctx context.Context, cluster string) (watch.Targets, error) {
	user, groups, ttl := c.User, c.Groups, c.TTL
	if user == "" {
		user = DefaultUser
	}
	if len(groups) == 0 {
		groups = []string{DefaultGroup}
	}
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	b, err := c.Omni.Client.Management().WithCluster(cluster).Kubeconfig(ctx, management.WithServiceAccount(ttl, user, groups...))
	if err != nil {
		return watch.Targets{}, kubeconfigError(c.Omni, cluster, err)
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(b)
	if err != nil {
		return watch.Targets{}, &platform.ConnError{Source: platform.SourceKubernetes, Problem: platform.Invalid,
			What: "Omni's kubeconfig for " + cluster + " cannot be read", Err: err, Fix: "check the Omni version"}
	}
	k, err := platform.NewKube(cfg, cluster, c.UserAgent)
	if err != nil {
		return watch.Targets{}, err
	}
	ca := c.VaultCACert
	return watch.Targets{Name: cluster, Kube: k, VaultPods: func() *watch.VaultPods { return watch.NewVaultPods(k, ca) }}, nil
}

// kubeconfigError says why Omni issued no kubeconfig, and what to do.
func kubeconfigError(om *platform.Omni, cluster string, err error) error {
	switch status.Code(err) {
	case codes.NotFound:
		return &platform.ConnError{Source: platform.SourceOmni, Problem: platform.Invalid,
			What: "Omni has no cluster " + cluster, Fix: "`cedille-tui status --fleet` lists the clusters Omni has"}
	case codes.FailedPrecondition:
		return &platform.ConnError{Source: platform.SourceOmni, Problem: platform.Unreachable,
			What: "Omni has no kubeconfig for " + cluster + " yet", Err: errors.New(status.Convert(err).Message()),
			Fix: "wait for the cluster to finish bootstrapping"}
	case codes.PermissionDenied:
		return &platform.ConnError{Source: platform.SourceOmni, Problem: platform.Refused,
			What: "Omni refuses a kubeconfig for " + cluster, Err: errors.New(status.Convert(err).Message()),
			Fix: "give the service account the Operator role (issuing service-account kubeconfigs needs it)"}
	}
	if e := om.Classify(err); e != err {
		return e
	}
	return fmt.Errorf("omni: kubeconfig for %s: %w", cluster, err)
}
