package platform

import "k8s.io/apimachinery/pkg/runtime/schema"

// Kind is a custom resource the console reads: where it is served and what its list is called.
type Kind struct {
	GVR        schema.GroupVersionResource
	Kind       string
	Namespaced bool
}

// ListKind is the kind of the resource's list.
func (k Kind) ListKind() string { return k.Kind + "List" }

// Key is the resource's name as health.Objects.Unavailable spells it: "diskpools.openebs.io".
func (k Kind) Key() string { return k.GVR.Resource + "." + k.GVR.Group }

func kind(group, version, resource, kind string, namespaced bool) Kind {
	return Kind{schema.GroupVersionResource{Group: group, Version: version, Resource: resource}, kind, namespaced}
}

// The platform's custom resources (PLATFORM.md §1). The version is the one the platform's manifests use;
// a live cluster's preferred version comes from discovery.
var (
	DiskPool         = kind("openebs.io", "v1beta1", "diskpools", "DiskPool", true)
	KumaMesh         = kind("kuma.io", "v1alpha1", "meshes", "Mesh", false)
	KumaDataplane    = kind("kuma.io", "v1alpha1", "dataplanes", "Dataplane", true)
	KumaDPInsight    = kind("kuma.io", "v1alpha1", "dataplaneinsights", "DataplaneInsight", true)
	ArgoApplication  = kind("argoproj.io", "v1alpha1", "applications", "Application", true)
	ArgoAppProject   = kind("argoproj.io", "v1alpha1", "appprojects", "AppProject", true)
	CertManagerCert  = kind("cert-manager.io", "v1", "certificates", "Certificate", true)
	ContourHTTPProxy = kind("projectcontour.io", "v1", "httpproxies", "HTTPProxy", true)
	GatewayClass     = kind("gateway.networking.k8s.io", "v1beta1", "gatewayclasses", "GatewayClass", false)
	Gateway          = kind("gateway.networking.k8s.io", "v1beta1", "gateways", "Gateway", true)
	HTTPRoute        = kind("gateway.networking.k8s.io", "v1beta1", "httproutes", "HTTPRoute", true)
	VaultPolicy      = kind("redhatcop.redhat.io", "v1alpha1", "policies", "Policy", true)
	VaultAuthRole    = kind("redhatcop.redhat.io", "v1alpha1", "kubernetesauthengineroles", "KubernetesAuthEngineRole", true)
	VaultMount       = kind("redhatcop.redhat.io", "v1alpha1", "secretenginemounts", "SecretEngineMount", true)
	VaultRandom      = kind("redhatcop.redhat.io", "v1alpha1", "randomsecrets", "RandomSecret", true)
	// VaultSecret reflects Vault KV secrets into a Kubernetes Secret (the install's SSO secrets).
	VaultSecret = kind("redhatcop.redhat.io", "v1alpha1", "vaultsecrets", "VaultSecret", true)
)

// Era 2's custom resources (PLATFORM.md §1.2): a cluster serving some of them is an era-2 cluster.
var (
	CephCluster        = kind("ceph.rook.io", "v1", "cephclusters", "CephCluster", true)
	VeleroBackup       = kind("velero.io", "v1", "backups", "Backup", true)
	VeleroLocation     = kind("velero.io", "v1", "backupstoragelocations", "BackupStorageLocation", true)
	VeleroSchedule     = kind("velero.io", "v1", "schedules", "Schedule", true)
	PGCluster          = kind("postgresql.cnpg.io", "v1", "clusters", "Cluster", true)
	PGBackup           = kind("postgresql.cnpg.io", "v1", "backups", "Backup", true)
	VSOVaultAuth       = kind("secrets.hashicorp.com", "v1beta1", "vaultauths", "VaultAuth", true)
	VSOStaticSecret    = kind("secrets.hashicorp.com", "v1beta1", "vaultstaticsecrets", "VaultStaticSecret", true)
	MetalLBPool        = kind("metallb.io", "v1beta1", "ipaddresspools", "IPAddressPool", true)
	CiliumLBPool       = kind("cilium.io", "v2alpha1", "ciliumloadbalancerippools", "CiliumLoadBalancerIPPool", false)
	ArgoApplicationSet = kind("argoproj.io", "v1alpha1", "applicationsets", "ApplicationSet", true)
)

// Era2Kinds lists era 2's custom resources the console reads.
func Era2Kinds() []Kind {
	return []Kind{CephCluster, VeleroBackup, VeleroLocation, VeleroSchedule, PGCluster, PGBackup, VSOVaultAuth,
		VSOStaticSecret, MetalLBPool, CiliumLBPool, ArgoApplicationSet}
}

// CRDKinds lists every custom resource the console reads (vault-config-operator's other kinds are found
// by group at discovery time).
func CRDKinds() []Kind {
	return []Kind{DiskPool, KumaMesh, KumaDataplane, KumaDPInsight, ArgoApplication, ArgoAppProject, CertManagerCert,
		ContourHTTPProxy, GatewayClass, Gateway, HTTPRoute, VaultPolicy, VaultAuthRole, VaultMount, VaultRandom}
}

// CustomResourceDefinitions is where the API server serves CRDs. The console reads only the metadata
// (names and annotations, never the schemas) of the few GatewayAPICRDs, each by name.
var CustomResourceDefinitions = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// Gateway API kinds the console does not watch but whose CRDs Cilium's Gateway controller requires
// (docs.cilium.io, Gateway API Support, prerequisites since Cilium 1.16).
var (
	GRPCRoute      = kind("gateway.networking.k8s.io", "v1", "grpcroutes", "GRPCRoute", true)
	ReferenceGrant = kind("gateway.networking.k8s.io", "v1beta1", "referencegrants", "ReferenceGrant", true)
)

// GatewayAPICRDNames are the Gateway API CRDs whose metadata the console reads for the bundle-version
// and channel annotations upstream stamps on each: the kinds it judges and the others Cilium requires.
// A CRD's name is its resource key ("gatewayclasses.gateway.networking.k8s.io"), gatewayclasses first.
func GatewayAPICRDNames() []string {
	return []string{GatewayClass.Key(), Gateway.Key(), HTTPRoute.Key(), GRPCRoute.Key(), ReferenceGrant.Key()}
}
