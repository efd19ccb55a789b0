package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
)

// Clients are what loadgen talks to the cluster with.
type Clients struct {
	Typed    kubernetes.Interface // protobuf
	Dynamic  dynamic.Interface
	Metadata metadata.Interface
}

// NewClients builds the clients for cfg (QPS and Burst as given; protobuf for built-in kinds).
func NewClients(cfg *rest.Config, qps float32, burst int) (Clients, error) {
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = qps, burst
	cfg.UserAgent = "cedille-tui-loadgen"
	pb := rest.CopyConfig(cfg)
	pb.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	pb.ContentType = "application/vnd.kubernetes.protobuf"
	typed, err := kubernetes.NewForConfig(pb)
	if err != nil {
		return Clients{}, err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return Clients{}, err
	}
	md, err := metadata.NewForConfig(cfg)
	if err != nil {
		return Clients{}, err
	}
	return Clients{Typed: typed, Dynamic: dyn, Metadata: md}, nil
}

// FillOptions tune Fill.
type FillOptions struct {
	Sizes   Sizes
	Workers int
	// Wait for nodes Ready and pods Running (kwok) after creating them, up to WaitTimeout.
	Wait        bool
	WaitTimeout time.Duration
	// ServiceAccounts creates each namespace's default ServiceAccount instead of waiting for
	// kube-controller-manager to: for a lab of the API server and kwok only.
	ServiceAccounts bool
	Out             io.Writer
}

// KindReport is what Fill did for one kind.
type KindReport struct {
	Kind              string
	Want, Created     int
	Existing, Updated int
	Took              time.Duration
}

// pool runs jobs on n workers, collecting errors (it does not stop at the first one).
type pool struct {
	n      int
	mu     sync.Mutex
	errs   []error
	failed atomic.Int64
}

func (p *pool) run(ctx context.Context, jobs int, job func(ctx context.Context, i int) error) {
	next := atomic.Int64{}
	var wg sync.WaitGroup
	for w := 0; w < min(p.n, jobs); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= jobs || ctx.Err() != nil {
					return
				}
				if err := job(ctx, i); err != nil {
					p.failed.Add(1)
					p.mu.Lock()
					if len(p.errs) < 5 {
						p.errs = append(p.errs, err)
					}
					p.mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
}

func (p *pool) err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := p.failed.Load(); n > 0 {
		return fmt.Errorf("%d requests failed, first ones: %w", n, errors.Join(p.errs...))
	}
	return nil
}

// existing lists the names (namespace/name) of the objects of gvr carrying the loadgen label.
func existing(ctx context.Context, c Clients, gvr schema.GroupVersionResource) (map[string]bool, error) {
	out := map[string]bool{}
	opts := metav1.ListOptions{LabelSelector: LabelSelector, Limit: 2000}
	for {
		l, err := c.Metadata.Resource(gvr).List(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", gvr.Resource, err)
		}
		for _, it := range l.Items {
			out[it.Namespace+"/"+it.Name] = true
		}
		if l.Continue == "" {
			return out, nil
		}
		opts.Continue = l.Continue
	}
}

// createAll creates the missing objects among n, keyed by key(i), with create(i); AlreadyExists
// counts as existing (a concurrent or interrupted run).
func createAll(ctx context.Context, c Clients, workers int, kind string, gvr schema.GroupVersionResource, n int,
	key func(i int) string, create func(ctx context.Context, i int) error) (KindReport, error) {
	start := time.Now()
	rep := KindReport{Kind: kind, Want: n}
	if n == 0 {
		return rep, nil // not even listed: the cluster may not serve the kind (DiskPools on an era-2 cluster)
	}
	have, err := existing(ctx, c, gvr)
	if err != nil {
		return rep, err
	}
	var todo []int
	for i := 0; i < n; i++ {
		if !have[key(i)] {
			todo = append(todo, i)
		}
	}
	var created, already atomic.Int64
	p := &pool{n: workers}
	p.run(ctx, len(todo), func(ctx context.Context, j int) error {
		err := create(ctx, todo[j])
		switch {
		case err == nil:
			created.Add(1)
		case apierrors.IsAlreadyExists(err):
			already.Add(1)
		default:
			return fmt.Errorf("%s %s: %w", kind, key(todo[j]), err)
		}
		return nil
	})
	rep.Created = int(created.Load())
	rep.Existing = n - len(todo) + int(already.Load())
	rep.Took = time.Since(start)
	if err := ctx.Err(); err != nil {
		return rep, err
	}
	return rep, p.err()
}

