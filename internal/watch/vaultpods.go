package watch

import (
	"context"
	"fmt"
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
	return &VaultPods{kube: k, CACert: caCert, Namespace: platform.VaultNamespace, Selector: platform.VaultSelector, Port: platform.VaultPort,
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
		if why := platform.VaultPodNotServing(pod); why != "" {
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
		t.vault, t.err = p.kube.ConnectVaultPod(pod, fw, p.CACert)
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
