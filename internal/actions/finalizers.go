package actions

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/clubcedille/cedille-tui/internal/access"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
)

// KindObject is a namespaced object of one of the kinds remove-finalizers knows (FinalizerKinds),
// named KIND/NAME in its namespace, KIND in lower case: Target{Kind: KindObject, Namespace: "shop",
// Name: "configmap/settings"} (ObjectTarget makes one).
const KindObject Kind = "object"

// finalizable is a kind whose objects' finalizers remove-finalizers removes, with what a live consumer
// of one is. Secrets are not among them on purpose: reading one (which the guard and the patch's
// answer do) would give the operators' group every Secret's value.
type finalizable struct {
	kind     string // Kubernetes' name: ConfigMap
	resource schema.GroupVersionResource
	// uses says how pod p uses the object named name ("mounts it as volume cfg"), or "".
	uses func(p *corev1.Pod, name string) string
}

func (f finalizable) lower() string { return strings.ToLower(f.kind) }

// finalizables are the kinds remove-finalizers knows. A live consumer of any object in a namespace
// being deleted is also every pod left in that namespace that has not ended (namespaceConsumers).
func finalizables() []finalizable {
	return []finalizable{
		{kind: "ConfigMap", resource: corev1.SchemeGroupVersion.WithResource("configmaps"), uses: podUsesConfigMap},
		{kind: "PersistentVolumeClaim", resource: corev1.SchemeGroupVersion.WithResource("persistentvolumeclaims"), uses: podUsesClaim},
	}
}

// FinalizerKinds are the kinds remove-finalizers acts on, as Kubernetes names them.
func FinalizerKinds() []string {
	var out []string
	for _, f := range finalizables() {
		out = append(out, f.kind)
	}
	return out
}

// lookupFinalizable finds the kind named kind (ConfigMap, configmap), or false.
func lookupFinalizable(kind string) (finalizable, bool) {
	i := slices.IndexFunc(finalizables(), func(f finalizable) bool { return strings.EqualFold(f.kind, kind) })
	if i < 0 {
		return finalizable{}, false
	}
	return finalizables()[i], true
}

// ObjectTarget names object namespace/name of kind (ConfigMap, PersistentVolumeClaim; any case) for
// remove-finalizers; an error for a kind it does not act on.
func ObjectTarget(kind, namespace, name string) (Target, error) {
	f, ok := lookupFinalizable(kind)
	if !ok {
		return Target{}, fmt.Errorf("remove-finalizers does not act on a %s (only %s): no rule says what consumes one", kind, strings.Join(FinalizerKinds(), ", "))
	}
	return Target{Kind: KindObject, Namespace: namespace, Name: f.lower() + "/" + name}, nil
}

// splitObject reads a KindObject target: its kind and the object's name.
func splitObject(t Target) (finalizable, string, error) {
	if err := t.check(KindObject); err != nil {
		return finalizable{}, "", err
	}
	kind, name, ok := strings.Cut(t.Name, "/")
	f, known := lookupFinalizable(kind)
	switch {
	case !ok || name == "" || strings.Contains(name, "/"):
		return finalizable{}, "", fmt.Errorf("%s: name it KIND/NAME (configmap/settings)", t)
	case !known:
		return finalizable{}, "", fmt.Errorf("%s: remove-finalizers does not act on a %s (only %s)", t, kind, strings.Join(FinalizerKinds(), ", "))
	}
	return f, name, nil
}

// ErrLiveConsumer is matched (errors.Is) by every *ConsumerError.
var ErrLiveConsumer = errors.New("a live consumer uses it")

// ConsumerError refuses to remove an object's finalizers while something still uses it.
type ConsumerError struct {
	Target    Target
	Consumers []string // "pod shop/web (Running) mounts it as volume settings"
}

func (e *ConsumerError) Error() string {
	return fmt.Sprintf("its finalizers stay while a live consumer uses it — %s; wait until none is left (a pod whose node is lost ends only through node-lost)",
		strings.Join(e.Consumers, "; "))
}

// Is makes errors.Is(err, ErrLiveConsumer) true.
func (e *ConsumerError) Is(target error) bool { return target == ErrLiveConsumer }

