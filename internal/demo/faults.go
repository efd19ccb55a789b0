package demo

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/vaultops"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Fault is a failure the demo can inject while it runs, to practise recovery. Run toggles it.
type Fault struct {
	// Key is the key that toggles it in the console.
	Key string
	// Help says what it breaks.
	Help string
	Run  func(ctx context.Context) (string, error)
}

// The objects the faults touch.
const (
	faultNode = "worker-2"
	faultPool = "hdd-worker-htp3"
	faultApp  = "calidum-rotae"
)

// Faults lists the injectable faults, then "heal all".
func (p *Platform) Faults() []Fault {
	return []Fault{
		{Key: "N", Help: faultNode + " loses power", Run: p.toggle("node", p.nodeDown)},
		{Key: "P", Help: "pool " + p.faultPoolName() + " Degraded", Run: p.toggle("pool", p.poolDegraded)},
		{Key: "V", Help: "seal Vault (all replicas)", Run: p.toggle("vault", p.vaultSealed)},
		{Key: "A", Help: faultApp + " OutOfSync", Run: p.toggle("app", p.appOutOfSync)},
		{Key: "H", Help: "heal every fault", Run: p.healAll},
	}
}

// PracticeShares hands over, once, the key shares Vault was initialized with when Options.PracticeShares
// asked for them (nil otherwise, and the second time). The caller wipes them.
func (p *Platform) PracticeShares() []vaultops.Secret {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.practice
	p.practice = nil
	return out
}

// SealVault seals every replica, as the V fault does, unless it is sealed already: `demo --serve` starts
// so, as after a power cut, for the custodians to practise an unseal ceremony.
func (p *Platform) SealVault(ctx context.Context) error {
	p.mu.Lock()
	on := p.faults["vault"]
	p.mu.Unlock()
	if on {
		return nil
	}
	_, err := p.toggle("vault", p.vaultSealed)(ctx)
	return err
}

// toggle injects the fault when it is off and repairs it when it is on.
func (p *Platform) toggle(name string, set func(ctx context.Context, on bool) (string, error)) func(context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		if err := p.needsInstall(); err != nil {
			return "", err
		}
		p.mu.Lock()
		on := !p.faults[name]
		p.mu.Unlock()
		note, err := set(ctx, on)
		if err != nil {
			return "", err
		}
		p.mu.Lock()
		p.faults[name] = on
		p.mu.Unlock()
		return note, nil
	}
}

// needsInstall refuses a fault on a Blank demo whose cluster is not installed yet: there is nothing to break.
func (p *Platform) needsInstall() error {
	select {
	case <-p.installed:
		return nil
	default:
		return fmt.Errorf("demo: the platform is not installed yet: finish the install first")
	}
}

func (p *Platform) healAll(ctx context.Context) (string, error) {
	if err := p.needsInstall(); err != nil {
		return "", err
	}
	fixes := map[string]func(context.Context, bool) (string, error){
		"node": p.nodeDown, "pool": p.poolDegraded, "vault": p.vaultSealed, "app": p.appOutOfSync,
	}
	healed := 0
	for name, fix := range fixes {
		p.mu.Lock()
		on := p.faults[name]
		p.mu.Unlock()
		if !on {
			continue
		}
		if _, err := fix(ctx, false); err != nil {
			return "", err
		}
		p.mu.Lock()
		p.faults[name] = false
		p.mu.Unlock()
		healed++
	}
	return fmt.Sprintf("demo: healed %d fault(s)", healed), nil
}

func (p *Platform) nodeDown(ctx context.Context, on bool) (string, error) {
	return p.nodePower(ctx, faultNode, !on)
}

// poolStatusBefore keeps, on a DiskPool whose node lost power, the pool status it had before.
const poolStatusBefore = "demo.cedille-tui/pool-status-before-power-loss"

// poolsOfNodeLost is what Mayastor reports of the pools on a node that lost power: their io-engine no
// longer answers, so their state is Unknown; when the node is back they are as they were.
func (p *Platform) poolsOfNodeLost(ctx context.Context, node string, lost bool) error {
	pools := p.Kube.Dynamic.Resource(platform.DiskPool.GVR)
	list, err := pools.List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	for i := range list.Items {
		u := &list.Items[i]
		if n, _, _ := unstructured.NestedString(u.Object, "spec", "node"); n != node {
			continue
		}
		ann := u.GetAnnotations()
		before, saved := ann[poolStatusBefore]
		cur, _, _ := unstructured.NestedString(u.Object, "status", "pool_status")
		switch {
		case lost && !saved:
			if ann == nil {
				ann = map[string]string{}
			}
			ann[poolStatusBefore] = cur
			cur = "Unknown"
		case !lost && saved:
			delete(ann, poolStatusBefore)
			cur = before
		default:
			continue
		}
		u.SetAnnotations(ann)
		if err := unstructured.SetNestedField(u.Object, cur, "status", "pool_status"); err != nil {
			return err
		}
		if _, err := pools.Namespace(u.GetNamespace()).Update(ctx, u, metav1.UpdateOptions{}); err != nil {
			return err
		}
	}
	return nil
}

