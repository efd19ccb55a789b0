//go:build e2e

package vaultops

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/hack/lab"
	"github.com/clubcedille/cedille-tui/internal/platform"
	authv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// TestBootstrapThenRealLogin: against a real kube-apiserver and a real Vault, the bootstrap configures
// the kubernetes auth method from a dedicated reviewer account; then a ServiceAccount token from the
// TokenRequest API logs in with role config-admin and gets the policy — the login vault-config-operator
// needs — while an account of another namespace is refused. A second run changes nothing it need not.
func TestBootstrapThenRealLogin(t *testing.T) {
	l := startLab(t, lab.KubeAPIServer, lab.Vault)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	kc, err := kubernetes.NewForConfig(l.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	v, err := platform.ConnectVault(platform.VaultOptions{Addr: l.VaultAddr()})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := Init(ctx, v, InitOptions{Shares: 1, Threshold: 1})
	if err != nil {
		t.Fatal(err)
	}
	if p, err := NewUnsealer("vault", v).Submit(ctx, keys.Shares[0]); err != nil || p.Sealed {
		t.Fatalf("unseal: %v %v", p, err)
	}
	v.Client.SetToken(keys.RootToken.Reveal())

	jwt, until, err := EnsureReviewer(ctx, kc)
	if err != nil {
		t.Fatal(err)
	}
	// The API server grants the lifetime asked for, or its own maximum: either way, well beyond a day.
	if time.Until(until) < 24*time.Hour {
		t.Errorf("the reviewer's token expires at %s", until)
	}
	t.Logf("reviewer token granted until %s", until.UTC().Format(time.DateOnly))
	o := BootstrapOptions{KubernetesHost: l.RESTConfig().Host, KubernetesCA: l.CAPEM(), ReviewerJWT: jwt, VaultOutsideCluster: true}
	var first []Step
	if err := Bootstrap(ctx, v, o, func(s Step) { first = append(first, s) }); err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	for _, s := range first {
		t.Logf("bootstrap: %s (changed %v)", s.What, s.Changed)
		if strings.Contains(s.What, jwt.Reveal()) {
			t.Fatal("a bootstrap line carries the reviewer token")
		}
	}

	for _, ns := range []string{"vault", "apps"} {
		_, _ = kc.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
		_, _ = kc.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "controller-manager"}}, metav1.CreateOptions{})
	}
	token := func(ns string) string {
		tr, err := kc.CoreV1().ServiceAccounts(ns).CreateToken(ctx, "controller-manager", &authv1.TokenRequest{}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return tr.Status.Token
	}
	login, err := platform.ConnectVault(platform.VaultOptions{Addr: l.VaultAddr()})
	if err != nil {
		t.Fatal(err)
	}
	sec, err := login.Client.Logical().WriteWithContext(ctx, "auth/kubernetes/login", map[string]any{"role": ConfigAdmin, "jwt": token("vault")})
	if err != nil {
		t.Fatalf("a config-admin service account cannot log in: %v", err)
	}
	if sec.Auth == nil || !slices.Contains(sec.Auth.Policies, ConfigAdmin) {
		t.Fatalf("login gave policies %v", sec.Auth)
	}
	login.Client.SetToken(sec.Auth.ClientToken)
	if err := login.Client.Sys().PutPolicyWithContext(ctx, "secret-reader", `path "kv/data/*" { capabilities = ["read"] }`); err != nil {
		t.Errorf("config-admin cannot manage policies, which vault-config-operator must: %v", err)
	}
	if _, err := login.Client.Logical().WriteWithContext(ctx, "kv-system/github/clubcedille", map[string]any{"key": "x"}); err != nil {
		t.Errorf("config-admin cannot write kv-system: %v", err)
	}
	login.Client.ClearToken()
	if _, err := login.Client.Logical().WriteWithContext(ctx, "auth/kubernetes/login", map[string]any{"role": ConfigAdmin, "jwt": token("apps")}); err == nil {
		t.Error("a service account of another namespace logged in as config-admin")
	}

	var again []Step
	if err := Bootstrap(ctx, v, o, func(s Step) { again = append(again, s) }); err != nil {
		t.Fatalf("second bootstrap: %v", err)
	}
	for _, s := range again {
		if s.Changed && (strings.Contains(s.What, "enabled") || strings.Contains(s.What, "policy")) {
			t.Errorf("a second bootstrap changed %q", s.What)
		}
	}
	if err := RevokeRoot(ctx, v); err != nil {
		t.Fatal(err)
	}
	v.Client.SetToken(keys.RootToken.Reveal())
	if _, err := v.Client.Sys().ListAuthWithContext(ctx); err == nil {
		t.Error("the revoked root token still works")
	}
}
