package actions

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
)

// connectedAt is when the test's external CephCluster connected.
var connectedAt = time.Date(2026, 12, 7, 3, 10, 0, 0, time.UTC)

// cephCluster is an external CephCluster in phase, connected at connectedAt when the phase is Connected.
func cephCluster(phase string) *unstructured.Unstructured {
	conds := []any{}
	if phase == "Connected" {
		conds = append(conds, map[string]any{"type": "Connected", "status": "True", "lastTransitionTime": connectedAt.Format(time.RFC3339)})
	}
	return &unstructured.Unstructured{Object: map[string]any{"apiVersion": "ceph.rook.io/v1", "kind": "CephCluster",
		"metadata": map[string]any{"name": "external", "namespace": "rook-ceph"},
		"spec":     map[string]any{"external": map[string]any{"enable": true}},
		"status":   map[string]any{"phase": phase, "conditions": conds}}}
}

// pluginPod is a pod of DaemonSet owner in rook-ceph, created at created.
func pluginPod(owner string, created time.Time) *corev1.Pod {
	yes := true
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "rook-ceph", Name: owner + "-a1", UID: "uid-pod", ResourceVersion: "3",
		CreationTimestamp: metav1.NewTime(created),
		OwnerReferences:   []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "DaemonSet", Name: owner, UID: "uid-ds", Controller: &yes}}}}
}

func TestRestartCSIPlugin(t *testing.T) {
	before, after := connectedAt.Add(-time.Hour), connectedAt.Add(time.Minute)
	for _, tc := range []struct {
		name    string
		pod     *corev1.Pod
		phase   string
		wantErr error
	}{
		{"stale, Ceph connected: deleted", pluginPod("csi-rbdplugin", before), "Connected", nil},
		{"the operator's naming: deleted", pluginPod("rook-ceph.cephfs.csi.ceph.com-nodeplugin", before), "Connected", nil},
		{"Ceph connecting: refused", pluginPod("csi-rbdplugin", before), "Connecting", ErrCephNotConnected},
		{"started after the connection: refused", pluginPod("csi-rbdplugin", after), "Connected", ErrPluginCurrent},
		{"not a node plugin: refused", pluginPod("csi-rbdplugin-provisioner", before), "Connected", ErrNotCSIPlugin},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Fresh clients for the preview: the fake ignores the dry run.
			clients := func() (Client, *fake.Clientset) {
				kc := fake.NewClientset(tc.pod)
				dc := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
					map[schema.GroupVersionResource]string{CephClustersResource(): "CephClusterList"}, cephCluster(tc.phase))
				return Client{Kube: kc, Dynamic: dc}, kc
			}
			target := Target{Kind: KindPod, Namespace: tc.pod.Namespace, Name: tc.pod.Name}
			a := RestartCSIPlugin()
			c, _ := clients()
			p, perr := a.Preview(context.Background(), c, target)
			c, kc := clients()
			err := a.Run(context.Background(), c, target, Precondition{UID: "uid-pod", ResourceVersion: "3"})
			_, gone := kc.CoreV1().Pods("rook-ceph").Get(context.Background(), tc.pod.Name, metav1.GetOptions{})
			if tc.wantErr != nil {
				if !errors.Is(perr, tc.wantErr) || !errors.Is(err, tc.wantErr) || !guardRail(err) {
					t.Fatalf("preview %v, run %v: want the guard rail %v", perr, err, tc.wantErr)
				}
				if gone != nil {
					t.Fatal("deleted despite the guard rail")
				}
				return
			}
			if perr != nil || err != nil || !apierrors.IsNotFound(gone) {
				t.Fatalf("preview %v, run %v, pod now %v", perr, err, gone)
			}
			if !strings.Contains(strings.Join(p.Notes, "\n"), "before the CephCluster connected") || p.Expect.UID != "uid-pod" {
				t.Errorf("preview %+v", p)
			}
		})
	}
}