func gvrOf(resource string) schema.GroupVersionResource {
	return corev1.SchemeGroupVersion.WithResource(resource)
}

// Fill creates what is missing of the load described by o.Sizes and reports each kind.
func Fill(ctx context.Context, c Clients, o FillOptions) ([]KindReport, error) {
	s := o.Sizes
	if err := s.Validate(); err != nil {
		return nil, err
	}
	workers := max(o.Workers, 1)
	nodes := NodeNames(s.Nodes)
	pods := PodRefs(s)
	insights := InsightRefs(s, pods)
	var reps []KindReport
	add := func(r KindReport, err error) error {
		reps = append(reps, r)
		if o.Out != nil {
			printKind(o.Out, r)
		}
		return err
	}

	// Namespaces: the pods', plus argocd and mayastor when Applications and DiskPools are wanted.
	nss := NamespaceNames(s.Namespaces)
	seen := map[string]bool{}
	for _, n := range nss {
		seen[n] = true
	}
	for _, extra := range []struct {
		ns   string
		need bool
	}{{appsNamespace, s.Apps > 0}, {poolsNamespace, s.Pools > 0}} {
		if extra.need && !seen[extra.ns] {
			nss = append(nss, extra.ns)
			seen[extra.ns] = true
		}
	}
	if err := add(createNamespaces(ctx, c, workers, nss)); err != nil {
		return reps, err
	}
	if s.Pods > 0 && o.ServiceAccounts {
		if err := createServiceAccounts(ctx, c, workers, nss); err != nil {
			return reps, err
		}
	}
	if s.Pods > 0 {
		if err := waitServiceAccounts(ctx, c, nss, time.Minute); err != nil {
			return reps, err
		}
	}

	if err := add(createAll(ctx, c, workers, "nodes", gvrOf("nodes"), len(nodes),
		func(i int) string { return "/" + nodes[i] },
		func(ctx context.Context, i int) error {
			_, err := c.Typed.CoreV1().Nodes().Create(ctx, Node(nodes[i], i), metav1.CreateOptions{})
			return err
		})); err != nil {
		return reps, err
	}
	if err := add(createAll(ctx, c, workers, "pods", gvrOf("pods"), len(pods),
		func(i int) string { return pods[i].Namespace + "/" + pods[i].Name },
		func(ctx context.Context, i int) error {
			_, err := c.Typed.CoreV1().Pods(pods[i].Namespace).Create(ctx, Pod(pods[i]), metav1.CreateOptions{})
			return err
		})); err != nil {
		return reps, err
	}
	if err := add(createAll(ctx, c, workers, "applications", gvrApplication(), s.Apps,
		func(i int) string { n, _ := AppName(i); return appsNamespace + "/" + n },
		func(ctx context.Context, i int) error {
			_, err := c.Dynamic.Resource(gvrApplication()).Namespace(appsNamespace).Create(ctx, Application(i), metav1.CreateOptions{})
			return err
		})); err != nil {
		return reps, err
	}
	if err := add(fillPools(ctx, c, workers, s.Pools, nodes)); err != nil {
		return reps, err
	}
	if err := add(createAll(ctx, c, workers, "dataplaneinsights", gvrDPInsight(), len(insights),
		func(i int) string { return insights[i].Namespace + "/" + insights[i].Name },
		func(ctx context.Context, i int) error {
			_, err := c.Dynamic.Resource(gvrDPInsight()).Namespace(insights[i].Namespace).Create(ctx, DataplaneInsight(i, insights[i]), metav1.CreateOptions{})
			return err
		})); err != nil {
		return reps, err
	}
	if o.Wait {
		timeout := o.WaitTimeout
		if timeout <= 0 {
			timeout = 10 * time.Minute
		}
		if err := add(waitNodesReady(ctx, c, len(nodes), timeout)); err != nil {
			return reps, err
		}
		if err := add(waitPodsRunning(ctx, c, len(pods), timeout)); err != nil {
			return reps, err
		}
	}
	return reps, nil
}

