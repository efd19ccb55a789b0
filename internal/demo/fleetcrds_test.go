package demo

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/platform"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"
)

// TestFleetGatewayAPICRDsByName: a Cilium cluster's API answers the metadata-only list and watch of
// one Gateway API CRD by name (a field selector on metadata.name) with that CRD only, as the API server
// does, its annotations saying the release: the sandbox's v1.6.0 of the experimental channel; a list
// without a selector has them all; Contour's clusters have none.
func TestFleetGatewayAPICRDsByName(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := startFleet(t)
	names := platform.GatewayAPICRDNames()
	for _, c := range []struct {
		cluster string
		crds    int
	}{{FleetHub, 0}, {FleetProduction, 0}, {FleetSandbox, len(names)}} {
		tg, err := f.Targets(ctx, c.cluster)
		if err != nil {
			t.Fatal(err)
		}
		crds := tg.Kube.Metadata.Resource(platform.CustomResourceDefinitions)
		all, err := crds.List(ctx, metav1.ListOptions{})
		if err != nil || len(all.Items) != c.crds {
			t.Fatalf("%s: list of every CRD: %v %v, want %d", c.cluster, all, err, c.crds)
		}
		if c.crds == 0 {
			continue
		}
		for _, name := range names {
			byName := metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("metadata.name", name).String()}
			l, err := crds.List(ctx, byName)
			if err != nil || len(l.Items) != 1 || l.Items[0].Name != name {
				t.Fatalf("%s: list by name %s: %v %v", c.cluster, name, l, err)
			}
			a := l.Items[0].Annotations
			if a[health.GatewayAPIBundleVersionAnnotation] != gatewayAPIBundle || a[health.GatewayAPIChannelAnnotation] != gatewayAPIChannel {
				t.Errorf("%s: CRD %s annotations %v", c.cluster, name, a)
			}
		}
		// Watched by name, it delivers that CRD's events only: another CRD added, then the watched one
		// changed, arrive in that order, so the other's would come before the change.
		name := names[0]
		w, err := crds.Watch(ctx, metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("metadata.name", name).String()})
		if err != nil {
			t.Fatal(err)
		}
		fc, err := f.cluster(c.cluster)
		if err != nil {
			t.Fatal(err)
		}
		tracker := fc.kube.md.Tracker()
		other := &metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{APIVersion: "apiextensions.k8s.io/v1", Kind: "CustomResourceDefinition"},
			ObjectMeta: metav1.ObjectMeta{Name: "tlsroutes.gateway.networking.k8s.io"}}
		if err := tracker.Create(platform.CustomResourceDefinitions, other, ""); err != nil {
			t.Fatal(err)
		}
		cur, err := crds.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		cur.Annotations[health.GatewayAPIBundleVersionAnnotation] = "v1.2.1"
		if err := tracker.Update(platform.CustomResourceDefinitions, cur, ""); err != nil {
			t.Fatal(err)
		}
		var seen []string
		timeout := time.After(time.Minute) // a bound on a broken fake, not a timing
	events:
		for {
			select {
			case e := <-w.ResultChan():
				m, _ := e.Object.(*metav1.PartialObjectMetadata)
				if m == nil {
					continue
				}
				seen = append(seen, string(e.Type)+" "+m.Name)
				if e.Type == watch.Modified && m.Name == name {
					break events
				}
			case <-timeout:
				break events
			}
		}
		w.Stop()
		if want := []string{"ADDED " + name, "MODIFIED " + name}; !slices.Equal(seen, want) {
			t.Errorf("%s: watch by name %s delivered %v, want %v", c.cluster, name, seen, want)
		}
	}
}
