package health

import (
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// era2Now is when the era-2 storage tests evaluate: two hours after the test CephCluster connected.
var era2Now = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)

// cephCluster is a CephCluster in rook-ceph-external as k8s-base's cluster-external.yaml makes it
// (external unless spec says otherwise) with the status given as YAML.
func cephCluster(spec, status string) *unstructured.Unstructured {
	if spec == "" {
		spec = "{external: {enable: true}, crashCollector: {disable: true}}"
	}
	return crFromYAML(`apiVersion: ceph.rook.io/v1
kind: CephCluster
metadata: {name: rook-ceph-external, namespace: rook-ceph-external}
spec: ` + spec + `
status: ` + status)
}

// connectedStatus is a Connected external cluster's status with the ceph block given (YAML flow).
func connectedStatus(ceph string) string {
	return `{phase: Connected, state: Connected, message: Cluster connected successfully, ceph: ` + ceph + `}`
}

func TestCephCluster(t *testing.T) {
	fresh := `lastChecked: "2026-12-07T11:59:15Z"`
	tests := []struct {
		name        string
		spec        string
		status      string
		want        Status
		reason      string // the whole reason
		hintHas     string
		hintHasNext string
	}{
		{"connected, healthy, 62% used", "", connectedStatus(`{health: HEALTH_OK, ` + fresh + `, capacity: {bytesTotal: 13194139533312, bytesUsed: 8246337208320}}`),
			OK, "Connected, HEALTH_OK, 62% of 12.0 TiB used", "", ""},
		{"connected, no capacity reported", "", connectedStatus(`{health: HEALTH_OK, ` + fresh + `}`),
			OK, "Connected, HEALTH_OK", "", ""},
		{"health warn names its checks, errors first", "", connectedStatus(`{health: HEALTH_WARN, ` + fresh + `, details: {
			MON_DOWN: {severity: HEALTH_WARN, message: "1/3 mons down, quorum pve-a,pve-b"},
			PG_AVAILABILITY: {severity: HEALTH_ERR, message: "Reduced data availability: 4 pgs inactive"}}}`),
			Degraded, "Connected, HEALTH_WARN (PG_AVAILABILITY: Reduced data availability: 4 pgs inactive; MON_DOWN: 1/3 mons down, quorum pve-a,pve-b)",
			"ceph health detail", ""},
		{"how long it has warned", "", connectedStatus(`{health: HEALTH_WARN, previousHealth: HEALTH_OK, lastChanged: "2026-12-07T11:40:00Z", ` + fresh + `, details: {MON_DOWN: {severity: HEALTH_WARN, message: "1/3 mons down"}}}`),
			Degraded, "Connected, HEALTH_WARN for 20m (MON_DOWN: 1/3 mons down)", "ceph health detail", ""},
		{"health err is down", "", connectedStatus(`{health: HEALTH_ERR, ` + fresh + `, details: {OSD_FULL: {severity: HEALTH_ERR, message: "1 full osd(s)"}}}`),
			Down, "Connected, HEALTH_ERR (OSD_FULL: 1 full osd(s))", "ceph health detail", ""},
		{"many checks are counted", "", connectedStatus(`{health: HEALTH_WARN, ` + fresh + `, details: {A: {severity: HEALTH_WARN, message: a}, B: {severity: HEALTH_WARN, message: b},
			C: {severity: HEALTH_WARN}, D: {severity: HEALTH_WARN, message: d}, E: {severity: HEALTH_WARN, message: e}}}`),
			Degraded, "Connected, HEALTH_WARN (A: a; B: b; C; 2 more)", "ceph health detail", ""},
		{"stale health", "", connectedStatus(`{health: HEALTH_OK, lastChecked: "2026-12-07T10:35:00Z"}`),
			Degraded, "Connected, HEALTH_OK as of 1h25m ago (stale: Rook no longer checks it)", "logs deploy/rook-ceph-operator", ""},
		{"stale error stays down", "", connectedStatus(`{health: HEALTH_ERR, lastChecked: "2026-12-07T10:35:00Z"}`),
			Down, "Connected, HEALTH_ERR as of 1h25m ago (stale: Rook no longer checks it)", "ceph health detail", "rook-ceph-operator"},
		{"nine minutes is not stale", "", connectedStatus(`{health: HEALTH_OK, lastChecked: "2026-12-07T11:51:00Z"}`),
			OK, "Connected, HEALTH_OK", "", ""},
		{"nearfull", "", connectedStatus(`{health: HEALTH_OK, ` + fresh + `, capacity: {bytesTotal: 1000, bytesUsed: 850}}`),
			Degraded, "Connected, HEALTH_OK, 85% of 1000 B used (nearfull)", "add OSDs", ""},
		{"full", "", connectedStatus(`{health: HEALTH_WARN, ` + fresh + `, capacity: {bytesTotal: 13194139533312, bytesUsed: 12700000000000}}`),
			Down, "Connected, HEALTH_WARN, 96% of 12.0 TiB used (full: Ceph stops writes)", "ceph health detail", "add OSDs now"},
		{"95% exactly is full", "", connectedStatus(`{health: HEALTH_OK, ` + fresh + `, capacity: {bytesTotal: 1000, bytesUsed: 950}}`),
			Down, "Connected, HEALTH_OK, 95% of 1000 B used (full: Ceph stops writes)", "add OSDs now", ""},
		{"health not reported yet", "", `{phase: Connected, state: Connected}`,
			Unknown, "Connected, Ceph's health not reported yet", "rook-ceph-operator", ""},
		{"connecting", "", `{phase: Connecting, state: Connecting, message: Attempting to connect to an external Ceph cluster, ceph: {health: HEALTH_OK}}`,
			Degraded, "Connecting, not Connected: Attempting to connect to an external Ceph cluster", "rook-ceph-mon-endpoints in rook-ceph-external", "ceph health detail"},
		{"connecting for an hour", "", `{phase: Connecting, conditions: [{type: Connecting, status: "True", lastTransitionTime: "2026-12-07T11:00:00Z"}]}`,
			Degraded, "Connecting for 1h, not Connected", "rook-ceph-mon-endpoints", ""},
		{"failure", "", `{phase: Failure, state: Error, message: "failed to get external cluster connection details: timed out"}`,
			Down, "Failure: failed to get external cluster connection details: timed out", "mons are reachable", "kubectl -n rook-ceph-external logs deploy/rook-ceph-operator"},
		{"error state with another phase", "", `{phase: Progressing, state: Error}`,
			Down, "Progressing", "mons are reachable", ""},
		{"no status", "", `{}`, Unknown, "no status yet: the Rook operator has not reconciled it", "rook-ceph-operator", ""},
		{"deleting", "", `{phase: Deleting, state: Connected}`, Degraded, "being deleted", RunbookStuckTerminating, ""},
		{"internal and ready", "{dataDirHostPath: /var/lib/rook}", `{phase: Ready, state: Created, ceph: {health: HEALTH_OK, ` + fresh + `}}`,
			OK, "Ready, HEALTH_OK", "", ""},
		{"internal expects Ready, not Connected", "{dataDirHostPath: /var/lib/rook}", `{phase: Connected, ceph: {health: HEALTH_OK}}`,
			Degraded, "Connected, not Ready", "ceph health detail", ""},
		{"external never Ready", "", `{phase: Ready, ceph: {health: HEALTH_OK}}`,
			Degraded, "Ready, not Connected", "mons are reachable", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := CephCluster(cephCluster(tt.spec, tt.status), era2Now)
			if f.Object != "CephCluster/rook-ceph-external/rook-ceph-external" {
				t.Errorf("object %q", f.Object)
			}
			if f.Reason != tt.reason {
				t.Errorf("reason %q\nwant   %q", f.Reason, tt.reason)
			}
			assertFinding(t, f, tt.want, tt.reason, tt.hintHas)
			if !strings.Contains(f.Hint, tt.hintHasNext) {
				t.Errorf("hint %q lacks %q", f.Hint, tt.hintHasNext)
			}
		})
	}
}

