package demo

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/vaultops"
	vault "github.com/hashicorp/vault/api"
)

// unsealedVault is a simulated cluster initialized with 3 shares (2 needed) whose vault-0 is unsealed
// (vault-1 and vault-2 stay sealed), and the root token.
func unsealedVault(t *testing.T) (*vaultCluster, string) {
	t.Helper()
	c, root, _ := unsealedVaultKeys(t)
	return c, root
}

// unsealedVaultKeys is unsealedVault with the shares its init gave.
func unsealedVaultKeys(t *testing.T) (*vaultCluster, string, []string) {
	t.Helper()
	c := newVaultCluster("vault-0", "vault-1", "vault-2")
	keys, root, err := c.initialize(3, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys[:2] {
		if _, err := c.unseal("vault-0", k, false); err != nil {
			t.Fatal(err)
		}
	}
	return c, root, keys
}

// vaultClient is the real vault/api client on one replica, with the token given ("" for none).
func vaultClient(t *testing.T, c *vaultCluster, replica, token string) *vault.Client {
	t.Helper()
	v, err := platform.ConnectVault(platform.VaultOptions{Addr: replicaAddr(replica), HTTPClient: c.client(replica), Token: token})
	if err != nil {
		t.Fatal(err)
	}
	return v.Client
}

// statusOf is the HTTP status of a Vault error (0 for none, -1 for an error that is not Vault's).
func statusOf(err error) int {
	if err == nil {
		return 0
	}
	var re *vault.ResponseError
	if errors.As(err, &re) {
		return re.StatusCode
	}
	return -1
}

// setUpKubernetesAuth enables the kubernetes auth method with its config, the given policy and a role
// granting it to the vault namespace's controller-manager.
func setUpKubernetesAuth(t *testing.T, ctx context.Context, root *vault.Client, policy, text string) {
	t.Helper()
	if err := root.Sys().EnableAuthWithOptionsWithContext(ctx, "kubernetes", &vault.EnableAuthOptions{Type: "kubernetes"}); err != nil {
		t.Fatalf("enable kubernetes auth: %v", err)
	}
	if _, err := root.Logical().WriteWithContext(ctx, "auth/kubernetes/config", map[string]any{
		"kubernetes_host": "https://kubernetes.default.svc", "token_reviewer_jwt": "demo.reviewer",
	}); err != nil {
		t.Fatalf("write config: %v", err)
	}
	addRole(t, ctx, root, policy, text)
}

func addRole(t *testing.T, ctx context.Context, root *vault.Client, policy, text string) {
	t.Helper()
	if err := root.Sys().PutPolicyWithContext(ctx, policy, text); err != nil {
		t.Fatalf("write policy %s: %v", policy, err)
	}
	if _, err := root.Logical().WriteWithContext(ctx, "auth/kubernetes/role/"+policy, map[string]any{
		"bound_service_account_names": "controller-manager", "bound_service_account_namespaces": "vault",
		"policies": policy, "ttl": "24h",
	}); err != nil {
		t.Fatalf("write role %s: %v", policy, err)
	}
}

// login logs in with a role and returns a client holding the login's token.
func login(t *testing.T, ctx context.Context, c *vaultCluster, role string) (*vault.Client, *vault.SecretAuth) {
	t.Helper()
	cl := vaultClient(t, c, "vault-0", "")
	sec, err := cl.Logical().WriteWithContext(ctx, "auth/kubernetes/login", map[string]any{"role": role, "jwt": "demo.sa-token"})
	if err != nil {
		t.Fatalf("login as %s: %v", role, err)
	}
	if sec == nil || sec.Auth == nil || sec.Auth.ClientToken == "" {
		t.Fatalf("login as %s gave no token", role)
	}
	cl.SetToken(sec.Auth.ClientToken)
	return cl, sec.Auth
}

// TestVaultKubernetesAuth: through the real client, the root token enables the kubernetes auth method
// (once), configures it (the reviewer's token is never read back), writes a policy and a role, and a
// login with the role gets the role's policies and TTL.
func TestVaultKubernetesAuth(t *testing.T) {
	ctx := context.Background()
	c, rootToken := unsealedVault(t)
	root := vaultClient(t, c, "vault-0", rootToken)

	auths, err := root.Sys().ListAuthWithContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := auths["token/"]; !ok || len(auths) != 1 {
		t.Fatalf("auth methods of a new Vault: %v, want token/ only", slices.Collect(maps.Keys(auths)))
	}
	setUpKubernetesAuth(t, ctx, root, vaultops.ConfigAdmin, vaultops.ConfigAdminPolicy)
	err = root.Sys().EnableAuthWithOptionsWithContext(ctx, "kubernetes", &vault.EnableAuthOptions{Type: "kubernetes"})
	if statusOf(err) != 400 || !strings.Contains(err.Error(), "path is already in use at kubernetes/") {
		t.Errorf("enable kubernetes/ again: %v, want 400 path is already in use", err)
	}
	auths, err = root.Sys().ListAuthWithContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := auths["kubernetes/"]; !ok || m.Type != "kubernetes" || m.Accessor == "" {
		t.Errorf("kubernetes/ in the auth methods: %+v", m)
	}

	cfg, err := root.Logical().ReadWithContext(ctx, "auth/kubernetes/config")
	if err != nil || cfg == nil {
		t.Fatalf("read config: %v", err)
	}
	if _, ok := cfg.Data["token_reviewer_jwt"]; ok {
		t.Error("the config read back carries the reviewer's token")
	}
	if cfg.Data["token_reviewer_jwt_set"] != true || cfg.Data["kubernetes_host"] != "https://kubernetes.default.svc" {
		t.Errorf("config read back: set %v, host %v", cfg.Data["token_reviewer_jwt_set"], cfg.Data["kubernetes_host"])
	}

	if got, err := root.Sys().GetPolicyWithContext(ctx, vaultops.ConfigAdmin); err != nil || got != vaultops.ConfigAdminPolicy {
		t.Errorf("policy read back: %v (same text: %v)", err, got == vaultops.ConfigAdminPolicy)
	}
	if got, err := root.Sys().GetPolicyWithContext(ctx, "absent"); err != nil || got != "" {
		t.Errorf("absent policy: %q, %v; want empty, no error", got, err)
	}
	if names, err := root.Sys().ListPoliciesWithContext(ctx); err != nil || !slices.Equal(names, []string{"config-admin", "default", "root"}) {
		t.Errorf("policies: %v %v", names, err)
	}
	role, err := root.Logical().ReadWithContext(ctx, "auth/kubernetes/role/config-admin")
	if err != nil || role == nil {
		t.Fatalf("read role: %v", err)
	}
	if got := role.Data["bound_service_account_names"]; len(got.([]any)) != 1 || fmt.Sprint(role.Data["token_ttl"]) != "86400" {
		t.Errorf("role read back: names %v, ttl %v", got, role.Data["token_ttl"])
	}
	if l, err := root.Logical().ListWithContext(ctx, "auth/kubernetes/role"); err != nil || l == nil || len(l.Data["keys"].([]any)) != 1 {
		t.Errorf("list roles: %v %v", l, err)
	}

	_, auth := login(t, ctx, c, vaultops.ConfigAdmin)
	if !slices.Equal(auth.Policies, []string{"config-admin", "default"}) || auth.LeaseDuration != 86400 {
		t.Errorf("login: policies %v, lease %d; want [config-admin default], 86400", auth.Policies, auth.LeaseDuration)
	}
	if !strings.HasPrefix(auth.ClientToken, "hvs.demo-") {
		t.Error("the login's token is not a demo token")
	}

	anon := vaultClient(t, c, "vault-0", "")
	refused := []struct {
		name string
		body map[string]any
		want string
	}{
		{"unknown role", map[string]any{"role": "nobody", "jwt": "x"}, `invalid role name "nobody"`},
		{"no role", map[string]any{"jwt": "x"}, "missing role"},
		{"no jwt", map[string]any{"role": vaultops.ConfigAdmin}, "missing jwt"},
	}
	for _, tc := range refused {
		t.Run("login "+tc.name, func(t *testing.T) {
			_, err := anon.Logical().WriteWithContext(ctx, "auth/kubernetes/login", tc.body)
			if statusOf(err) != 400 || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want 400 %q", err, tc.want)
			}
		})
	}
	_, err = root.Logical().WriteWithContext(ctx, "auth/kubernetes/role/empty", map[string]any{"policies": "default"})
	if statusOf(err) != 400 {
		t.Errorf("a role bound to no service account: %v, want 400", err)
	}
}

