package platform

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func vaultPod(mut func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "vault-0", Namespace: "vault"},
		Spec: corev1.PodSpec{Hostname: "vault-0", Subdomain: "vault-internal",
			Containers: []corev1.Container{{Name: "vault", Env: []corev1.EnvVar{{Name: "VAULT_ADDR", Value: "https://127.0.0.1:8200"}}}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning},
	}
	if mut != nil {
		mut(p)
	}
	return p
}

func TestVaultPodRules(t *testing.T) {
	now := metav1.Now()
	cases := []struct {
		name                    string
		pod                     *corev1.Pod
		notServing, scheme, dns string
	}{
		{"chart pod with TLS", vaultPod(nil), "", "https", "vault-0.vault-internal"},
		{"plain HTTP listener", vaultPod(func(p *corev1.Pod) { p.Spec.Containers[0].Env[0].Value = "http://127.0.0.1:8200" }),
			"", "http", "vault-0.vault-internal"},
		{"no VAULT_ADDR, no subdomain", vaultPod(func(p *corev1.Pod) { p.Spec.Containers[0].Env = nil; p.Spec.Subdomain = "" }),
			"", "http", "vault-0"},
		{"no hostname", vaultPod(func(p *corev1.Pod) { p.Spec.Hostname = "" }), "", "https", "vault-0.vault-internal"},
		{"pending, image pull", vaultPod(func(p *corev1.Pod) {
			p.Status.Phase = corev1.PodPending
			p.Status.ContainerStatuses = []corev1.ContainerStatus{{State: corev1.ContainerState{
				Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff"}}}}
		}), "is Pending (ImagePullBackOff)", "https", "vault-0.vault-internal"},
		{"failed", vaultPod(func(p *corev1.Pod) { p.Status.Phase = corev1.PodFailed }), "is Failed", "https", "vault-0.vault-internal"},
		{"terminating", vaultPod(func(p *corev1.Pod) { p.DeletionTimestamp = &now }), "is terminating", "https", "vault-0.vault-internal"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := VaultPodNotServing(c.pod); got != c.notServing {
				t.Errorf("notServing = %q, want %q", got, c.notServing)
			}
			if got := VaultPodScheme(c.pod); got != c.scheme {
				t.Errorf("podScheme = %q, want %q", got, c.scheme)
			}
			if got := VaultPodDNSName(c.pod); got != c.dns {
				t.Errorf("podDNSName = %q, want %q", got, c.dns)
			}
		})
	}
}