func (p *Platform) poolDegraded(ctx context.Context, on bool) (string, error) {
	u, err := p.faultPoolObject(ctx)
	if err != nil {
		return "", err
	}
	pools := p.Kube.Dynamic.Resource(platform.DiskPool.GVR).Namespace(u.GetNamespace())
	state := "Online"
	if on {
		state = "Degraded"
	}
	if err := unstructured.SetNestedField(u.Object, state, "status", "pool_status"); err != nil {
		return "", err
	}
	if _, err := pools.UpdateStatus(ctx, u, metav1.UpdateOptions{}); err != nil {
		return "", err
	}
	return "demo: DiskPool " + u.GetName() + " is " + state, nil
}

// faultPoolName is the name of the pool the pool fault degrades: faultPool, or on a Blank demo the name
// the install gives the pool on the same disk (installPools).
func (p *Platform) faultPoolName() string {
	if !p.opts.Blank {
		return faultPool
	}
	specs, era1 := installPools(p.machines)
	for _, s := range specs {
		if era1[s.Disk] == faultPool {
			return s.Name
		}
	}
	return faultPool
}

// faultPoolObject is the pool the pool fault degrades: faultPool, or after a Blank demo's install the
// pool its storage step made on the same disk (named after its node and serial).
func (p *Platform) faultPoolObject(ctx context.Context) (*unstructured.Unstructured, error) {
	pools := p.Kube.Dynamic.Resource(platform.DiskPool.GVR)
	u, err := pools.Namespace("mayastor").Get(ctx, faultPool, metav1.GetOptions{})
	if err == nil || !apierrors.IsNotFound(err) {
		return u, err
	}
	var links []string
	where := faultPool + "'s disk"
	for _, m := range p.machines {
		for _, d := range m.Disks {
			if d.Pool == faultPool {
				links, where = d.byIDLinks(), m.Hostname+"'s disk "+d.Serial
			}
		}
	}
	list, lerr := pools.List(ctx, metav1.ListOptions{})
	if lerr != nil {
		return nil, lerr
	}
	for i := range list.Items {
		disks, _, _ := unstructured.NestedStringSlice(list.Items[i].Object, "spec", "disks")
		for _, d := range disks {
			if slices.Contains(links, d) {
				return &list.Items[i], nil
			}
		}
	}
	return nil, fmt.Errorf("demo: no DiskPool on %s yet: the install's storage step makes it", where)
}

func (p *Platform) vaultSealed(ctx context.Context, on bool) (string, error) {
	p.vault.mu.Lock()
	initialized := p.vault.initialized
	p.vault.mu.Unlock()
	if !initialized {
		return "", fmt.Errorf("demo: Vault is not initialized yet, so it is sealed already (start with --installed to practise unsealing)")
	}
	if on {
		var names []string
		for _, r := range p.vault.replicas {
			p.vault.seal(r.name)
			names = append(names, r.name)
		}
		if err := sealedEvents(ctx, p.Kube.Typed, names, time.Now()); err != nil {
			return "", err
		}
		vaultConfigController{p}.pass(ctx)        // vault-config-operator's next reconcile fails at once
		p.alone(workloadsController{p}.pass)(ctx) // and the servers' readiness probes
		return "demo: Vault sealed on every replica", nil
	}
	if err := p.vault.unsealAll(ctx); err != nil {
		return "", err
	}
	vaultConfigController{p}.pass(ctx)
	p.alone(workloadsController{p}.pass)(ctx)
	return "demo: Vault unsealed", nil
}

func (p *Platform) appOutOfSync(ctx context.Context, on bool) (string, error) {
	apps := p.Kube.Dynamic.Resource(platform.ArgoApplication.GVR).Namespace("argocd")
	u, err := apps.Get(ctx, faultApp, metav1.GetOptions{})
	if err != nil {
		return "", err
	}
	sync := "Synced"
	if on {
		sync = "OutOfSync"
	}
	if err := unstructured.SetNestedField(u.Object, sync, "status", "sync", "status"); err != nil {
		return "", err
	}
	// ArgoCD's Application has no status subresource: the status is written with the object.
	if _, err := apps.Update(ctx, u, metav1.UpdateOptions{}); err != nil {
		return "", err
	}
	return "demo: Application " + faultApp + " is " + sync, nil
}
