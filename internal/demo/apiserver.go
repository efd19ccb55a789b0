package demo

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"k8s.io/kubectl/pkg/util/podutils"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/uuid"
	"k8s.io/client-go/kubernetes/scheme"
	k8stesting "k8s.io/client-go/testing"
)

// The API server's side of a write, which client-go's fake trackers do not play: every stored object
// has a UID and a resourceVersion (a new one at each write), a write that names a resourceVersion or a
// UID other than the stored one is a 409 Conflict (as a delete's preconditions are), a write whose
// options say DryRun=All computes its answer and stores nothing, a delete of an object with finalizers
// only marks it Terminating (and removing its last finalizer deletes it), and the eviction subresource
// is served within the PodDisruptionBudgets. Reads stay the trackers' own.

// versions64 hands out the fakes' resourceVersions: one counter for every kind, as etcd's revision.
type versions64 struct{ n atomic.Int64 }

// next is a new resourceVersion.
func (v *versions64) next() string { return strconv.FormatInt(v.n.Add(1)+1000, 10) }

// stamp gives a stored object what the API server gives it: a UID when it has none, and a new
// resourceVersion.
func (v *versions64) stamp(m metav1.Object) {
	if m.GetUID() == "" {
		m.SetUID(uuid.NewUUID())
	}
	m.SetResourceVersion(v.next())
}

// stampSeeded is stamp for an object of the seeded platform: its UID derived from what it is (kind,
// namespace, name), the same at every start (the screens that show it stay the same).
func (v *versions64) stampSeeded(m metav1.Object, kind string) {
	if m.GetUID() == "" {
		sum := sha1.Sum([]byte(kind + "/" + m.GetNamespace() + "/" + m.GetName()))
		h := hex.EncodeToString(sum[:16])
		m.SetUID(types.UID(h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]))
	}
	m.SetResourceVersion(v.next())
}

// writes is the write side of one fake's API: its tracker, and how to make an empty scratch tracker of
// the same kind (a dry run, or the conflict check of a patch, applies the write there to a copy of the
// one object).
type writes struct {
	tracker k8stesting.ObjectTracker
	scratch func() k8stesting.ObjectTracker
	rv      *versions64
	now     func() time.Time
}

// typedScratch is a scratch tracker for the typed fake's objects.
func typedScratch() k8stesting.ObjectTracker {
	return k8stesting.NewObjectTracker(scheme.Scheme, scheme.Codecs.UniversalDecoder())
}

// dynamicScratch is a scratch tracker for the dynamic fake's unstructured objects.
func dynamicScratch() k8stesting.ObjectTracker {
	return k8stesting.NewObjectTracker(runtime.NewScheme(), scheme.Codecs.UniversalDecoder())
}

// serve installs w as the fake's reaction to creates, updates, patches and deletes (prepend is the fake's
// PrependReactor); the other verbs, and the subresources it does not know, fall through to the tracker.
func (w writes) serve(prepend func(verb, resource string, fn k8stesting.ReactionFunc)) {
	prepend("*", "*", w.react)
}

// react is the reaction: handled is false for what it leaves to the tracker.
func (w writes) react(action k8stesting.Action) (bool, runtime.Object, error) {
	switch a := action.(type) {
	case k8stesting.CreateActionImpl:
		switch a.GetSubresource() {
		case "":
			obj, err := w.create(a)
			return true, obj, err
		case "eviction":
			obj, err := w.evict(a)
			return true, obj, err
		}
	case k8stesting.UpdateActionImpl:
		obj, err := w.update(a)
		return true, obj, err
	case k8stesting.PatchActionImpl:
		if a.GetPatchType() == types.ApplyPatchType {
			return false, nil, nil
		}
		obj, err := w.patch(a)
		return true, obj, err
	case k8stesting.DeleteActionImpl:
		obj, err := w.delete(a.GetResource(), a.GetNamespace(), a.GetName(), a.DeleteOptions)
		return true, obj, err
	}
	return false, nil, nil
}

// isDryRun tells whether a write's options say DryRun=All.
func isDryRun(action k8stesting.Action) bool {
	switch a := action.(type) {
	case k8stesting.CreateActionImpl:
		return dryRun(a.CreateOptions.DryRun)
	case k8stesting.UpdateActionImpl:
		return dryRun(a.UpdateOptions.DryRun)
	case k8stesting.PatchActionImpl:
		return dryRun(a.PatchOptions.DryRun)
	case k8stesting.DeleteActionImpl:
		return dryRun(a.DeleteOptions.DryRun)
	}
	return false
}