// TestVaultPolicies: a login token may do what its policies allow and nothing else: config-admin writes
// kv-system (KV v1) and policies but not kv; a narrower policy's + matches one segment only.
func TestVaultPolicies(t *testing.T) {
	ctx := context.Background()
	c, rootToken := unsealedVault(t)
	root := vaultClient(t, c, "vault-0", rootToken)
	for _, m := range vaultops.Mounts() {
		if err := root.Sys().MountWithContext(ctx, m.Path, &vault.MountInput{Type: m.Type, Options: m.Options}); err != nil {
			t.Fatal(err)
		}
	}
	setUpKubernetesAuth(t, ctx, root, vaultops.ConfigAdmin, vaultops.ConfigAdminPolicy)
	addRole(t, ctx, root, "reader", `path "kv-system/sso/*" {
  capabilities = ["read"]
}
path "kv-system/apps/+/config" { capabilities = ["create", "update"] }`)
	if _, err := root.Logical().WriteWithContext(ctx, "kv-system/sso/argocd", map[string]any{"clientSecret": "s"}); err != nil {
		t.Fatal(err)
	}
	admin, _ := login(t, ctx, c, vaultops.ConfigAdmin)
	reader, _ := login(t, ctx, c, "reader")

	write := func(p string) func(*vault.Client) error {
		return func(cl *vault.Client) error {
			_, err := cl.Logical().WriteWithContext(ctx, p, map[string]any{"k": "v"})
			return err
		}
	}
	read := func(p string) func(*vault.Client) error {
		return func(cl *vault.Client) error {
			_, err := cl.Logical().ReadWithContext(ctx, p)
			return err
		}
	}
	list := func(p string) func(*vault.Client) error {
		return func(cl *vault.Client) error {
			_, err := cl.Logical().ListWithContext(ctx, p)
			return err
		}
	}
	cases := []struct {
		name   string
		client *vault.Client
		do     func(*vault.Client) error
		want   int // HTTP status of the refusal; 0 allowed
	}{
		{"config-admin writes kv-system", admin, write("kv-system/default_passwords/grafana"), 0},
		{"config-admin reads kv-system", admin, read("kv-system/default_passwords/grafana"), 0},
		{"config-admin lists kv-system", admin, list("kv-system"), 0},
		{"config-admin writes a policy", admin, func(cl *vault.Client) error {
			return cl.Sys().PutPolicyWithContext(ctx, "secret-reader", `path "kv/data/*" { capabilities = ["read"] }`)
		}, 0},
		{"config-admin lists auth methods", admin, func(cl *vault.Client) error { _, err := cl.Sys().ListAuthWithContext(ctx); return err }, 0},
		{"config-admin writes kv", admin, write("kv/data/apps/x"), 403},
		{"reader reads sso", reader, read("kv-system/sso/argocd"), 0},
		{"reader writes sso", reader, write("kv-system/sso/argocd"), 403},
		{"reader writes one segment under +", reader, write("kv-system/apps/grafana/config"), 0},
		{"reader writes two segments under +", reader, write("kv-system/apps/a/b/config"), 403},
		{"reader lists kv-system", reader, list("kv-system"), 403},
		{"reader reads policies", reader, func(cl *vault.Client) error { _, err := cl.Sys().GetPolicyWithContext(ctx, "default"); return err }, 403},
		{"reader looks itself up (default policy)", reader, func(cl *vault.Client) error { _, err := cl.Auth().Token().LookupSelfWithContext(ctx); return err }, 0},
		{"root writes a bad policy", root, func(cl *vault.Client) error {
			return cl.Sys().PutPolicyWithContext(ctx, "bad", `path "kv/*" { capabilities = ["raed"] }`)
		}, 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := statusOf(tc.do(tc.client)); got != tc.want {
				t.Errorf("status %d, want %d", got, tc.want)
			}
		})
	}
}

