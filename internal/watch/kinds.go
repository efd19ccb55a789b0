package watch

import (
	"sort"

	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/platform"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// crdPut says where the objects of each custom resource go, by key ("diskpools.openebs.io"). Kinds of
// vault-config-operator's group go to VaultConfigCRs whatever their name.
func crdPut() map[string]func(o *health.Objects, items []*unstructured.Unstructured) {
	return map[string]func(o *health.Objects, items []*unstructured.Unstructured){
		platform.DiskPool.Key():         func(o *health.Objects, u []*unstructured.Unstructured) { o.DiskPools = u },
		platform.KumaMesh.Key():         func(o *health.Objects, u []*unstructured.Unstructured) { o.Meshes = u },
		platform.KumaDPInsight.Key():    func(o *health.Objects, u []*unstructured.Unstructured) { o.DataplaneInsights = u },
		platform.ArgoApplication.Key():  func(o *health.Objects, u []*unstructured.Unstructured) { o.Applications = u },
		platform.CertManagerCert.Key():  func(o *health.Objects, u []*unstructured.Unstructured) { o.Certificates = u },
		platform.ContourHTTPProxy.Key(): func(o *health.Objects, u []*unstructured.Unstructured) { o.HTTPProxies = u },
		platform.GatewayClass.Key():     func(o *health.Objects, u []*unstructured.Unstructured) { o.GatewayClasses = u },
		platform.Gateway.Key():          func(o *health.Objects, u []*unstructured.Unstructured) { o.Gateways = u },
		platform.HTTPRoute.Key():        func(o *health.Objects, u []*unstructured.Unstructured) { o.HTTPRoutes = u },
		// era 2
		platform.CephCluster.Key():        func(o *health.Objects, u []*unstructured.Unstructured) { o.CephClusters = u },
		platform.VeleroBackup.Key():       func(o *health.Objects, u []*unstructured.Unstructured) { o.Backups = u },
		platform.VeleroLocation.Key():     func(o *health.Objects, u []*unstructured.Unstructured) { o.BackupStorageLocations = u },
		platform.VeleroSchedule.Key():     func(o *health.Objects, u []*unstructured.Unstructured) { o.BackupSchedules = u },
		platform.PGCluster.Key():          func(o *health.Objects, u []*unstructured.Unstructured) { o.PGClusters = u },
		platform.PGBackup.Key():           func(o *health.Objects, u []*unstructured.Unstructured) { o.PGBackups = u },
		platform.VSOVaultAuth.Key():       func(o *health.Objects, u []*unstructured.Unstructured) { o.VaultAuths = u },
		platform.VSOStaticSecret.Key():    func(o *health.Objects, u []*unstructured.Unstructured) { o.VaultStaticSecrets = u },
		platform.MetalLBPool.Key():        func(o *health.Objects, u []*unstructured.Unstructured) { o.IPAddressPools = u },
		platform.CiliumLBPool.Key():       func(o *health.Objects, u []*unstructured.Unstructured) { o.CiliumLBPools = u },
		platform.ArgoApplicationSet.Key(): func(o *health.Objects, u []*unstructured.Unstructured) { o.ApplicationSets = u },
	}
}

// vaultConfigGroup is vault-config-operator's API group: every kind in it is read.
const vaultConfigGroup = health.VaultConfigGroup

// builtinKey names a built-in resource as Objects.Unavailable does.
func builtinKey(gvr schema.GroupVersionResource) string {
	if gvr.Group == "" {
		return gvr.Resource
	}
	return gvr.Resource + "." + gvr.Group
}

// sortByName orders namespaced objects by namespace then name, so snapshots are stable.
func sortByName[T metav1.Object](items []T) {
	sort.Slice(items, func(i, j int) bool {
		if a, b := items[i].GetNamespace(), items[j].GetNamespace(); a != b {
			return a < b
		}
		return items[i].GetName() < items[j].GetName()
	})
}

// typed casts a lister's items, dropping anything of another type (tombstones).
func typed[T any](items []any) []T {
	out := make([]T, 0, len(items))
	for _, it := range items {
		if t, ok := it.(T); ok {
			out = append(out, t)
		}
	}
	return out
}

// builtins are the built-in kinds the rules read, with where they go.
type builtin struct {
	gvr schema.GroupVersionResource
	put func(o *health.Objects, items []any)
	// same tells an update that changes nothing the rules read (nil: every update counts).
	same func(old, new any) bool
}

func builtins() []builtin {
	return []builtin{
		{corev1.SchemeGroupVersion.WithResource("nodes"), func(o *health.Objects, items []any) {
			o.Nodes = typed[*corev1.Node](items)
			sortByName(o.Nodes)
		}, HeartbeatOnly},
		{corev1.SchemeGroupVersion.WithResource("persistentvolumeclaims"), func(o *health.Objects, items []any) {
			o.PVCs = typed[*corev1.PersistentVolumeClaim](items)
			sortByName(o.PVCs)
		}, nil},
		{storagev1.SchemeGroupVersion.WithResource("storageclasses"), func(o *health.Objects, items []any) {
			o.StorageClasses = typed[*storagev1.StorageClass](items)
			sortByName(o.StorageClasses)
		}, nil},
		{appsv1.SchemeGroupVersion.WithResource("statefulsets"), func(o *health.Objects, items []any) {
			o.StatefulSets = typed[*appsv1.StatefulSet](items)
			sortByName(o.StatefulSets)
		}, nil},
		{appsv1.SchemeGroupVersion.WithResource("deployments"), func(o *health.Objects, items []any) {
			o.Deployments = typed[*appsv1.Deployment](items)
			sortByName(o.Deployments)
		}, nil},
		{appsv1.SchemeGroupVersion.WithResource("daemonsets"), func(o *health.Objects, items []any) {
			o.DaemonSets = typed[*appsv1.DaemonSet](items)
			sortByName(o.DaemonSets)
		}, nil},
		{corev1.SchemeGroupVersion.WithResource("services"), func(o *health.Objects, items []any) {
			o.LoadBalancers = nil
			for _, svc := range typed[*corev1.Service](items) {
				if svc.Spec.Type == corev1.ServiceTypeLoadBalancer {
					o.LoadBalancers = append(o.LoadBalancers, svc)
				}
			}
			sortByName(o.LoadBalancers)
		}, nil},
		{corev1.SchemeGroupVersion.WithResource("namespaces"), func(o *health.Objects, items []any) {
			o.Namespaces = typed[*corev1.Namespace](items)
			sortByName(o.Namespaces)
		}, nil},
	}
}

// HeartbeatOnly tells a Node update that only renews its heartbeat (the conditions' lastHeartbeatTime,
// the resourceVersion, managed fields): nothing a rule or a page reads changes, so it makes no new
// snapshot. A kubelet renews its status this way every few minutes, kwok much more often; with hundreds
// of nodes those updates would otherwise rebuild and judge every snapshot several times a second.
func HeartbeatOnly(before, after any) bool {
	o, ok1 := before.(*corev1.Node)
	n, ok2 := after.(*corev1.Node)
	if !ok1 || !ok2 || len(o.Status.Conditions) != len(n.Status.Conditions) {
		return false
	}
	oc, nc := *o, *n
	oc.ResourceVersion, nc.ResourceVersion = "", ""
	oc.ManagedFields, nc.ManagedFields = nil, nil
	oc.Status.Conditions, nc.Status.Conditions = withoutHeartbeats(o.Status.Conditions), withoutHeartbeats(n.Status.Conditions)
	return equality.Semantic.DeepEqual(&oc, &nc)
}

func withoutHeartbeats(cs []corev1.NodeCondition) []corev1.NodeCondition {
	out := make([]corev1.NodeCondition, len(cs))
	for i, c := range cs {
		c.LastHeartbeatTime = metav1.Time{}
		out[i] = c
	}
	return out
}
