package watch

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/platform"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kwatch "k8s.io/apimachinery/pkg/watch"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"
)

var evNow = time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC)

// warning is a legacy-style Warning event about a pod, last seen ago before evNow.
func warning(ns, name, pod, reason string, ago time.Duration) *corev1.Event {
	last := metav1.NewTime(evNow.Add(-ago))
	return &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Namespace: ns, Name: name},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: pod},
		Type:           corev1.EventTypeWarning, Reason: reason, Message: reason + " happened", Count: 2,
		FirstTimestamp: metav1.NewTime(last.Add(-time.Hour)), LastTimestamp: last,
		Source: corev1.EventSource{Component: "kubelet", Host: "worker-1"},
	}
}

func TestEventFrom(t *testing.T) {
	t0 := evNow.Add(-10 * time.Minute)
	tests := []struct {
		name   string
		ev     *corev1.Event
		ok     bool
		want   Event
		source string
	}{
		{"legacy recorder: count, first and last timestamps, source", warning("vault", "vault-0.1", "vault-0", "Unhealthy", time.Minute), true,
			Event{Namespace: "vault", Name: "vault-0.1", Object: ObjectRef{"Pod", "vault", "vault-0"}, Reason: "Unhealthy",
				Message: "Unhealthy happened", Count: 2, FirstSeen: evNow.Add(-time.Hour - time.Minute), LastSeen: evNow.Add(-time.Minute),
				Source: "kubelet, worker-1"}, ""},
		{"events.k8s.io recorder: eventTime, series, reporting controller", &corev1.Event{
			ObjectMeta:     metav1.ObjectMeta{Name: "worker-2.2"},
			InvolvedObject: corev1.ObjectReference{Kind: "Node", Name: "worker-2"},
			Type:           corev1.EventTypeWarning, Reason: "NodeNotReady", EventTime: metav1.NewMicroTime(t0),
			Series:              &corev1.EventSeries{Count: 7, LastObservedTime: metav1.NewMicroTime(t0.Add(5 * time.Minute))},
			ReportingController: "node-controller"}, true,
			Event{Name: "worker-2.2", Object: ObjectRef{Kind: "Node", Name: "worker-2"}, Reason: "NodeNotReady", Count: 7,
				FirstSeen: t0, LastSeen: t0.Add(5 * time.Minute), Source: "node-controller"}, ""},
		{"no time but its creation; no count means once", &corev1.Event{
			ObjectMeta: metav1.ObjectMeta{Name: "x", CreationTimestamp: metav1.NewTime(t0)},
			Type:       corev1.EventTypeWarning, Source: corev1.EventSource{Component: "scheduler"}}, true,
			Event{Name: "x", Count: 1, FirstSeen: t0, LastSeen: t0, Source: "scheduler"}, ""},
		{"a Normal event is not kept", &corev1.Event{Type: corev1.EventTypeNormal}, false, Event{}, ""},
		{"nil", nil, false, Event{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := EventFrom(tt.ev)
			if ok != tt.ok || got != tt.want {
				t.Fatalf("EventFrom = %+v, %v\nwant        %+v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestCompactEventKeepsWhatIsShown(t *testing.T) {
	ev := warning("vault", "vault-0.1", "vault-0", "Unhealthy", time.Minute)
	ev.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "kubelet"}}
	ev.Annotations = map[string]string{"big": strings.Repeat("x", 1000)}
	ev.InvolvedObject.FieldPath = "spec.containers{vault}"
	ev.Related = &corev1.ObjectReference{Kind: "Node", Name: "worker-1"}
	out, err := CompactEvent(ev)
	if err != nil {
		t.Fatal(err)
	}
	c := out.(*corev1.Event)
	if c.ManagedFields != nil || c.Annotations != nil || c.Related != nil || c.InvolvedObject.FieldPath != "" {
		t.Fatalf("compact kept more than shown: %+v", c)
	}
	full, _ := EventFrom(ev)
	compact, _ := EventFrom(c)
	if full != compact {
		t.Fatalf("compacting changed what is shown:\n%+v\n%+v", full, compact)
	}
	if key, _ := cache.MetaNamespaceKeyFunc(c); key != "vault/vault-0.1" {
		t.Fatalf("compact event keyed %q", key)
	}
	if _, err := CompactEvent("not an event"); err != nil {
		t.Fatal("non-events pass through")
	}
}

// TestEventStoreBound: the store keeps the newest max events by last occurrence, newest first.
func TestEventStoreBound(t *testing.T) {
	ev := func(name string, agoMin int) *corev1.Event {
		return warning("ns", name, name, "R", time.Duration(agoMin)*time.Minute)
	}
	type op struct {
		do  string // add, update, delete, replace
		evs []*corev1.Event
	}
	tests := []struct {
		name string
		ops  []op
		want []string // kept names, newest first
	}{
		{"under the bound everything is kept, newest first",
			[]op{{"add", []*corev1.Event{ev("a", 5), ev("b", 1), ev("c", 3)}}}, []string{"b", "c", "a"}},
		{"full: a newer event evicts the oldest",
			[]op{{"add", []*corev1.Event{ev("a", 5), ev("b", 1), ev("c", 3), ev("d", 2)}}}, []string{"b", "d", "c"}},
		{"full: an event older than all kept is dropped",
			[]op{{"add", []*corev1.Event{ev("a", 5), ev("b", 1), ev("c", 3), ev("d", 9)}}}, []string{"b", "c", "a"}},
		{"an update that recurs moves the event to the front",
			[]op{{"add", []*corev1.Event{ev("a", 5), ev("b", 1), ev("c", 3)}}, {"update", []*corev1.Event{ev("a", 0)}}},
			[]string{"a", "b", "c"}},
		{"an evicted event that recurs comes back",
			[]op{{"add", []*corev1.Event{ev("a", 5), ev("b", 1), ev("c", 3), ev("d", 2)}}, {"update", []*corev1.Event{ev("a", 0)}}},
			[]string{"a", "b", "d"}},
		{"delete frees a place; deleting an unknown event is harmless",
			[]op{{"add", []*corev1.Event{ev("a", 5), ev("b", 1), ev("c", 3)}}, {"delete", []*corev1.Event{ev("b", 1), ev("zz", 1)}},
				{"add", []*corev1.Event{ev("e", 50)}}}, []string{"c", "a", "e"}},
		{"replace keeps the newest of the list only",
			[]op{{"add", []*corev1.Event{ev("old", 0)}},
				{"replace", []*corev1.Event{ev("a", 5), ev("b", 1), ev("c", 3), ev("d", 2), ev("e", 8)}}}, []string{"b", "d", "c"}},
		{"equal times order by name",
			[]op{{"add", []*corev1.Event{ev("b", 1), ev("a", 1)}}}, []string{"a", "b"}},
		{"Normal events are ignored (a fake clientset ignores the field selector)",
			[]op{{"add", []*corev1.Event{{ObjectMeta: metav1.ObjectMeta{Name: "n"}, Type: corev1.EventTypeNormal}, ev("a", 1)}}},
			[]string{"a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newEventStore(3)
			notified := 0
			s.setNotify(func() { notified++ })
			for _, o := range tt.ops {
				var list []any
				for _, e := range o.evs {
					switch o.do {
					case "add":
						_ = s.Add(e)
					case "update":
						_ = s.Update(e)
					case "delete":
						_ = s.Delete(e)
					case "replace":
						list = append(list, e)
					}
				}
				if o.do == "replace" {
					_ = s.Replace(list, "1")
				}
			}
			var got []string
			for _, e := range s.Newest() {
				got = append(got, e.Name)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("kept %v, want %v", got, tt.want)
			}
			if notified == 0 {
				t.Fatal("changes must notify")
			}
		})
	}
}

func TestEventStoreSyncedOnFirstList(t *testing.T) {
	s := newEventStore(MaxEvents)
	if s.Synced() {
		t.Fatal("synced before any list")
	}
	_ = s.Replace(nil, "1")
	if !s.Synced() || len(s.Newest()) != 0 {
		t.Fatal("an empty first list is a sync")
	}
	_ = s.Add(warning("a", "b", "c", "R", 0))
	first := s.Newest()
	_ = s.Add(warning("a", "c", "c", "R", time.Minute))
	if len(first) != 1 || len(s.Newest()) != 2 {
		t.Fatal("a snapshot's events must not change once handed out")
	}
}

func TestEventsAbout(t *testing.T) {
	es := []Event{
		{Name: "1", Object: ObjectRef{"Pod", "vault", "vault-0"}},
		{Name: "2", Object: ObjectRef{"Node", "", "worker-2"}},
		{Name: "3", Object: ObjectRef{"Pod", "vault", "vault-0"}},
		{Name: "4", Object: ObjectRef{"Pod", "other", "vault-0"}},
		{Name: "5", Object: ObjectRef{"Pod", "vault", "vault-0"}},
	}
	tests := []struct {
		ref   ObjectRef
		limit int
		want  string
	}{
		{ObjectRef{"Pod", "vault", "vault-0"}, 0, "1 3 5"},
		{ObjectRef{"Pod", "vault", "vault-0"}, 2, "1 3"},
		{ObjectRef{"Node", "", "worker-2"}, 5, "2"},
		{ObjectRef{"Pod", "", "vault-0"}, 5, ""},              // the namespace must match
		{ObjectRef{"StatefulSet", "vault", "vault-0"}, 5, ""}, // and the kind
	}
	for _, tt := range tests {
		var got []string
		for _, e := range EventsAbout(es, tt.ref, tt.limit) {
			got = append(got, e.Name)
		}
		if strings.Join(got, " ") != tt.want {
			t.Errorf("EventsAbout(%s, %d) = %v, want %s", tt.ref, tt.limit, got, tt.want)
		}
	}
	if (ObjectRef{"Node", "", "w"}).String() != "Node/w" || (ObjectRef{"Pod", "ns", "p"}).String() != "Pod/ns/p" {
		t.Fatal("ObjectRef.String must be the findings' form")
	}
}

// fakeKube is a Kubernetes connection over fake clientsets holding objs.
func fakeKube(objs ...runtime.Object) (*platform.Kube, *fake.Clientset) {
	cs := fake.NewClientset(objs...)
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{})
	return &platform.Kube{Typed: cs, Dynamic: dyn, Host: "https://fake.invalid"}, cs
}

// TestKubeSourceWarningEvents: the source keeps the Warning events, newest first, live, and out of health.
func TestKubeSourceWarningEvents(t *testing.T) {
	normal := warning("vault", "normal", "vault-0", "Pulled", 0)
	normal.Type = corev1.EventTypeNormal
	kube, cs := fakeKube(warning("vault", "old", "vault-0", "Unhealthy", 30*time.Minute),
		warning("vault", "new", "vault-1", "BackOff", time.Minute), normal, readyNode("worker-2", true))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	src := NewKubeSource(kube)
	src.ProbeEvery = time.Hour // a fake clientset's discovery cannot answer the probe
	hub := NewHub(HubOptions{MinInterval: 10 * time.Millisecond, Clock: func() time.Time { return evNow }}, src)
	go hub.Run(ctx)
	ch, unsub := hub.Subscribe()
	defer unsub()
	names := func(s Snapshot) string {
		var out []string
		for _, e := range s.Events {
			out = append(out, e.Name)
		}
		return strings.Join(out, " ")
	}
	wait := func(want string) Snapshot {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			select {
			case s := <-ch:
				if s.Source(platform.SourceKubernetes).Synced && names(s) == want {
					return s
				}
			case <-deadline:
				t.Fatalf("events never became %q (last %q)", want, names(hub.Latest()))
			}
		}
	}
	s := wait("new old")
	for _, l := range s.Report.Layers {
		for _, f := range l.Findings {
			if strings.Contains(f.Object, "Pod/") || strings.Contains(f.Reason, "BackOff") {
				t.Fatalf("events must stay out of health: %+v", f)
			}
		}
	}
	if _, err := cs.CoreV1().Events("kube-system").Create(ctx, warning("kube-system", "live", "etcd-cp-1", "Unhealthy", 0),
		metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	wait("live new old")
}

// TestKubeSourceEventsForbidden: events the credentials may not list are unavailable, never fatal; the
// source still syncs and the layers are judged.
func TestKubeSourceEventsForbidden(t *testing.T) {
	kube, cs := fakeKube(warning("vault", "a", "vault-0", "Unhealthy", 0), readyNode("worker-1", true))
	forbid := func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "events"}, "", fmt.Errorf("RBAC: no"))
	}
	cs.PrependReactor("list", "events", forbid)
	cs.PrependWatchReactor("events", func(k8stesting.Action) (bool, kwatch.Interface, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "events"}, "", fmt.Errorf("RBAC: no"))
	})
	s := Collect(context.Background(), Targets{Name: "t", Kube: kube}, 10*time.Second, evNow)
	st := s.Source(platform.SourceKubernetes)
	if !st.Synced || st.Err != nil {
		t.Fatalf("forbidden events must not fail the source: %+v", st)
	}
	if s.Unavailable[EventsKey] == nil || !strings.Contains(s.Unavailable[EventsKey].Error(), "forbidden") {
		t.Fatalf("Unavailable[events] = %v, want the forbidden error", s.Unavailable[EventsKey])
	}
	if len(s.Events) != 0 || len(s.Nodes) != 1 {
		t.Fatalf("%d events, %d nodes; want 0, 1", len(s.Events), len(s.Nodes))
	}
}
