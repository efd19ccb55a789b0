package runbooks

import (
	"context"
	"strings"
	"testing"

	"github.com/clubcedille/cedille-tui/internal/runbook"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
)

func controlledBy(kind, apiVersion, name, uid string) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		yes := true
		p.OwnerReferences = []metav1.OwnerReference{{APIVersion: apiVersion, Kind: kind, Name: name, UID: types.UID(uid), Controller: &yes}}
	}
}

func readyPod(p *corev1.Pod) {
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
}

func unschedulable(p *corev1.Pod) {
	p.Status.Phase = corev1.PodPending
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse,
		Reason: corev1.PodReasonUnschedulable, Message: "0/3 nodes are available: 3 Insufficient memory."}}
}

func TestControllersFactRoundTrips(t *testing.T) {
	cs := []controllerWant{{Kind: "ReplicaSet", Namespace: "shop", Name: "web-7f9c", UID: "u-1", Want: 2},
		{Kind: "Cluster", Namespace: "db", Name: "pg", UID: "u-2", Want: 3}}
	got, err := decodeControllers(encodeControllers(cs))
	if err != nil || len(got) != 2 || got[0] != cs[0] || got[1] != cs[1] {
		t.Fatalf("%+v %v", got, err)
	}
	for _, bad := range []string{"ReplicaSet/shop/web", "ReplicaSet/shop/web/u-1/two", "ReplicaSet/shop/web/u-1/-1"} {
		if _, err := decodeControllers(bad); err == nil {
			t.Errorf("%q read", bad)
		}
	}
	if got, err := decodeControllers(""); err != nil || got != nil {
		t.Fatalf("empty: %+v %v", got, err)
	}
}

// TestRescheduled: the postcheck reads, from what the precheck kept, whether each controller has its
// Ready pods again off the lost node.
func TestRescheduled(t *testing.T) {
	const lost = "worker-3"
	two := int32(2)
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web", UID: "rs-1"}, Spec: appsv1.ReplicaSetSpec{Replicas: &two}}
	web := controlledBy("ReplicaSet", "apps/v1", "web", "rs-1")
	pg := controlledBy("Cluster", "postgresql.cnpg.io/v1", "pg", "pg-1")
	target := runbook.Target{Kind: "Node", Name: lost}
	before := []runtime.Object{rs, pod("web-a", lost, web, readyPod), pod("web-b", "worker-1", web, readyPod),
		pod("pg-1", lost, pg, readyPod), pod("pg-2", "worker-1", pg, readyPod), pod("db-0", lost)}

	// The precheck's facts, as node-lost keeps them.
	w := lostWorld(before...)
	pods, err := podsOn(context.Background(), w, lost)
	if err != nil {
		t.Fatal(err)
	}
	cs, bare, err := controllersOf(context.Background(), w, lost, pods)
	if err != nil {
		t.Fatal(err)
	}
	if got := encodeControllers(cs); got != "Cluster/shop/pg/pg-1/2;ReplicaSet/shop/web/rs-1/2" || strings.Join(bare, ",") != "shop/db-0" {
		t.Fatalf("controllers %q, bare %v", got, bare)
	}
	facts := map[string]string{factControllers: encodeControllers(cs), factBarePods: strings.Join(bare, ",")}

	for _, tc := range []struct {
		name string
		objs []runtime.Object
		done bool
		line string
	}{
		{"nothing back yet", []runtime.Object{rs, pod("web-b", "worker-1", web, readyPod), pod("pg-2", "worker-1", pg, readyPod),
			pod("web-c", "", web, unschedulable)}, false,
			"Cluster shop/pg 1 of 2 Ready elsewhere; ReplicaSet shop/web 1 of 2 Ready elsewhere; web-c not scheduled: 0/3 nodes are available: 3 Insufficient memory.; not recreated by any controller (recreate from its manifest): shop/db-0"},
		{"a pod still on the lost node does not count", []runtime.Object{rs, pod("web-a", lost, web, readyPod), pod("web-b", "worker-1", web, readyPod),
			pod("pg-1", "worker-2", pg, readyPod), pod("pg-2", "worker-1", pg, readyPod)}, false,
			"ReplicaSet shop/web 1 of 2 Ready elsewhere; not recreated by any controller (recreate from its manifest): shop/db-0"},
		{"all back", []runtime.Object{rs, pod("web-b", "worker-1", web, readyPod), pod("web-d", "worker-2", web, readyPod),
			pod("pg-1", "worker-2", pg, readyPod), pod("pg-2", "worker-1", pg, readyPod)}, true,
			"the pods of 2 controllers are Ready again elsewhere; not recreated by any controller (recreate from its manifest): shop/db-0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := lostWorld(tc.objs...)
			w.Earlier = func(id string) runbook.StepState {
				if id != "lost" {
					t.Fatalf("read step %s", id)
				}
				return runbook.StepState{Facts: facts}
			}
			p, err := rescheduled(context.Background(), w, target)
			if err != nil || p.Done != tc.done || p.Line != tc.line {
				t.Fatalf("got %+v %v\nwant done=%v %q", p, err, tc.done, tc.line)
			}
		})
	}
}
