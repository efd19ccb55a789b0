package runbooks

import (
	"strings"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/runbook"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// csiConnected is when the tests' CephCluster connected.
var csiConnected = time.Date(2026, 12, 7, 3, 10, 0, 0, time.UTC)

func csiCeph(phase string) *unstructured.Unstructured {
	conds := []any{}
	if phase == "Connected" {
		conds = append(conds, map[string]any{"type": "Connected", "status": "True", "lastTransitionTime": csiConnected.Format(time.RFC3339)})
	}
	return &unstructured.Unstructured{Object: map[string]any{"apiVersion": "ceph.rook.io/v1", "kind": "CephCluster",
		"metadata": map[string]any{"name": "external", "namespace": "rook-ceph"},
		"spec":     map[string]any{"external": map[string]any{"enable": true}},
		"status":   map[string]any{"phase": phase, "conditions": conds}}}
}

// csiPod is a pod of DaemonSet csi-rbdplugin started d after the connection (before it when negative).
func csiPod(name string, d time.Duration, ready bool, edits ...func(*health.Pod)) *health.Pod {
	p := &health.Pod{Namespace: "rook-ceph", Name: name, OwnerKind: "DaemonSet", OwnerName: "csi-rbdplugin", Node: "worker-1",
		Created: csiConnected.Add(d), Ready: ready}
	for _, e := range edits {
		e(p)
	}
	return p
}

func csiDS(name string, desired int32) *appsv1.DaemonSet {
	return &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Namespace: "rook-ceph", Name: name}, Status: appsv1.DaemonSetStatus{DesiredNumberScheduled: desired}}
}

func csiFactsOf(ds *appsv1.DaemonSet, phase string, pods ...*health.Pod) csiFacts {
	return csiFacts{target: runbook.Target{Kind: "DaemonSet", Namespace: "rook-ceph", Name: ds.Name}, ds: ds,
		clusters: []*unstructured.Unstructured{csiCeph(phase)}, pods: pods, now: csiConnected.Add(time.Hour)}
}

func TestJudgeCSI(t *testing.T) {
	for _, tc := range []struct {
		name    string
		f       csiFacts
		applies bool
		why     string
		stale   string
	}{
		{"stale pods, Ceph Connected", csiFactsOf(csiDS("csi-rbdplugin", 3), "Connected", csiPod("a", -time.Hour, true), csiPod("b", time.Minute, true),
			csiPod("c", -time.Minute, true)), true, "rook-ceph/csi-rbdplugin: 2 of 3 pods started before CephCluster external connected", "a,c"},
		{"Ceph connecting", csiFactsOf(csiDS("csi-rbdplugin", 1), "Connecting", csiPod("a", -time.Hour, true)), false, "no CephCluster is Connected", ""},
		{"every pod newer", csiFactsOf(csiDS("csi-rbdplugin", 1), "Connected", csiPod("a", time.Minute, true)), false,
			"every pod of rook-ceph/csi-rbdplugin (1) started after its CephCluster connected", ""},
		{"not a node plugin", csiFactsOf(csiDS("csi-rbdplugin-provisioner", 1), "Connected"), false, "is not a Ceph CSI node plugin", ""},
		{"no DaemonSet", csiFacts{target: runbook.Target{Kind: "DaemonSet", Namespace: "rook-ceph", Name: "csi-rbdplugin"}}, false,
			"no DaemonSet rook-ceph/csi-rbdplugin", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := judgeCSI(tc.f)
			if v.Applies != tc.applies || !strings.Contains(v.Why, tc.why) || v.Facts["stale"] != tc.stale {
				t.Fatalf("applies %v, why %q, facts %v; want %v, %q, stale %q", v.Applies, v.Why, v.Facts, tc.applies, tc.why, tc.stale)
			}
		})
	}
}

func TestFreshProgress(t *testing.T) {
	deleting := func(p *health.Pod) { p.Deleting = csiConnected.Add(2 * time.Hour) }
	for _, tc := range []struct {
		name string
		f    csiFacts
		done bool
		line string
	}{
		{"all newer and Ready", csiFactsOf(csiDS("csi-rbdplugin", 2), "Connected", csiPod("a", time.Hour, true), csiPod("b", time.Hour, true)), true,
			"DaemonSet rook-ceph/csi-rbdplugin: 2 of 2 pods started after the connection, 2 Ready"},
		{"one not made again yet", csiFactsOf(csiDS("csi-rbdplugin", 2), "Connected", csiPod("a", time.Hour, true)), false,
			"DaemonSet rook-ceph/csi-rbdplugin: 1 of 2 pods started after the connection, 1 Ready"},
		{"one being deleted, one not Ready", csiFactsOf(csiDS("csi-rbdplugin", 2), "Connected", csiPod("a", -time.Hour, true, deleting),
			csiPod("b", time.Hour, false)), false,
			"DaemonSet rook-ceph/csi-rbdplugin: 1 of 2 pods started after the connection, 0 Ready, 1 being deleted; not Ready: b"},
		{"one still stale", csiFactsOf(csiDS("csi-rbdplugin", 2), "Connected", csiPod("a", -time.Hour, true), csiPod("b", time.Hour, true)), false,
			"DaemonSet rook-ceph/csi-rbdplugin: 1 of 2 pods started after the connection, 2 Ready; still stale: a"},
		{"Ceph lost the connection", csiFactsOf(csiDS("csi-rbdplugin", 1), "Connecting", csiPod("a", time.Hour, true)), false,
			"no CephCluster is Connected now: CephCluster rook-ceph/external: Connecting"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := freshProgress(tc.f)
			if p.Done != tc.done || p.Line != tc.line {
				t.Fatalf("done %v, line %q; want %v, %q", p.Done, p.Line, tc.done, tc.line)
			}
		})
	}
}
