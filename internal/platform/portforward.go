package platform

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"

	"k8s.io/apimachinery/pkg/util/httpstream"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/transport/spdy"
)

// PodForward is a port-forward to one port of one pod, served on a loopback port of this process, the
// way `kubectl port-forward` does it: the API server carries the stream to the pod's kubelet, so it works
// wherever the user may create pods/portforward, whether or not the API server can reach pod IPs.
type PodForward struct {
	Namespace, Pod string
	Remote         int
	// Local is the loopback port the forward listens on.
	Local int

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	mu        sync.Mutex
	err       error
}

// ForwardPod opens a port-forward to ns/pod:port on 127.0.0.1 (an ephemeral port) and returns once it
// listens; ctx bounds only that opening. It then runs until Close or until the stream breaks (the pod
// went away, the API server restarted): Done then closes.
// SPDY is tried over a WebSocket first and directly after, as kubectl does.
func (k *Kube) ForwardPod(ctx context.Context, ns, pod string, port int) (*PodForward, error) {
	if k == nil || k.Config == nil {
		return nil, &ConnError{Source: SourceKubernetes, Problem: NotConfigured, What: "no kubeconfig", Fix: "set KUBECONFIG"}
	}
	u := k.Typed.CoreV1().RESTClient().Post().Resource("pods").Namespace(ns).Name(pod).SubResource("portforward").URL()
	rt, upgrader, err := spdy.RoundTripperFor(k.Config)
	if err != nil {
		return nil, fmt.Errorf("port-forward to %s/%s: %w", ns, pod, err)
	}
	var dialer httpstream.Dialer = spdy.NewDialer(upgrader, &http.Client{Transport: rt}, http.MethodPost, u)
	if ws, err := portforward.NewSPDYOverWebsocketDialer(u, k.Config); err == nil {
		dialer = portforward.NewFallbackDialer(ws, dialer, func(err error) bool {
			return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
		})
	}
	f := &PodForward{Namespace: ns, Pod: pod, Remote: port, stop: make(chan struct{}), done: make(chan struct{})}
	ready := make(chan struct{})
	pf, err := portforward.NewOnAddresses(dialer, []string{"127.0.0.1"}, []string{"0:" + strconv.Itoa(port)},
		f.stop, ready, io.Discard, io.Discard)
	if err != nil {
		return nil, fmt.Errorf("port-forward to %s/%s: %w", ns, pod, err)
	}
	go func() {
		err := pf.ForwardPorts()
		f.mu.Lock()
		f.err = err
		f.mu.Unlock()
		close(f.done)
	}()
	select {
	case <-ready:
	case <-f.done:
		return nil, k.Classify(fmt.Errorf("port-forward to %s/%s:%d: %w", ns, pod, port, f.Err()))
	case <-ctx.Done():
		f.Close()
		return nil, ctx.Err()
	}
	ports, err := pf.GetPorts()
	if err != nil || len(ports) == 0 {
		f.Close()
		return nil, fmt.Errorf("port-forward to %s/%s: no local port: %v", ns, pod, err)
	}
	f.Local = int(ports[0].Local)
	return f, nil
}

// Addr is the forward's local address, "127.0.0.1:PORT".
func (f *PodForward) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(f.Local)) }

// Done is closed when the forward has stopped.
func (f *PodForward) Done() <-chan struct{} { return f.done }

// Err is why the forward stopped (nil while it runs or after Close).
func (f *PodForward) Err() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if errors.Is(f.err, portforward.ErrLostConnectionToPod) {
		return fmt.Errorf("lost the connection to pod %s/%s", f.Namespace, f.Pod)
	}
	return f.err
}

// Close stops the forward; it is safe to call more than once.
func (f *PodForward) Close() { f.closeOnce.Do(func() { close(f.stop) }) }
