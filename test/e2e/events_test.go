//go:build e2e

package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestWarningEventsLive: Warning events written to the lab's kube-apiserver about a kwok node — one by the
// legacy core/v1 API, one by events.k8s.io/v1 with a series — reach the console's events page and the
// node's detail, live; a Normal event about the same node does not (the server filters on type=Warning).
func TestWarningEventsLive(t *testing.T) {
	ctx := context.Background()
	c := kubeClient(t)
	const node = "e2e-events-node"
	createNode(t, c, node)
	waitNodeReady(t, c, node)

	drv := kubeConsole(t)
	drv.Shows("Overview")
	for _, k := range []string{":", "e", "v", "e", "n", "t", "s", "enter"} {
		drv.Key(k)
	}
	drv.Shows("Overview › Warning events", "Warning events about")

	about := corev1.ObjectReference{Kind: "Node", Name: node, UID: "", APIVersion: "v1"}
	now := metav1.NewTime(time.Now().Add(-time.Minute).Truncate(time.Second))
	legacy := &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: node + ".e2e-warning", Namespace: metav1.NamespaceDefault},
		InvolvedObject: about, Type: corev1.EventTypeWarning, Reason: "E2EDiskFailing",
		Message: "disk /dev/sdb reports 12 reallocated sectors", Count: 3,
		FirstTimestamp: metav1.NewTime(now.Add(-10 * time.Minute)), LastTimestamp: now,
		Source: corev1.EventSource{Component: "kubelet", Host: node},
	}
	normal := legacy.DeepCopy()
	normal.Name, normal.Type, normal.Reason = node+".e2e-normal", corev1.EventTypeNormal, "E2ENormalThing"
	for _, e := range []*corev1.Event{legacy, normal} {
		if _, err := c.CoreV1().Events(metav1.NamespaceDefault).Create(ctx, e, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create event %s: %v", e.Name, err)
		}
	}
	series := &eventsv1.Event{
		ObjectMeta: metav1.ObjectMeta{Name: node + ".e2e-series", Namespace: metav1.NamespaceDefault},
		EventTime:  metav1.NewMicroTime(time.Now().Add(-5 * time.Minute)), Type: corev1.EventTypeWarning,
		Reason: "E2EProbeFlapping", Note: "health probe failed 4 times", Action: "Probing",
		ReportingController: "e2e.cedille.club/prober", ReportingInstance: "prober-1",
		Regarding: about,
		Series:    &eventsv1.EventSeries{Count: 4, LastObservedTime: metav1.NewMicroTime(time.Now().Truncate(time.Second))},
	}
	if _, err := c.EventsV1().Events(metav1.NamespaceDefault).Create(ctx, series, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create events.k8s.io event: %v", err)
	}
	t.Cleanup(func() {
		for _, name := range []string{legacy.Name, normal.Name, series.Name} {
			_ = c.CoreV1().Events(metav1.NamespaceDefault).Delete(context.Background(), name, metav1.DeleteOptions{})
		}
	})

	scr := drv.Shows("Node/"+node, "E2EDiskFailing", "E2EProbeFlapping")
	if strings.Contains(scr, "E2ENormalThing") {
		t.Fatalf("a Normal event must not be listed:\n%s", scr)
	}

	// Filter to the node's disk event and open it: the node's detail lists both of its Warning events.
	drv.Key("/")
	for _, r := range "E2EDisk" {
		drv.Key(string(r))
	}
	drv.Key("enter")
	drv.Shows("filter: E2EDisk")
	drv.Key("enter")
	drv.Shows("Node "+node, "Recent Warning events", "E2EProbeFlapping", "×4", "health probe failed 4 times",
		"E2EDiskFailing", "×3", "12 reallocated sectors")

	// The section is live: the event recurs, its count moves.
	got, err := c.CoreV1().Events(metav1.NamespaceDefault).Get(ctx, legacy.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got.Count, got.LastTimestamp = 5, metav1.NewTime(time.Now().Truncate(time.Second))
	if _, err := c.CoreV1().Events(metav1.NamespaceDefault).Update(ctx, got, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	drv.Shows("E2EDiskFailing", "×5")
	if !drv.Key("q") {
		t.Fatal("q must quit")
	}
}
