package watch

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/clubcedille/cedille-tui/internal/platform"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
)

// In-cluster Vault: the chart's server pods (StatefulSet vault in namespace vault).
const (
	VaultNamespace = "vault"
	VaultSelector  = "app.kubernetes.io/name=vault"
	VaultPort      = 8200
)

// VaultPods finds the Vault server pods with a small informer (one namespace, one label) and reaches each
// through a port-forward kept open between polls, reopened when its pod restarts. Port-forward, not the
// API server's pod proxy: it needs no route from the API server to pod IPs, the same as kubectl.
type VaultPods struct {
	kube      *platform.Kube
	Namespace string
	Selector  string
	Port      int
	// CACert is VAULT_CACERT: trusted for pods that serve TLS, before the cluster CA.
	CACert string

	mu       sync.Mutex
	lister   func() []*corev1.Pod
	synced   bool
	listErr  error
	forwards map[types.UID]*platform.PodForward
}

// NewVaultPods prepares the discovery over a Kubernetes connection; nothing is contacted until Run.
func NewVaultPods(k *platform.Kube, caCert string) *VaultPods {
	return &VaultPods{kube: k, CACert: caCert, Namespace: VaultNamespace, Selector: VaultSelector, Port: VaultPort,
		forwards: map[types.UID]*platform.PodForward{}}
}

// Run keeps the pod informer until ctx ends, then closes the forwards; changed is called on every change.
func (p *VaultPods) Run(ctx context.Context, changed func()) {
	f := informers.NewSharedInformerFactoryWithOptions(p.kube.Typed, 10*time.Minute,
		informers.WithNamespace(p.Namespace),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = p.Selector }))
	inf := f.Core().V1().Pods()
	_ = inf.Informer().SetWatchErrorHandlerWithContext(func(_ context.Context, _ *cache.Reflector, err error) {
		p.mu.Lock()
		p.listErr = p.kube.Classify(err)
		p.mu.Unlock()
		changed()
	})
	_, _ = inf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { changed() },
		UpdateFunc: func(any, any) { changed() },
		DeleteFunc: func(any) { changed() },
	})
	lister := inf.Lister().Pods(p.Namespace)
	p.mu.Lock()
	p.lister = func() []*corev1.Pod {
		pods, _ := lister.List(labels.Everything())
		return pods
	}
	p.mu.Unlock()
	f.Start(ctx.Done())
	if cache.WaitForCacheSync(ctx.Done(), inf.Informer().HasSynced) {
		p.mu.Lock()
		p.synced, p.listErr = true, nil
		p.mu.Unlock()
		changed()
	}
	<-ctx.Done()
	f.Shutdown()
	p.mu.Lock()
	defer p.mu.Unlock()
	for uid, fw := range p.forwards {
		fw.Close()
		delete(p.forwards, uid)
	}
}

// vaultPodTarget is one pod to poll: a connection through its forward, or why there is none.
type vaultPodTarget struct {
	name  string
	vault *platform.Vault
	err   error
}

// targets returns the pods to poll, sorted by name, opening the forwards that are missing or broken and
// closing those of pods that are gone. ready is false until the informer has its first list.
func (p *VaultPods) targets(ctx context.Context, timeout time.Duration) (out []vaultPodTarget, ready bool, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.synced {
		return nil, false, p.listErr
	}
	pods := p.lister()
	sort.Slice(pods, func(i, j int) bool { return pods[i].Name < pods[j].Name })
	live := map[types.UID]bool{}
	for _, pod := range pods {
		live[pod.UID] = true
		t := vaultPodTarget{name: pod.Name}
		if why := notServing(pod); why != "" {
			t.err = fmt.Errorf("pod %s/%s %s", pod.Namespace, pod.Name, why)
			out = append(out, t)
			continue
		}
		fw := p.forwards[pod.UID]
		if fw != nil {
			select {
			case <-fw.Done():
				fw = nil
			default:
			}
		}
		if fw == nil {
			fctx, cancel := context.WithTimeout(ctx, timeout)
			var ferr error
			fw, ferr = p.kube.ForwardPod(fctx, pod.Namespace, pod.Name, p.Port)
			cancel()
			if ferr != nil {
				t.err = ferr
				out = append(out, t)
				continue
			}
			p.forwards[pod.UID] = fw
		}
		t.vault, t.err = p.connect(pod, fw)
		out = append(out, t)
	}
	for uid, fw := range p.forwards {
		if !live[uid] {
			fw.Close()
			delete(p.forwards, uid)
		}
	}
	return out, true, nil
}

// connect builds a Vault client for a pod behind its forward: the scheme the pod itself uses (the chart
// sets VAULT_ADDR in the server container), trust in VAULT_CACERT or else the cluster CA (the platform's
// Vault certificate is signed by it), and the pod's stable DNS name (vault-0.vault-internal) for SNI
// and verification.
func (p *VaultPods) connect(pod *corev1.Pod, fw *platform.PodForward) (*platform.Vault, error) {
	scheme := podScheme(pod)
	o := platform.VaultOptions{Addr: scheme + "://" + fw.Addr()}
	if scheme == "https" {
		o.CACert = p.CACert
		if o.CACert == "" {
			o.CACertPEM = clusterCA(p.kube)
		}
		o.TLSServer = podDNSName(pod)
	}
	return platform.ConnectVault(o)
}

// notServing says why a pod cannot answer ("" when it runs): pending, failed, being deleted.
func notServing(pod *corev1.Pod) string {
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

// podScheme is the scheme of VAULT_ADDR in the pod's vault container, "http" when it says nothing.
func podScheme(pod *corev1.Pod) string {
	for _, c := range pod.Spec.Containers {
		for _, e := range c.Env {
			if e.Name == platform.EnvVaultAddr {
				if u, err := url.Parse(e.Value); err == nil && u.Scheme == "https" {
					return "https"
				}
			}
		}
	}
	return "http"
}

// podDNSName is hostname.subdomain for a StatefulSet pod (vault-0.vault-internal), else the pod name.
func podDNSName(pod *corev1.Pod) string {
	h := pod.Spec.Hostname
	if h == "" {
		h = pod.Name
	}
	if pod.Spec.Subdomain != "" {
		return h + "." + pod.Spec.Subdomain
	}
	return h
}

// clusterCA is the API server's CA from the kubeconfig, nil when the config has none.
func clusterCA(k *platform.Kube) []byte {
	if k.Config == nil {
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
