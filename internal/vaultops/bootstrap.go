package vaultops

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/clubcedille/cedille-tui/internal/platform"
	vault "github.com/hashicorp/vault/api"
	authv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// The bootstrap the platform did by hand before vault-config-operator could reconcile anything
// (PLATFORM.md §3.1 step 4 and the runbook of §3.2).
const (
	AuthPath          = "kubernetes"
	ConfigAdmin       = "config-admin"
	VaultNamespace    = "vault"
	ReviewerName      = "vault-token-reviewer"
	ReviewerBinding   = "vault-token-reviewer-auth-delegator"
	ReviewerTokenLife = 365 * 24 * time.Hour
)

// ConfigAdminPolicy is what vault-config-operator needs to manage Vault's configuration: everything
// under sys/, auth/, the GitHub engine and kv-system.
const ConfigAdminPolicy = `# Written by cedille-tui: what vault-config-operator needs (role config-admin).
path "sys/*" {
  capabilities = ["create", "read", "update", "delete", "list", "sudo"]
}
path "auth/*" {
  capabilities = ["create", "read", "update", "delete", "list", "sudo"]
}
path "github/*" {
  capabilities = ["create", "read", "update", "delete", "list", "sudo"]
}
path "kv-system/*" {
  capabilities = ["create", "read", "update", "delete", "list", "sudo"]
}
`

// ConfigAdminAccounts are the service accounts of namespace vault that log in as config-admin: the
// operator's controller-manager, Vault's own, and default.
var configAdminAccounts = []string{"vault", "default", "controller-manager"}

// Mount is a secrets engine the platform expects.
type Mount struct {
	Path, Type string
	Options    map[string]string
}

// Mounts: kv holds applications' secrets at kv/data/<namespace>/<serviceaccount>/<name> (KV v2: the
// policies and RandomSecrets use data/ paths); kv-system holds the platform's own (KV v1 paths, e.g.
// kv-system/default_passwords/*).
func Mounts() []Mount {
	return []Mount{
		{Path: "kv", Type: "kv", Options: map[string]string{"version": "2"}},
		{Path: "kv-system", Type: "kv", Options: map[string]string{"version": "1"}},
	}
}

// BootstrapOptions say how Vault reaches the API server.
type BootstrapOptions struct {
	// KubernetesHost is the API server as Vault reaches it (in the cluster:
	// https://kubernetes.default.svc).
	KubernetesHost string
	// KubernetesCA is the cluster CA (PEM).
	KubernetesCA []byte
	// ReviewerJWT is the reviewer service account's token (EnsureReviewer).
	ReviewerJWT Secret
	// VaultOutsideCluster sets disable_local_ca_jwt: a Vault outside a pod has no local service-account
	// token or CA to fall back on.
	VaultOutsideCluster bool
}

// EnsureReviewer creates (or keeps) the dedicated ServiceAccount Vault reviews tokens with, bound to
// system:auth-delegator, and returns a token for it from the TokenRequest API, with its expiry.
func EnsureReviewer(ctx context.Context, k kubernetes.Interface) (Secret, time.Time, error) {
	if _, err := k.CoreV1().Namespaces().Get(ctx, VaultNamespace, metav1.GetOptions{}); apierrors.IsNotFound(err) {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: VaultNamespace}}
		if _, err := k.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return Secret{}, time.Time{}, fmt.Errorf("create namespace %s: %w", VaultNamespace, err)
		}
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: ReviewerName, Namespace: VaultNamespace,
		Labels: map[string]string{"app.kubernetes.io/managed-by": "cedille-tui"}}}
	if _, err := k.CoreV1().ServiceAccounts(VaultNamespace).Create(ctx, sa, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return Secret{}, time.Time{}, fmt.Errorf("create the reviewer service account: %w", err)
	}
	crb := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: ReviewerBinding, Labels: map[string]string{"app.kubernetes.io/managed-by": "cedille-tui"}},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "system:auth-delegator"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: ReviewerName, Namespace: VaultNamespace}},
	}
	if _, err := k.RbacV1().ClusterRoleBindings().Create(ctx, crb, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return Secret{}, time.Time{}, fmt.Errorf("bind the reviewer to system:auth-delegator: %w", err)
	}
	tok, until, err := ServiceAccountToken(ctx, k, VaultNamespace, ReviewerName, ReviewerTokenLife)
	if err != nil {
		return Secret{}, time.Time{}, fmt.Errorf("request the reviewer's token: %w", err)
	}
	return tok, until, nil
}

// ServiceAccountToken requests a short-lived token for a ServiceAccount (TokenRequest API), as a pod of
// that account would hold (the bootstrap's check logs in with it as vault-config-operator does), with its
// expiry as the API server granted it (it may cap the lifetime asked for).
func ServiceAccountToken(ctx context.Context, k kubernetes.Interface, namespace, name string, ttl time.Duration) (Secret, time.Time, error) {
	secs := int64(ttl.Seconds())
	tr, err := k.CoreV1().ServiceAccounts(namespace).CreateToken(ctx, name,
		&authv1.TokenRequest{Spec: authv1.TokenRequestSpec{ExpirationSeconds: &secs}}, metav1.CreateOptions{})
	if err != nil {
		return Secret{}, time.Time{}, err
	}
	tok := NewSecret(tr.Status.Token)
	tr.Status.Token = ""
	return tok, tr.Status.ExpirationTimestamp.Time, nil
}

