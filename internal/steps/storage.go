package steps

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/units"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// DefaultClassAnnotation marks the cluster's default StorageClass.
const DefaultClassAnnotation = "storageclass.kubernetes.io/is-default-class"

// StorageStep makes Mayastor's storage from the disks chosen in part 1: a DiskPool per pool disk (named
// by its by-id path, on the node of its machine) and the default StorageClass, then waits until every
// pool is Created and Online, showing its capacity. It never deletes or changes a pool or class that
// exists with another spec: it says what differs.
type StorageStep struct{}

func (StorageStep) ID() ID           { return Storage }
func (StorageStep) Title() string    { return "Storage" }
func (StorageStep) Fields() []string { return []string{"storage"} }

func (StorageStep) Describe(p plan.Plan) []string {
	s := p.Storage.WithDefaults()
	pools, _ := p.DiskPools()
	out := []string{fmt.Sprintf("a Mayastor DiskPool per pool disk, in namespace %s:", s.Namespace)}
	for _, pl := range pools {
		out = append(out, fmt.Sprintf("  %s on %s: %s", pl.Name, pl.Node, pl.Disk))
	}
	if len(pools) == 0 {
		out = append(out, "  (no pool disk chosen yet)")
	}
	return append(out,
		fmt.Sprintf("StorageClass %s (%s, NVMe-oF, %d replicas per volume), the cluster's default", s.Class, plan.MayastorProvisioner, s.Replicas),
		"wait until every pool is Created and Online, with its capacity")
}

// poolObject is a DiskPool as the step creates it.
func poolObject(pl plan.PoolSpec) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": platform.DiskPool.GVR.GroupVersion().String(),
		"kind":       platform.DiskPool.Kind,
		"metadata": map[string]any{"name": pl.Name, "namespace": pl.Namespace,
			"labels": map[string]any{"app.kubernetes.io/managed-by": "cedille-tui"}},
		"spec": map[string]any{"node": pl.Node, "disks": []any{pl.Disk}},
	}}
}

// poolState is a pool's status as Mayastor reports it.
type poolState struct {
	cr, pool       string
	capacity, used int64
}

func (s poolState) ready() bool { return s.cr == "Created" && s.pool == "Online" }

// item is the pool's line in the live list.
func (s poolState) item(name string) Item {
	it := Item{Name: name, State: strings.TrimSpace(s.cr + " " + s.pool), OK: s.ready(),
		Failed: s.pool == "Faulted" || s.pool == "Degraded"}
	if it.State == "" {
		it.State = "waiting for Mayastor"
	}
	if s.capacity > 0 {
		it.Detail = fmt.Sprintf("%s, %s used", units.Binary(uint64(s.capacity)), units.Binary(uint64(s.used)))
	}
	return it
}

func readPoolState(u *unstructured.Unstructured) poolState {
	var s poolState
	s.cr, _, _ = unstructured.NestedString(u.Object, "status", "cr_state")
	s.pool, _, _ = unstructured.NestedString(u.Object, "status", "pool_status")
	s.capacity, _, _ = unstructured.NestedInt64(u.Object, "status", "capacity")
	s.used, _, _ = unstructured.NestedInt64(u.Object, "status", "used")
	return s
}

// poolDiffers says how an existing pool differs from the plan's ("" when it does not).
func poolDiffers(u *unstructured.Unstructured, pl plan.PoolSpec) string {
	node, _, _ := unstructured.NestedString(u.Object, "spec", "node")
	disks, _, _ := unstructured.NestedStringSlice(u.Object, "spec", "disks")
	if node != pl.Node || !slices.Equal(disks, []string{pl.Disk}) {
		return fmt.Sprintf("DiskPool %s/%s exists on %s %v, the plan wants %s [%s]: it is left as it is (move its data, "+
			"delete it, and run this step again)", pl.Namespace, pl.Name, node, disks, pl.Node, pl.Disk)
	}
	return ""
}

// classDiffers says how an existing StorageClass differs from the plan's (its parameters are immutable).
func classDiffers(sc *storagev1.StorageClass, s plan.Storage) string {
	want := s.ClassParameters()
	if sc.Provisioner != plan.MayastorProvisioner || !maps.Equal(sc.Parameters, want) {
		return fmt.Sprintf("StorageClass %s exists with provisioner %s and parameters %v, the plan wants %s %v: a class "+
			"cannot be changed; delete it (its volumes stay) and run this step again", sc.Name, sc.Provisioner, sc.Parameters,
			plan.MayastorProvisioner, want)
	}
	return ""
}

