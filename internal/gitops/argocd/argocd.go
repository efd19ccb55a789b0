// Package argocd names ArgoCD's objects as the platform uses them: the cluster Secrets that register the
// vclusters, written by the install (package gitops) and recognised by the console (package health).
package argocd

import "strings"

// The vcluster ↔ ArgoCD cluster Secret convention, shared by the install's registration
// (gitops.ClusterSecret) and the console's vclusters layer (health.VClusters).
//
// An ArgoCD cluster Secret is labelled argocd.argoproj.io/secret-type=cluster (in any namespace, usually
// argocd). It registers vcluster <name> of namespace <ns> when it matches it by one of:
//  1. labels etsmtl.club/vcluster=<name> and etsmtl.club/vcluster-namespace=<ns> (the namespace label may
//     be left out; when present it must match) — what the installer writes, with the Secret named
//     cluster-<name> and server https://<name>.<ns>.svc;
//  2. the name cluster-<name> (the installer's name, for a Secret whose labels were lost);
//  3. a name starting with cluster-<name>.<ns>.svc, which is how `argocd cluster add` names the Secret of
//     server https://<name>.<ns>.svc[.cluster.local] (cluster-<host>-<hash>).
//
// Only the Secret's name and labels are read: the server URL lives in its data, which the console never
// holds.
const (
	// SecretTypeLabel is ArgoCD's label on its cluster (and repository) Secrets.
	SecretTypeLabel = "argocd.argoproj.io/secret-type"
	// SecretTypeCluster is SecretTypeLabel's value on a cluster Secret.
	SecretTypeCluster = "cluster"
	// VClusterLabel and VClusterNamespaceLabel name the vcluster a cluster Secret registers.
	VClusterLabel          = "etsmtl.club/vcluster"
	VClusterNamespaceLabel = "etsmtl.club/vcluster-namespace"
)

// ClusterSecretName is the name the install gives vcluster name's ArgoCD cluster Secret.
func ClusterSecretName(name string) string { return "cluster-" + name }

// IsClusterSecret tells whether a Secret's labels make it an ArgoCD cluster Secret.
func IsClusterSecret(labels map[string]string) bool {
	return labels[SecretTypeLabel] == SecretTypeCluster
}

// RegistersVCluster tells whether the cluster Secret named secretName with these labels registers
// vcluster name of namespace, by the convention above.
func RegistersVCluster(secretName string, labels map[string]string, name, namespace string) bool {
	if ns, ok := labels[VClusterNamespaceLabel]; ok && ns != namespace {
		return false // labelled for a namesake in another namespace
	}
	if v, ok := labels[VClusterLabel]; ok {
		return v == name // labelled: for this vcluster or another
	}
	return secretName == ClusterSecretName(name) || strings.HasPrefix(secretName, "cluster-"+name+"."+namespace+".svc")
}