func TestIsCephCSINodePlugin(t *testing.T) {
	for name, want := range map[string]bool{
		"csi-rbdplugin": true, "csi-cephfsplugin": true, "csi-nfsplugin": true,
		"rook-ceph.rbd.csi.ceph.com-nodeplugin": true, "rook-ceph.cephfs.csi.ceph.com-nodeplugin": true,
		"csi-rbdplugin-provisioner": false, "rook-ceph.rbd.csi.ceph.com-ctrlplugin": false,
		"cilium": false, "rook-ceph.rbd.csi.ceph.com": false, "": false,
	} {
		if got := IsCephCSINodePlugin(name); got != want {
			t.Errorf("%q: %v, want %v", name, got, want)
		}
	}
}

func TestStaleCSIPlugins(t *testing.T) {
	connected := func(ns, at string) *unstructured.Unstructured {
		u := cephCluster("", `{phase: Connected, state: Connected, conditions: [{type: Connected, status: "True", reason: ClusterConnected, lastTransitionTime: "`+at+`"}]}`)
		u.SetNamespace(ns)
		return u
	}
	ds := func(ns, name string) *appsv1.DaemonSet {
		return &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	}
	pod := func(ns, owner, name, created string) *Pod {
		c, err := time.Parse(time.RFC3339, created)
		if err != nil {
			t.Fatal(err)
		}
		return &Pod{Namespace: ns, Name: name, OwnerKind: "DaemonSet", OwnerName: owner, Created: c}
	}
	const ns = "rook-ceph-external"
	rbd, fs := ds(ns, "csi-rbdplugin"), ds(ns, "csi-cephfsplugin")
	before, after := "2026-12-07T09:59:30Z", "2026-12-07T10:12:00Z"
	deleting := pod(ns, "csi-rbdplugin", "csi-rbdplugin-old", before)
	deleting.Deleting = era2Now
	tests := []struct {
		name     string
		clusters []*unstructured.Unstructured
		sets     []*appsv1.DaemonSet
		pods     []*Pod
		want     map[string]string // object → reason
	}{
		{"two of three rbd pods predate the connection", []*unstructured.Unstructured{connected(ns, "2026-12-07T10:00:00Z")},
			[]*appsv1.DaemonSet{rbd, fs},
			[]*Pod{pod(ns, "csi-rbdplugin", "a", "2026-12-06T22:14:00Z"), pod(ns, "csi-rbdplugin", "b", before), pod(ns, "csi-rbdplugin", "c", after),
				pod(ns, "csi-cephfsplugin", "d", after)},
			map[string]string{"DaemonSet/rook-ceph-external/csi-rbdplugin": "2 of 3 pods started before CephCluster rook-ceph-external connected 2h ago: their Ceph config is stale, mounts fail"}},
		{"all restarted since", []*unstructured.Unstructured{connected(ns, "2026-12-07T10:00:00Z")}, []*appsv1.DaemonSet{rbd},
			[]*Pod{pod(ns, "csi-rbdplugin", "c", after)}, map[string]string{}},
		{"pods being deleted are left out", []*unstructured.Unstructured{connected(ns, "2026-12-07T10:00:00Z")}, []*appsv1.DaemonSet{rbd},
			[]*Pod{deleting, pod(ns, "csi-rbdplugin", "c", after)}, map[string]string{}},
		{"not connected: nothing to compare with", []*unstructured.Unstructured{cephCluster("", `{phase: Connecting, conditions: [{type: Connected, status: "False", lastTransitionTime: "2026-12-07T10:00:00Z"}]}`)},
			[]*appsv1.DaemonSet{rbd}, []*Pod{pod(ns, "csi-rbdplugin", "a", before)}, map[string]string{}},
		{"connected without its condition", []*unstructured.Unstructured{cephCluster("", `{phase: Connected}`)},
			[]*appsv1.DaemonSet{rbd}, []*Pod{pod(ns, "csi-rbdplugin", "a", before)}, map[string]string{}},
		{"no CephCluster", nil, []*appsv1.DaemonSet{rbd}, []*Pod{pod(ns, "csi-rbdplugin", "a", before)}, map[string]string{}},
		{"other DaemonSets are not Ceph's", []*unstructured.Unstructured{connected(ns, "2026-12-07T10:00:00Z")},
			[]*appsv1.DaemonSet{ds("kube-system", "cilium")}, []*Pod{pod("kube-system", "cilium", "a", before)}, map[string]string{}},
		{"the operator's naming, in another namespace than the cluster", []*unstructured.Unstructured{connected(ns, "2026-12-07T10:00:00Z")},
			[]*appsv1.DaemonSet{ds("rook-ceph", "rook-ceph.rbd.csi.ceph.com-nodeplugin")},
			[]*Pod{pod("rook-ceph", "rook-ceph.rbd.csi.ceph.com-nodeplugin", "a", before)},
			map[string]string{"DaemonSet/rook-ceph/rook-ceph.rbd.csi.ceph.com-nodeplugin": "1 of 1 pod started before CephCluster rook-ceph-external connected 2h ago: their Ceph config is stale, mounts fail"}},
		{"its own namespace's cluster wins over a later one elsewhere",
			[]*unstructured.Unstructured{connected(ns, "2026-12-07T09:00:00Z"), connected("other", "2026-12-07T11:00:00Z")},
			[]*appsv1.DaemonSet{rbd}, []*Pod{pod(ns, "csi-rbdplugin", "b", before)}, map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := Objects{Now: era2Now, CephClusters: tt.clusters, DaemonSets: tt.sets, Pods: tt.pods}
			got := StaleCSIPlugins(o)
			if len(got) != len(tt.want) {
				t.Fatalf("%d findings, want %d: %+v", len(got), len(tt.want), got)
			}
			for _, f := range got {
				reason, ok := tt.want[f.Object]
				if !ok {
					t.Fatalf("unexpected finding %+v", f)
				}
				if f.Reason != reason {
					t.Errorf("reason %q\nwant   %q", f.Reason, reason)
				}
				assertFinding(t, f, Degraded, reason, "runbook "+RunbookCSIPluginsStale)
			}
		})
	}
}
