package health

import (
	"errors"
	"testing"

	"github.com/clubcedille/cedille-tui/internal/gitops/argocd"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// vcSts is a vcluster 0.16 StatefulSet: labels app=vcluster, release=<name>.
func vcSts(ns, name string, replicas *int32, ready int32) *appsv1.StatefulSet {
	s := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{
		Name: name, Namespace: ns, Labels: map[string]string{"app": "vcluster", "release": name, "chart": "vcluster-0.16.4"},
	}}
	s.Spec.Replicas = replicas
	s.Status.Replicas, s.Status.ReadyReplicas = ready, ready
	return s
}

func secretMeta(ns, name string, labels map[string]string) *metav1.PartialObjectMetadata {
	return &metav1.PartialObjectMetadata{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels},
	}
}

func clusterSecret(ns, name string, extra map[string]string) *metav1.PartialObjectMetadata {
	l := map[string]string{argocd.SecretTypeLabel: "cluster"}
	for k, v := range extra {
		l[k] = v
	}
	return secretMeta(ns, name, l)
}

func i32(n int32) *int32 { return &n }

func TestVClusters(t *testing.T) {
	staging := vcSts("vcluster-staging", "vcluster-staging", i32(1), 1)
	stagingKubeconfig := secretMeta("vcluster-staging", "vc-vcluster-staging", nil)
	registered := clusterSecret("argocd", "cluster-vcluster-staging", map[string]string{
		argocd.VClusterLabel: "vcluster-staging", argocd.VClusterNamespaceLabel: "vcluster-staging",
	})
	tests := []struct {
		name    string
		sts     []*appsv1.StatefulSet
		secrets []*metav1.PartialObjectMetadata
		want    layerCase
	}{
		{"ready, kubeconfig, registered by the installer", []*appsv1.StatefulSet{staging},
			[]*metav1.PartialObjectMetadata{stagingKubeconfig, registered},
			layerCase{object: "VCluster/vcluster-staging/vcluster-staging", want: OK, reasonHas: []string{"1/1 ready, kubeconfig Secret present, registered in ArgoCD"}}},
		{"registered by labels under another name", []*appsv1.StatefulSet{staging},
			[]*metav1.PartialObjectMetadata{stagingKubeconfig, clusterSecret("argocd", "staging-target", map[string]string{argocd.VClusterLabel: "vcluster-staging"})},
			layerCase{object: "VCluster/vcluster-staging/vcluster-staging", want: OK, reasonHas: []string{"registered in ArgoCD"}}},
		{"registered by name only", []*appsv1.StatefulSet{staging},
			[]*metav1.PartialObjectMetadata{stagingKubeconfig, clusterSecret("argocd", "cluster-vcluster-staging", nil)},
			layerCase{object: "VCluster/vcluster-staging/vcluster-staging", want: OK, reasonHas: []string{"registered in ArgoCD"}}},
		{"registered by `argocd cluster add` (server host in the name)", []*appsv1.StatefulSet{vcSts("vcluster-prod", "vcluster-prod", i32(1), 1)},
			[]*metav1.PartialObjectMetadata{
				secretMeta("vcluster-prod", "vc-vcluster-prod", nil),
				clusterSecret("argocd", "cluster-vcluster-prod.vcluster-prod.svc.cluster.local-2837461921", nil),
			},
			layerCase{object: "VCluster/vcluster-prod/vcluster-prod", want: OK, reasonHas: []string{"registered in ArgoCD"}}},
		{"never registered (era 1 as it ended)", []*appsv1.StatefulSet{staging},
			[]*metav1.PartialObjectMetadata{stagingKubeconfig},
			layerCase{object: "VCluster/vcluster-staging/vcluster-staging", want: Degraded, reasonHas: []string{"not registered in ArgoCD"},
				hintHas: "create ArgoCD cluster Secret cluster-vcluster-staging (server https://vcluster-staging.vcluster-staging.svc); runbook: vcluster-registration"}},
		{"a Secret named like it but not a cluster Secret", []*appsv1.StatefulSet{staging},
			[]*metav1.PartialObjectMetadata{stagingKubeconfig, secretMeta("argocd", "cluster-vcluster-staging", nil)},
			layerCase{object: "VCluster/vcluster-staging/vcluster-staging", want: Degraded, reasonHas: []string{"not registered in ArgoCD"}, hintHas: "vcluster-registration"}},
		{"labelled for a namesake in another namespace", []*appsv1.StatefulSet{vcSts("sandbox-epsot", "sandbox-epsot", i32(1), 1)},
			[]*metav1.PartialObjectMetadata{
				secretMeta("sandbox-epsot", "vc-sandbox-epsot", nil),
				clusterSecret("argocd", "cluster-sandbox-epsot", map[string]string{argocd.VClusterLabel: "sandbox-epsot", argocd.VClusterNamespaceLabel: "sandbox-old"}),
			},
			layerCase{object: "VCluster/sandbox-epsot/sandbox-epsot", want: Degraded, reasonHas: []string{"not registered in ArgoCD"}, hintHas: "vcluster-registration"}},
		{"labelled for another vcluster", []*appsv1.StatefulSet{staging},
			[]*metav1.PartialObjectMetadata{stagingKubeconfig, clusterSecret("argocd", "cluster-vcluster-staging", map[string]string{argocd.VClusterLabel: "vcluster-prod"})},
			layerCase{object: "VCluster/vcluster-staging/vcluster-staging", want: Degraded, reasonHas: []string{"not registered in ArgoCD"}, hintHas: "vcluster-registration"}},
		{"kubeconfig Secret missing", []*appsv1.StatefulSet{staging},
			[]*metav1.PartialObjectMetadata{registered, secretMeta("vcluster-prod", "vc-vcluster-staging", nil)},
			layerCase{object: "VCluster/vcluster-staging/vcluster-staging", want: Degraded, reasonHas: []string{"kubeconfig Secret vc-vcluster-staging missing"}, hintHas: "restart pod vcluster-staging-0"}},
		{"pod down, nothing else either", []*appsv1.StatefulSet{vcSts("vcluster-sandbox", "vcluster-sandbox", i32(1), 0)}, nil,
			layerCase{object: "VCluster/vcluster-sandbox/vcluster-sandbox", want: Down,
				reasonHas: []string{"0/1 ready; kubeconfig Secret vc-vcluster-sandbox missing; not registered in ArgoCD"},
				hintHas:   "look at pod vcluster-sandbox-0 in vcluster-sandbox (k3s and syncer logs); the vcluster has not finished starting"}},
		{"replicas unset defaults to 1", []*appsv1.StatefulSet{vcSts("vcluster-staging", "vcluster-staging", nil, 0)},
			[]*metav1.PartialObjectMetadata{stagingKubeconfig, registered},
			layerCase{object: "VCluster/vcluster-staging/vcluster-staging", want: Down, reasonHas: []string{"0/1 ready"}, hintHas: "k3s and syncer logs"}},
		{"partly ready", []*appsv1.StatefulSet{vcSts("vcluster-staging", "vcluster-staging", i32(2), 1)},
			[]*metav1.PartialObjectMetadata{stagingKubeconfig, registered},
			layerCase{object: "VCluster/vcluster-staging/vcluster-staging", want: Degraded, reasonHas: []string{"1/2 ready"}, hintHas: "unready pods"}},
		{"paused (scaled to 0)", []*appsv1.StatefulSet{vcSts("vcluster-staging", "vcluster-staging", i32(0), 0)},
			[]*metav1.PartialObjectMetadata{stagingKubeconfig, registered},
			layerCase{object: "VCluster/vcluster-staging/vcluster-staging", want: Degraded, reasonHas: []string{"scaled to 0 (paused)"}, hintHas: "vcluster resume vcluster-staging -n vcluster-staging"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			other := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "vault", Namespace: "vault", Labels: map[string]string{"app.kubernetes.io/name": "vault"}}}
			l := VClusters(Objects{StatefulSets: append([]*appsv1.StatefulSet{other}, tt.sts...), Secrets: tt.secrets})
			got := findingsByObject(t, l)
			checkFinding(t, got, tt.want)
			if len(l.Findings) != len(tt.sts) || l.Name != LayerVClusters || l.Status != tt.want.want {
				t.Errorf("layer %s %v with %d findings, want one per vcluster (%v): %+v", l.Name, l.Status, len(l.Findings), tt.want.want, l.Findings)
			}
		})
	}

	t.Run("several vclusters, one finding each", func(t *testing.T) {
		l := VClusters(Objects{
			StatefulSets: []*appsv1.StatefulSet{staging, vcSts("vcluster-prod", "vcluster-prod", i32(1), 1), vcSts("sandbox-svc-cedille-user", "sandbox-svc-cedille-user", i32(1), 0)},
			Secrets:      []*metav1.PartialObjectMetadata{stagingKubeconfig, registered, secretMeta("vcluster-prod", "vc-vcluster-prod", nil)},
		})
		got := findingsByObject(t, l)
		for _, tc := range []layerCase{
			{object: "VCluster/vcluster-staging/vcluster-staging", want: OK, reasonHas: []string{"registered in ArgoCD"}},
			{object: "VCluster/vcluster-prod/vcluster-prod", want: Degraded, reasonHas: []string{"not registered in ArgoCD"}, hintHas: "vcluster-registration"},
			{object: "VCluster/sandbox-svc-cedille-user/sandbox-svc-cedille-user", want: Down, reasonHas: []string{"0/1 ready"}, hintHas: "k3s"},
		} {
			checkFinding(t, got, tc)
		}
		if l.Status != Down || len(l.Findings) != 3 {
			t.Errorf("layer %v with %d findings", l.Status, len(l.Findings))
		}
	})
	t.Run("no vcluster (era 2): nothing seen", func(t *testing.T) {
		if l := VClusters(Objects{Secrets: []*metav1.PartialObjectMetadata{registered}}); l.Status != Unknown || len(l.Findings) != 0 {
			t.Fatalf("got %+v", l)
		}
	})
}

