package fleet

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/clubcedille/cedille-tui/internal/actions"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/siderolabs/omni/client/pkg/client/management"
	"golang.org/x/oauth2"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/transport"
)

// ActTTL is how long the token of a kubeconfig a person acts through lives; it is issued again before
// it expires, and after a request it made is refused (401).
const ActTTL = time.Hour

// issueTimeout bounds one kubeconfig issue: Token has no context of its own.
const issueTimeout = 30 * time.Second

// Acting is how people act on one cluster of the fleet: through Omni's Kubernetes proxy, each with a
// kubeconfig Omni issues for their own identity (actions.Identity: user cedille:<name> in group
// cedille:<role>), never the fleet's shared one. It is the identity serve impersonates on a single
// cluster, so the same RBAC (deploy/clusterrole-operator.yaml) decides what each may write, and the
// cluster's audit log names the person; it is also in the fleet's group (DefaultGroup), so a runbook
// run through it reads what the console reads. Nothing needs the right to impersonate. Each identity's
// connection is made once and kept; its token comes from Omni when first needed, again a few minutes
// before it expires, and again after a 401. It is an actions.ClientSource. Safe for concurrent use.
type Acting struct {
	Omni    *platform.Omni
	Cluster string
	// TTL is each issued token's life (ActTTL when zero).
	TTL time.Duration
	// UserAgent names the console in the cluster's audit log.
	UserAgent string

	mu    sync.Mutex
	kubes map[string]*platform.Kube
}

// For is the clients acting as a on the cluster.
func (c *Acting) For(a actions.Actor) (actions.Client, error) {
	k, user, err := c.connect(a)
	if err != nil {
		return actions.Client{}, err
	}
	return actions.Client{Kube: k.Typed, Dynamic: k.Dynamic, User: user}, nil
}

// Kube is the connection acting as a on the cluster: what a runbook run by a reads and writes through.
func (c *Acting) Kube(a actions.Actor) (*platform.Kube, error) {
	k, _, err := c.connect(a)
	return k, err
}

// connect makes (once per identity) the connection acting as a.
func (c *Acting) connect(a actions.Actor) (*platform.Kube, string, error) {
	user, group, err := actions.Identity(a)
	if err != nil {
		return nil, "", err
	}
	key := user + "\x00" + group
	c.mu.Lock()
	defer c.mu.Unlock()
	if k, ok := c.kubes[key]; ok {
		return k, user, nil
	}
	src := &issuer{omni: c.Omni, cluster: c.Cluster, user: user, group: group, ttl: c.TTL}
	if src.ttl <= 0 {
		src.ttl = ActTTL
	}
	b, err := src.issue()
	if err != nil {
		return nil, "", err
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(b)
	if err != nil {
		return nil, "", &platform.ConnError{Source: platform.SourceKubernetes, Problem: platform.Invalid,
			What: "Omni's kubeconfig for " + c.Cluster + " cannot be read", Err: err, Fix: "check the Omni version"}
	}
	if cfg.BearerToken != "" {
		// The token is Omni's to renew: every request takes the current one.
		first := &oauth2.Token{AccessToken: cfg.BearerToken, Expiry: src.expiry(time.Now())}
		cfg.BearerToken, cfg.BearerTokenFile = "", ""
		cfg.WrapTransport = transport.ResettableTokenSourceWrapTransport(transport.NewCachedTokenSource(&primed{first: first, next: src}))
	}
	k, err := platform.NewKube(cfg, c.Cluster, c.UserAgent)
	if err != nil {
		return nil, "", err
	}
	if c.kubes == nil {
		c.kubes = map[string]*platform.Kube{}
	}
	c.kubes[key] = k
	return k, user, nil
}

// issuer issues one identity's kubeconfig for one cluster, and takes its token.
type issuer struct {
	omni        *platform.Omni
	cluster     string
	user, group string
	ttl         time.Duration
}

// expiry is when a token issued at t is taken as expired: five minutes (or a tenth of its life) early.
func (s *issuer) expiry(t time.Time) time.Time {
	early := min(5*time.Minute, s.ttl/10)
	return t.Add(s.ttl - early)
}

func (s *issuer) issue() ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), issueTimeout)
	defer cancel()
	b, err := s.omni.Client.Management().WithCluster(s.cluster).Kubeconfig(ctx, management.WithServiceAccount(s.ttl, s.user, s.group, DefaultGroup))
	if err != nil {
		return nil, kubeconfigError(s.omni, s.cluster, err)
	}
	return b, nil
}

// Token issues a new kubeconfig and gives its token.
func (s *issuer) Token() (*oauth2.Token, error) {
	at := time.Now()
	b, err := s.issue()
	if err != nil {
		return nil, err
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(b)
	if err != nil {
		return nil, fmt.Errorf("Omni's kubeconfig for %s cannot be read: %w", s.cluster, err)
	}
	if cfg.BearerToken == "" {
		return nil, errors.New("Omni's kubeconfig for " + s.cluster + " carries no token")
	}
	return &oauth2.Token{AccessToken: cfg.BearerToken, Expiry: s.expiry(at)}, nil
}

// primed gives the token of the first kubeconfig once, then new ones.
type primed struct {
	mu    sync.Mutex
	first *oauth2.Token
	next  oauth2.TokenSource
}

func (p *primed) Token() (*oauth2.Token, error) {
	p.mu.Lock()
	t := p.first
	p.first = nil
	p.mu.Unlock()
	if t != nil {
		return t, nil
	}
	return p.next.Token()
}
