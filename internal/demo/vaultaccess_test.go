package demo

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/steps"
	"github.com/clubcedille/cedille-tui/internal/vaultops"
	authv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestVaultBootstrapOnDemo: the install's Vault work through the demo's VaultAccess — the reviewer's
// token from the fake clientset's TokenRequest API, vaultops.Bootstrap on vault-0 with the root token
// (a second run changes nothing it need not), a config-admin login on another replica (one storage),
// and the root token revoked.
func TestVaultBootstrapOnDemo(t *testing.T) {
	ctx := context.Background()
	d := startDemo(t, Options{})
	_, root, err := d.vault.initialize(5, 3)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.vault.unsealAll(ctx); err != nil {
		t.Fatal(err)
	}
	if env := d.InstallEnv(t.TempDir()); env.Vault == nil {
		t.Fatal("InstallEnv has no VaultAccess")
	}
	access := d.VaultAccess()
	k, err := access.Kube(ctx, plan.Plan{})
	if err != nil || k != d.Kube {
		t.Fatalf("Kube: %v (the demo's: %v)", err, k == d.Kube)
	}
	if !access.InCluster() || !access.Token().Empty() {
		t.Errorf("InCluster %v, token empty %v; want true, true", access.InCluster(), access.Token().Empty())
	}

	jwt, until, err := vaultops.EnsureReviewer(ctx, k.Typed)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(until); d < 364*24*time.Hour || d > 366*24*time.Hour {
		t.Errorf("the reviewer's token expires in %s, want a year", d)
	}
	if jwt.Empty() || !strings.HasPrefix(jwt.Reveal(), "demo.") {
		t.Fatal("the reviewer's token is empty or not a demo token")
	}
	if again, _, err := vaultops.EnsureReviewer(ctx, k.Typed); err != nil || again.Empty() {
		t.Fatalf("EnsureReviewer again: %v", err)
	}

	replicas, err := access.Replicas(ctx, plan.Plan{}, k)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range replicas {
		names = append(names, r.Name)
		if r.Err != nil || r.Vault == nil {
			t.Fatalf("%s: %v", r.Name, r.Err)
		}
		defer r.Close()
	}
	if !slices.Equal(names, []string{"vault-0", "vault-1", "vault-2"}) {
		t.Fatalf("replicas %v", names)
	}
	v := replicas[0].Vault
	v.Client.SetToken(root)
	o := vaultops.BootstrapOptions{KubernetesHost: steps.InClusterAPI, ReviewerJWT: jwt}
	var first, second []vaultops.Step
	if err := vaultops.Bootstrap(ctx, v, o, func(s vaultops.Step) { first = append(first, s) }); err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	if err := vaultops.Bootstrap(ctx, v, o, func(s vaultops.Step) { second = append(second, s) }); err != nil {
		t.Fatalf("second bootstrap: %v", err)
	}
	changed := func(steps []vaultops.Step) (n int) {
		for _, s := range steps {
			if s.Changed && (strings.Contains(s.What, "enabled") || strings.Contains(s.What, "policy")) {
				n++
			}
		}
		return n
	}
	if changed(first) != 4 || changed(second) != 0 {
		t.Errorf("enabled/policy changes: first run %d, second %d; want 4, 0", changed(first), changed(second))
	}

	// A config-admin login on vault-1 (the same storage), with a token for a vault ServiceAccount.
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "controller-manager", Namespace: vaultops.VaultNamespace}}
	if _, err := k.Typed.CoreV1().ServiceAccounts(sa.Namespace).Create(ctx, sa, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	tr, err := k.Typed.CoreV1().ServiceAccounts(sa.Namespace).CreateToken(ctx, sa.Name, &authv1.TokenRequest{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Status.ExpirationTimestamp.IsZero() || *tr.Spec.ExpirationSeconds != 3600 {
		t.Errorf("TokenRequest: expires %v after %d s; want an hour", tr.Status.ExpirationTimestamp, *tr.Spec.ExpirationSeconds)
	}
	sec, err := replicas[1].Vault.Client.Logical().WriteWithContext(ctx, "auth/kubernetes/login",
		map[string]any{"role": vaultops.ConfigAdmin, "jwt": tr.Status.Token})
	if err != nil || sec.Auth == nil || !slices.Contains(sec.Auth.Policies, vaultops.ConfigAdmin) {
		t.Fatalf("config-admin login on vault-1: %v", err)
	}

	if err := vaultops.RevokeRoot(ctx, v); err != nil {
		t.Fatal(err)
	}
	v.Client.SetToken(root)
	if _, err := v.Client.Sys().ListAuthWithContext(ctx); statusOf(err) != 403 {
		t.Errorf("the revoked root token: %v, want 403", err)
	}
}

// TestTokenRequestNeedsTheServiceAccount: the fake clientset's TokenRequest API refuses an account that
// does not exist, as the API server does.
func TestTokenRequestNeedsTheServiceAccount(t *testing.T) {
	f, err := newKubeFakes(eraOne())
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.typed.CoreV1().ServiceAccounts("vault").CreateToken(context.Background(), "nobody", &authv1.TokenRequest{}, metav1.CreateOptions{})
	if !apierrors.IsNotFound(err) {
		t.Errorf("token for a missing account: %v, want NotFound", err)
	}
}

// TestVaultAccessBeforeTheCluster: on a Blank demo before its install, every replica carries the error
// its missing pod would give.
func TestVaultAccessBeforeTheCluster(t *testing.T) {
	ctx := context.Background()
	d := startBlank(t)
	replicas, err := d.VaultAccess().Replicas(ctx, plan.Plan{}, d.Kube)
	if err != nil {
		t.Fatal(err)
	}
	if len(replicas) != 3 {
		t.Fatalf("%d replicas, want 3", len(replicas))
	}
	for _, r := range replicas {
		if r.Err == nil || !strings.Contains(r.Err.Error(), "do not exist yet") {
			t.Errorf("%s before the cluster exists: %v", r.Name, r.Err)
		}
	}
}

// TestDynamicFakeServesVaultSecrets: the install's VaultSecret objects can be created, read, listed and
// updated on the demo's dynamic fake.
func TestDynamicFakeServesVaultSecrets(t *testing.T) {
	ctx := context.Background()
	f, err := newKubeFakes(eraOne())
	if err != nil {
		t.Fatal(err)
	}
	res := f.dyn.Resource(platform.VaultSecret.GVR).Namespace("argocd")
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": platform.VaultSecret.GVR.GroupVersion().String(), "kind": platform.VaultSecret.Kind,
		"metadata": map[string]any{"name": "dex-secret", "namespace": "argocd"},
		"spec":     map[string]any{"refreshPeriod": "1h0m0s"},
	}}
	if _, err := res.Create(ctx, u, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	got, err := res.Get(ctx, "dex-secret", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := unstructured.SetNestedField(got.Object, "30m0s", "spec", "refreshPeriod"); err != nil {
		t.Fatal(err)
	}
	if _, err := res.Update(ctx, got, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	l, err := res.List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Items) != 1 || l.Items[0].Object["spec"].(map[string]any)["refreshPeriod"] != "30m0s" {
		t.Errorf("VaultSecrets listed: %v", l.Items)
	}
}
