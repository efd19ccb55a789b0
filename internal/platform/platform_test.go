package platform

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const kubeconfig = `apiVersion: v1
kind: Config
clusters:
- name: lab
  cluster: {server: "https://127.0.0.1:%PORT%", insecure-skip-tls-verify: true}
users:
- name: admin
  user: {token: not-a-real-token}
contexts:
- name: lab-admin
  context: {cluster: lab, user: admin}
current-context: lab-admin
`

// closedPort returns a loopback port nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(l.Addr().String())
	_ = l.Close()
	return port
}

func writeKubeconfig(t *testing.T, port string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(p, []byte(strings.ReplaceAll(kubeconfig, "%PORT%", port)), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConnectionErrorsNameWhatToSet(t *testing.T) {
	empty := t.TempDir()
	good := writeKubeconfig(t, "6443")
	tests := []struct {
		name    string
		open    func() error
		problem Problem
		says    []string
	}{
		{"no kubeconfig anywhere", func() error {
			_, err := ConnectKube(KubeOptions{}, MapLookup(map[string]string{"HOME": empty}))
			return err
		}, NotConfigured, []string{"kubernetes:", "set KUBECONFIG or pass --kubeconfig"}},
		{"unknown context", func() error {
			_, err := ConnectKube(KubeOptions{Context: "prod"}, MapLookup(map[string]string{"KUBECONFIG": good}))
			return err
		}, Invalid, []string{`context "prod"`, "--context"}},
		{"missing --kubeconfig file", func() error {
			_, err := ConnectKube(KubeOptions{Kubeconfig: filepath.Join(empty, "nope")}, MapLookup(nil))
			return err
		}, Invalid, []string{"--kubeconfig " + filepath.Join(empty, "nope") + " does not exist"}},
		{"KUBECONFIG naming a missing file", func() error {
			_, err := ConnectKube(KubeOptions{}, MapLookup(map[string]string{"HOME": empty, "KUBECONFIG": "/nonexistent"}))
			return err
		}, Invalid, []string{"KUBECONFIG names /nonexistent, which does not exist", "unset it"}},
		{"KUBECONFIG naming missing files", func() error {
			_, err := ConnectKube(KubeOptions{}, MapLookup(map[string]string{"HOME": empty,
				"KUBECONFIG": filepath.Join(empty, "a") + string(filepath.ListSeparator) + filepath.Join(empty, "b")}))
			return err
		}, Invalid, []string{"KUBECONFIG names " + filepath.Join(empty, "a") + ", " + filepath.Join(empty, "b") + ", which do not exist"}},
		{"no omni endpoint", func() error {
			_, err := ConnectOmni(OmniOptionsFromEnv(MapLookup(nil)))
			return err
		}, NotConfigured, []string{"omni:", "set OMNI_ENDPOINT"}},
		{"omni endpoint not a URL", func() error {
			_, err := ConnectOmni(OmniOptions{Endpoint: "cedille.omni"})
			return err
		}, Invalid, []string{"OMNI_ENDPOINT"}},
		{"https omni without key", func() error {
			_, err := ConnectOmni(OmniOptions{Endpoint: "https://cedille.omni.example"})
			return err
		}, NotConfigured, []string{"OMNI_SERVICE_ACCOUNT_KEY"}},
		{"garbage omni key, named by its variable", func() error {
			_, err := ConnectOmni(OmniOptionsFromEnv(MapLookup(map[string]string{
				"OMNI_ENDPOINT": "https://cedille.omni.example", "SIDERO_SERVICE_ACCOUNT_KEY": "bm90IGEga2V5"})))
			return err
		}, Invalid, []string{"SIDERO_SERVICE_ACCOUNT_KEY", "omnictl serviceaccount create"}},
		{"no vault address", func() error {
			_, err := ConnectVault(VaultOptionsFromEnv(MapLookup(nil)))
			return err
		}, NotConfigured, []string{"vault:", "set VAULT_ADDR"}},
		{"vault address not a URL", func() error {
			_, err := ConnectVault(VaultOptions{Addr: "vault:8200"})
			return err
		}, Invalid, []string{"VAULT_ADDR"}},
		{"missing vault CA file", func() error {
			_, err := ConnectVault(VaultOptions{Addr: "https://127.0.0.1:8200", CACert: filepath.Join(empty, "ca.pem")})
			return err
		}, Invalid, []string{"VAULT_CACERT"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.open()
			if err == nil {
				t.Fatal("want an error")
			}
			ce, ok := err.(*ConnError)
			if !ok {
				t.Fatalf("error %T %v is not a ConnError", err, err)
			}
			if ce.Problem != tt.problem {
				t.Errorf("problem = %v, want %v", ce.Problem, tt.problem)
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("error spans lines: %q", msg)
			}
			for _, s := range tt.says {
				if !strings.Contains(msg, s) {
					t.Errorf("%q does not say %q", msg, s)
				}
			}
			if strings.Contains(msg, "bm90IGEga2V5") {
				t.Errorf("the key leaked into the message: %q", msg)
			}
		})
	}
}

func TestUnreachableServersAreClassified(t *testing.T) {
	port := closedPort(t)
	k, err := ConnectKube(KubeOptions{}, MapLookup(map[string]string{"KUBECONFIG": writeKubeconfig(t, port)}))
	if err != nil {
		t.Fatal(err)
	}
	if k.Context != "lab-admin" {
		t.Errorf("context = %q", k.Context)
	}
	err = k.Ping(context.Background(), 2*time.Second)
	if !IsUnreachable(err) {
		t.Fatalf("ping of a closed port = %v, want unreachable", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "127.0.0.1:"+port) || !strings.Contains(msg, "lab-admin") || strings.Contains(msg, "\n") {
		t.Errorf("message %q should name the server and context on one line", msg)
	}

	v, err := ConnectVault(VaultOptions{Addr: "http://127.0.0.1:" + port})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Health(context.Background(), 2*time.Second); !IsUnreachable(err) {
		t.Fatalf("vault health on a closed port = %v, want unreachable", err)
	}

	o, err := ConnectOmni(OmniOptions{Endpoint: "grpc://127.0.0.1:" + port})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if err := o.Ping(context.Background(), 2*time.Second); !IsUnreachable(err) {
		t.Fatalf("omni ping on a closed port = %v, want unreachable", err)
	}
}

func TestOpenKeepsWorkingConnections(t *testing.T) {
	p := Open(OptionsFromEnv(KubeOptions{}, MapLookup(map[string]string{"HOME": t.TempDir(), "VAULT_ADDR": "http://127.0.0.1:8200"})),
		MapLookup(map[string]string{"HOME": t.TempDir()}))
	if p.Vault == nil || p.Kube != nil || p.Omni != nil {
		t.Fatalf("vault should open alone: kube=%v omni=%v vault=%v", p.Kube, p.Omni, p.Vault)
	}
	if !p.Configured() || len(p.Errors()) != 2 {
		t.Fatalf("configured=%v errors=%v", p.Configured(), p.Errors())
	}
	if p.Name != "no cluster" {
		t.Errorf("name = %q", p.Name)
	}
}
