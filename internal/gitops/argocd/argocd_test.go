package argocd

import "testing"

func TestClusterSecretNaming(t *testing.T) {
	if got := ClusterSecretName("vcluster-staging"); got != "cluster-vcluster-staging" {
		t.Errorf("ClusterSecretName = %q", got)
	}
	if !IsClusterSecret(map[string]string{SecretTypeLabel: "cluster"}) || IsClusterSecret(map[string]string{SecretTypeLabel: "repository"}) ||
		IsClusterSecret(nil) {
		t.Error("IsClusterSecret: only secret-type=cluster")
	}
}

func TestRegistersVCluster(t *testing.T) {
	const name, ns = "staging", "vcluster-staging"
	for _, c := range []struct {
		why    string
		secret string
		labels map[string]string
		want   bool
	}{
		{"labelled by the installer", "cluster-staging", map[string]string{VClusterLabel: name, VClusterNamespaceLabel: ns}, true},
		{"labelled without namespace, any name", "staging-target", map[string]string{VClusterLabel: name}, true},
		{"labelled for a namesake in another namespace", "cluster-staging", map[string]string{VClusterLabel: name, VClusterNamespaceLabel: "old"}, false},
		{"labelled for another vcluster, though named for this one", "cluster-staging", map[string]string{VClusterLabel: "prod"}, false},
		{"the installer's name, labels lost", "cluster-staging", nil, true},
		{"argocd cluster add's name", "cluster-staging.vcluster-staging.svc-1842377093", nil, true},
		{"argocd cluster add's name, .cluster.local", "cluster-staging.vcluster-staging.svc.cluster.local-99", nil, true},
		{"argocd cluster add's name, another namespace", "cluster-staging.other.svc-1", nil, false},
		{"another vcluster's name", "cluster-staging-2", nil, false},
		{"nothing", "", nil, false},
	} {
		if got := RegistersVCluster(c.secret, c.labels, name, ns); got != c.want {
			t.Errorf("%s: %v, want %v", c.why, got, c.want)
		}
	}
}