func TestVClustersUnavailable(t *testing.T) {
	t.Run("Secrets unreadable: the StatefulSets are still judged", func(t *testing.T) {
		l := VClusters(Objects{
			Unavailable: map[string]error{ResourceSecrets: errors.New(`secrets is forbidden: User "reader" cannot list resource "secrets" in API group ""`)},
			StatefulSets: []*appsv1.StatefulSet{
				vcSts("vcluster-staging", "vcluster-staging", i32(1), 1),
				vcSts("vcluster-prod", "vcluster-prod", i32(1), 0),
			},
		})
		got := findingsByObject(t, l)
		for _, tc := range []layerCase{
			{object: "API/secrets", want: Unknown, reasonHas: []string{"forbidden"}, hintHas: "Secrets' metadata"},
			{object: "VCluster/vcluster-staging/vcluster-staging", want: Unknown, reasonHas: []string{"not checked (Secrets unreadable)"}, reasonNot: "missing"},
			{object: "VCluster/vcluster-prod/vcluster-prod", want: Down, reasonHas: []string{"0/1 ready", "not checked"}, hintHas: "k3s"},
		} {
			t.Run(tc.object, func(t *testing.T) { checkFinding(t, got, tc) })
		}
		if l.Status != Down || len(l.Findings) != 3 {
			t.Errorf("layer %v with %d findings", l.Status, len(l.Findings))
		}
	})
	t.Run("StatefulSets unreadable", func(t *testing.T) {
		l := VClusters(Objects{Unavailable: map[string]error{ResourceStatefulSets: errors.New(`statefulsets.apps is forbidden`)}})
		got := findingsByObject(t, l)
		checkFinding(t, got, layerCase{object: "API/statefulsets.apps", want: Unknown, reasonHas: []string{"forbidden"}, hintHas: "statefulsets"})
		if l.Status != Unknown || len(l.Findings) != 1 {
			t.Errorf("layer %v with %d findings", l.Status, len(l.Findings))
		}
	})
}