// RemoveFinalizers releases one object stuck Terminating: a merge patch of metadata.finalizers to
// none, bound to the UID and resourceVersion its preview saw, after checking that no live consumer
// uses it — checked at the preview and again right before the write, never skipped:
//   - every object in a namespace being deleted: a pod in that namespace that has not ended (phase
//     neither Succeeded nor Failed, being deleted or not: a pod ends when its kubelet says so);
//   - a ConfigMap: a pod that has not ended and reads it (a volume, a projected volume, envFrom, an env
//     value), in any container;
//   - a PersistentVolumeClaim: a pod that has not ended and mounts it (a generic ephemeral volume's
//     claim too), and its volume still attached to a node (a VolumeAttachment).
//
// Only an object being deleted is released (a finalizer on a live object protects it), one object per
// action. A finalizer is a controller's promise to clean up first: with none left the object is gone
// at once and that cleanup never happens.
func RemoveFinalizers() Action {
	return Action{Name: "remove-finalizers", Kind: KindObject, Role: access.Operator, Destructive: true,
		Blast: func(t Target) string {
			return fmt.Sprintf("%s: its finalizers are removed, so it is deleted at once; what they would have cleaned up is left as it is", t)
		},
		Preview: previewRemoveFinalizers,
		Run: func(ctx context.Context, c Client, t Target, expect Precondition) error {
			_, _, err := removeFinalizers(ctx, c, t, expect, nil)
			return err
		},
	}
}

// previewRemoveFinalizers dry-runs the removal bound to what it read: exactly which finalizers go.
func previewRemoveFinalizers(ctx context.Context, c Client, t Target) (Preview, error) {
	before, after, err := removeFinalizers(ctx, c, t, Precondition{}, dryRunAll())
	if err != nil {
		return Preview{}, err
	}
	notes := []string{"finalizers that go: " + strings.Join(before.GetFinalizers(), ", ") + " — each a controller's cleanup that will not happen",
		"no live consumer: " + consumerRule(t)}
	for _, o := range before.GetOwnerReferences() {
		notes = append(notes, fmt.Sprintf("owned by %s %s", o.Kind, o.Name))
	}
	if ts := before.GetDeletionTimestamp(); ts != nil {
		notes = append(notes, "being deleted since "+ts.UTC().Format("2006-01-02 15:04:05")+" UTC")
	}
	return Preview{Changes: diff(before.Object, after.Object), Notes: notes,
		Expect: Precondition{UID: before.GetUID(), ResourceVersion: before.GetResourceVersion()}}, nil
}

// consumerRule says in one line what was checked for t.
func consumerRule(t Target) string {
	f, _, err := splitObject(t)
	if err != nil {
		return "?"
	}
	what := "reads it"
	if f.kind == "PersistentVolumeClaim" {
		what = "mounts it, and no node has its volume attached"
	}
	return fmt.Sprintf("no pod that has not ended %s; and none at all is left in %s if it is being deleted", what, t.Namespace)
}

// removeFinalizers reads the object, refuses one not being deleted, without finalizers, or with a live
// consumer, and patches its finalizers away bound to expect (to what it read when expect is zero);
// dryRun set makes it a dry run. It returns the object as read and as patched.
func removeFinalizers(ctx context.Context, c Client, t Target, expect Precondition, dryRun []string) (*unstructured.Unstructured, *unstructured.Unstructured, error) {
	f, name, err := splitObject(t)
	if err != nil {
		return nil, nil, err
	}
	res := c.Dynamic.Resource(f.resource).Namespace(t.Namespace)
	obj, err := res.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, nil, changed(t, expect, err)
	}
	switch {
	case obj.GetDeletionTimestamp() == nil:
		return nil, nil, errors.New("it is not being deleted: its finalizers protect it; only an object stuck Terminating is released")
	case len(obj.GetFinalizers()) == 0:
		return nil, nil, errors.New("it has no finalizer left: nothing holds it")
	}
	if expect.IsZero() {
		expect = Precondition{UID: obj.GetUID(), ResourceVersion: obj.GetResourceVersion()}
	}
	users, err := consumersOf(ctx, c.Kube, f, obj)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot check that no live consumer uses it, so its finalizers stay: %w", err)
	}
	if len(users) > 0 {
		return nil, nil, &ConsumerError{Target: t, Consumers: users}
	}
	body, err := boundPatch(map[string]any{"metadata": map[string]any{"finalizers": nil}}, expect)
	if err != nil {
		return nil, nil, err
	}
	after, err := res.Patch(ctx, name, types.MergePatchType, body, metav1.PatchOptions{DryRun: dryRun})
	if err != nil {
		return nil, nil, changed(t, expect, err)
	}
	return obj, after, nil
}

