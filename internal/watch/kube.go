package watch

import (
	"context"
	"errors"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/platform"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/tools/cache"
)

const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// StripForCache is the informers' transform: it drops what the console never reads and what costs the
// most memory on big clusters — managedFields and the last-applied annotation.
func StripForCache(obj any) (any, error) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		return d, nil
	}
	m, err := meta.Accessor(obj)
	if err != nil {
		return obj, nil
	}
	m.SetManagedFields(nil)
	if a := m.GetAnnotations(); a != nil {
		if _, ok := a[lastApplied]; ok {
			delete(a, lastApplied)
			if len(a) == 0 {
				a = nil
			}
			m.SetAnnotations(a)
		}
	}
	return obj, nil
}

// ErrNotInstalled says a custom resource's CRD is not served by the cluster.
type ErrNotInstalled struct{ Resource string }

func (e ErrNotInstalled) Error() string {
	return "not installed on this cluster (no " + e.Resource + " CRD)"
}

// watchedKind is one informer and where its objects go.
type watchedKind struct {
	key string
	inf cache.SharedIndexInformer
	// put copies the informer's items into the snapshot's objects; group kinds (vault-config-operator)
	// append instead of replacing.
	put func(o *health.Objects, items []any)
	// same, when set, tells an update that changes nothing the rules read (a node's heartbeat): it makes
	// no new snapshot.
	same func(old, new any) bool
	err  error // forbidden, not found: the kind is unknown until an event proves it readable again
	// gen counts the informer's events; sorted holds its items ordered by namespace and name as of
	// sortedGen, so a snapshot re-sorts only the kinds that changed (most snapshots change one kind).
	gen, sortedGen uint64
	sorted         []any
}

// items returns the informer's items sorted by namespace and name, re-sorting only after a change.
// Called with s.mu held.
func (w *watchedKind) items() []any {
	if w.sorted != nil && w.sortedGen == w.gen {
		return w.sorted
	}
	items := w.inf.GetStore().List()
	keys := make([]string, len(items))
	for i, it := range items {
		keys[i] = storeKey(it)
	}
	idx := make([]int, len(items))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return keys[idx[a]] < keys[idx[b]] })
	out := make([]any, len(items))
	for i, j := range idx {
		out[i] = items[j]
	}
	w.sorted, w.sortedGen = out, w.gen
	return out
}

// storeKey is a cached item's namespace/name.
func storeKey(it any) string {
	if e, ok := it.(*podEntry); ok {
		return e.Namespace + "/" + e.Name
	}
	if m, err := meta.Accessor(it); err == nil {
		return m.GetNamespace() + "/" + m.GetName()
	}
	return ""
}

// KubeSource watches every Kubernetes kind the rules read: typed informers for built-in kinds, metadata
// only for Secrets and for the Gateway API CRDs (by name), dynamic informers for the custom resources
// discovery says are served.
type KubeSource struct {
	kube *platform.Kube
	// meta reads metadata only (nil when the connection has no metadata client): the Gateway API CRDs'.
	meta metadata.Interface
	// ProbeEvery is how often the API server is probed to notice an outage and a recovery (default 3s).
	ProbeEvery time.Duration
	// RediscoverEvery is how often discovery is read again to pick up CRDs installed later (default 1m).
	RediscoverEvery time.Duration
	clock           func() time.Time

	mu      sync.Mutex
	state   SourceState
	kinds   map[string]*watchedKind
	absent  map[string]bool // CRD keys not served
	started bool
	// events keeps the newest Warning events; eventsErr says why they cannot be read (forbidden).
	events    *eventStore
	eventsErr error
}

// NewKubeSource prepares a source over the connection; nothing is contacted until Run.
func NewKubeSource(k *platform.Kube) *KubeSource {
	return &KubeSource{kube: k, ProbeEvery: 3 * time.Second, RediscoverEvery: time.Minute, clock: time.Now,
		state: SourceState{Configured: true}, kinds: map[string]*watchedKind{}, absent: map[string]bool{},
		events: newEventStore(MaxEvents)}
}

