package watch

import (
	"sync"
	"unique"

	"github.com/clubcedille/cedille-tui/internal/health"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// The pods watch: ONE informer over every namespace whose transform turns each *corev1.Pod into a
// health.Pod summary as it arrives (streamed, with client-go's watch-list), so the cache never holds a
// whole pod — but the control plane's few (kube-system, tier=control-plane), kept whole beside their
// summary for the cluster layer's rules. Deriving them so costs no second LIST and WATCH, and one
// forbidden pods list says so for both layers.

// podEntry is what the pods informer stores: a pod's summary, keyed as the pod is (the informer's key
// function reads GetObjectMeta), and the whole pod for a control-plane pod.
type podEntry struct {
	health.Pod
	full *corev1.Pod
}

// GetObjectMeta gives the informer's key function the pod's namespace and name (metav1.ObjectMetaAccessor).
func (e *podEntry) GetObjectMeta() metav1.Object {
	return &metav1.ObjectMeta{Namespace: e.Namespace, Name: e.Name, UID: types.UID(e.UID)}
}

// isControlPlanePod tells the pods whose whole object the cluster layer reads.
func isControlPlanePod(p *corev1.Pod) bool {
	return p.Namespace == metav1.NamespaceSystem && p.Labels["tier"] == "control-plane"
}

// SummarizePod is the pods informer's transform: a *corev1.Pod becomes its summary (health.PodOf) with
// its repeated words interned (namespaces, nodes, owners, phases and reasons are shared by thousands of
// pods); a control-plane pod is also kept whole, stripped as every cached object. Anything else passes
// through: tombstones, and entries already summarised (the watch-list transforms as it streams, the
// queue once more).
func SummarizePod(obj any) (any, error) {
	p, ok := obj.(*corev1.Pod)
	if !ok {
		return obj, nil
	}
	e := &podEntry{Pod: *health.PodOf(p)}
	s := &e.Pod
	s.Namespace, s.Node, s.OwnerKind = intern(s.Namespace), intern(s.Node), intern(s.OwnerKind)
	s.OwnerName, s.Reason = intern(s.OwnerName), intern(s.Reason)
	s.Phase = corev1.PodPhase(intern(string(s.Phase)))
	for i := range s.Containers {
		c := &s.Containers[i]
		c.Name, c.Waiting, c.Terminated, c.LastReason = intern(c.Name), intern(c.Waiting), intern(c.Terminated), intern(c.LastReason)
	}
	if isControlPlanePod(p) {
		stripped, _ := StripForCache(p)
		e.full = stripped.(*corev1.Pod)
	}
	return e, nil
}

// intern returns the canonical copy of s, so that equal words share their bytes.
func intern(s string) string {
	if s == "" {
		return ""
	}
	return unique.Make(s).Value()
}

// podsPut keeps the typed lists of the pods informer's last sorted items: a snapshot that changes
// nothing in the pods reuses them.
type podsPut struct {
	mu    sync.Mutex
	items []any
	pods  []*health.Pod
	cp    []*corev1.Pod
}

// put fills the snapshot's pods and control-plane pods from the informer's sorted items.
func (pp *podsPut) put(o *health.Objects, items []any) {
	pp.mu.Lock()
	defer pp.mu.Unlock()
	if len(items) == 0 || len(pp.items) != len(items) || &pp.items[0] != &items[0] {
		pp.items, pp.pods, pp.cp = items, make([]*health.Pod, 0, len(items)), nil
		for _, it := range items {
			if e, ok := it.(*podEntry); ok {
				pp.pods = append(pp.pods, &e.Pod)
				if e.full != nil {
					pp.cp = append(pp.cp, e.full)
				}
			}
		}
		sortByName(pp.cp)
	}
	o.Pods, o.ControlPlanePods = pp.pods, pp.cp
}

// mountProblems takes, from Warning events newest first, the newest one about each pod's volumes.
func mountProblems(es []Event) map[string]health.MountProblem {
	var out map[string]health.MountProblem
	for _, e := range es {
		if e.Object.Kind != "Pod" || !health.IsMountProblem(e.Reason) {
			continue
		}
		k := e.Object.Namespace + "/" + e.Object.Name
		if _, seen := out[k]; seen {
			continue
		}
		if out == nil {
			out = map[string]health.MountProblem{}
		}
		out[k] = health.MountProblem{Reason: e.Reason, Message: e.Message, LastSeen: e.LastSeen}
	}
	return out
}