// Consumers lists the live consumers of t (a KindObject), read with kube and dyn: what keeps
// remove-finalizers from releasing it. None: nothing uses it.
func Consumers(ctx context.Context, kube kubernetes.Interface, dyn dynamic.Interface, t Target) ([]string, error) {
	f, name, err := splitObject(t)
	if err != nil {
		return nil, err
	}
	obj, err := dyn.Resource(f.resource).Namespace(t.Namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	return consumersOf(ctx, kube, f, obj)
}

// NamespaceConsumers lists the pods in namespace ns that have not ended: while one is left, nothing in
// a namespace being deleted is released.
func NamespaceConsumers(ctx context.Context, kube kubernetes.Interface, ns string) ([]string, error) {
	pods, err := kube.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	return namespaceConsumers(pods.Items), nil
}

// consumersOf reads what uses obj, of kind f: the pods of its namespace, the namespace itself, and for
// a bound claim the VolumeAttachments.
func consumersOf(ctx context.Context, kube kubernetes.Interface, f finalizable, obj *unstructured.Unstructured) ([]string, error) {
	ns, err := kube.CoreV1().Namespaces().Get(ctx, obj.GetNamespace(), metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	pods, err := kube.CoreV1().Pods(obj.GetNamespace()).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	out := podConsumers(f, obj.GetName(), pods.Items, ns.DeletionTimestamp != nil)
	if volume, _, _ := unstructured.NestedString(obj.Object, "spec", "volumeName"); f.kind == "PersistentVolumeClaim" && volume != "" {
		vas, err := kube.StorageV1().VolumeAttachments().List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, err
		}
		for _, va := range vas.Items {
			if pv := va.Spec.Source.PersistentVolumeName; pv != nil && *pv == volume && va.Status.Attached {
				out = append(out, fmt.Sprintf("its volume %s is attached to node %s (VolumeAttachment %s)", volume, va.Spec.NodeName, va.Name))
			}
		}
	}
	return out, nil
}

// ended tells whether a pod has ended: it uses nothing any more.
func ended(p *corev1.Pod) bool {
	return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
}

// podState is a pod as a consumer line names it: "pod shop/web (Running, being deleted)".
func podState(p *corev1.Pod) string {
	phase := string(p.Status.Phase)
	if phase == "" {
		phase = "Pending"
	}
	if p.DeletionTimestamp != nil {
		phase += ", being deleted"
	}
	if p.Spec.NodeName != "" {
		phase += ", on " + p.Spec.NodeName
	}
	return fmt.Sprintf("pod %s/%s (%s)", p.Namespace, p.Name, phase)
}

// namespaceConsumers are the pods that have not ended.
func namespaceConsumers(pods []corev1.Pod) []string {
	var out []string
	for i := range pods {
		if !ended(&pods[i]) {
			out = append(out, podState(&pods[i]))
		}
	}
	return out
}

// podConsumers are the pods that have not ended and use the object named name, of kind f — or, when
// its namespace is being deleted, every pod there that has not ended.
func podConsumers(f finalizable, name string, pods []corev1.Pod, nsDeleting bool) []string {
	var out []string
	for i := range pods {
		p := &pods[i]
		if ended(p) {
			continue
		}
		if how := f.uses(p, name); how != "" {
			out = append(out, podState(p)+" "+how)
		} else if nsDeleting {
			out = append(out, podState(p)+" is left in namespace "+p.Namespace+", being deleted")
		}
	}
	return out
}

// env is one container's environment.
type env struct {
	vars []corev1.EnvVar
	from []corev1.EnvFromSource
}

// envs are the environments of all a pod's containers: init, regular and ephemeral.
func envs(p *corev1.Pod) []env {
	var out []env
	for _, c := range p.Spec.InitContainers {
		out = append(out, env{c.Env, c.EnvFrom})
	}
	for _, c := range p.Spec.Containers {
		out = append(out, env{c.Env, c.EnvFrom})
	}
	for _, c := range p.Spec.EphemeralContainers {
		out = append(out, env{c.Env, c.EnvFrom})
	}
	return out
}

// podUsesConfigMap says how p reads ConfigMap name, or "".
func podUsesConfigMap(p *corev1.Pod, name string) string {
	for _, v := range p.Spec.Volumes {
		if v.ConfigMap != nil && v.ConfigMap.Name == name {
			return "mounts it as volume " + v.Name
		}
		if v.Projected != nil {
			for _, s := range v.Projected.Sources {
				if s.ConfigMap != nil && s.ConfigMap.Name == name {
					return "mounts it in projected volume " + v.Name
				}
			}
		}
	}
	for _, ce := range envs(p) {
		for _, e := range ce.vars {
			if e.ValueFrom != nil && e.ValueFrom.ConfigMapKeyRef != nil && e.ValueFrom.ConfigMapKeyRef.Name == name {
				return "reads it in env " + e.Name
			}
		}
		for _, e := range ce.from {
			if e.ConfigMapRef != nil && e.ConfigMapRef.Name == name {
				return "reads it as envFrom"
			}
		}
	}
	return ""
}

// podUsesClaim says how p mounts PersistentVolumeClaim name, or "".
func podUsesClaim(p *corev1.Pod, name string) string {
	for _, v := range p.Spec.Volumes {
		if v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == name {
			return "mounts it as volume " + v.Name
		}
		if v.Ephemeral != nil && p.Name+"-"+v.Name == name {
			return "owns it as ephemeral volume " + v.Name
		}
	}
	return ""
}