func (s *KubeSource) Name() platform.Source { return platform.SourceKubernetes }

// Run starts the informers and keeps the source's state true until ctx ends.
func (s *KubeSource) Run(ctx context.Context, notify func()) {
	typedC, dynC, metaC := streamingClients(s.kube)
	s.mu.Lock()
	s.meta = metaC
	s.mu.Unlock()
	typedF := informers.NewSharedInformerFactory(typedC, 0)
	dynF := dynamicinformer.NewDynamicSharedInformerFactory(dynC, 0)
	var metaF metadatainformer.SharedInformerFactory
	if metaC != nil {
		metaF = metadatainformer.NewSharedInformerFactory(metaC, 0)
	}
	defer func() {
		typedF.Shutdown()
		dynF.Shutdown()
		if metaF != nil {
			metaF.Shutdown()
		}
	}()

	for _, b := range builtins() {
		gi, err := typedF.ForResource(b.gvr)
		if err != nil {
			continue
		}
		s.add(builtinKey(b.gvr), gi.Informer(), b.put, notify, StripForCache, b.same)
	}
	pods := &podsPut{}
	s.add(health.ResourcePods, typedF.Core().V1().Pods().Informer(), pods.put, notify, SummarizePod, nil)
	if metaF != nil {
		s.add("secrets", metaF.ForResource(corev1.SchemeGroupVersion.WithResource("secrets")).Informer(),
			func(o *health.Objects, items []any) {
				o.Secrets = typed[*metav1.PartialObjectMetadata](items)
				sortByName(o.Secrets)
			}, notify, StripForCache, nil)
	}
	s.discover(ctx, dynF, notify)
	typedF.Start(ctx.Done())
	dynF.Start(ctx.Done())
	if metaF != nil {
		metaF.Start(ctx.Done())
	}
	go s.runEvents(ctx, notify)
	s.mu.Lock()
	s.started = true
	s.mu.Unlock()
	go s.waitSynced(ctx, notify)

	probe := time.NewTicker(s.ProbeEvery)
	defer probe.Stop()
	rediscover := time.NewTicker(s.RediscoverEvery)
	defer rediscover.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-rediscover.C:
			if s.discover(ctx, dynF, notify) {
				dynF.Start(ctx.Done())
				go s.waitSynced(ctx, notify)
			}
		case <-probe.C:
			s.probe(ctx, notify)
		}
	}
}

// probe notices outages the reflector hides (it retries a refused watch silently) and recoveries that
// nothing else would show.
func (s *KubeSource) probe(ctx context.Context, notify func()) {
	err := s.kube.Ping(ctx, min(s.ProbeEvery, 5*time.Second))
	if ctx.Err() != nil {
		return
	}
	s.mu.Lock()
	prev := s.state.Err
	s.mu.Unlock()
	switch {
	case err != nil && platform.IsUnreachable(err):
		s.fail(err)
		notify()
	case err == nil && prev != nil && platform.IsUnreachable(prev):
		s.ok()
		notify()
	}
}

// add registers an informer: transform, handlers, error handler. An update same says changes nothing
// is kept by the informer but makes no new snapshot.
func (s *KubeSource) add(key string, inf cache.SharedIndexInformer, put func(*health.Objects, []any), notify func(),
	transform cache.TransformFunc, same func(old, new any) bool) {
	w := &watchedKind{key: key, inf: inf, put: put, same: same}
	_ = inf.SetTransform(transform)
	_ = inf.SetWatchErrorHandlerWithContext(func(_ context.Context, _ *cache.Reflector, err error) {
		switch {
		case apierrors.IsResourceExpired(err) || apierrors.IsGone(err):
			return // a normal relist, not an outage
		case apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err) || apierrors.IsNotFound(err):
			s.mu.Lock()
			w.err = s.kube.Classify(err)
			s.mu.Unlock()
		default:
			s.fail(s.kube.Classify(err))
		}
		notify()
	})
	seen := func() {
		s.mu.Lock()
		w.err = nil
		w.gen++
		s.mu.Unlock()
		notify()
	}
	_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(any) { seen() },
		UpdateFunc: func(old, new any) {
			if w.same == nil || !w.same(old, new) {
				seen()
			}
		},
		DeleteFunc: func(any) { seen() },
	})
	s.mu.Lock()
	s.kinds[key] = w
	s.mu.Unlock()
}

