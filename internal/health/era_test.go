package health

import (
	"errors"
	"testing"
)

func TestEraOf(t *testing.T) {
	served := func(keys ...string) Objects {
		o := Objects{Serves: map[string]bool{}}
		for _, k := range keys {
			o.Serves[k] = true
		}
		return o
	}
	for _, tc := range []struct {
		name string
		o    Objects
		want Era
	}{
		{"before discovery", Objects{}, EraUnknown},
		{"nothing of either", served(), Era1},
		{"Mayastor and Kuma", served(ResourceDiskPools, ResourceMeshes), Era1},
		{"Rook external Ceph", served(ResourceCephClusters), Era2},
		{"Velero only", served(ResourceBackups), Era2},
		{"CloudNativePG and VSO", served(ResourcePGClusters, ResourceVaultStaticSecrets), Era2},
		{"a migration: Mayastor still there beside Ceph", served(ResourceDiskPools, ResourceCephClusters), Era1},
		{"MetalLB alone says nothing (both eras could run it)", served(ResourceIPAddressPools), Era1},
		{"a CRD known but not served", Objects{Serves: map[string]bool{ResourceCephClusters: false}}, Era1},
	} {
		if got := EraOf(tc.o); got != tc.want {
			t.Errorf("%s: EraOf = %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestLayerShown(t *testing.T) {
	era2 := Objects{Serves: map[string]bool{ResourceCephClusters: true, ResourceBackups: true, ResourcePGClusters: true,
		ResourceCiliumLBPools: true}}
	era1 := Objects{Serves: map[string]bool{ResourceDiskPools: true, ResourceMeshes: true}}
	served2 := func(more string) Objects {
		o := Objects{Serves: map[string]bool{ResourceCephClusters: true, more: true}}
		return o
	}
	for _, tc := range []struct {
		name  string
		o     Objects
		layer Layer
		want  bool
	}{
		{"era 1 keeps its mesh", era1, LayerMesh, true},
		{"era 2 without Kuma has no mesh", era2, LayerMesh, false},
		{"before discovery the mesh is shown (era 1's layers)", Objects{}, LayerMesh, true},
		{"era 1 has no backups layer", era1, LayerBackups, false},
		{"era 2 has backups", era2, LayerBackups, true},
		{"era 2 has databases", era2, LayerDatabases, true},
		{"era 1 has no databases", era1, LayerDatabases, false},
		{"Cilium LB-IPAM makes a network layer", era2, LayerNetwork, true},
		{"storage always", era2, LayerStorage, true},
		{"a spoke runs no ArgoCD: no gitops layer", era2, LayerGitOps, false},
		{"the hub has its gitops layer", served2(ResourceApplications), LayerGitOps, true},
		{"era 1 keeps gitops", era1, LayerGitOps, true},
		{"era 2 without vclusters has no vclusters layer", era2, LayerVClusters, false},
		{"era 1 keeps vclusters", era1, LayerVClusters, true},
		{"era 2 with neither Contour nor the Gateway API: no ingress layer", era2, LayerIngress, false},
		{"era 2 with Cilium's Gateway API", served2(ResourceGateways), LayerIngress, true},
		{"workloads always", era1, LayerWorkloads, true},
	} {
		if got := LayerShown(tc.o, tc.layer); got != tc.want {
			t.Errorf("%s: LayerShown(%s) = %v, want %v", tc.name, tc.layer, got, tc.want)
		}
	}
}

// TestIngressOnEra2: era 2 runs Contour or Cilium's Gateway API, so the other's CRD being absent is no
// finding there; forbidden still is, and era 1 still says it.
func TestIngressOnEra2(t *testing.T) {
	absent := func(r string) error { return errors.New("not installed on this cluster (no " + r + " CRD)") }
	era2 := Objects{Serves: map[string]bool{ResourceCephClusters: true, ResourceHTTPProxies: true},
		Unavailable: map[string]error{ResourceGatewayClasses: absent(ResourceGatewayClasses), ResourceGateways: absent(ResourceGateways),
			ResourceHTTPRoutes: absent(ResourceHTTPRoutes)}}
	for _, f := range Ingress(era2).Findings {
		if f.Object == "CRD/"+ResourceGateways {
			t.Errorf("era 2 with Contour: %+v", f)
		}
	}
	era1 := era2
	era1.Serves = map[string]bool{ResourceDiskPools: true, ResourceHTTPProxies: true}
	found := false
	for _, f := range Ingress(era1).Findings {
		found = found || f.Object == "CRD/"+ResourceGateways
	}
	if !found {
		t.Error("era 1 no longer says the Gateway API CRDs are absent")
	}
}
