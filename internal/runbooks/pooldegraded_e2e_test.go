//go:build e2e

package runbooks

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/hack/lab"
	"github.com/clubcedille/cedille-tui/hack/lab/labtest"
	"github.com/clubcedille/cedille-tui/internal/access"
	"github.com/clubcedille/cedille-tui/internal/actions"
	"github.com/clubcedille/cedille-tui/internal/runbook"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
)

// TestPoolDegradedOnTheLabsAPIServer runs `pool-degraded` on the lab's real kube-apiserver: a DiskPool
// whose status says Degraded (written through the status subresource, as Mayastor's operator does), a
// Mayastor volume bound; the precheck names the pool's disk by its by-id path and the volumes at risk;
// the manual step is ticked; the postcheck waits until the pool reports Online (the test plays
// Mayastor's part) with the state as its progress line. A pool Online: the runbook does not apply and
// changes nothing. Nobody else can run it on the same pool meanwhile.
func TestPoolDegradedOnTheLabsAPIServer(t *testing.T) {
	l := labtest.Start(t, lab.KubeAPIServer)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	kc, dc := adminClients(t, l.RESTConfig())
	if _, err := kc.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "mayastor"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pools := dc.Resource(diskPools()).Namespace("mayastor")
	const disk = "/dev/disk/by-id/wwn-0x5000c500a1b2c3d4"
	mkPool := func(name, state string) {
		t.Helper()
		u, err := pools.Create(ctx, &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "openebs.io/v1beta1", "kind": "DiskPool",
			"metadata": map[string]any{"name": name, "namespace": "mayastor"},
			"spec":     map[string]any{"node": "worker-2", "disks": []any{disk}},
		}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		setPoolState(ctx, t, pools, u.GetName(), state)
	}
	mkPool("pool-worker-2", "Degraded")
	mkPool("pool-worker-3", "Online")
	if _, err := kc.CoreV1().PersistentVolumes().Create(ctx, &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: "pvc-1234"},
		Spec: corev1.PersistentVolumeSpec{Capacity: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("10Gi")},
			AccessModes:            []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			PersistentVolumeSource: corev1.PersistentVolumeSource{CSI: &corev1.CSIPersistentVolumeSource{Driver: "io.openebs.csi-mayastor", VolumeHandle: "1234"}},
			ClaimRef:               &corev1.ObjectReference{Namespace: "nextcloud", Name: "data-nextcloud-0"}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	e := newTestbed(t, l.RESTConfig()).engine()
	w := runbook.World{Kube: kc, Dynamic: dc}
	vic := actions.Actor{Name: "vic", Role: access.Viewer, Session: "s-vic"}
	rb := PoolDegraded()

	// Online: it does not apply, and the run ends there.
	s, err := e.Start(rb, runbook.Target{Kind: "DiskPool", Namespace: "mayastor", Name: "pool-worker-3"}, vic, w, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := s.Check(ctx); err != nil || v.Applies || !strings.Contains(s.Run().Outcome, "not applicable: pool-worker-3 is Online, 25% of 1.0 TiB used") {
		t.Fatalf("an Online pool: %+v %v %q", v, err, s.Run().Outcome)
	}

	target := runbook.Target{Kind: "DiskPool", Namespace: "mayastor", Name: "pool-worker-2"}
	s, err = e.Start(rb, target, vic, w, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Start(rb, target, actions.Actor{Name: "olive", Role: access.Operator}, w, nil, false); err == nil || !strings.Contains(err.Error(), "in progress by vic") {
		t.Fatalf("a second person on the same pool: %v", err)
	}
	v, err := s.Check(ctx)
	if err != nil || !v.Applies || v.Why != "pool-worker-2 is Degraded, 25% of 1.0 TiB used" {
		t.Fatalf("precheck: %+v %v", v, err)
	}
	details := strings.Join(v.Details, "\n")
	for _, want := range []string{"node worker-2: pool Degraded, 25% of 1.0 TiB used", "disk " + disk, "nextcloud/data-nextcloud-0"} {
		if !strings.Contains(details, want) {
			t.Errorf("the precheck does not say %q:\n%s", want, details)
		}
	}
	if err := s.Tick("SMART shows reallocated sectors; replacement ordered"); err != nil {
		t.Fatal(err)
	}
	rebuilt := make(chan struct{})
	var lines []string
	go func() {
		defer close(rebuilt)
		setPoolState(ctx, t, pools, "pool-worker-2", "Online")
	}()
	if err := s.Wait(ctx, func(p runbook.Progress) { lines = append(lines, p.Line) }); err != nil {
		t.Fatalf("postcheck: %v (%q)", err, lines)
	}
	<-rebuilt
	if r := s.Run(); r.Outcome != "done" || !strings.HasPrefix(lines[len(lines)-1], "pool Online") {
		t.Fatalf("outcome %q, last reading %q", r.Outcome, lines[len(lines)-1])
	}
}

// setPoolState writes the pool's status as Mayastor's operator would (the status subresource).
func setPoolState(ctx context.Context, t *testing.T, pools dynamic.ResourceInterface, name, state string) {
	u, err := pools.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Error(err)
		return
	}
	_ = unstructured.SetNestedField(u.Object, state, "status", "pool_status")
	_ = unstructured.SetNestedField(u.Object, "Created", "status", "cr_state")
	// The numbers Mayastor reports (the CRD requires them): 1 TiB, a quarter used.
	_ = unstructured.SetNestedField(u.Object, int64(1<<40), "status", "capacity")
	_ = unstructured.SetNestedField(u.Object, int64(1<<38), "status", "used")
	_ = unstructured.SetNestedField(u.Object, int64(3<<38), "status", "available")
	if _, err := pools.UpdateStatus(ctx, u, metav1.UpdateOptions{}); err != nil {
		t.Error(err)
	}
}
