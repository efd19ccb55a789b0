package runbooks

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/runbook"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// mfScene is every pod given judged on worker-1 (Ready) with the mount problems given, volumes as vols.
func mfScene(target runbook.Target, vols volumes, mounts map[string]health.MountProblem, pods ...*corev1.Pod) mountScene {
	nodes := []corev1.Node{*node("worker-1", corev1.ConditionTrue)}
	items := make([]corev1.Pod, len(pods))
	for i, p := range pods {
		items[i] = *p
	}
	return mountScene{target: target, pods: judgePods(items, nodes, mounts, coldNow), mounts: mounts, nodes: nodes, vols: vols, now: coldNow}
}

func TestJudgeMountFailed(t *testing.T) {
	stat := map[string]health.MountProblem{
		"shop/db-0":    {Reason: "FailedMount", Message: failedToStat, LastSeen: coldNow},
		"shop/files-0": {Reason: "FailedMount", Message: "timed out waiting for the condition", LastSeen: coldNow},
	}
	db0 := pod("db-0", "worker-1", creating, mountsClaim("data"), cnpg)
	files0 := pod("files-0", "worker-1", creating, mountsClaim("files"))
	api := pod("api", "worker-1", runningReady)
	cephDown := coldVolumes("rook-ceph.rbd.csi.ceph.com")
	cephDown.storage.cephsDown = []string{"rook-ceph/external (phase Connecting)"}
	stalePlugin := coldVolumes("rook-ceph.rbd.csi.ceph.com")
	stalePlugin.stalePlugins = map[string][]string{"worker-1": {"rook-ceph/csi-rbdplugin"}}
	multi := map[string]health.MountProblem{"shop/db-0": {Reason: "FailedAttachVolume", Message: multiAttachMsg, LastSeen: coldNow}}
	one := runbook.Target{Kind: "Pod", Namespace: "shop", Name: "db-0"}
	for _, tc := range []struct {
		name    string
		s       mountScene
		applies bool
		why     string
		restart string
	}{
		{"every pod: db-0 to restart, files-0 left", mfScene(runbook.Target{}, coldVolumes("csi.example"), stat, db0, files0, api), true,
			"1 pod stuck on a failed mount, their storage back: shop/db-0; 1 left, their storage not back: shop/files-0", "shop/db-0"},
		{"one pod, its storage back", mfScene(one, coldVolumes("csi.example"), stat, db0, files0), true, "shop/db-0", "shop/db-0"},
		{"one pod, Ceph not connected", mfScene(one, cephDown, stat, db0), false,
			"the storage of shop/db-0 is not back: volume pv-data is Ceph's, and CephClusters are not connected: rook-ceph/external (phase Connecting)", ""},
		{"one pod, its node's CSI plugin stale", mfScene(one, stalePlugin, stat, db0), false,
			"DaemonSet rook-ceph/csi-rbdplugin) started before its CephCluster connected: its config is stale — runbook csi-plugins-stale first", ""},
		{"a Multi-Attach is multi-attach's", mfScene(one, coldVolumes("csi.example"), multi, db0), false, "a Multi-Attach error: runbook multi-attach", ""},
		{"every pod, none back", mfScene(runbook.Target{}, cephDown, stat, db0, files0), false,
			"the storage of the 2 pods stuck on a failed mount is not back (shop/db-0, shop/files-0)", ""},
		{"a pod not stuck", mfScene(runbook.Target{Kind: "Pod", Namespace: "shop", Name: "api"}, coldVolumes("csi.example"), stat, api), false,
			"shop/api is not stuck on a failed mount: Running, Ready", ""},
		{"no such pod", mfScene(one, coldVolumes("csi.example"), stat, api), false, "no pod shop/db-0", ""},
		{"nothing stuck", mfScene(runbook.Target{}, coldVolumes("csi.example"), nil, db0, api), false, "no pod is stuck on a failed mount", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := judgeMountFailed(tc.s)
			if v.Applies != tc.applies || !strings.Contains(v.Why, tc.why) {
				t.Fatalf("verdict %v %q, want %v ~%q", v.Applies, v.Why, tc.applies, tc.why)
			}
			if v.Facts[factRestart] != tc.restart {
				t.Errorf("facts %v", v.Facts)
			}
		})
	}
	v := judgeMountFailed(mfScene(runbook.Target{}, coldVolumes("csi.example"), stat, db0, files0))
	details := strings.Join(v.Details, "\n")
	for _, want := range []string{"to restart: shop/db-0 on worker-1: waiting on its volumes for 10m: FailedMount", "(volumes: data (pv-data)) — owned by Cluster db (postgresql.cnpg.io)",
		"left, its storage is not back: shop/files-0 on worker-1", "— claim files is Pending, not Bound"} {
		if !strings.Contains(details, want) {
			t.Errorf("details do not say %q:\n%s", want, details)
		}
	}
}