// discover reads which custom resources the cluster serves and adds informers for new ones; it reports
// whether it added any.
func (s *KubeSource) discover(ctx context.Context, dynF dynamicinformer.DynamicSharedInformerFactory, notify func()) bool {
	served, err := servedResources(s.kube.Typed.Discovery())
	if err != nil && len(served) == 0 {
		if ctx.Err() == nil {
			s.fail(s.kube.Classify(err))
			notify()
		}
		return false
	}
	added := false
	s.mu.Lock()
	known := map[string]bool{}
	for k := range s.kinds {
		known[k] = true
	}
	s.mu.Unlock()
	for key, put := range crdPut() {
		gvr, ok := served[key]
		s.mu.Lock()
		s.absent[key] = !ok
		s.mu.Unlock()
		if !ok || known[key] {
			continue
		}
		s.add(key, dynF.ForResource(gvr).Informer(), func(o *health.Objects, items []any) {
			us := typed[*unstructured.Unstructured](items)
			sortByName(us)
			put(o, us)
		}, notify, StripForCache, nil)
		added = true
	}
	for key, gvr := range served {
		if gvr.Group != vaultConfigGroup || known[key] {
			continue
		}
		s.add(key, dynF.ForResource(gvr).Informer(), func(o *health.Objects, items []any) {
			o.VaultConfigCRs = append(o.VaultConfigCRs, typed[*unstructured.Unstructured](items)...)
		}, notify, StripForCache, nil)
		added = true
	}
	if s.watchGatewayAPICRDs(ctx, served, known, notify) {
		added = true
	}
	return added
}

// watchGatewayAPICRDs starts, for each Gateway API CRD discovery says is served, an informer on that one
// CRD's metadata (a field selector on its name: a list and a watch of one small object, never the
// schemas, no other CRD; RBAC may grant exactly these names). A cluster without the Gateway API starts
// none. It reports whether it started any.
func (s *KubeSource) watchGatewayAPICRDs(ctx context.Context, served map[string]schema.GroupVersionResource,
	known map[string]bool, notify func()) bool {
	s.mu.Lock()
	meta := s.meta
	s.mu.Unlock()
	if meta == nil {
		return false
	}
	added := false
	for _, name := range platform.GatewayAPICRDNames() {
		key := health.CRDMetadataKey(name)
		if _, ok := served[name]; !ok || known[key] {
			continue // a CRD's name is its resource's key
		}
		byName := func(lo *metav1.ListOptions) {
			lo.FieldSelector = fields.OneTermEqualSelector("metadata.name", name).String()
		}
		inf := metadatainformer.NewFilteredMetadataInformer(meta, platform.CustomResourceDefinitions, "", 0,
			cache.Indexers{}, byName).Informer()
		s.add(key, inf, func(o *health.Objects, items []any) {
			for _, m := range typed[*metav1.PartialObjectMetadata](items) {
				if m.Name == name { // what the field selector asked for, whatever a server or a fake returns
					o.GatewayAPICRDs = append(o.GatewayAPICRDs, m)
				}
			}
			sortByName(o.GatewayAPICRDs)
		}, notify, StripForCache, nil)
		go inf.Run(ctx.Done())
		added = true
	}
	return added
}

