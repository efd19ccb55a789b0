package platform

import (
	"net/url"
	"os"

	corev1 "k8s.io/api/core/v1"
)

// In-cluster Vault: the chart's server pods (StatefulSet vault in namespace vault), reached through
// port-forwards.
const (
	VaultNamespace = "vault"
	VaultSelector  = "app.kubernetes.io/name=vault"
	VaultPort      = 8200
)

// VaultPodNotServing says why a Vault pod cannot answer ("" when it runs): pending, failed, terminating.
func VaultPodNotServing(pod *corev1.Pod) string {
	switch {
	case pod.DeletionTimestamp != nil:
		return "is terminating"
	case pod.Status.Phase != corev1.PodRunning:
		why := string(pod.Status.Phase)
		for _, cs := range pod.Status.ContainerStatuses {
			if w := cs.State.Waiting; w != nil && w.Reason != "" {
				why += " (" + w.Reason + ")"
				break
			}
		}
		return "is " + why
	}
	return ""
}

// VaultPodScheme is the scheme of VAULT_ADDR in the pod's containers (the chart sets it to the
// listener's), "http" when it says nothing.
func VaultPodScheme(pod *corev1.Pod) string {
	for _, c := range pod.Spec.Containers {
		for _, e := range c.Env {
			if e.Name == EnvVaultAddr {
				if u, err := url.Parse(e.Value); err == nil && u.Scheme == "https" {
					return "https"
				}
			}
		}
	}
	return "http"
}

// VaultPodDNSName is hostname.subdomain for a StatefulSet pod (vault-0.vault-internal), else the pod's
// name: the name its certificate is issued for.
func VaultPodDNSName(pod *corev1.Pod) string {
	h := pod.Spec.Hostname
	if h == "" {
		h = pod.Name
	}
	if pod.Spec.Subdomain != "" {
		return h + "." + pod.Spec.Subdomain
	}
	return h
}

// ClusterCA is the API server's CA from the kubeconfig, nil when it has none.
func (k *Kube) ClusterCA() []byte {
	if k == nil || k.Config == nil {
		return nil
	}
	if len(k.Config.CAData) > 0 {
		return k.Config.CAData
	}
	if k.Config.CAFile != "" {
		if b, err := os.ReadFile(k.Config.CAFile); err == nil {
			return b
		}
	}
	return nil
}

// ConnectVaultPod builds a Vault client for a pod behind its port-forward: the pod's own scheme; for
// TLS, trust in caCert (VAULT_CACERT) or else the cluster CA (the platform's Vault certificate is
// signed by it), verified for the pod's stable DNS name.
func (k *Kube) ConnectVaultPod(pod *corev1.Pod, fw *PodForward, caCert string) (*Vault, error) {
	scheme := VaultPodScheme(pod)
	o := VaultOptions{Addr: scheme + "://" + fw.Addr()}
	if scheme == "https" {
		o.CACert = caCert
		if o.CACert == "" {
			o.CACertPEM = k.ClusterCA()
		}
		o.TLSServer = VaultPodDNSName(pod)
	}
	return ConnectVault(o)
}
