package watch

import (
	"context"
	"errors"
	"sort"
	"sync"
	"time"

	"github.com/clubcedille/cedille-tui/internal/platform"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	listersv1 "k8s.io/client-go/listers/core/v1"
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

// KubeSource watches the Kubernetes objects the console shows, through shared informers.
type KubeSource struct {
	kube *platform.Kube
	// ProbeEvery is how often the API server is probed to notice an outage and a recovery (default 3s).
	ProbeEvery time.Duration
	clock      func() time.Time

	mu     sync.Mutex
	state  SourceState
	nodes  listersv1.NodeLister
	synced cache.InformerSynced
}

// NewKubeSource prepares a source over the connection; nothing is contacted until Run.
func NewKubeSource(k *platform.Kube) *KubeSource {
	return &KubeSource{kube: k, ProbeEvery: 3 * time.Second, clock: time.Now,
		state: SourceState{Configured: true}}
}

func (s *KubeSource) Name() platform.Source { return platform.SourceKubernetes }

// Run starts the informers and keeps the source's state true until ctx ends.
func (s *KubeSource) Run(ctx context.Context, notify func()) {
	factory := informers.NewSharedInformerFactoryWithOptions(s.kube.Typed, 0, informers.WithTransform(StripForCache))
	nodeInf := factory.Core().V1().Nodes()
	inf := nodeInf.Informer()
	_ = inf.SetWatchErrorHandlerWithContext(func(_ context.Context, _ *cache.Reflector, err error) {
		if apierrors.IsResourceExpired(err) || apierrors.IsGone(err) {
			return // a normal relist, not an outage
		}
		s.fail(s.kube.Classify(err))
		notify()
	})
	_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { s.ok(); notify() },
		UpdateFunc: func(any, any) { s.ok(); notify() },
		DeleteFunc: func(any) { s.ok(); notify() },
	})
	s.mu.Lock()
	s.nodes, s.synced = nodeInf.Lister(), inf.HasSynced
	s.mu.Unlock()

	factory.Start(ctx.Done())
	defer factory.Shutdown()

	go func() {
		if cache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
			s.mu.Lock()
			s.state.Synced = true
			s.mu.Unlock()
			s.ok()
			notify()
		}
	}()

	// Probe the API server: client-go's reflector retries a refused watch silently, so an outage would
	// otherwise go unnoticed, and recovery would not show until something changes.
	t := time.NewTicker(s.ProbeEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
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
		case err == nil && prev != nil && platform.IsUnreachable(prev) && inf.HasSynced():
			// Only an outage is cleared here; a forbidden list stays reported by the informer.
			s.ok()
			notify()
		}
	}
}

func (s *KubeSource) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state.Err = err
	if s.state.StaleSince.IsZero() {
		s.state.StaleSince = s.clock()
	}
}

func (s *KubeSource) ok() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state.Err, s.state.StaleSince = nil, time.Time{}
}

// Fill copies the cached nodes, sorted by name.
func (s *KubeSource) Fill(snap *Snapshot) {
	s.mu.Lock()
	st, lister := s.state, s.nodes
	s.mu.Unlock()
	snap.Sources[platform.SourceKubernetes] = st
	if lister == nil {
		return
	}
	nodes, err := lister.List(labels.Everything())
	if err != nil && !errors.Is(err, context.Canceled) {
		return
	}
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].Name < nodes[j].Name })
	snap.Nodes = nodes
}