// ConfigAdminAccounts are the service accounts of namespace vault the config-admin role admits.
func ConfigAdminAccounts() []string { return append([]string(nil), configAdminAccounts...) }

// Step is one thing the bootstrap did or found done, for the wizard's log.
type Step struct {
	What    string
	Changed bool
}

// Bootstrap configures Vault with a client holding the root token: the kubernetes auth method and its
// config, the config-admin policy and role, the kv and kv-system mounts (Era1Layout). Every part is
// checked first and changed only when it differs, so running it again is harmless.
func Bootstrap(ctx context.Context, v *platform.Vault, o BootstrapOptions, report func(Step)) error {
	return Configure(ctx, v, o, Era1Layout(), report)
}

// Configure makes Vault's configuration l with a client holding the root token: the kubernetes auth
// method and its config (o), then l's policies, roles and mounts. A policy or mount that is already as
// expected is left alone; a mount of another type is reported and left as it is. Running it again is
// harmless.
func Configure(ctx context.Context, v *platform.Vault, o BootstrapOptions, l Layout, report func(Step)) error {
	sys := v.Client.Sys()
	auths, err := sys.ListAuthWithContext(ctx)
	if err != nil {
		return v.Classify(err)
	}
	if _, ok := auths[AuthPath+"/"]; ok {
		report(Step{What: "auth method kubernetes/ already enabled"})
	} else {
		if err := sys.EnableAuthWithOptionsWithContext(ctx, AuthPath, &vault.EnableAuthOptions{Type: "kubernetes"}); err != nil {
			return fmt.Errorf("enable the kubernetes auth method: %w", v.Classify(err))
		}
		report(Step{What: "enabled auth method kubernetes/", Changed: true})
	}
	cfg := map[string]any{
		"kubernetes_host":    o.KubernetesHost,
		"kubernetes_ca_cert": string(o.KubernetesCA),
		"token_reviewer_jwt": o.ReviewerJWT.Reveal(),
	}
	if o.VaultOutsideCluster {
		cfg["disable_local_ca_jwt"] = true
	}
	if _, err := v.Client.Logical().WriteWithContext(ctx, "auth/"+AuthPath+"/config", cfg); err != nil {
		return fmt.Errorf("configure the kubernetes auth method: %w", v.Classify(err))
	}
	report(Step{What: "auth/kubernetes/config: host " + o.KubernetesHost + ", cluster CA, reviewer " +
		VaultNamespace + "/" + ReviewerName, Changed: true})

	for _, p := range l.Policies {
		if cur, err := sys.GetPolicyWithContext(ctx, p.Name); err == nil && strings.TrimSpace(cur) == strings.TrimSpace(p.Text) {
			report(Step{What: "policy " + p.Name + " already as expected"})
			continue
		}
		if err := sys.PutPolicyWithContext(ctx, p.Name, p.Text); err != nil {
			return fmt.Errorf("write policy %s: %w", p.Name, v.Classify(err))
		}
		report(Step{What: "wrote policy " + p.Name, Changed: true})
	}

	for _, r := range l.Roles {
		if _, err := v.Client.Logical().WriteWithContext(ctx, r.path(), r.request()); err != nil {
			return fmt.Errorf("write role %s: %w", r.Name, v.Classify(err))
		}
		report(Step{What: r.String(), Changed: true})
	}

	mounts, err := sys.ListMountsWithContext(ctx)
	if err != nil {
		return v.Classify(err)
	}
	for _, m := range l.Mounts {
		if cur, ok := mounts[m.Path+"/"]; ok {
			if cur.Type != m.Type || (m.Options["version"] != "" && cur.Options["version"] != m.Options["version"]) {
				report(Step{What: fmt.Sprintf("mount %s/ exists as %s (version %s), expected %s version %s: left as it is",
					m.Path, cur.Type, cur.Options["version"], m.Type, m.Options["version"])})
				continue
			}
			report(Step{What: "mount " + m.Path + "/ already enabled"})
			continue
		}
		if err := sys.MountWithContext(ctx, m.Path, &vault.MountInput{Type: m.Type, Options: m.Options}); err != nil {
			return fmt.Errorf("enable mount %s: %w", m.Path, v.Classify(err))
		}
		report(Step{What: fmt.Sprintf("enabled mount %s/ (%s v%s)", m.Path, m.Type, m.Options["version"]), Changed: true})
	}
	return nil
}

// RevokeRoot revokes the root token the bootstrap used. A new one can be generated later with a
// threshold of the shares (vault operator generate-root).
func RevokeRoot(ctx context.Context, v *platform.Vault) error {
	if err := v.Client.Auth().Token().RevokeSelfWithContext(ctx, ""); err != nil {
		return fmt.Errorf("revoke the root token: %w", v.Classify(err))
	}
	v.Client.ClearToken()
	return nil
}
