package health

import (
	"time"

	vault "github.com/hashicorp/vault/api"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Objects is everything the rules read, as the sources hold it: built-in kinds typed, custom resources
// unstructured (parsed leniently: the platform's manifests have quirks), Secrets as metadata only (the
// rules never need a secret's data, so the console never holds it). Nothing in it may be modified.
type Objects struct {
	// Now is the evaluation time (ages, certificate expiry): rules never read the clock.
	Now time.Time

	// Unavailable says, by resource ("diskpools.openebs.io", "nodes"), why a kind could not be read:
	// CRD absent, list forbidden, API unreachable. A kind listed here is not empty, it is unknown.
	Unavailable map[string]error
	// Serves says, by key ("cephclusters.ceph.rook.io"), whether discovery found each custom resource the
	// console reads served; nil before discovery answered. The era (EraOf) is read from it.
	Serves map[string]bool

	// cluster
	Nodes           []*corev1.Node
	Machines        []*omni.MachineStatus
	ClusterStatuses []*omni.ClusterStatus
	ClusterMachines []*omni.ClusterMachineStatus
	// ControlPlanePods are the kube-system pods of the control plane (label tier=control-plane), whole:
	// the pods watch keeps these few as they are beside every pod's summary.
	ControlPlanePods []*corev1.Pod

	// storage
	DiskPools      []*unstructured.Unstructured // openebs.io/v1beta1 DiskPool
	PVCs           []*corev1.PersistentVolumeClaim
	StorageClasses []*storagev1.StorageClass

	// mesh
	Meshes            []*unstructured.Unstructured // kuma.io/v1alpha1 Mesh (cluster-scoped)
	DataplaneInsights []*unstructured.Unstructured // kuma.io/v1alpha1 DataplaneInsight (data in top-level status)
	// Deployments are every namespace's Deployments (the mesh layer reads kuma-system's).
	Deployments []*appsv1.Deployment

	// gitops
	Applications []*unstructured.Unstructured // argoproj.io/v1alpha1 Application (no status subresource)

	// secrets
	Vault          []VaultStatus
	VaultConfigCRs []*unstructured.Unstructured // redhatcop.redhat.io/v1alpha1, any kind

	// vclusters
	StatefulSets []*appsv1.StatefulSet
	// Secrets are metadata only: vc-<name> kubeconfig Secrets and ArgoCD cluster Secrets
	// (label argocd.argoproj.io/secret-type=cluster).
	Secrets []*metav1.PartialObjectMetadata

	// workloads
	// Pods are every pod, summarised (Pod): the pods watch keeps no *corev1.Pod but the control plane's.
	Pods       []*Pod
	DaemonSets []*appsv1.DaemonSet
	// Namespaces are every namespace (the workloads layer says which are stuck Terminating).
	Namespaces []*corev1.Namespace
	// MountProblems are, by pod ("namespace/name"), the newest Warning about its volumes, taken from the
	// Warning events: it explains a pod the rules judge waiting, never makes a finding by itself.
	MountProblems map[string]MountProblem

	// certificates
	Certificates []*unstructured.Unstructured // cert-manager.io/v1 Certificate

	// ingress
	HTTPProxies    []*unstructured.Unstructured // projectcontour.io/v1 HTTPProxy
	GatewayClasses []*unstructured.Unstructured // gateway.networking.k8s.io GatewayClass
	Gateways       []*unstructured.Unstructured // gateway.networking.k8s.io Gateway
	HTTPRoutes     []*unstructured.Unstructured // gateway.networking.k8s.io HTTPRoute
	// GatewayAPICRDs are the Gateway API CRDs' metadata only (platform.GatewayAPICRDNames, each read by
	// name where served): their annotations say which upstream bundle and channel are installed
	// (GatewayAPIBundleOf). Empty on a cluster without the Gateway API.
	GatewayAPICRDs []*metav1.PartialObjectMetadata

	// Era 2 (PLATFORM.md §1.2); each is empty on a cluster that does not serve its kind (Serves).
	CephClusters           []*unstructured.Unstructured // ceph.rook.io/v1 CephCluster (storage)
	Backups                []*unstructured.Unstructured // velero.io/v1 Backup (backups)
	BackupStorageLocations []*unstructured.Unstructured // velero.io/v1 BackupStorageLocation (backups)
	BackupSchedules        []*unstructured.Unstructured // velero.io/v1 Schedule (backups)
	PGClusters             []*unstructured.Unstructured // postgresql.cnpg.io/v1 Cluster (databases, backups)
	PGBackups              []*unstructured.Unstructured // postgresql.cnpg.io/v1 Backup (backups)
	VaultAuths             []*unstructured.Unstructured // secrets.hashicorp.com/v1beta1 VaultAuth (secrets)
	VaultStaticSecrets     []*unstructured.Unstructured // secrets.hashicorp.com/v1beta1 VaultStaticSecret (secrets)
	IPAddressPools         []*unstructured.Unstructured // metallb.io/v1beta1 IPAddressPool (network)
	CiliumLBPools          []*unstructured.Unstructured // cilium.io/v2alpha1 CiliumLoadBalancerIPPool (network)
	ApplicationSets        []*unstructured.Unstructured // argoproj.io/v1alpha1 ApplicationSet (gitops)
	// LoadBalancers are the Services of type LoadBalancer (network: MetalLB 0.14 has no pool status, so
	// a Service without an address is how an exhausted or broken pool shows).
	LoadBalancers []*corev1.Service
}

// VaultStatus is one Vault server's sys/health answer, or why it could not be had.
type VaultStatus struct {
	Name   string
	Health *vault.HealthResponse
	Err    error
	// SealType is sys/seal-status's type ("shamir", "gcpckms", "awskms", "transit"…), "" when not
	// asked or not answered: the source asks only a sealed server, where it decides how to unseal it.
	SealType string
}

// Missing returns why a resource could not be read, or nil when it was.
func (o Objects) Missing(resource string) error {
	if o.Unavailable == nil {
		return nil
	}
	return o.Unavailable[resource]
}

// MissingFinding is the Unknown finding for a resource that could not be read, named "CRD/<resource>"
// for custom resources and "API/<resource>" otherwise.
func MissingFinding(object string, err error, hint string) Finding {
	return Finding{Object: object, Status: Unknown, Reason: oneLine(err.Error()), Hint: hint}
}