// TestPolicyGlob: a trailing * is a prefix, + one segment.
func TestPolicyGlob(t *testing.T) {
	cases := []struct {
		glob, path string
		want       bool
	}{
		{"sys/*", "sys/policies/acl/x", true},
		{"sys/*", "sys", false},
		{"kv-system/*", "kv-system/", true},
		{"kv-system/sso/*", "kv-system/ssox", false},
		{"kv/data/app*", "kv/data/apps/x", true},
		{"auth/token/lookup-self", "auth/token/lookup-self", true},
		{"auth/token/lookup-self", "auth/token/lookup-self/x", false},
		{"kv/+/config", "kv/a/config", true},
		{"kv/+/config", "kv/a/b/config", false},
		{"kv/+/*", "kv/a/b/c", true},
	}
	for _, tc := range cases {
		if got := globMatch(tc.glob, tc.path); got != tc.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tc.glob, tc.path, got, tc.want)
		}
	}
}

// TestVaultMountsAndKV: the default mounts, kv (v2) and kv-system (v1) enabled as the bootstrap does,
// then KV v1 and v2 secrets written, read, listed and deleted through vault/api's helpers.
func TestVaultMountsAndKV(t *testing.T) {
	ctx := context.Background()
	c, rootToken := unsealedVault(t)
	root := vaultClient(t, c, "vault-0", rootToken)
	mounts, err := root.Sys().ListMountsWithContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := slices.Sorted(maps.Keys(mounts)); !slices.Equal(got, []string{"cubbyhole/", "identity/", "sys/"}) {
		t.Errorf("mounts of a new Vault: %v", got)
	}
	for _, m := range vaultops.Mounts() {
		if err := root.Sys().MountWithContext(ctx, m.Path, &vault.MountInput{Type: m.Type, Options: m.Options}); err != nil {
			t.Fatal(err)
		}
	}
	if err := root.Sys().MountWithContext(ctx, "kv", &vault.MountInput{Type: "kv"}); statusOf(err) != 400 {
		t.Errorf("mount kv/ again: %v, want 400", err)
	}
	mounts, err = root.Sys().ListMountsWithContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range vaultops.Mounts() {
		if got := mounts[m.Path+"/"]; got == nil || got.Type != "kv" || got.Options["version"] != m.Options["version"] {
			t.Errorf("mount %s/: %+v, want kv version %s", m.Path, got, m.Options["version"])
		}
	}

	// KV v1.
	v1 := root.KVv1("kv-system")
	if err := v1.Put(ctx, "sso/argocd", map[string]any{"clientID": "id", "clientSecret": "s"}); err != nil {
		t.Fatal(err)
	}
	if s, err := v1.Get(ctx, "sso/argocd"); err != nil || s.Data["clientID"] != "id" {
		t.Errorf("KV v1 read back: %v", err)
	}
	if s, err := root.Logical().ReadWithContext(ctx, "kv-system/sso/grafana"); err != nil || s != nil {
		t.Errorf("KV v1 absent secret: %v %v; want nil, nil", s, err)
	}
	if l, err := root.Logical().ListWithContext(ctx, "kv-system"); err != nil || l == nil || l.Data["keys"].([]any)[0] != "sso/" {
		t.Errorf("KV v1 list: %v %v", l, err)
	}
	if err := v1.Delete(ctx, "sso/argocd"); err != nil {
		t.Fatal(err)
	}
	if _, err := v1.Get(ctx, "sso/argocd"); !errors.Is(err, vault.ErrSecretNotFound) {
		t.Errorf("KV v1 deleted secret: %v, want not found", err)
	}

	// KV v2.
	v2 := root.KVv2("kv")
	for _, pw := range []string{"one", "two"} {
		if _, err := v2.Put(ctx, "apps/grafana/admin", map[string]any{"password": pw}); err != nil {
			t.Fatal(err)
		}
	}
	s, err := v2.Get(ctx, "apps/grafana/admin")
	if err != nil {
		t.Fatal(err)
	}
	if s.Data["password"] != "two" || s.VersionMetadata == nil || s.VersionMetadata.Version != 2 {
		t.Errorf("KV v2 read back: password %v, metadata %+v; want two, version 2", s.Data["password"], s.VersionMetadata)
	}
	if l, err := root.Logical().ListWithContext(ctx, "kv/metadata/apps"); err != nil || l == nil || l.Data["keys"].([]any)[0] != "grafana/" {
		t.Errorf("KV v2 list: %v %v", l, err)
	}
	if _, err := root.Logical().WriteWithContext(ctx, "kv/apps/x", map[string]any{"k": "v"}); statusOf(err) != 404 {
		t.Errorf("a KV v1 path on KV v2: %v, want 404", err)
	}
	if err := v2.DeleteMetadata(ctx, "apps/grafana/admin"); err != nil {
		t.Fatal(err)
	}
	if _, err := v2.Get(ctx, "apps/grafana/admin"); !errors.Is(err, vault.ErrSecretNotFound) {
		t.Errorf("KV v2 deleted secret: %v, want not found", err)
	}
}

