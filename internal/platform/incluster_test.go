package platform

import (
	"context"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// jwt is a token shaped like a service account's, with sub as its subject (unsigned: nothing here
// verifies it).
func jwt(sub string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256"}`)) + "." + enc([]byte(`{"iss":"https://kubernetes.default.svc","sub":"`+sub+`"}`)) + ".c2lnbmF0dXJl"
}

// saDir writes a service account directory: token, ca.crt, namespace; an empty value leaves the file out.
func saDir(t *testing.T, token, ca string) string {
	t.Helper()
	dir := t.TempDir()
	for name, v := range map[string]string{"token": token, "ca.crt": ca, "namespace": "cedille-console"} {
		if v == "" {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(v), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// testCA is a CA certificate's PEM (a test server's, closed when the test ends).
func testCA(t *testing.T) string {
	t.Helper()
	s := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(s.Close)
	return serverCA(s)
}

// serverCA is the PEM of the test server's certificate, its own CA.
func serverCA(s *httptest.Server) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw}))
}

func TestInClusterConfig(t *testing.T) {
	const sub = "system:serviceaccount:cedille-console:cedille-console"
	ca := testCA(t)
	pod := map[string]string{"KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"}
	for _, tc := range []struct {
		name    string
		env     map[string]string
		token   string
		ca      string
		fails   bool
		problem Problem
		says    string
		host    string
		sa      string
	}{
		{name: "ok", env: pod, token: jwt(sub), ca: ca, host: "https://10.96.0.1:443", sa: "cedille-console/cedille-console"},
		{name: "an IPv6 service address", env: map[string]string{"KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "443"},
			token: jwt(sub), ca: ca, host: "https://[fd00::1]:443", sa: "cedille-console/cedille-console"},
		{name: "a token that names no service account", env: pod, token: jwt("alice"), ca: ca, host: "https://10.96.0.1:443"},
		{name: "a token that is no JWT", env: pod, token: "opaque-token", ca: ca, host: "https://10.96.0.1:443"},
		{name: "no env", env: nil, token: jwt(sub), ca: ca, fails: true, problem: NotConfigured, says: "KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT"},
		{name: "host without port", env: map[string]string{"KUBERNETES_SERVICE_HOST": "10.96.0.1"}, token: jwt(sub), ca: ca,
			fails: true, problem: NotConfigured, says: "not in a pod"},
		{name: "no token", env: pod, ca: ca, fails: true, problem: NotConfigured, says: "no service account token at"},
		{name: "an empty token", env: pod, token: "\n", ca: ca, fails: true, problem: Invalid, says: "is empty"},
		{name: "no CA", env: pod, token: jwt(sub), fails: true, problem: Invalid, says: "ca.crt is unusable"},
		{name: "a CA that is no certificate", env: pod, token: jwt(sub), ca: "not a certificate", fails: true, problem: Invalid, says: "ca.crt is unusable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := saDir(t, tc.token, tc.ca)
			cfg, sa, err := InClusterConfig(dir, MapLookup(tc.env))
			if tc.fails {
				var ce *ConnError
				if !errors.As(err, &ce) || ce.Problem != tc.problem || !strings.Contains(err.Error(), tc.says) {
					t.Fatalf("err = %v, want a %v saying %q", err, tc.problem, tc.says)
				}
				if tok := strings.TrimSpace(tc.token); tok != "" && strings.Contains(err.Error(), tok) {
					t.Fatal("the token is in the error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Host != tc.host || sa != tc.sa {
				t.Errorf("host %q, service account %q; want %q, %q", cfg.Host, sa, tc.host, tc.sa)
			}
			if cfg.BearerTokenFile != filepath.Join(dir, "token") || cfg.BearerToken != "" || cfg.TLSClientConfig.CAFile != filepath.Join(dir, "ca.crt") {
				t.Errorf("the token must be named, not copied, and the CA trusted: %+v", cfg)
			}
		})
	}
}

// TestInClusterConfigAuthenticates: a client built from the configuration trusts the CA and sends the
// token file's token.
func TestInClusterConfigAuthenticates(t *testing.T) {
	token := jwt("system:serviceaccount:ns:sa")
	auth := make(chan string, 16)
	s := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case auth <- r.Header.Get("Authorization"):
		default:
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"major":"1","minor":"36"}`))
	}))
	defer s.Close()
	u, _ := url.Parse(s.URL)
	host, port, _ := net.SplitHostPort(u.Host)
	env := MapLookup(map[string]string{"KUBERNETES_SERVICE_HOST": host, "KUBERNETES_SERVICE_PORT": port, "HOME": t.TempDir()})
	k, err := ConnectKube(KubeOptions{ServiceAccountDir: saDir(t, token, serverCA(s))}, env)
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Ping(context.Background(), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if got := <-auth; got != "Bearer "+token {
		t.Error("the request did not carry the token file's token")
	}
}

// TestLoadKubeConfigInCluster: the service account is used when nothing names or holds a kubeconfig
// and the environment says the process is in a pod; a kubeconfig found, named, or a context asked for,
// wins (and its errors stay its own).
func TestLoadKubeConfigInCluster(t *testing.T) {
	dir := saDir(t, jwt("system:serviceaccount:cedille-console:cedille-console"), testCA(t))
	good := writeKubeconfig(t, "6443")
	home := t.TempDir()
	withPod := func(m map[string]string) Lookup {
		m["KUBERNETES_SERVICE_HOST"], m["KUBERNETES_SERVICE_PORT"] = "10.96.0.1", "443"
		return MapLookup(m)
	}
	for _, tc := range []struct {
		name      string
		o         KubeOptions
		env       Lookup
		inCluster bool
		host      string
		fails     bool
		problem   Problem
	}{
		{"in a pod, no kubeconfig", KubeOptions{ServiceAccountDir: dir}, withPod(map[string]string{"HOME": home}), true, "https://10.96.0.1:443", false, 0},
		{"in a pod, no HOME either", KubeOptions{ServiceAccountDir: dir}, withPod(map[string]string{}), true, "https://10.96.0.1:443", false, 0},
		{"in a pod with KUBECONFIG", KubeOptions{ServiceAccountDir: dir}, withPod(map[string]string{"KUBECONFIG": good}), false, "https://127.0.0.1:6443", false, 0},
		{"in a pod with --kubeconfig", KubeOptions{Kubeconfig: good, ServiceAccountDir: dir}, withPod(map[string]string{"HOME": home}), false, "https://127.0.0.1:6443", false, 0},
		{"in a pod, KUBECONFIG naming a missing file", KubeOptions{ServiceAccountDir: dir},
			withPod(map[string]string{"KUBECONFIG": filepath.Join(home, "nope")}), false, "", true, Invalid},
		{"in a pod, --context without a kubeconfig", KubeOptions{Context: "prod", ServiceAccountDir: dir},
			withPod(map[string]string{"HOME": home}), false, "", true, Invalid},
		{"in a pod without a token", KubeOptions{ServiceAccountDir: t.TempDir()}, withPod(map[string]string{"HOME": home}), false, "", true, NotConfigured},
		{"not in a pod", KubeOptions{ServiceAccountDir: dir}, MapLookup(map[string]string{"HOME": home}), false, "", true, NotConfigured},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, src, err := loadKubeConfig(tc.o, tc.env)
			if tc.fails {
				var ce *ConnError
				if !errors.As(err, &ce) || ce.Problem != tc.problem {
					t.Fatalf("err = %v, want a %v", err, tc.problem)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if src.inCluster != tc.inCluster || cfg.Host != tc.host {
				t.Errorf("in-cluster %v, host %q; want %v, %q", src.inCluster, cfg.Host, tc.inCluster, tc.host)
			}
			if tc.inCluster && (src.context != "" || src.serviceAccount != "cedille-console/cedille-console") {
				t.Errorf("source %+v", src)
			}
		})
	}
}

func TestOpenNamesTheServiceAccount(t *testing.T) {
	for _, tc := range []struct {
		token, want string
	}{
		{jwt("system:serviceaccount:cedille-console:cedille-console"), "in-cluster (service account cedille-console/cedille-console)"},
		{"opaque-token", "in-cluster (the pod's service account)"},
	} {
		env := MapLookup(map[string]string{"KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443", "HOME": t.TempDir()})
		dir := saDir(t, tc.token, testCA(t))
		p := Open(OptionsFromEnv(KubeOptions{ServiceAccountDir: dir}, env), env)
		if p.Kube == nil || !p.Kube.InCluster || p.Name != tc.want {
			t.Errorf("kube %+v (%v), name %q; want %q", p.Kube, p.KubeErr, p.Name, tc.want)
		}
	}
}

func TestTokenServiceAccount(t *testing.T) {
	enc := base64.RawURLEncoding.EncodeToString
	for _, tc := range []struct {
		name, token, want string
	}{
		{"a service account", jwt("system:serviceaccount:ns:sa"), "ns/sa"},
		{"with a newline", jwt("system:serviceaccount:ns:sa") + "\n", "ns/sa"},
		{"a user", jwt("alice"), ""},
		{"no name", jwt("system:serviceaccount:ns:"), ""},
		{"no namespace", jwt("system:serviceaccount::sa"), ""},
		{"one colon too many", jwt("system:serviceaccount:ns:sa:x"), ""},
		{"two parts", "a.b", ""},
		{"payload not base64", "a.!!!.c", ""},
		{"payload not JSON", "a." + enc([]byte("nope")) + ".c", ""},
		{"sub not a string", "a." + enc([]byte(`{"sub":1}`)) + ".c", ""},
	} {
		if got := tokenServiceAccount([]byte(tc.token)); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestClassifyRefusedCredentials(t *testing.T) {
	for _, tc := range []struct {
		k    Kube
		says []string
	}{
		{Kube{Host: "https://10.96.0.1:443", InCluster: true, ServiceAccount: "ns/sa"},
			[]string{"the service account's token refused by https://10.96.0.1:443", "check that service account ns/sa still exists"}},
		{Kube{Host: "https://127.0.0.1:6443", Context: "lab-admin"},
			[]string{"credentials refused by https://127.0.0.1:6443 (context lab-admin)", "renew the kubeconfig's credentials"}},
	} {
		err := tc.k.Classify(apierrors.NewUnauthorized("Unauthorized"))
		if !errors.As(err, new(*ConnError)) {
			t.Fatalf("%v is no ConnError", err)
		}
		for _, s := range tc.says {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%q does not say %q", err, s)
			}
		}
	}
}
