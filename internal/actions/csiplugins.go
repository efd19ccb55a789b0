package actions

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/clubcedille/cedille-tui/internal/access"
	"github.com/clubcedille/cedille-tui/internal/health"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

// Refusals of restart-csi-plugin: its guard rails.
var (
	// ErrCephNotConnected: no CephCluster is Connected; a plugin restarted now reads the same stale
	// config again (PLATFORM.md §6: delete the node plugin pods only once it is Connected).
	ErrCephNotConnected = errors.New("no CephCluster is Connected: a plugin restarted now would read a stale config again; wait for the connection")
	// ErrNotCSIPlugin: the pod is not one of a Ceph CSI node plugin DaemonSet's (delete-pod is for others).
	ErrNotCSIPlugin = errors.New("not a pod of a Ceph CSI node plugin DaemonSet")
	// ErrPluginCurrent: the pod started after the CephCluster connected: its config is current.
	ErrPluginCurrent = errors.New("it started after the CephCluster connected: its config is current, nothing to restart")
)

// CephClustersResource is Rook's CephCluster (ceph.rook.io/v1).
func CephClustersResource() schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: "ceph.rook.io", Version: "v1", Resource: "cephclusters"}
}

// RestartCSIPlugin is delete-pod with the guard rails of the stale CSI node plugins (PLATFORM.md §6): it
// deletes (its DaemonSet makes it again, reading the Ceph config anew) only a pod of a Ceph CSI node
// plugin DaemonSet (health.IsCephCSINodePlugin) that started before its CephCluster connected
// (health.StaleCSIPlugins), and only while that CephCluster is Connected; otherwise it refuses. Like
// delete-pod it is bound to the pod's UID and resourceVersion as previewed.
func RestartCSIPlugin() Action {
	return Action{Name: "restart-csi-plugin", Kind: KindPod, Role: access.Operator, Destructive: true,
		Blast: func(t Target) string {
			return fmt.Sprintf("%s: deleted; its DaemonSet makes it again on the same node, reading the Ceph config anew — mounts on that node wait for it (seconds)", t)
		},
		Preview: func(ctx context.Context, c Client, t Target) (Preview, error) {
			note, err := staleCSIPlugin(ctx, c, t)
			if err != nil {
				return Preview{}, err
			}
			p, err := previewPodDelete(ctx, c, t)
			p.Notes = append(p.Notes, note)
			return p, err
		},
		Run: func(ctx context.Context, c Client, t Target, expect Precondition) error {
			if _, err := staleCSIPlugin(ctx, c, t); err != nil {
				return err
			}
			return deletePod(ctx, c, t, expect, nil)
		},
	}
}

// staleCSIPlugin reads the pod and the CephClusters and says why the pod may be restarted, or refuses.
func staleCSIPlugin(ctx context.Context, c Client, t Target) (string, error) {
	if err := t.check(KindPod); err != nil {
		return "", err
	}
	p, err := c.Kube.CoreV1().Pods(t.Namespace).Get(ctx, t.Name, metav1.GetOptions{})
	if err != nil {
		return "", err
	}
	clusters, err := ListCephClusters(ctx, c.Dynamic)
	if err != nil {
		return "", err
	}
	ds := PluginDaemonSet(p)
	if ds == nil {
		return "", fmt.Errorf("%s: %w", t, ErrNotCSIPlugin)
	}
	switch {
	case !CephConnectedFor(ds, clusters):
		return "", fmt.Errorf("%s: %w", t, ErrCephNotConnected)
	case len(health.StaleCSIPlugins(health.Objects{Now: time.Now(), CephClusters: clusters, DaemonSets: []*appsv1.DaemonSet{ds},
		Pods: []*health.Pod{health.PodOf(p)}})) == 0:
		return "", fmt.Errorf("%s: %w", t, ErrPluginCurrent)
	}
	return fmt.Sprintf("started %s, before the CephCluster connected: its Ceph config is stale", p.CreationTimestamp.UTC().Format(time.RFC3339)), nil
}

// PluginDaemonSet is the Ceph CSI node plugin DaemonSet that owns p (as its owner reference names it),
// nil when p is not a node plugin's pod.
func PluginDaemonSet(p *corev1.Pod) *appsv1.DaemonSet {
	for _, o := range p.OwnerReferences {
		if o.Kind == "DaemonSet" && o.Controller != nil && *o.Controller && health.IsCephCSINodePlugin(o.Name) {
			return &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Namespace: p.Namespace, Name: o.Name, UID: o.UID}}
		}
	}
	return nil
}

// CephConnectedFor tells whether the pods of ds have a Connected CephCluster to be judged against, as
// health.StaleCSIPlugins reads the connections: the rule itself answers, on a pod of ds started at the
// zero time (stale against any connection).
func CephConnectedFor(ds *appsv1.DaemonSet, clusters []*unstructured.Unstructured) bool {
	probe := &health.Pod{Namespace: ds.Namespace, Name: ds.Name + "-probe", OwnerKind: "DaemonSet", OwnerName: ds.Name}
	return len(health.StaleCSIPlugins(health.Objects{CephClusters: clusters, DaemonSets: []*appsv1.DaemonSet{ds},
		Pods: []*health.Pod{probe}})) > 0
}

// ListCephClusters lists every CephCluster.
func ListCephClusters(ctx context.Context, d dynamic.Interface) ([]*unstructured.Unstructured, error) {
	l, err := d.Resource(CephClustersResource()).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list CephClusters: %w", err)
	}
	out := make([]*unstructured.Unstructured, len(l.Items))
	for i := range l.Items {
		out[i] = &l.Items[i]
	}
	return out, nil
}

// spokeOrCSIGuard tells whether err is a guard rail of reissue-spoke-token or restart-csi-plugin saying
// no: a refusal, audited as one, not a failure.
func spokeOrCSIGuard(err error) bool {
	for _, g := range []error{ErrSpokeRefusesToken, ErrNoOmni, ErrCephNotConnected, ErrNotCSIPlugin, ErrPluginCurrent} {
		if errors.Is(err, g) {
			return true
		}
	}
	return false
}
