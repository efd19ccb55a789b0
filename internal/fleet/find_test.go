package fleet

import (
	"testing"

	"github.com/clubcedille/cedille-tui/internal/health"
)

func TestFind(t *testing.T) {
	r := Report{Clusters: []Row{
		{Cluster: "prod", Layers: []health.LayerReport{
			health.NewLayer(health.LayerStorage, []health.Finding{
				{Object: "CephCluster/rook-ceph-external/ceph", Status: health.Degraded, Reason: "HEALTH_WARN: MON_DOWN"},
				{Object: "PersistentVolumeClaim/a/data", Status: health.OK, Reason: "Bound"}}),
			health.NewLayer(health.LayerSecrets, []health.Finding{
				{Object: "VaultStaticSecret/storage-config/garage", Status: health.OK, Reason: "synced 2m ago"}}),
		}},
		{Cluster: "sandbox", Layers: []health.LayerReport{
			health.NewLayer(health.LayerStorage, []health.Finding{
				{Object: "CephCluster/rook-ceph-external/ceph", Status: health.Down, Reason: "Connecting for 2h"}}),
			health.NewLayer(health.LayerSecrets, []health.Finding{
				{Object: "VaultStaticSecret/storage-config/garage", Status: health.Degraded, Reason: "synced once, never refreshed (refreshAfter unset)"}}),
		}},
	}}
	for _, tc := range []struct {
		query string
		want  []string // cluster/object, in order
	}{
		{"CephCluster bad", []string{"sandbox/CephCluster/rook-ceph-external/ceph", "prod/CephCluster/rook-ceph-external/ceph"}},
		{"cephcluster down", []string{"sandbox/CephCluster/rook-ceph-external/ceph"}},
		{"VaultStaticSecret refreshed", []string{"sandbox/VaultStaticSecret/storage-config/garage"}},
		{"VaultStaticSecret ok", []string{"prod/VaultStaticSecret/storage-config/garage"}},
		{"prod storage", []string{"prod/CephCluster/rook-ceph-external/ceph", "prod/PersistentVolumeClaim/a/data", "prod/VaultStaticSecret/storage-config/garage"}},
		{"sandbox storage ceph", []string{"sandbox/CephCluster/rook-ceph-external/ceph"}},
		{"nothing-like-this", nil},
		{"   ", nil},
	} {
		var got []string
		for _, m := range Find(r, tc.query) {
			got = append(got, m.Cluster+"/"+m.Finding.Object)
		}
		if len(got) != len(tc.want) {
			t.Errorf("%q: %v, want %v", tc.query, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%q: %v, want %v", tc.query, got, tc.want)
				break
			}
		}
	}
}
