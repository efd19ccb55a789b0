package watch

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/clubcedille/cedille-tui/internal/health"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
)

// MaxEvents bounds the Warning events the console keeps: the newest by last occurrence win, so a noisy
// cluster costs at most this many small structs, whatever the API server holds.
const MaxEvents = 1000

// EventsKey names the Warning events in Objects.Unavailable (core/v1 events).
const EventsKey = "events"

// warningOnly is the field selector of the events watch: the API server filters, not the console.
const warningOnly = "type=" + corev1.EventTypeWarning

// ObjectRef names a Kubernetes object: kind, namespace (empty when cluster-scoped) and name.
type ObjectRef struct {
	Kind, Namespace, Name string
}

// String is "Kind/name", or "Kind/namespace/name" for a namespaced object — the form findings use.
func (r ObjectRef) String() string {
	if r.Namespace == "" {
		return r.Kind + "/" + r.Name
	}
	return r.Kind + "/" + r.Namespace + "/" + r.Name
}

// Event is a Kubernetes Warning event, reduced to what the console shows.
type Event struct {
	// Namespace and Name are the Event object's own.
	Namespace, Name string
	// Object is what the event is about (involvedObject).
	Object ObjectRef
	Reason string
	// Message is the event's message as written (it may span lines).
	Message string
	// Count is how many times it occurred, at least 1.
	Count int32
	// FirstSeen and LastSeen bound its occurrences.
	FirstSeen, LastSeen time.Time
	// Source is who reported it: "kubelet, worker-1", or the reporting controller.
	Source string
}

// Key identifies the event across updates: namespace/name.
func (e Event) Key() string { return e.Namespace + "/" + e.Name }

// newerThan orders events newest first (last occurrence), then by key so the order is stable.
func (e Event) newerThan(o Event) bool {
	if !e.LastSeen.Equal(o.LastSeen) {
		return e.LastSeen.After(o.LastSeen)
	}
	return e.Key() < o.Key()
}

// SortEvents orders events newest first.
func SortEvents(es []Event) {
	sort.Slice(es, func(i, j int) bool { return es[i].newerThan(es[j]) })
}

// EventsAbout returns the newest events (at most limit; all when limit ≤ 0) about one object, from a list
// ordered newest first (as Snapshot.Events is).
func EventsAbout(es []Event, ref ObjectRef, limit int) []Event {
	var out []Event
	for _, e := range es {
		if e.Object == ref {
			out = append(out, e)
			if limit > 0 && len(out) == limit {
				break
			}
		}
	}
	return out
}

// EventFrom reduces a core/v1 Event to what the console shows; ok is false for anything but a Warning.
// It reads both the legacy fields (count, first/lastTimestamp, source) and those of the events.k8s.io
// recorder (eventTime, series, reportingController), as the API server fills either.
func EventFrom(ev *corev1.Event) (e Event, ok bool) {
	if ev == nil || ev.Type != corev1.EventTypeWarning {
		return Event{}, false
	}
	e = Event{
		Namespace: ev.Namespace, Name: ev.Name,
		Object: ObjectRef{Kind: ev.InvolvedObject.Kind, Namespace: ev.InvolvedObject.Namespace, Name: ev.InvolvedObject.Name},
		Reason: ev.Reason, Message: ev.Message, Count: max(ev.Count, 1),
	}
	for _, t := range []time.Time{ev.FirstTimestamp.Time, ev.EventTime.Time, ev.CreationTimestamp.Time} {
		if !t.IsZero() {
			e.FirstSeen = t
			break
		}
	}
	e.LastSeen = e.FirstSeen
	for _, t := range []time.Time{ev.LastTimestamp.Time, ev.EventTime.Time} {
		if t.After(e.LastSeen) {
			e.LastSeen = t
		}
	}
	if s := ev.Series; s != nil {
		e.Count = max(e.Count, s.Count)
		if s.LastObservedTime.After(e.LastSeen) {
			e.LastSeen = s.LastObservedTime.Time
		}
	}
	switch {
	case ev.Source.Component != "" && ev.Source.Host != "":
		e.Source = ev.Source.Component + ", " + ev.Source.Host
	case ev.Source.Component != "":
		e.Source = ev.Source.Component
	default:
		e.Source = ev.ReportingController
	}
	return e, true
}

