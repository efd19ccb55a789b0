package vcluster

// A vcluster (chart 0.16) is a StatefulSet labelled app=vcluster whose name is the release name, in its
// namespace; its syncer writes the kubeconfig to Secret vc-<name> there, for the in-cluster service URL.

// IsVCluster tells whether a StatefulSet's labels mark it as a vcluster.
func IsVCluster(labels map[string]string) bool { return labels["app"] == "vcluster" }

// KubeconfigSecret is the Secret the syncer writes the vcluster's kubeconfig and credentials to.
func KubeconfigSecret(name string) string { return "vc-" + name }

// Server is the in-cluster API server URL of vcluster name in namespace: what its kubeconfig names and
// ArgoCD reaches it at.
func Server(name, namespace string) string { return "https://" + name + "." + namespace + ".svc" }