// createNamespaces creates the missing namespaces; ones that exist without the label are used as
// they are and never deleted by Clean.
func createNamespaces(ctx context.Context, c Clients, workers int, nss []string) (KindReport, error) {
	start := time.Now()
	rep := KindReport{Kind: "namespaces", Want: len(nss)}
	l, err := c.Metadata.Resource(gvrOf("namespaces")).List(ctx, metav1.ListOptions{})
	if err != nil {
		return rep, fmt.Errorf("list namespaces: %w", err)
	}
	have := map[string]bool{}
	for _, it := range l.Items {
		have[it.Name] = true
	}
	var todo []string
	for _, n := range nss {
		if !have[n] {
			todo = append(todo, n)
		}
	}
	var created atomic.Int64
	p := &pool{n: workers}
	p.run(ctx, len(todo), func(ctx context.Context, i int) error {
		_, err := c.Typed.CoreV1().Namespaces().Create(ctx, Namespace(todo[i]), metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("namespace %s: %w", todo[i], err)
		}
		if err == nil {
			created.Add(1)
		}
		return nil
	})
	rep.Created = int(created.Load())
	rep.Existing = len(nss) - rep.Created
	rep.Took = time.Since(start)
	return rep, p.err()
}

// createServiceAccounts creates the default ServiceAccount of each namespace that has none, as
// kube-controller-manager would.
func createServiceAccounts(ctx context.Context, c Clients, workers int, nss []string) error {
	p := &pool{n: workers}
	p.run(ctx, len(nss), func(ctx context.Context, i int) error {
		sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: nss[i]}}
		if _, err := c.Typed.CoreV1().ServiceAccounts(nss[i]).Create(ctx, sa, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("serviceaccount %s/default: %w", nss[i], err)
		}
		return nil
	})
	return p.err()
}

// waitServiceAccounts waits for kube-controller-manager to create each namespace's default
// ServiceAccount: the ServiceAccount admission plugin rejects pods until it exists.
func waitServiceAccounts(ctx context.Context, c Clients, nss []string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		l, err := c.Metadata.Resource(gvrOf("serviceaccounts")).List(ctx, metav1.ListOptions{FieldSelector: "metadata.name=default"})
		if err != nil {
			return fmt.Errorf("list serviceaccounts: %w", err)
		}
		have := map[string]bool{}
		for _, it := range l.Items {
			have[it.Namespace] = true
		}
		var missing []string
		for _, n := range nss {
			if !have[n] {
				missing = append(missing, n)
			}
		}
		if len(missing) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no default ServiceAccount after %s in %d namespaces (%s…): is kube-controller-manager running?",
				timeout, len(missing), missing[0])
		}
		if err := sleep(ctx, 200*time.Millisecond); err != nil {
			return err
		}
	}
}