func dryRun(opts []string) bool {
	for _, o := range opts {
		if o == metav1.DryRunAll {
			return true
		}
	}
	return false
}

// sent is a copy of the object a create or an update sends, with its metadata, in the request's
// namespace when it names none.
func sent(a k8stesting.Action, obj runtime.Object) (runtime.Object, metav1.Object, error) {
	obj = obj.DeepCopyObject()
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil, nil, err
	}
	if m.GetNamespace() == "" {
		m.SetNamespace(a.GetNamespace())
	}
	return obj, m, nil
}

func (w writes) create(a k8stesting.CreateActionImpl) (runtime.Object, error) {
	obj, m, err := sent(a, a.GetObject())
	if err != nil {
		return nil, err
	}
	if m.GetName() == "" && m.GetGenerateName() != "" {
		m.SetName(m.GetGenerateName() + hashName(string(uuid.NewUUID()), 5))
	}
	if _, err := w.tracker.Get(a.GetResource(), a.GetNamespace(), m.GetName()); err == nil {
		return nil, apierrors.NewAlreadyExists(a.GetResource().GroupResource(), m.GetName())
	}
	if ts := m.GetCreationTimestamp(); ts.IsZero() {
		m.SetCreationTimestamp(metav1.NewTime(w.now()))
	}
	w.rv.stamp(m)
	if dryRun(a.CreateOptions.DryRun) {
		m.SetResourceVersion("")
		return obj, nil
	}
	if err := w.tracker.Create(a.GetResource(), obj, a.GetNamespace()); err != nil {
		return nil, err
	}
	return obj, nil
}

// stored is the object as stored, with its metadata.
func (w writes) stored(gvr schema.GroupVersionResource, ns, name string) (runtime.Object, metav1.Object, error) {
	obj, err := w.tracker.Get(gvr, ns, name)
	if err != nil {
		return nil, nil, err
	}
	m, err := meta.Accessor(obj)
	return obj, m, err
}

// conflict is the API server's 409 when a write names another resourceVersion or UID than the stored one.
func conflict(gvr schema.GroupVersionResource, name string, stored, sent metav1.Object) error {
	switch {
	case sent.GetUID() != "" && stored.GetUID() != "" && sent.GetUID() != stored.GetUID():
		return apierrors.NewConflict(gvr.GroupResource(), name,
			fmt.Errorf("Precondition failed: UID in precondition: %v, UID in object meta: %v", sent.GetUID(), stored.GetUID()))
	case sent.GetResourceVersion() != "" && stored.GetResourceVersion() != "" && sent.GetResourceVersion() != stored.GetResourceVersion():
		return apierrors.NewConflict(gvr.GroupResource(), name,
			fmt.Errorf("the object has been modified; please apply your changes to the latest version and try again"))
	}
	return nil
}

func (w writes) update(a k8stesting.UpdateActionImpl) (runtime.Object, error) {
	obj, m, err := sent(a, a.GetObject())
	if err != nil {
		return nil, err
	}
	_, cur, err := w.stored(a.GetResource(), a.GetNamespace(), m.GetName())
	if err != nil {
		return nil, err
	}
	if err := conflict(a.GetResource(), m.GetName(), cur, m); err != nil {
		return nil, err
	}
	return w.store(a.GetResource(), obj, m, cur, dryRun(a.UpdateOptions.DryRun))
}

// store writes obj (m its metadata) over the stored object cur: what the server keeps of the old one
// (UID, creation, deletion), a new resourceVersion; an object Terminating whose last finalizer went is
// deleted. A dry run stores nothing and answers the object as it would be.
func (w writes) store(gvr schema.GroupVersionResource, obj runtime.Object, m, cur metav1.Object, dry bool) (runtime.Object, error) {
	m.SetUID(cur.GetUID())
	m.SetCreationTimestamp(cur.GetCreationTimestamp())
	if cur.GetDeletionTimestamp() != nil {
		m.SetDeletionTimestamp(cur.GetDeletionTimestamp())
	}
	if dry {
		m.SetResourceVersion(cur.GetResourceVersion())
		return obj, nil
	}
	if m.GetDeletionTimestamp() != nil && len(m.GetFinalizers()) == 0 && !namespaceHeld(obj) {
		m.SetResourceVersion(w.rv.next())
		return obj, w.tracker.Delete(gvr, m.GetNamespace(), m.GetName())
	}
	m.SetResourceVersion(w.rv.next())
	if m.GetUID() == "" {
		m.SetUID(uuid.NewUUID())
	}
	return obj, w.tracker.Update(gvr, obj, m.GetNamespace())
}

