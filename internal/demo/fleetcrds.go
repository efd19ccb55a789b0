package demo

import (
	"fmt"

	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/platform"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	k8stesting "k8s.io/client-go/testing"
)

// The Gateway API CRDs of a fleet cluster whose Cilium serves the Gateway API, as the console reads them:
// their metadata only, each listed and watched by name (internal/watch), through the metadata client.

// fleetGatewayAPICRDs is the metadata of the Gateway API CRDs a Cilium cluster has installed, with the
// annotations upstream stamps on each: the release its Cilium supports (v1.2.1, standard) — but the
// sandbox's v1.6.0 of the experimental channel (FaultGatewayAPITooNew). None elsewhere.
func fleetGatewayAPICRDs(s fleetSpec) []*metav1.PartialObjectMetadata {
	if !s.cilium {
		return nil
	}
	version, channel := "v1.2.1", "standard"
	if gatewayAPITooNew(s) {
		version, channel = gatewayAPIBundle, gatewayAPIChannel
	}
	names := platform.GatewayAPICRDNames()
	out := make([]*metav1.PartialObjectMetadata, 0, len(names))
	for _, name := range names {
		out = append(out, &metav1.PartialObjectMetadata{
			TypeMeta: metav1.TypeMeta{APIVersion: "apiextensions.k8s.io/v1", Kind: "CustomResourceDefinition"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: map[string]string{
				health.GatewayAPIBundleVersionAnnotation: version, health.GatewayAPIChannelAnnotation: channel}},
		})
	}
	return out
}

// gatewayAPITooNew tells whether the cluster has FaultGatewayAPITooNew: the sandbox.
func gatewayAPITooNew(s fleetSpec) bool { return s.cilium && s.name == FleetSandbox }

// storeCRDMetadata adds the CRDs' metadata to the metadata fake (the console never reads their schemas).
func (f *kubeFakes) storeCRDMetadata(crds []*metav1.PartialObjectMetadata) error {
	for _, c := range crds {
		f.rv.stampSeeded(c, "CustomResourceDefinition")
		if err := f.md.Tracker().Create(platform.CustomResourceDefinitions, c, ""); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("demo fleet: CRD %s: %w", c.Name, err)
		}
	}
	return nil
}

// serveNameSelectors makes the metadata fake answer a list or a watch whose field selector is on
// metadata.name or metadata.namespace as the API server does, with the objects it selects only (the
// fake's own list and watch ignore field selectors). Other field selectors are left to the fake.
func (f *kubeFakes) serveNameSelectors() {
	tracker := f.md.Tracker()
	list := k8stesting.ObjectReaction(tracker)
	f.md.PrependReactor("list", "*", func(action k8stesting.Action) (bool, runtime.Object, error) {
		sel, ok := nameSelector(action)
		if !ok {
			return false, nil, nil
		}
		handled, obj, err := list(action)
		if err != nil || !handled {
			return handled, obj, err
		}
		l, isList := obj.(*metav1.List)
		if !isList {
			return handled, obj, err
		}
		kept := l.Items[:0]
		for _, it := range l.Items {
			if selected(sel, it.Object) {
				kept = append(kept, it)
			}
		}
		l.Items = kept
		return true, l, nil
	})
	f.md.PrependWatchReactor("*", func(action k8stesting.Action) (bool, watch.Interface, error) {
		sel, ok := nameSelector(action)
		if !ok {
			return false, nil, nil
		}
		var opts metav1.ListOptions
		if wa, isWatch := action.(k8stesting.WatchActionImpl); isWatch {
			opts = wa.ListOptions
		}
		w, err := tracker.Watch(action.GetResource(), action.GetNamespace(), opts)
		if err != nil {
			return false, nil, err
		}
		return true, watch.Filter(w, func(e watch.Event) (watch.Event, bool) {
			if e.Object == nil || e.Type == watch.Error || e.Type == watch.Bookmark {
				return e, true
			}
			e.Object = e.Object.DeepCopyObject()
			return e, selected(sel, e.Object)
		}), nil
	})
}

// nameSelector is the action's field selector when it is one on metadata.name or metadata.namespace
// only; ok is false for none, or one on other fields.
func nameSelector(action k8stesting.Action) (fields.Selector, bool) {
	var sel fields.Selector
	switch a := action.(type) {
	case k8stesting.ListActionImpl:
		sel = a.GetListRestrictions().Fields
	case k8stesting.WatchActionImpl:
		sel = a.GetWatchRestrictions().Fields
	default:
		return nil, false
	}
	if sel == nil || sel.Empty() {
		return nil, false
	}
	for _, r := range sel.Requirements() {
		if r.Field != "metadata.name" && r.Field != "metadata.namespace" {
			return nil, false
		}
	}
	return sel, true
}

// selected tells whether the field selector selects the object, by its name and namespace.
func selected(sel fields.Selector, obj runtime.Object) bool {
	m, err := meta.Accessor(obj)
	if err != nil {
		return false
	}
	return sel.Matches(fields.Set{"metadata.name": m.GetName(), "metadata.namespace": m.GetNamespace()})
}