// fillPools creates the missing DiskPools, then writes the status of every pool that has none
// through the status subresource (as the operator does).
func fillPools(ctx context.Context, c Clients, workers, n int, nodes []string) (KindReport, error) {
	start := time.Now()
	rep := KindReport{Kind: "diskpools", Want: n}
	if n == 0 {
		return rep, nil
	}
	res := c.Dynamic.Resource(gvrDiskPool()).Namespace(poolsNamespace)
	l, err := res.List(ctx, metav1.ListOptions{LabelSelector: LabelSelector})
	if err != nil {
		return rep, fmt.Errorf("list diskpools: %w", err)
	}
	have := map[string]*unstructured.Unstructured{}
	for i := range l.Items {
		have[l.Items[i].GetName()] = &l.Items[i]
	}
	var created, updated atomic.Int64
	p := &pool{n: workers}
	p.run(ctx, n, func(ctx context.Context, i int) error {
		name, _ := PoolName(i, nodes)
		u := have[name]
		if u == nil {
			var err error
			u, err = res.Create(ctx, DiskPool(i, nodes), metav1.CreateOptions{})
			if apierrors.IsAlreadyExists(err) {
				u, err = res.Get(ctx, name, metav1.GetOptions{})
			} else if err == nil {
				created.Add(1)
			}
			if err != nil {
				return fmt.Errorf("diskpool %s: %w", name, err)
			}
		}
		if st, _, _ := unstructured.NestedString(u.Object, "status", "pool_status"); st != "" {
			return nil
		}
		u = u.DeepCopy()
		u.Object["status"] = DiskPoolStatus(i)
		if _, err := res.UpdateStatus(ctx, u, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("diskpool %s status: %w", name, err)
		}
		updated.Add(1)
		return nil
	})
	rep.Created, rep.Updated = int(created.Load()), int(updated.Load())
	rep.Existing = n - rep.Created
	rep.Took = time.Since(start)
	return rep, p.err()
}

// waitNodesReady waits until want loadgen nodes report Ready (kwok's node-initialize stage).
func waitNodesReady(ctx context.Context, c Clients, want int, timeout time.Duration) (KindReport, error) {
	start := time.Now()
	rep := KindReport{Kind: "nodes Ready", Want: want}
	for {
		l, err := c.Typed.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: LabelSelector})
		if err != nil {
			return rep, err
		}
		ready := 0
		for _, n := range l.Items {
			for _, cond := range n.Status.Conditions {
				if cond.Type == corev1.NodeReady && cond.Status == corev1.ConditionTrue {
					ready++
				}
			}
		}
		rep.Existing, rep.Took = ready, time.Since(start)
		if ready >= want {
			return rep, nil
		}
		if time.Since(start) > timeout {
			return rep, fmt.Errorf("%d of %d nodes Ready after %s: is kwok running?", ready, want, timeout)
		}
		if err := sleep(ctx, 500*time.Millisecond); err != nil {
			return rep, err
		}
	}
}

// waitPodsRunning waits until no loadgen pod is outside phase Running (kwok's pod-ready stage),
// listing only the names of the ones still pending.
func waitPodsRunning(ctx context.Context, c Clients, want int, timeout time.Duration) (KindReport, error) {
	start := time.Now()
	rep := KindReport{Kind: "pods Running", Want: want}
	for {
		l, err := c.Metadata.Resource(gvrOf("pods")).List(ctx, metav1.ListOptions{
			LabelSelector: LabelSelector, FieldSelector: "status.phase!=Running"})
		if err != nil {
			return rep, err
		}
		rep.Existing, rep.Took = want-len(l.Items), time.Since(start)
		if len(l.Items) == 0 {
			return rep, nil
		}
		if time.Since(start) > timeout {
			return rep, fmt.Errorf("%d pods not Running after %s (e.g. %s/%s): is kwok running?",
				len(l.Items), timeout, l.Items[0].Namespace, l.Items[0].Name)
		}
		if err := sleep(ctx, time.Second); err != nil {
			return rep, err
		}
	}
}

