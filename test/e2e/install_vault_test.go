//go:build e2e

package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/gopenpgp/v3/crypto"
	lab "github.com/clubcedille/cedille-tui/hack/lab"
	"github.com/clubcedille/cedille-tui/hack/lab/labtest"
	"github.com/clubcedille/cedille-tui/internal/platform"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// TestInstallVaultUnattendedBinary runs the Vault part of `cedille-tui install --answers` — the binary,
// with --log-file debug logging — against a lab of its own (a real Vault and kube-apiserver; Vault's init
// cannot be undone, so never the shared lab's): the first run initializes 3/2 with three custodians' PGP
// keys and stops at the unseal; the custodians decrypt two shares; the second run (VAULT_TOKEN: the
// decrypted root token, the first run's memory being gone) unseals, bootstraps, stores the Dex secret and
// revokes the root token. Then the secret scan: no share, root token or SSO secret in stdout, stderr, the
// debug log, the state file or the answers' plan as saved.
func TestInstallVaultUnattendedBinary(t *testing.T) {
	l := labtest.Start(t, lab.KubeAPIServer, lab.Vault)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	kc, err := kubernetes.NewForConfig(l.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	// The lab runs no controller manager: make the accounts its controllers would.
	for _, ns := range []string{"vault", "argocd"} {
		_, _ = kc.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
		_, _ = kc.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{})
	}

	dir, home := t.TempDir(), t.TempDir()
	keys := make([]*crypto.Key, 3)
	var custodians strings.Builder
	for i := range keys {
		keys[i], err = crypto.PGP().KeyGeneration().AddUserId(fmt.Sprintf("c%d", i), fmt.Sprintf("c%d@cedille.test", i)).New().GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		pub, _ := keys[i].GetArmoredPublicKey()
		kf := filepath.Join(dir, fmt.Sprintf("c%d.asc", i))
		if err := os.WriteFile(kf, []byte(pub), 0o600); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&custodians, "    - {name: c%d, pgpKey: %s, shareFile: %s}\n", i, kf, filepath.Join(dir, "out", fmt.Sprintf("share-%d.asc", i)))
	}
	rnd := make([]byte, 16)
	_, _ = rand.Read(rnd)
	ssoSecret := "dex-" + hex.EncodeToString(rnd)
	ssoFile := filepath.Join(dir, "dex.secret")
	if err := os.WriteFile(ssoFile, []byte(ssoSecret), 0o600); err != nil {
		t.Fatal(err)
	}
	answers := func(extra string) string {
		f := filepath.Join(dir, "answers.yaml")
		// Only what the Vault steps read: no ISO, no machines (a run of some steps judges their fields).
		body := fmt.Sprintf(`version: 1
cluster: {kubeconfig: %s}
vault:
  shares: 3
  threshold: 2
  custodians:
%s  rootToken: {pgpKey: %s, file: %s}
  revokeRoot: true
  sso:
    argocd: {clientID: e2e-client, clientSecretFile: %s}
%s`, l.KubeconfigPath(), custodians.String(), filepath.Join(dir, "c0.asc"), filepath.Join(dir, "out", "root.asc"), ssoFile, extra)
		if err := os.WriteFile(f, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	logFile := filepath.Join(dir, "debug.log")
	run := func(f string, extraEnv map[string]string) result {
		env := map[string]string{"HOME": home, "VAULT_ADDR": l.VaultAddr()}
		for k, v := range extraEnv {
			env[k] = v
		}
		return runCLI(t, env, "install", "--answers", f, "--only", "vault-init,vault-unseal,vault-bootstrap", "--log-file", logFile)
	}

	r1 := run(answers(""), nil)
	if r1.code == 0 || !strings.Contains(r1.stdout, "[vault-init] done") || !strings.Contains(r1.stderr, "vault.unsealShareFiles") {
		t.Fatalf("first run: init, then stop at the unseal asking for share files: code %d\n%s\n%s", r1.code, r1.stdout, r1.stderr)
	}
	open := func(k *crypto.Key, path string) string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		dec, _ := crypto.PGP().Decryption().DecryptionKey(k).New()
		res, err := dec.Decrypt(b, crypto.Armor)
		if err != nil {
			t.Fatalf("cannot open %s: %v", path, err)
		}
		return string(res.Bytes())
	}
	shares := []string{open(keys[0], filepath.Join(dir, "out", "share-0.asc")), open(keys[1], filepath.Join(dir, "out", "share-1.asc")),
		open(keys[2], filepath.Join(dir, "out", "share-2.asc"))}
	root := open(keys[0], filepath.Join(dir, "out", "root.asc"))
	shm := t.TempDir()
	var files []string
	for i, s := range shares[1:] {
		f := filepath.Join(shm, fmt.Sprintf("share-%d", i+1))
		if err := os.WriteFile(f, []byte(s+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}

	r2 := run(answers("  unsealShareFiles: ["+strings.Join(files, ", ")+"]\n"), map[string]string{"VAULT_TOKEN": root})
	if r2.code != 0 {
		t.Fatalf("second run: code %d\n%s\n%s", r2.code, r2.stdout, r2.stderr)
	}
	for _, want := range []string{"remove them now", "every replica is unsealed", "from VAULT_TOKEN", "root token revoked",
		"client secret stored in Vault at kv-system/sso/argocd", "logs in with role config-admin"} {
		if !strings.Contains(r2.stdout, want) {
			t.Errorf("second run does not say %q:\n%s", want, r2.stdout)
		}
	}
	v, _ := platform.ConnectVault(platform.VaultOptions{Addr: l.VaultAddr(), Token: root})
	if h, err := v.Health(ctx, 5*time.Second); err != nil || h.Sealed {
		t.Errorf("Vault: %+v %v", h, err)
	}
	if _, err := v.Client.Auth().Token().LookupSelfWithContext(ctx); err == nil {
		t.Error("the root token still works")
	}

	logged, err := os.ReadFile(logFile)
	if err != nil || !strings.Contains(string(logged), "vault-bootstrap") {
		t.Fatalf("the debug log does not follow the install: %v", err)
	}
	state, err := os.ReadFile(filepath.Join(home, ".local", "state", "cedille-tui", "install.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	everything := strings.Join([]string{r1.stdout, r1.stderr, r2.stdout, r2.stderr, string(logged), string(state)}, "\n")
	for i, s := range append(shares, root, ssoSecret) {
		if strings.Contains(everything, strings.TrimSpace(s)) {
			t.Errorf("secret %d (of 3 shares, the root token, the SSO secret) appears in the output, the log or the state file", i+1)
		}
	}
}