// CompactEvent is the events watch's transform: a copy of the Event holding only what EventFrom reads
// (and what a store needs to key it), so a big list is not kept whole while it is being read.
func CompactEvent(obj any) (any, error) {
	ev, ok := obj.(*corev1.Event)
	if !ok {
		return obj, nil
	}
	c := &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{Namespace: ev.Namespace, Name: ev.Name, UID: ev.UID,
			ResourceVersion: ev.ResourceVersion, CreationTimestamp: ev.CreationTimestamp},
		InvolvedObject: corev1.ObjectReference{Kind: ev.InvolvedObject.Kind, Namespace: ev.InvolvedObject.Namespace,
			Name: ev.InvolvedObject.Name},
		Type: ev.Type, Reason: ev.Reason, Message: ev.Message, Count: ev.Count,
		FirstTimestamp: ev.FirstTimestamp, LastTimestamp: ev.LastTimestamp, EventTime: ev.EventTime,
		Source: ev.Source, ReportingController: ev.ReportingController,
	}
	if ev.Series != nil {
		c.Series = &corev1.EventSeries{Count: ev.Series.Count, LastObservedTime: ev.Series.LastObservedTime}
	}
	return c, nil
}

// eventStore is the events reflector's store: it keeps the newest max Warning events and nothing else.
// An event older than all it keeps is dropped when it is full, and comes back if it recurs.
type eventStore struct {
	max int

	mu     sync.Mutex
	notify func()
	items  map[string]Event
	synced bool
	sorted []Event // newest first; nil when items changed since
	// mounts are the pods' mount problems taken from sorted (mountProblems); valid while mountsOf is sorted.
	mounts   map[string]health.MountProblem
	mountsOf []Event
}

var (
	_ cache.ReflectorStore    = (*eventStore)(nil)
	_ cache.TransformingStore = (*eventStore)(nil)
)

func newEventStore(limit int) *eventStore {
	return &eventStore{max: max(limit, 1), items: map[string]Event{}}
}

func (s *eventStore) setNotify(f func()) {
	s.mu.Lock()
	s.notify = f
	s.mu.Unlock()
}

func (s *eventStore) changed() {
	s.mu.Lock()
	f := s.notify
	s.mu.Unlock()
	if f != nil {
		f()
	}
}

// Transformer compacts events already in the reflector's streaming list.
func (s *eventStore) Transformer() cache.TransformFunc { return CompactEvent }

func (s *eventStore) Add(obj any) error    { return s.put(obj) }
func (s *eventStore) Update(obj any) error { return s.put(obj) }
func (s *eventStore) Resync() error        { return nil }

func (s *eventStore) put(obj any) error {
	ev, _ := obj.(*corev1.Event)
	e, ok := EventFrom(ev)
	if !ok {
		return nil // not a Warning (a fake clientset ignores field selectors)
	}
	s.mu.Lock()
	changed := s.insert(e)
	s.mu.Unlock()
	if changed {
		s.changed()
	}
	return nil
}

// insert adds or replaces e, evicting the oldest event when full; it reports whether anything changed.
func (s *eventStore) insert(e Event) bool {
	k := e.Key()
	if _, had := s.items[k]; !had && len(s.items) >= s.max {
		oldestKey, oldest, first := "", Event{}, true
		for key, o := range s.items {
			if first || oldest.newerThan(o) {
				oldestKey, oldest, first = key, o, false
			}
		}
		if !e.newerThan(oldest) {
			return false
		}
		delete(s.items, oldestKey)
	}
	s.items[k] = e
	s.sorted = nil
	return true
}