// servedResources maps "plural.group" to the preferred served version of every resource discovery lists
// (partial results are kept when an aggregated API is down).
func servedResources(d discovery.DiscoveryInterface) (map[string]schema.GroupVersionResource, error) {
	groups, lists, err := d.ServerGroupsAndResources()
	preferred := map[string]string{}
	for _, g := range groups {
		preferred[g.Name] = g.PreferredVersion.Version
	}
	out := map[string]schema.GroupVersionResource{}
	for _, l := range lists {
		gv, perr := schema.ParseGroupVersion(l.GroupVersion)
		if perr != nil || gv.Group == "" {
			continue
		}
		for _, r := range l.APIResources {
			if strings.Contains(r.Name, "/") {
				continue // subresources
			}
			key := r.Name + "." + gv.Group
			cur, seen := out[key]
			if !seen || (gv.Version == preferred[gv.Group] && cur.Version != gv.Version) {
				out[key] = gv.WithResource(r.Name)
			}
		}
	}
	var gdf *discovery.ErrGroupDiscoveryFailed
	if errors.As(err, &gdf) {
		err = nil
	}
	return out, err
}

// Synced tells whether every readable kind has had its first full list (the hub publishes that at once).
func (s *KubeSource) Synced() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state.Synced
}

// waitSynced marks the source synced once every informer is, checking often: the first complete picture
// waits on it.
func (s *KubeSource) waitSynced(ctx context.Context, notify func()) {
	deadline := time.NewTicker(10 * time.Millisecond)
	defer deadline.Stop()
	for {
		if s.synced() {
			s.mu.Lock()
			s.state.Synced = true
			s.mu.Unlock()
			notify()
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-deadline.C:
		}
	}
}

// synced: every kind that is readable has its first full list, the Warning events included.
func (s *KubeSource) synced() bool {
	eventsSynced := s.events.Synced()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started || (s.eventsErr == nil && !eventsSynced) {
		return false
	}
	for _, w := range s.kinds {
		if w.err == nil && !w.inf.HasSynced() {
			return false
		}
	}
	return true
}

func (s *KubeSource) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state.failed(err, s.clock())
}

func (s *KubeSource) ok() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state.recovered()
}

// Fill copies every kind's cached objects and the newest Warning events, and why the unreadable ones are
// unknown. A kind still reading its first list is left out until it has it whole: half a list would be
// judged as if it were the cluster, and sorting and judging it again and again while 10 000 pods stream
// in would only delay the first complete picture.
func (s *KubeSource) Fill(snap *Snapshot) {
	s.mu.Lock()
	st := s.state
	kinds := make([]*watchedKind, 0, len(s.kinds))
	errs := map[string]error{}
	if s.eventsErr != nil {
		errs[EventsKey] = s.eventsErr
	}
	lists := map[*watchedKind][]any{}
	for _, w := range s.kinds {
		kinds = append(kinds, w)
		if w.err != nil {
			errs[w.key] = w.err
		} else if w.inf.HasSynced() {
			lists[w] = w.items()
		}
	}
	var serves map[string]bool
	if len(s.absent) > 0 {
		serves = make(map[string]bool, len(s.absent))
	}
	for key, absent := range s.absent {
		serves[key] = !absent
		if absent {
			errs[key] = ErrNotInstalled{Resource: key}
		}
	}
	s.mu.Unlock()
	snap.Sources[platform.SourceKubernetes] = st
	snap.Serves = serves
	sort.Slice(kinds, func(i, j int) bool { return kinds[i].key < kinds[j].key })
	if snap.Unavailable == nil {
		snap.Unavailable = map[string]error{}
	}
	for k, e := range errs {
		snap.Unavailable[k] = e
	}
	for _, w := range kinds {
		if items, ok := lists[w]; ok {
			w.put(&snap.Objects, items)
		}
	}
	sortByName(snap.VaultConfigCRs)
	if errs[EventsKey] == nil {
		snap.Events, snap.MountProblems = s.events.Newest(), s.events.MountProblems()
	}
}
