package vaultops

import (
	"context"
	"fmt"
	"sort"

	"github.com/clubcedille/cedille-tui/internal/platform"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Replica is one Vault server the install talks to: a pod behind its port-forward, or the server
// VAULT_ADDR names.
type Replica struct {
	Name  string
	Vault *platform.Vault
	// Err says why it cannot be reached now (its pod does not run, the forward failed).
	Err     error
	forward *platform.PodForward
}

// Close stops the replica's port-forward, if any.
func (r *Replica) Close() {
	if r.forward != nil {
		r.forward.Close()
	}
}

// FindReplicas lists Vault's server pods once (namespace vault, label app.kubernetes.io/name=vault),
// ordered by name (vault-0 first: the one initialized and unsealed first), and opens a port-forward
// to each that runs. A pod that cannot be reached is returned with its Err. Close every replica when
// done.
func FindReplicas(ctx context.Context, k *platform.Kube, caCert string) ([]*Replica, error) {
	pods, err := k.Typed.CoreV1().Pods(platform.VaultNamespace).List(ctx, metav1.ListOptions{LabelSelector: platform.VaultSelector})
	if err != nil {
		return nil, fmt.Errorf("list Vault's pods in namespace %s: %w", platform.VaultNamespace, k.Classify(err))
	}
	if len(pods.Items) == 0 {
		return nil, fmt.Errorf("no Vault server pods in namespace %s (label %s): is Vault installed?",
			platform.VaultNamespace, platform.VaultSelector)
	}
	sort.Slice(pods.Items, func(i, j int) bool { return pods.Items[i].Name < pods.Items[j].Name })
	out := make([]*Replica, 0, len(pods.Items))
	for i := range pods.Items {
		pod := &pods.Items[i]
		r := &Replica{Name: pod.Name}
		out = append(out, r)
		if why := platform.VaultPodNotServing(pod); why != "" {
			r.Err = fmt.Errorf("pod %s/%s %s", pod.Namespace, pod.Name, why)
			continue
		}
		if r.forward, r.Err = k.ForwardPod(ctx, pod.Namespace, pod.Name, platform.VaultPort); r.Err != nil {
			continue
		}
		r.Vault, r.Err = k.ConnectVaultPod(pod, r.forward, caCert)
	}
	return out, nil
}
