package actions

import (
	"errors"
	"fmt"
	"sync"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// UserPrefix and GroupPrefix make a console user's Kubernetes identity: user cedille:<name> in
// group cedille:<role>, so the API server's RBAC and audit log see who acted.
const (
	UserPrefix  = "cedille:"
	GroupPrefix = "cedille:"
)

// Impersonation is how the API server is to see a: user cedille:<name>, group cedille:<role>. A
// local actor is not impersonated (the zero config).
func Impersonation(a Actor) (rest.ImpersonationConfig, error) {
	if a.Local {
		return rest.ImpersonationConfig{}, nil
	}
	user, group, err := Identity(a)
	if err != nil {
		return rest.ImpersonationConfig{}, err
	}
	return rest.ImpersonationConfig{UserName: user, Groups: []string{group}}, nil
}

// Identity is who a is to a cluster's RBAC and audit log: user cedille:<name> in group cedille:<role>
// (a local actor's role is its own, admin). Impersonation sends it; a kubeconfig Omni issues for it
// (fleet.Acting) carries it.
func Identity(a Actor) (user, group string, err error) {
	if err := checkName(a.Name); err != nil {
		return "", "", err
	}
	if !a.Role.Valid() {
		return "", "", fmt.Errorf("%s has no role to act as", a.Name)
	}
	return UserPrefix + a.Name, GroupPrefix + a.Role.String(), nil
}

// checkName refuses a name that cannot travel in an Impersonate-User header as itself.
func checkName(n string) error {
	if n == "" {
		return errors.New("an actor without a name cannot act")
	}
	for _, r := range n {
		if r <= ' ' || r == 0x7f || r == ':' {
			return fmt.Errorf("user name %q cannot be impersonated", n)
		}
	}
	return nil
}

// Clients makes, from one base rest.Config (the console's own: in a cluster its service account,
// locally the kubeconfig's), the clients that act as each actor, and keeps them: one set per
// identity (name and role, or local). Safe for concurrent use.
type Clients struct {
	base  *rest.Config
	mu    sync.Mutex
	cache map[identity]Client
}

// identity is what a set of clients acts as.
type identity struct {
	user, group string
	local       bool
}

// NewClients makes the factory. base is copied; the console's service account needs, besides its own
// rights, `impersonate` on users cedille:* and groups cedille:* (deploy/).
func NewClients(base *rest.Config) *Clients {
	return &Clients{base: rest.CopyConfig(base), cache: map[identity]Client{}}
}

// For gives the clients acting as a: impersonating user cedille:<name> and group cedille:<role>, or,
// for a local actor, the base config's own user.
func (c *Clients) For(a Actor) (Client, error) {
	imp, err := Impersonation(a)
	if err != nil {
		return Client{}, err
	}
	id := identity{user: a.Name, local: true}
	if !a.Local {
		id = identity{user: imp.UserName, group: imp.Groups[0]}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.cache[id]; ok {
		return cl, nil
	}
	cfg := rest.CopyConfig(c.base)
	user := a.Name
	if !a.Local {
		cfg.Impersonate = imp
		user = imp.UserName
	}
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return Client{}, err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return Client{}, err
	}
	cl := Client{Kube: kube, Dynamic: dyn, User: user}
	c.cache[id] = cl
	return cl, nil
}
