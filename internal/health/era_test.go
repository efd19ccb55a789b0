package health

import "testing"

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
		{"workloads always", era1, LayerWorkloads, true},
	} {
		if got := LayerShown(tc.o, tc.layer); got != tc.want {
			t.Errorf("%s: LayerShown(%s) = %v, want %v", tc.name, tc.layer, got, tc.want)
		}
	}
}
