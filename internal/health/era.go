package health

import "github.com/clubcedille/cedille-tui/internal/vcluster"

// Era is which generation of the club's platform a cluster belongs to (PLATFORM.md §0), read from what
// it serves, never configured: era 1 (2023) is one bare-metal cluster with Mayastor and Kuma; era 2
// (2024–) is a fleet of VM clusters with Rook external Ceph, Velero, CloudNativePG and
// vault-secrets-operator.
type Era int

const (
	// EraUnknown: discovery has not answered yet; the layers are era 1's, as before any era existed.
	EraUnknown Era = iota
	Era1
	Era2
)

func (e Era) String() string {
	switch e {
	case Era1:
		return "era 1"
	case Era2:
		return "era 2"
	default:
		return "era unknown"
	}
}

// The resources of the platform's custom kinds, as Objects.Serves and Objects.Unavailable key them.
const (
	ResourceCephClusters           = "cephclusters.ceph.rook.io"
	ResourceBackups                = "backups.velero.io"
	ResourceBackupStorageLocations = "backupstoragelocations.velero.io"
	ResourceBackupSchedules        = "schedules.velero.io"
	ResourcePGClusters             = "clusters.postgresql.cnpg.io"
	ResourcePGBackups              = "backups.postgresql.cnpg.io"
	ResourceVaultAuths             = "vaultauths.secrets.hashicorp.com"
	ResourceVaultStaticSecrets     = "vaultstaticsecrets.secrets.hashicorp.com"
	ResourceIPAddressPools         = "ipaddresspools.metallb.io"
	ResourceCiliumLBPools          = "ciliumloadbalancerippools.cilium.io"
	ResourceApplicationSets        = "applicationsets.argoproj.io"
)

// era2Markers are the kinds only an era-2 cluster serves; era1Markers only an era-1 one.
var (
	era2Markers = []string{ResourceCephClusters, ResourceBackups, ResourcePGClusters, ResourceVaultStaticSecrets,
		ResourceCiliumLBPools}
	era1Markers = []string{ResourceDiskPools, ResourceMeshes}
)

// EraOf reads a cluster's era from the custom resources it serves: era 2 when it serves one of era 2's
// own kinds (CephCluster, Velero, CloudNativePG, vault-secrets-operator, Cilium LB-IPAM) and none of era
// 1's (DiskPool, Kuma's Mesh); era 1 when it serves era 1's, or neither; unknown before discovery.
func EraOf(o Objects) Era {
	if o.Serves == nil {
		return EraUnknown
	}
	two := o.ServesAny(era2Markers...)
	switch {
	case two && !o.ServesAny(era1Markers...):
		return Era2
	default:
		return Era1
	}
}

// ServesAny tells whether discovery found one of the resources served.
func (o Objects) ServesAny(resources ...string) bool {
	for _, r := range resources {
		if o.Serves[r] {
			return true
		}
	}
	return false
}

// LayerShown tells whether a cluster shows a layer: the layers of both eras' shared parts always; the mesh
// unless the cluster is era 2 without Kuma; era 2's own layers when the cluster serves their kinds.
func LayerShown(o Objects, l Layer) bool {
	switch l {
	case LayerMesh:
		return EraOf(o) != Era2 || o.Serves[ResourceMeshes]
	case LayerGitOps:
		// Era 2's ArgoCD is the hub's: a spoke runs none.
		return EraOf(o) != Era2 || o.Serves[ResourceApplications]
	case LayerVClusters:
		return EraOf(o) != Era2 || hasVClusters(o)
	case LayerIngress:
		return EraOf(o) != Era2 || o.ServesAny(ResourceHTTPProxies, ResourceGatewayClasses, ResourceGateways, ResourceHTTPRoutes)
	case LayerBackups:
		return o.ServesAny(ResourceBackups, ResourceBackupStorageLocations, ResourceBackupSchedules, ResourcePGClusters)
	case LayerDatabases:
		return o.Serves[ResourcePGClusters]
	case LayerNetwork:
		return o.ServesAny(ResourceIPAddressPools, ResourceCiliumLBPools)
	default:
		return true
	}
}

// notEra2s tells whether a resource is simply not part of this era-2 cluster's stack: era 2 picks one of
// Contour or Cilium's Gateway API per cluster, so the other's CRD being absent is no finding (forbidden
// still is).
func notEra2s(o Objects, resource string) bool {
	return EraOf(o) == Era2 && !o.Serves[resource]
}

func hasVClusters(o Objects) bool {
	for _, s := range o.StatefulSets {
		if s != nil && vcluster.IsVCluster(s.Labels) {
			return true
		}
	}
	return false
}