// namespaceHeld tells a Namespace whose spec.finalizers (the namespace controller's "kubernetes") still
// hold it: removing the metadata's finalizers does not delete it.
func namespaceHeld(obj runtime.Object) bool {
	if ns, ok := obj.(*corev1.Namespace); ok {
		return len(ns.Spec.Finalizers) > 0
	}
	return false
}

func (w writes) patch(a k8stesting.PatchActionImpl) (runtime.Object, error) {
	gvr, ns, name := a.GetResource(), a.GetNamespace(), a.GetName()
	obj, cur, err := w.stored(gvr, ns, name)
	if err != nil {
		return nil, err
	}
	// The patch applied by the tracker's own logic, to a copy of the one object in a scratch tracker.
	scratch := w.scratch()
	if err := scratch.Create(gvr, obj.DeepCopyObject(), ns); err != nil {
		return nil, err
	}
	_, patched, err := k8stesting.ObjectReaction(scratch)(a)
	if err != nil {
		return nil, err
	}
	m, err := meta.Accessor(patched)
	if err != nil {
		return nil, err
	}
	if err := conflict(gvr, name, cur, m); err != nil {
		return nil, err
	}
	return w.store(gvr, patched, m, cur, dryRun(a.PatchOptions.DryRun))
}

// delete deletes the object, within opts' preconditions; one with finalizers (or a namespace) is only
// marked Terminating. A dry run deletes nothing.
func (w writes) delete(gvr schema.GroupVersionResource, ns, name string, opts metav1.DeleteOptions) (runtime.Object, error) {
	obj, cur, err := w.stored(gvr, ns, name)
	if err != nil {
		return nil, err
	}
	if p := opts.Preconditions; p != nil {
		sent := &metav1.ObjectMeta{}
		if p.UID != nil {
			sent.UID = *p.UID
		}
		if p.ResourceVersion != nil {
			sent.ResourceVersion = *p.ResourceVersion
		}
		if err := conflict(gvr, name, cur, sent); err != nil {
			return nil, err
		}
	}
	if dryRun(opts.DryRun) {
		return obj, nil
	}
	_, isNamespace := obj.(*corev1.Namespace)
	if len(cur.GetFinalizers()) == 0 && !isNamespace && !kubeletHolds(obj, opts) {
		return obj, w.tracker.Delete(gvr, ns, name)
	}
	if cur.GetDeletionTimestamp() != nil {
		return obj, nil
	}
	obj = obj.DeepCopyObject()
	m, _ := meta.Accessor(obj)
	at := metav1.NewTime(w.now())
	m.SetDeletionTimestamp(&at)
	if p, ok := obj.(*corev1.Pod); ok {
		grace := int64(corev1.DefaultTerminationGracePeriodSeconds)
		if p.Spec.TerminationGracePeriodSeconds != nil {
			grace = *p.Spec.TerminationGracePeriodSeconds
		}
		m.SetDeletionGracePeriodSeconds(&grace)
	}
	if n, ok := obj.(*corev1.Namespace); ok {
		n.Status.Phase = corev1.NamespaceTerminating
	}
	m.SetResourceVersion(w.rv.next())
	return obj, w.tracker.Update(gvr, obj, ns)
}

// annNodeDown marks a pod whose node does not answer: deleting it gracefully leaves it Terminating until
// its kubelet confirms (never, while the node is down) or the pod is force-deleted.
const annNodeDown = "demo.cedille-tui/node-down"

// kubeletHolds tells whether a graceful delete of obj waits on a kubelet that does not answer.
func kubeletHolds(obj runtime.Object, opts metav1.DeleteOptions) bool {
	p, ok := obj.(*corev1.Pod)
	if !ok || p.Annotations[annNodeDown] != "true" {
		return false
	}
	return opts.GracePeriodSeconds == nil || *opts.GracePeriodSeconds > 0
}

