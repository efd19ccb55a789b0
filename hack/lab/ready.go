package lab

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// vaultHealthOK are the /v1/sys/health codes of a Vault that is up: active (200), standby (429),
// DR/performance standby (472/473), not initialized (501), sealed (503).
func vaultHealthOK(code int) bool {
	switch code {
	case 200, 429, 472, 473, 501, 503:
		return true
	}
	return false
}

// waitReady polls component c's readiness until it answers, its process exits, or ctx ends.
func (l *Lab) waitReady(ctx context.Context, c string) error {
	probe, err := l.probe(c)
	if err != nil {
		return err
	}
	var last error
	for {
		l.mu.Lock()
		alive := l.runningLocked(c)
		l.mu.Unlock()
		if !alive {
			return fmt.Errorf("lab: %s exited; last lines of %s:\n%s", c, l.p.log(c), tailFile(l.p.log(c), 25))
		}
		pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		last = probe(pctx)
		cancel()
		if last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("lab: %s not ready: %w (last probe: %v); log: %s", c, ctx.Err(), last, l.p.log(c))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (l *Lab) probe(c string) (func(context.Context) error, error) {
	l.mu.Lock()
	ports := l.st.Ports
	etcdURL := "http://" + loopback(ports[portEtcdClient]) + "/health"
	apiURL := "https://" + loopback(ports[portAPIServer]) + "/readyz"
	kwokURL := "http://" + loopback(ports[portKwok]) + "/healthz"
	vaultURL := "http://" + loopback(ports[portVaultAPI]) + "/v1/sys/health"
	l.mu.Unlock()
	plain := &http.Client{Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil}}
	switch c {
	case Etcd:
		return func(ctx context.Context) error {
			code, body, err := get(ctx, plain, etcdURL)
			if err != nil {
				return err
			}
			if code != 200 || !strings.Contains(body, `"health":"true"`) {
				return fmt.Errorf("etcd /health: %d %s", code, body)
			}
			return nil
		}, nil
	case KubeAPIServer:
		cert, err := tls.X509KeyPair(l.pki.AdminCert, l.pki.AdminKey)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(l.pki.CACert) {
			return nil, errors.New("lab: bad CA PEM")
		}
		tlsClient := &http.Client{Transport: &http.Transport{
			DisableKeepAlives: true,
			TLSClientConfig:   &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		}}
		return func(ctx context.Context) error {
			code, body, err := get(ctx, tlsClient, apiURL)
			if err != nil {
				return err
			}
			if code != 200 {
				return fmt.Errorf("/readyz: %d %s", code, firstLine(body))
			}
			return nil
		}, nil
	case KubeControllerManager:
		// No serving port (--secure-port=0): ready once the service-account controller has made the
		// default ServiceAccount, which pods need before they can be created.
		cs, err := kubernetes.NewForConfig(l.RESTConfig())
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context) error {
			_, err := cs.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{})
			return err
		}, nil
	case Kwok:
		return func(ctx context.Context) error {
			code, body, err := get(ctx, plain, kwokURL)
			if err != nil {
				return err
			}
			if code != 200 {
				return fmt.Errorf("kwok /healthz: %d %s", code, firstLine(body))
			}
			return nil
		}, nil
	case Vault:
		return func(ctx context.Context) error {
			code, body, err := get(ctx, plain, vaultURL)
			if err != nil {
				return err
			}
			if !vaultHealthOK(code) {
				return fmt.Errorf("vault sys/health: %d %s", code, firstLine(body))
			}
			return nil
		}, nil
	case OmniState:
		return func(ctx context.Context) error {
			b, err := os.ReadFile(l.p.omniAddrFile())
			if err != nil {
				return err
			}
			addr := strings.TrimSpace(string(b))
			if addr == "" {
				return errors.New("omnistate addr-file is empty")
			}
			var d net.Dialer
			conn, err := d.DialContext(ctx, "tcp", addr)
			if err != nil {
				return err
			}
			return conn.Close()
		}, nil
	}
	return nil, fmt.Errorf("lab: unknown component %q", c)
}

func get(ctx context.Context, c *http.Client, url string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp.StatusCode, string(b), nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}