// Clean deletes every object carrying the loadgen label, namespaces last, and waits until they
// are gone.
func Clean(ctx context.Context, c Clients, workers int, timeout time.Duration, out io.Writer) ([]KindReport, error) {
	var reps []KindReport
	zero := int64(0)
	kinds := []struct {
		kind string
		gvr  schema.GroupVersionResource
		opts metav1.DeleteOptions
	}{
		{"dataplaneinsights", gvrDPInsight(), metav1.DeleteOptions{}},
		{"applications", gvrApplication(), metav1.DeleteOptions{}},
		{"diskpools", gvrDiskPool(), metav1.DeleteOptions{}},
		// Grace 0: kwok would otherwise play each pod's termination first.
		{"pods", gvrOf("pods"), metav1.DeleteOptions{GracePeriodSeconds: &zero}},
	}
	for _, k := range kinds {
		start := time.Now()
		have, err := existing(ctx, c, k.gvr)
		if apierrors.IsNotFound(err) {
			continue // the CRD is not installed: nothing of ours there
		}
		if err != nil {
			return reps, err
		}
		byNS := map[string]bool{}
		for key := range have {
			ns, _, _ := cut(key)
			byNS[ns] = true
		}
		nss := make([]string, 0, len(byNS))
		for ns := range byNS {
			nss = append(nss, ns)
		}
		sort.Strings(nss)
		p := &pool{n: workers}
		p.run(ctx, len(nss), func(ctx context.Context, i int) error {
			err := c.Dynamic.Resource(k.gvr).Namespace(nss[i]).DeleteCollection(ctx, k.opts,
				metav1.ListOptions{LabelSelector: LabelSelector})
			if err != nil && !apierrors.IsNotFound(err) {
				return fmt.Errorf("delete %s in %s: %w", k.kind, nss[i], err)
			}
			return nil
		})
		r := KindReport{Kind: k.kind, Want: len(have), Created: -len(have), Took: time.Since(start)}
		reps = append(reps, r)
		printKind(out, r)
		if err := p.err(); err != nil {
			return reps, err
		}
	}
	start := time.Now()
	have, err := existing(ctx, c, gvrOf("nodes"))
	if err != nil {
		return reps, err
	}
	if len(have) > 0 {
		if err := c.Typed.CoreV1().Nodes().DeleteCollection(ctx, metav1.DeleteOptions{},
			metav1.ListOptions{LabelSelector: LabelSelector}); err != nil {
			return reps, fmt.Errorf("delete nodes: %w", err)
		}
	}
	r := KindReport{Kind: "nodes", Want: len(have), Created: -len(have), Took: time.Since(start)}
	reps = append(reps, r)
	printKind(out, r)

	start = time.Now()
	have, err = existing(ctx, c, gvrOf("namespaces"))
	if err != nil {
		return reps, err
	}
	for key := range have {
		_, name, _ := cut(key)
		if err := c.Typed.CoreV1().Namespaces().Delete(ctx, name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return reps, fmt.Errorf("delete namespace %s: %w", name, err)
		}
	}
	// The namespace controller empties and removes them.
	deadline := time.Now().Add(timeout)
	for {
		left, err := existing(ctx, c, gvrOf("namespaces"))
		if err != nil {
			return reps, err
		}
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			return reps, fmt.Errorf("%d loadgen namespaces still there after %s: is kube-controller-manager running?", len(left), timeout)
		}
		if err := sleep(ctx, 500*time.Millisecond); err != nil {
			return reps, err
		}
	}
	r = KindReport{Kind: "namespaces", Want: len(have), Created: -len(have), Took: time.Since(start)}
	reps = append(reps, r)
	printKind(out, r)
	return reps, nil
}

func cut(key string) (ns, name string, ok bool) {
	for i := 0; i < len(key); i++ {
		if key[i] == '/' {
			return key[:i], key[i+1:], true
		}
	}
	return "", key, false
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func printKind(w io.Writer, r KindReport) {
	if w == nil {
		return
	}
	rate := ""
	if r.Created > 0 && r.Took > 0 {
		rate = fmt.Sprintf("  (%.0f/s)", float64(r.Created)/r.Took.Seconds())
	}
	switch {
	case r.Created < 0:
		fmt.Fprintf(w, "  %-20s deleted %6d  in %s\n", r.Kind, -r.Created, r.Took.Round(time.Millisecond))
	case r.Kind == "nodes Ready" || r.Kind == "pods Running":
		fmt.Fprintf(w, "  %-20s %6d/%d  after %s\n", r.Kind, r.Existing, r.Want, r.Took.Round(time.Millisecond))
	default:
		extra := ""
		if r.Updated > 0 {
			extra = fmt.Sprintf(", status written %d", r.Updated)
		}
		fmt.Fprintf(w, "  %-20s created %6d, existing %6d%s  in %s%s\n", r.Kind, r.Created, r.Existing, extra,
			r.Took.Round(time.Millisecond), rate)
	}
}