func TestRestartNow(t *testing.T) {
	stat := map[string]health.MountProblem{}
	for _, k := range []string{"shop/db-0", "shop/db-1", "shop/files-0"} {
		stat[k] = health.MountProblem{Reason: "FailedMount", Message: failedToStat, LastSeen: coldNow}
	}
	s := mfScene(runbook.Target{}, coldVolumes("csi.example"), stat, pod("db-1", "worker-1", creating, mountsClaim("data")),
		pod("db-0", "worker-1", creating, mountsClaim("data")), pod("files-0", "worker-1", creating, mountsClaim("files")))
	for _, tc := range []struct{ then, want string }{
		{"", "pod/shop/db-0 pod/shop/db-1"},
		{"shop/db-1 shop/files-0", "pod/shop/db-1"},
		{"shop/other", ""},
	} {
		var got []string
		for _, o := range restartNow(s, tc.then) {
			got = append(got, o.String())
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("precheck named %q: %q, want %q", tc.then, got, tc.want)
		}
	}
}

func TestMountBackProgress(t *testing.T) {
	stat := map[string]health.MountProblem{"shop/db-0": {Reason: "FailedMount", Message: failedToStat, LastSeen: coldNow}}
	for _, tc := range []struct {
		name    string
		deleted []string
		pods    []*corev1.Pod
		done    bool
		line    string
	}{
		{"back", []string{"pod/shop/db-0"}, []*corev1.Pod{pod("db-0", "worker-1", runningReady)}, true, "1 of 1 pod back, Running and Ready"},
		{"replaced under a new name", []string{"pod/shop/web-abc"}, nil, true, "1 of 1 pod back"},
		{"still failing", []string{"pod/shop/db-0", "pod/shop/web-abc"}, []*corev1.Pod{pod("db-0", "worker-1", creating, mountsClaim("data"))}, false,
			"1 of 2 pods back, Running and Ready; still failing: shop/db-0 (waiting on its volumes for 10m: FailedMount"},
		{"terminating", []string{"pod/shop/db-0"}, []*corev1.Pod{pod("db-0", "worker-1", runningReady, terminating)}, false, "still failing: shop/db-0 (terminating)"},
		{"none deleted", nil, nil, true, "no pod was deleted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := mountBackProgress(tc.deleted, mfScene(runbook.Target{}, coldVolumes("csi.example"), stat, tc.pods...))
			if p.Done != tc.done || !strings.Contains(p.Line, tc.line) {
				t.Fatalf("%v %q, want %v ~%q", p.Done, p.Line, tc.done, tc.line)
			}
		})
	}
}