// evict serves pods/eviction as the API server does: the pod is deleted (within the eviction's
// preconditions, as a dry run when it says so) unless a PodDisruptionBudget selecting it allows no
// disruption now — a 429 naming the budget, in the API server's words. A pod that is not running is
// evicted whatever its budget; an unhealthy one while its budget's healthy count holds (the
// IfHealthyBudget policy).
func (w writes) evict(a k8stesting.CreateActionImpl) (runtime.Object, error) {
	ev, ok := a.GetObject().(*policyv1.Eviction)
	if !ok {
		return nil, apierrors.NewBadRequest("an eviction is a policy/v1 Eviction")
	}
	podsGVR := corev1.SchemeGroupVersion.WithResource("pods")
	name := ev.Name
	if name == "" {
		name = a.Name
	}
	obj, err := w.tracker.Get(podsGVR, a.GetNamespace(), name)
	if err != nil {
		return nil, err
	}
	pod := obj.(*corev1.Pod)
	opts := metav1.DeleteOptions{}
	if ev.DeleteOptions != nil {
		opts = *ev.DeleteOptions
	}
	if pod.Status.Phase == corev1.PodRunning && pod.DeletionTimestamp == nil {
		pdbGVR := policyv1.SchemeGroupVersion.WithResource("poddisruptionbudgets")
		list, err := w.tracker.List(pdbGVR, policyv1.SchemeGroupVersion.WithKind("PodDisruptionBudget"), a.GetNamespace())
		if err != nil {
			return nil, err
		}
		for _, b := range list.(*policyv1.PodDisruptionBudgetList).Items {
			sel, err := metav1.LabelSelectorAsSelector(b.Spec.Selector)
			if err != nil || sel.Empty() || !sel.Matches(labels.Set(pod.Labels)) {
				continue
			}
			healthy := podutils.IsPodReady(pod)
			if b.Status.DisruptionsAllowed > 0 || (!healthy && b.Status.CurrentHealthy >= b.Status.DesiredHealthy) {
				if healthy && !dryRun(opts.DryRun) {
					b := b.DeepCopy()
					b.Status.DisruptionsAllowed--
					b.ResourceVersion = w.rv.next()
					if err := w.tracker.Update(pdbGVR, b, b.Namespace); err != nil {
						return nil, err
					}
				}
				continue
			}
			refused := apierrors.NewTooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", 0)
			refused.ErrStatus.Details.Causes = append(refused.ErrStatus.Details.Causes, metav1.StatusCause{
				Type: policyv1.DisruptionBudgetCause,
				Message: fmt.Sprintf("The disruption budget %s needs %d healthy pods and has %d currently",
					b.Name, b.Status.DesiredHealthy, b.Status.CurrentHealthy)})
			return nil, refused
		}
	}
	if _, err := w.delete(podsGVR, a.GetNamespace(), name, opts); err != nil {
		return nil, err
	}
	return ev, nil
}

// budgetStatus is a PodDisruptionBudget's status for the pods it selects, as the disruption controller
// computes it: expected pods, healthy (Ready) ones, how many must stay, how many may go now.
func budgetStatus(b *policyv1.PodDisruptionBudget, pods []*corev1.Pod) policyv1.PodDisruptionBudgetStatus {
	st := b.Status
	sel, err := metav1.LabelSelectorAsSelector(b.Spec.Selector)
	if err != nil {
		return st
	}
	var expected, healthy int32
	for _, p := range pods {
		if p.Namespace != b.Namespace || p.DeletionTimestamp != nil || !sel.Matches(labels.Set(p.Labels)) {
			continue
		}
		expected++
		if podutils.IsPodReady(p) {
			healthy++
		}
	}
	desired := expected
	switch {
	case b.Spec.MinAvailable != nil:
		v, _ := intstr.GetScaledValueFromIntOrPercent(b.Spec.MinAvailable, int(expected), true)
		desired = int32(v)
	case b.Spec.MaxUnavailable != nil:
		v, _ := intstr.GetScaledValueFromIntOrPercent(b.Spec.MaxUnavailable, int(expected), true)
		desired = max(expected-int32(v), 0)
	}
	st.ExpectedPods, st.CurrentHealthy, st.DesiredHealthy = expected, healthy, desired
	st.DisruptionsAllowed = max(healthy-desired, 0)
	st.ObservedGeneration = b.Generation
	return st
}