func (s *eventStore) Delete(obj any) error {
	var k string
	switch o := obj.(type) {
	case *corev1.Event:
		k = o.Namespace + "/" + o.Name
	case cache.DeletedFinalStateUnknown:
		k = o.Key
	default:
		return nil
	}
	s.mu.Lock()
	_, had := s.items[k]
	delete(s.items, k)
	if had {
		s.sorted = nil
	}
	s.mu.Unlock()
	if had {
		s.changed()
	}
	return nil
}

// Replace takes a full list (the reflector's first list, or a relist): the newest max Warnings of it.
func (s *eventStore) Replace(list []any, _ string) error {
	es := make([]Event, 0, len(list))
	for _, obj := range list {
		ev, _ := obj.(*corev1.Event)
		if e, ok := EventFrom(ev); ok {
			es = append(es, e)
		}
	}
	SortEvents(es)
	if len(es) > s.max {
		es = es[:s.max]
	}
	items := make(map[string]Event, len(es))
	for _, e := range es {
		items[e.Key()] = e
	}
	s.mu.Lock()
	s.items, s.sorted, s.synced = items, nil, true
	s.mu.Unlock()
	s.changed()
	return nil
}

// Synced tells whether the first full list arrived.
func (s *eventStore) Synced() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.synced
}

// Newest is every kept event, newest first. The slice is shared by the snapshots: never modify it.
func (s *eventStore) Newest() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sorted == nil {
		s.sorted = make([]Event, 0, len(s.items))
		for _, e := range s.items {
			s.sorted = append(s.sorted, e)
		}
		SortEvents(s.sorted)
	}
	return s.sorted
}

// MountProblems are the newest Warning about each pod's volumes among the kept events (shared between
// snapshots: never modify).
func (s *eventStore) MountProblems() map[string]health.MountProblem {
	es := s.Newest()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(es) == 0 {
		return nil
	}
	if len(s.mountsOf) != len(es) || &s.mountsOf[0] != &es[0] {
		s.mounts, s.mountsOf = mountProblems(es), es
	}
	return s.mounts
}

// runEvents keeps the Warning events cluster-wide until ctx ends: one reflector over core/v1 Events with
// the field selector type=Warning, into the bounded store. A forbidden list is recorded as unavailable
// (the console shows why), never fatal.
func (s *KubeSource) runEvents(ctx context.Context, notify func()) {
	s.events.setNotify(notify)
	events := s.kube.Typed.CoreV1().Events(metav1.NamespaceAll)
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			o.FieldSelector = warningOnly
			l, err := events.List(ctx, o)
			s.eventsResult(ctx, err, notify)
			return l, err
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.FieldSelector = warningOnly
			w, err := events.Watch(ctx, o)
			s.eventsResult(ctx, err, notify)
			return w, err
		},
	}
	r := cache.NewReflectorWithOptions(cache.ToListWatcherWithWatchListSemantics(lw, s.kube.Typed), &corev1.Event{},
		s.events, cache.ReflectorOptions{Name: "warning-events", TypeDescription: "*v1.Event (type=Warning)"})
	r.RunWithContext(ctx)
}

// eventsResult records how the last list or watch of events went, as the informers' error handler does.
func (s *KubeSource) eventsResult(ctx context.Context, err error, notify func()) {
	switch {
	case ctx.Err() != nil:
		return
	case err == nil:
		s.mu.Lock()
		was := s.eventsErr
		s.eventsErr = nil
		s.mu.Unlock()
		if was != nil {
			notify()
		}
		return
	case apierrors.IsResourceExpired(err) || apierrors.IsGone(err):
		return // a normal relist
	case apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err) || apierrors.IsNotFound(err):
		s.mu.Lock()
		s.eventsErr = s.kube.Classify(err)
		s.mu.Unlock()
	default:
		s.fail(s.kube.Classify(err))
	}
	notify()
}