func TestStalePluginsOn(t *testing.T) {
	connected := coldNow.Add(-time.Hour)
	ceph := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "ceph.rook.io/v1", "kind": "CephCluster",
		"metadata": map[string]any{"name": "external", "namespace": "rook-ceph"},
		"status": map[string]any{"phase": "Connected", "conditions": []any{map[string]any{"type": "Connected", "status": "True",
			"lastTransitionTime": connected.Format(time.RFC3339)}}}}}
	ds := appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Namespace: "rook-ceph", Name: "csi-rbdplugin", UID: "ds-uid"}}
	other := appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Namespace: "rook-ceph", Name: "node-exporter", UID: "ne-uid"}}
	plugin := func(name, node string, created time.Time, owner appsv1.DaemonSet) corev1.Pod {
		yes := true
		return corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "rook-ceph", Name: name, CreationTimestamp: metav1.NewTime(created),
			OwnerReferences: []metav1.OwnerReference{{Kind: "DaemonSet", Name: owner.Name, UID: owner.UID, Controller: &yes}}},
			Spec: corev1.PodSpec{NodeName: node}}
	}
	pods := []corev1.Pod{plugin("csi-rbdplugin-a", "worker-1", connected.Add(-time.Minute), ds), plugin("csi-rbdplugin-b", "worker-2", connected.Add(time.Minute), ds),
		plugin("node-exporter-a", "worker-2", connected.Add(-time.Minute), other)}
	got := stalePluginsOn([]appsv1.DaemonSet{ds, other}, pods, []*unstructured.Unstructured{ceph}, coldNow)
	if len(got) != 1 || strings.Join(got["worker-1"], ",") != "rook-ceph/csi-rbdplugin" {
		t.Fatalf("stale plugins %v, want only worker-1's", got)
	}
	ceph.Object["status"] = map[string]any{"phase": "Connecting"}
	if got := stalePluginsOn([]appsv1.DaemonSet{ds}, pods, []*unstructured.Unstructured{ceph}, coldNow); len(got) != 0 {
		t.Fatalf("no CephCluster Connected: %v", got)
	}
}

// TestMountFailedOnFakeClients reads through fake clients: the newest Warning decides (a mount problem
// followed by another warning is not one), the objects, the postcheck.
func TestMountFailedOnFakeClients(t *testing.T) {
	ctx := context.Background()
	pvData := "pv-data"
	objs := []runtime.Object{
		node("worker-1", corev1.ConditionTrue),
		pod("db-0", "worker-1", creating, mountsClaim("data")), pod("web-0", "worker-1", creating, mountsClaim("data")),
		&corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "data"}, Spec: corev1.PersistentVolumeClaimSpec{VolumeName: pvData},
			Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimBound}},
		&corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: pvData}},
	}
	for _, e := range []corev1.Event{warning("db-0", "FailedMount", failedToStat, coldNow),
		warning("web-0", "FailedMount", failedToStat, coldNow.Add(-time.Minute)), warning("web-0", "FailedCreatePodSandBox", "sandbox", coldNow)} {
		objs = append(objs, &e)
	}
	w := coldWorld(false, objs)
	v, err := mountFailedCheck(ctx, w, runbook.Target{})
	if err != nil || !v.Applies || v.Facts[factRestart] != "shop/db-0" {
		t.Fatalf("precheck %+v %v", v, err)
	}
	w.Earlier = func(id string) runbook.StepState {
		if id == "restart-pods" {
			return runbook.StepState{Objects: []runbook.ObjectState{{Object: "pod/shop/db-0", Done: true}}}
		}
		return runbook.StepState{Facts: v.Facts}
	}
	if got, err := mountFailedPods(ctx, w, runbook.Target{}); err != nil || len(got) != 1 || got[0].String() != "pod/shop/db-0" {
		t.Fatalf("objects %v %v", got, err)
	}
	if p, err := mountFailedBack(ctx, w, runbook.Target{}); err != nil || p.Done || !strings.Contains(p.Line, "still failing: shop/db-0") {
		t.Fatalf("postcheck %+v %v", p, err)
	}
	// The claim lost since the precheck: the step is refused, saying why.
	if err := w.Kube.CoreV1().PersistentVolumeClaims("shop").Delete(ctx, "data", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if got, err := mountFailedPods(ctx, w, runbook.Target{}); err == nil || !strings.Contains(err.Error(), "shop/db-0: its storage is not back: claim data does not exist") {
		t.Fatalf("objects once the claim is gone %v %v", got, err)
	}
}