func (st StorageStep) Check(ctx context.Context, e *Env, p plan.Plan) (Outcome, error) {
	p = withHostnames(ctx, e, p)
	pools, ps := p.DiskPools()
	if len(ps) > 0 {
		return Outcome{Detail: ps[0].String()}, nil
	}
	k, err := e.vault().Kube(ctx, p)
	if err != nil {
		return Outcome{Detail: err.Error()}, nil
	}
	s := p.Storage.WithDefaults()
	sc, err := k.Typed.StorageV1().StorageClasses().Get(ctx, s.Class, metav1.GetOptions{})
	if err != nil {
		return Outcome{Detail: "StorageClass " + s.Class + ": " + k.Classify(err).Error()}, nil
	}
	if d := classDiffers(sc, s); d != "" {
		return Outcome{Detail: d}, nil
	}
	ri := k.Dynamic.Resource(platform.DiskPool.GVR)
	var total int64
	for _, pl := range pools {
		u, err := ri.Namespace(pl.Namespace).Get(ctx, pl.Name, metav1.GetOptions{})
		if err != nil {
			return Outcome{Detail: "DiskPool " + pl.Name + ": " + k.Classify(err).Error()}, nil
		}
		if d := poolDiffers(u, pl); d != "" {
			return Outcome{Detail: d}, nil
		}
		ps := readPoolState(u)
		if !ps.ready() {
			return Outcome{Detail: fmt.Sprintf("DiskPool %s is %s/%s", pl.Name, ps.cr, ps.pool)}, nil
		}
		total += ps.capacity
	}
	return Outcome{Holds: true, Detail: fmt.Sprintf("%d pools Online (%s), StorageClass %s", len(pools),
		units.Binary(uint64(total)), s.Class)}, nil
}

// withHostnames fills the machines' hostnames the plan lacks (an answers file names machines by ID) from
// Omni's inventory: Talos names each node after its hostname.
func withHostnames(ctx context.Context, e *Env, p plan.Plan) plan.Plan {
	missing := slices.ContainsFunc(p.Machines, func(m plan.Machine) bool { return m.Hostname == "" && len(m.PoolDisks) > 0 })
	if !missing || e.Omni == nil {
		return p
	}
	inv, err := LoadInventory(ctx, e)
	if err != nil {
		return p
	}
	p.Machines = slices.Clone(p.Machines)
	for i, m := range p.Machines {
		if f, ok := inv.Machines[m.ID]; ok && m.Hostname == "" {
			p.Machines[i].Hostname = f.Hostname
		}
	}
	return p
}

func (st StorageStep) Run(ctx context.Context, e *Env, p *plan.Plan, emit func(Event)) (Result, error) {
	say := func(f string, a ...any) { emit(Event{Step: Storage, Message: fmt.Sprintf(f, a...)}) }
	*p = withHostnames(ctx, e, *p)
	if ps := p.ValidateStorage(); len(ps) > 0 {
		return Result{}, ps
	}
	pools, _ := p.DiskPools()
	s := p.Storage.WithDefaults()
	k, err := e.vault().Kube(ctx, *p)
	if err != nil {
		return Result{}, err
	}
	for _, pl := range pools {
		if _, err := k.Typed.CoreV1().Nodes().Get(ctx, pl.Node, metav1.GetOptions{}); err != nil {
			return Result{}, fmt.Errorf("node %s (machine %s) for pool %s: %w", pl.Node, pl.Machine, pl.Name, k.Classify(err))
		}
	}
	if err := waitServed(ctx, e, k, say); err != nil {
		return Result{}, err
	}
	if err := ensureNamespace(ctx, k, s.Namespace); err != nil {
		return Result{}, err
	}
	ri := k.Dynamic.Resource(platform.DiskPool.GVR)
	for _, pl := range pools {
		u, err := ri.Namespace(pl.Namespace).Get(ctx, pl.Name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			if _, err := ri.Namespace(pl.Namespace).Create(ctx, poolObject(pl), metav1.CreateOptions{}); err != nil {
				return Result{}, fmt.Errorf("create DiskPool %s: %w", pl.Name, k.Classify(err))
			}
			say("DiskPool %s created on %s: %s", pl.Name, pl.Node, pl.Disk)
		case err != nil:
			return Result{}, fmt.Errorf("DiskPool %s: %w", pl.Name, k.Classify(err))
		default:
			if d := poolDiffers(u, pl); d != "" {
				return Result{}, errors.New(d)
			}
			say("DiskPool %s already there", pl.Name)
		}
	}
	if err := ensureClass(ctx, k, s, say); err != nil {
		return Result{}, err
	}
	capacity, err := waitPools(ctx, e, k, pools, emit)
	if err != nil {
		return Result{}, err
	}
	return StorageResult(*p, len(pools), capacity), nil
}

// waitServed waits for Mayastor's DiskPool kind: the GitOps step may be installing Mayastor.
func waitServed(ctx context.Context, e *Env, k *platform.Kube, say func(string, ...any)) error {
	told := false
	return e.until(ctx, e.clusterWait(), func() (bool, error) {
		_, err := k.Dynamic.Resource(platform.DiskPool.GVR).List(ctx, metav1.ListOptions{Limit: 1})
		if err == nil {
			return true, nil
		}
		if !apierrors.IsNotFound(err) {
			return false, fmt.Errorf("list DiskPools: %w", k.Classify(err))
		}
		if !told {
			say("waiting for Mayastor's DiskPool kind (%s): Mayastor is not installed yet", platform.DiskPool.Key())
			told = true
		}
		return false, nil
	}, func() error {
		return fmt.Errorf("Mayastor is not installed (no %s kind after %s): install it (its ArgoCD Application), then run this step again",
			platform.DiskPool.Key(), e.clusterWait())
	})
}

