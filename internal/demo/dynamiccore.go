package demo

import (
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/scheme"
	k8stesting "k8s.io/client-go/testing"
)

// The dynamic client reaches the built-in kinds too, as a real one does: a read or write of a Namespace,
// a ConfigMap or a PersistentVolumeClaim through the dynamic fake is served by the typed fake (its
// tracker, its write semantics: apiserver.go), the objects converted on the way. Only the platform's
// custom resources live in the dynamic fake's own tracker.

// typedResources maps each built-in resource the typed fake serves to its kind.
func typedResources() map[schema.GroupVersionResource]schema.GroupVersionKind {
	out := map[schema.GroupVersionResource]schema.GroupVersionKind{}
	for _, gvk := range typedKinds() {
		gvr, _ := meta.UnsafeGuessKindToResource(gvk)
		out[gvr] = gvk
	}
	return out
}

// serveTypedThroughDynamic makes the dynamic fake answer for the built-in resources from the typed fake.
func (f *kubeFakes) serveTypedThroughDynamic(kinds map[schema.GroupVersionResource]schema.GroupVersionKind) {
	f.dyn.PrependReactor("*", "*", func(action k8stesting.Action) (bool, runtime.Object, error) {
		gvk, ok := kinds[action.GetResource()]
		if !ok {
			return false, nil, nil
		}
		typedAction, err := toTypedAction(action, gvk)
		if err != nil {
			return true, nil, err
		}
		obj, err := f.typed.Invokes(typedAction, nil)
		if err != nil || obj == nil {
			return true, nil, err
		}
		u, err := toUnstructured(obj, gvk)
		return true, u, err
	})
	f.dyn.PrependWatchReactor("*", func(action k8stesting.Action) (bool, watch.Interface, error) {
		gvk, ok := kinds[action.GetResource()]
		if !ok {
			return false, nil, nil
		}
		w, err := f.typed.InvokesWatch(action)
		if err != nil {
			return true, nil, err
		}
		return true, watch.Filter(w, func(e watch.Event) (watch.Event, bool) {
			if e.Object != nil {
				if u, err := toUnstructured(e.Object, gvk); err == nil {
					e.Object = u
				}
			}
			return e, true
		}), nil
	})
}

// toTypedAction is the action with its object (a create's or an update's) converted to the typed kind.
func toTypedAction(action k8stesting.Action, gvk schema.GroupVersionKind) (k8stesting.Action, error) {
	convert := func(o runtime.Object) (runtime.Object, error) {
		u, ok := o.(*unstructured.Unstructured)
		if !ok {
			return o, nil
		}
		typed, err := scheme.Scheme.New(gvk)
		if err != nil {
			return nil, err
		}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, typed); err != nil {
			return nil, fmt.Errorf("%s %s: %w", gvk.Kind, u.GetName(), err)
		}
		return typed, nil
	}
	switch a := action.(type) {
	case k8stesting.CreateActionImpl:
		o, err := convert(a.Object)
		a.Object = o
		return a, err
	case k8stesting.UpdateActionImpl:
		o, err := convert(a.Object)
		a.Object = o
		return a, err
	case k8stesting.ListActionImpl:
		a.Kind = gvk // the typed tracker makes the list of this kind
		return a, nil
	}
	return action, nil
}

// toUnstructured is a typed object (or list) as the dynamic client returns it.
func toUnstructured(obj runtime.Object, gvk schema.GroupVersionKind) (runtime.Object, error) {
	if _, ok := obj.(runtime.Unstructured); ok {
		return obj, nil
	}
	if meta.IsListType(obj) {
		items, err := meta.ExtractList(obj)
		if err != nil {
			return nil, err
		}
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
		if lm, err := meta.ListAccessor(obj); err == nil {
			list.SetResourceVersion(lm.GetResourceVersion())
		}
		for _, it := range items {
			u, err := toUnstructured(it, gvk)
			if err != nil {
				return nil, err
			}
			list.Items = append(list.Items, *u.(*unstructured.Unstructured))
		}
		return list, nil
	}
	content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, err
	}
	u := &unstructured.Unstructured{Object: content}
	u.SetGroupVersionKind(gvk)
	return u, nil
}

// coreDiscovery lists the built-in namespaced resources a namespace's deletion goes through (what the
// namespace deleter, and stuck-terminating, discover and list).
func coreDiscovery() []*metav1.APIResourceList {
	verbs := metav1.Verbs{"create", "delete", "get", "list", "patch", "update", "watch"}
	r := func(name, kind string) metav1.APIResource {
		return metav1.APIResource{Name: name, Kind: kind, Namespaced: true, Verbs: verbs}
	}
	return []*metav1.APIResourceList{
		{GroupVersion: "v1", APIResources: []metav1.APIResource{r("configmaps", "ConfigMap"), r("persistentvolumeclaims", "PersistentVolumeClaim"),
			r("pods", "Pod"), r("secrets", "Secret"), r("serviceaccounts", "ServiceAccount"), r("services", "Service")}},
		{GroupVersion: "apps/v1", APIResources: []metav1.APIResource{r("deployments", "Deployment"), r("statefulsets", "StatefulSet"),
			r("daemonsets", "DaemonSet"), r("replicasets", "ReplicaSet")}},
		{GroupVersion: "policy/v1", APIResources: []metav1.APIResource{r("poddisruptionbudgets", "PodDisruptionBudget")}},
	}
}
