//go:build e2e

package steps

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/hack/lab"
	"github.com/clubcedille/cedille-tui/hack/lab/labtest"
	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/platform"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestStorageStepRealAPIServer: from a part-1 plan (three workers, two pool disks each), the step creates
// six DiskPools (by-id paths, on each worker's node) and the default StorageClass mayastor on a real
// API server, and waits; the test plays Mayastor, writing the pools' statuses (one Created/Unknown
// first, then all Online with their capacity), and the step completes. A rerun changes nothing; a pool
// found on another disk is reported and left alone.
func TestStorageStepRealAPIServer(t *testing.T) {
	l := labtest.Start(t, lab.KubeAPIServer)
	k, err := platform.NewKube(l.RESTConfig(), "lab", "cedille-tui-test")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	p := plan.New()
	p.Cluster.Kubeconfig = l.KubeconfigPath()
	for i := 1; i <= 3; i++ {
		host := fmt.Sprintf("worker-%d", i)
		if _, err := k.Typed.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: host}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		p.Machines = append(p.Machines, plan.Machine{ID: fmt.Sprintf("m%d", i), Hostname: host, Role: plan.RoleWorker,
			PoolDisks: []plan.Disk{
				{Serial: fmt.Sprintf("WD-A%d0", i), ByID: fmt.Sprintf("/dev/disk/by-id/wwn-0x5000000000000%d10", i)},
				{Serial: fmt.Sprintf("WD-B%d1", i), ByID: fmt.Sprintf("/dev/disk/by-id/wwn-0x5000000000000%d11", i)},
			}})
	}
	var mu sync.Mutex
	var lines []string
	var last Event
	emit := func(ev Event) {
		mu.Lock()
		defer mu.Unlock()
		if ev.Message != "" {
			lines = append(lines, ev.Message)
		}
		if len(ev.Items) > 0 {
			last = ev
		}
	}
	env := &Env{Vault: ClusterVault{}, Poll: 50 * time.Millisecond, ClusterWait: time.Minute}
	done := make(chan error, 1)
	var res Result
	go func() {
		var err error
		res, err = StorageStep{}.Run(ctx, env, &p, emit)
		done <- err
	}()

	// Mayastor: the pools appear; one stays Created/Unknown a while, then all go Online.
	pools := k.Dynamic.Resource(platform.DiskPool.GVR).Namespace("mayastor")
	var items *unstructured.UnstructuredList
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		items, err = pools.List(ctx, metav1.ListOptions{})
		if err == nil && len(items.Items) == 6 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the step did not create six pools: %v", err)
		}
	}
	status := func(u *unstructured.Unstructured, cr, pool string, capacity int64) {
		u.Object["status"] = map[string]any{"cr_state": cr, "pool_status": pool, "capacity": capacity, "used": int64(0), "available": capacity}
		if _, err := pools.UpdateStatus(ctx, u, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range items.Items {
		u := &items.Items[i]
		node, _, _ := unstructured.NestedString(u.Object, "spec", "node")
		disks, _, _ := unstructured.NestedStringSlice(u.Object, "spec", "disks")
		if !strings.HasPrefix(u.GetName(), node+"-") || len(disks) != 1 || !strings.HasPrefix(disks[0], "/dev/disk/by-id/wwn-0x") {
			t.Errorf("pool %s: node %s disks %v", u.GetName(), node, disks)
		}
		if i == 0 {
			status(u, "Created", "Unknown", 0)
		} else {
			status(u, "Created", "Online", 3000588304384)
		}
	}
	time.Sleep(300 * time.Millisecond)
	mu.Lock()
	if last.Done != 5 || last.Total != 6 {
		t.Errorf("the live list while one pool is Unknown: %d/%d", last.Done, last.Total)
	}
	mu.Unlock()
	first, _ := pools.Get(ctx, items.Items[0].GetName(), metav1.GetOptions{})
	status(first, "Created", "Online", 2000398934016)
	if err := <-done; err != nil {
		t.Fatalf("storage step: %v\n%s", err, strings.Join(lines, "\n"))
	}
	if want := []string{"6 pools Online: 15.5 TiB", "StorageClass mayastor (2 replicas per volume), the cluster's default"}; !slices.Equal(res.Summary, want) {
		t.Errorf("result %+v, want the summary %q", res, want)
	}
	sc, err := k.Typed.StorageV1().StorageClasses().Get(ctx, "mayastor", metav1.GetOptions{})
	if err != nil || sc.Provisioner != plan.MayastorProvisioner || sc.Parameters["repl"] != "2" ||
		sc.Annotations[DefaultClassAnnotation] != "true" {
		t.Fatalf("StorageClass: %+v %v", sc, err)
	}
	if o, err := (StorageStep{}).Check(ctx, env, p); err != nil || !o.Holds || !strings.Contains(o.Detail, "6 pools Online (15.5 TiB)") {
		t.Errorf("check after the run: %+v %v", o, err)
	}
	if _, err := (StorageStep{}).Run(ctx, env, &p, emit); err != nil {
		t.Fatalf("rerun: %v", err)
	}
	if n, _ := pools.List(ctx, metav1.ListOptions{}); len(n.Items) != 6 {
		t.Errorf("a rerun made %d pools", len(n.Items))
	}

	// A pool of the same name on another disk is reported, not changed.
	moved := p
	moved.Machines = append([]plan.Machine(nil), p.Machines...)
	moved.Machines[0].PoolDisks = []plan.Disk{{Serial: "WD-A10", ByID: "/dev/disk/by-id/wwn-0x50000000000009999"}}
	_, err = StorageStep{}.Run(ctx, env, &moved, emit)
	if err == nil || !strings.Contains(err.Error(), "is left as it is") {
		t.Errorf("a pool on another disk: %v", err)
	}
	u, err := pools.Get(ctx, items.Items[0].GetName(), metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the existing pool: %v", err)
	}
	if d, _, _ := unstructured.NestedStringSlice(u.Object, "spec", "disks"); strings.Contains(strings.Join(d, ""), "9999") {
		t.Error("the existing pool was changed")
	}
}