// ensureClass creates the StorageClass, or checks the one there and makes it the default.
func ensureClass(ctx context.Context, k *platform.Kube, s plan.Storage, say func(string, ...any)) error {
	classes := k.Typed.StorageV1().StorageClasses()
	sc, err := classes.Get(ctx, s.Class, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		err = createClass(ctx, k, s, say)
	case err != nil:
		err = fmt.Errorf("StorageClass %s: %w", s.Class, k.Classify(err))
	default:
		err = makeDefault(ctx, k, sc, s, say)
	}
	if err != nil {
		return err
	}
	warnOtherDefaults(ctx, k, s.Class, say)
	return nil
}

func createClass(ctx context.Context, k *platform.Kube, s plan.Storage, say func(string, ...any)) error {
	bind := storagev1.VolumeBindingImmediate
	expand := true
	sc := &storagev1.StorageClass{
		ObjectMeta: metav1.ObjectMeta{Name: s.Class, Annotations: map[string]string{DefaultClassAnnotation: "true"},
			Labels: map[string]string{"app.kubernetes.io/managed-by": "cedille-tui"}},
		Provisioner: plan.MayastorProvisioner, Parameters: s.ClassParameters(),
		VolumeBindingMode: &bind, AllowVolumeExpansion: &expand,
	}
	if _, err := k.Typed.StorageV1().StorageClasses().Create(ctx, sc, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create StorageClass %s: %w", s.Class, k.Classify(err))
	}
	say("StorageClass %s created (%d replicas, NVMe-oF), the default class", s.Class, s.Replicas)
	return nil
}

// makeDefault checks an existing class against the plan and marks it the default.
func makeDefault(ctx context.Context, k *platform.Kube, sc *storagev1.StorageClass, s plan.Storage, say func(string, ...any)) error {
	if d := classDiffers(sc, s); d != "" {
		return errors.New(d)
	}
	if sc.Annotations[DefaultClassAnnotation] == "true" {
		say("StorageClass %s already there, the default class", s.Class)
		return nil
	}
	if sc.Annotations == nil {
		sc.Annotations = map[string]string{}
	}
	sc.Annotations[DefaultClassAnnotation] = "true"
	if _, err := k.Typed.StorageV1().StorageClasses().Update(ctx, sc, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("make %s the default class: %w", s.Class, k.Classify(err))
	}
	say("StorageClass %s made the default class", s.Class)
	return nil
}

// warnOtherDefaults names the other classes marked default. It is advice only: a failed list says
// nothing, the class being made already.
func warnOtherDefaults(ctx context.Context, k *platform.Kube, class string, say func(string, ...any)) {
	all, err := k.Typed.StorageV1().StorageClasses().List(ctx, metav1.ListOptions{})
	if err != nil {
		return
	}
	for _, o := range all.Items {
		if o.Name != class && o.Annotations[DefaultClassAnnotation] == "true" {
			say("StorageClass %s is marked default too: two defaults make new volumes land on either — remove its %s annotation",
				o.Name, DefaultClassAnnotation)
		}
	}
}

// waitPools follows the pools until all are Created and Online; it returns their capacity in bytes.
func waitPools(ctx context.Context, e *Env, k *platform.Kube, pools []plan.PoolSpec, emit func(Event)) (uint64, error) {
	ri := k.Dynamic.Resource(platform.DiskPool.GVR)
	ready := 0
	var total int64
	err := e.until(ctx, e.clusterWait(), func() (bool, error) {
		items := make([]Item, len(pools))
		ready = 0
		total = 0
		for i, pl := range pools {
			name := pl.Name + " (" + pl.Node + ")"
			u, err := ri.Namespace(pl.Namespace).Get(ctx, pl.Name, metav1.GetOptions{})
			if err != nil {
				items[i] = Item{Name: name, State: k.Classify(err).Error(), Failed: true}
				continue
			}
			ps := readPoolState(u)
			items[i] = ps.item(name)
			if ps.ready() {
				ready++
				total += ps.capacity
			}
		}
		emit(Event{Step: Storage, Items: items, Done: int64(ready), Total: int64(len(pools)), Unit: "pools"})
		if ready < len(pools) {
			return false, nil
		}
		emit(Event{Step: Storage, Message: poolsOnline(ready, uint64(total))})
		return true, nil
	}, func() error {
		return fmt.Errorf("%d of %d pools Online after %s: see each pool's state (a pool stays Created/Unknown when "+
			"its node's io-engine is not running or the disk is in use)", ready, len(pools), e.clusterWait())
	})
	return uint64(total), err
}