// TestVaultRevokeSelf: a revoked token, a login's or root's, is refused afterwards; the seal refuses
// the revoked root token too.
func TestVaultRevokeSelf(t *testing.T) {
	ctx := context.Background()
	c, rootToken := unsealedVault(t)
	root := vaultClient(t, c, "vault-0", rootToken)
	setUpKubernetesAuth(t, ctx, root, vaultops.ConfigAdmin, vaultops.ConfigAdminPolicy)
	admin, _ := login(t, ctx, c, vaultops.ConfigAdmin)

	self, err := admin.Auth().Token().LookupSelfWithContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := self.TokenPolicies(); !slices.Equal(p, []string{"config-admin", "default"}) {
		t.Errorf("lookup-self policies: %v", p)
	}
	for _, tc := range []struct {
		name string
		cl   *vault.Client
	}{{"login", admin}, {"root", root}} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.cl.Auth().Token().RevokeSelfWithContext(ctx, ""); err != nil {
				t.Fatal(err)
			}
			if _, err := tc.cl.Auth().Token().LookupSelfWithContext(ctx); statusOf(err) != 403 {
				t.Errorf("lookup-self after revoke: %v, want 403", err)
			}
			if _, err := tc.cl.Sys().ListAuthWithContext(ctx); statusOf(err) != 403 {
				t.Errorf("list auth after revoke: %v, want 403", err)
			}
		})
	}
	if err := root.Sys().SealWithContext(ctx); statusOf(err) != 403 {
		t.Errorf("seal with the revoked root token: %v, want 403", err)
	}
}

// TestVaultRefusals: a sealed or uninitialized replica answers 503, a missing or unknown token 403.
func TestVaultRefusals(t *testing.T) {
	ctx := context.Background()
	c, rootToken := unsealedVault(t)
	fresh := newVaultCluster("vault-0")
	cases := []struct {
		name    string
		c       *vaultCluster
		replica string
		token   string
		want    int
		msg     string
	}{
		{"sealed replica", c, "vault-1", rootToken, 503, "Vault is sealed"},
		{"uninitialized", fresh, "vault-0", "hvs.anything", 503, "Vault is sealed"},
		{"no token", c, "vault-0", "", 403, "permission denied"},
		{"unknown token", c, "vault-0", "hvs.unknown", 403, "permission denied"},
		{"root", c, "vault-0", rootToken, 0, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := vaultClient(t, tc.c, tc.replica, tc.token).Sys().ListMountsWithContext(ctx)
			if statusOf(err) != tc.want || (tc.msg != "" && !strings.Contains(err.Error(), tc.msg)) {
				t.Errorf("got %v, want %d %s", err, tc.want, tc.msg)
			}
		})
	}
}
