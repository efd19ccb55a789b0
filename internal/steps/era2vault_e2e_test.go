//go:build e2e

package steps

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/gopenpgp/v3/crypto"
	"github.com/clubcedille/cedille-tui/hack/lab"
	"github.com/clubcedille/cedille-tui/hack/lab/labtest"
	"github.com/clubcedille/cedille-tui/internal/omnisim"
	"github.com/clubcedille/cedille-tui/internal/omnisim/omnisimtest"
	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/vaultops"
	vault "github.com/hashicorp/vault/api"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
	authv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// TestEra2VaultRealServers: era 2's Vault steps against a real Vault whose auto-unseal seal is served by
// a second real Vault (transit standing in for Google Cloud KMS: recovery keys, the same semantics), in
// a cluster — a real kube-apiserver — that the steps reach only through the kubeconfig the simulated Omni
// issues. A plan whose seal is gcpckms is refused before anything is done, saying why. With the plan's
// seal, an unattended run initializes Vault with 5 recovery shares, each encrypted to its custodian and
// armored in its file (the root token too), waits until Vault unsealed itself, and bootstraps: the roles
// read back from Vault have the bound service accounts and audience of PLATFORM.md §3.2, and a token for
// audience vault logs in as secret-reader while one without it is refused. Both Checks hold, a second
// run does nothing; a role someone changed makes the bootstrap not done, and a later run repairs it with
// a root token made from three recovery shares (generate-root), revoked at its end. No share or token is
// in what the install said or saved.
func TestEra2VaultRealServers(t *testing.T) {
	transit := labtest.Start(t, lab.KubeAPIServer, lab.Vault)
	seal := transitSeal(t, transit)
	l := labtest.StartWith(t, lab.Options{Components: []string{lab.Vault}, VaultSealFile: seal})
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	kc, err := kubernetes.NewForConfig(transit.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	accounts(t, kc, "vault", "apps")

	srv, om := omnisimtest.Start(t, omnisim.Options{})
	p := era2TestPlan(t)
	if err := srv.State().Create(ctx, omni.NewCluster(p.Era2.Cluster)); err != nil {
		t.Fatal(err)
	}
	srv.SetClusterKubeconfig(p.Era2.Cluster, labKubeconfig(t, transit, ""))

	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	keys := make([]*crypto.Key, 6)
	v := &p.Era2.Vault
	v.RecoveryShares, v.RecoveryThreshold, v.RevokeRoot = 5, 3, true
	for i := range keys {
		keys[i] = genKey(t, fmt.Sprintf("custodian-%d", i+1))
		pub := writePublic(t, dir, keys[i], fmt.Sprintf("custodian-%d", i+1))
		if i == 5 {
			v.RootToken = plan.RootTokenExport{PGPKey: pub, File: filepath.Join(out, "root-token.asc")}
			continue
		}
		v.Custodians = append(v.Custodians, plan.Custodian{Name: fmt.Sprintf("custodian-%d", i+1), PGPKey: pub,
			ShareFile: filepath.Join(out, fmt.Sprintf("recovery-%d.asc", i+1))})
	}

	var sc scanner
	session := func() *Runner {
		return &Runner{Steps: []Step{Era2VaultInitStep{}, Era2VaultBootstrapStep{}}, Store: NewStore(filepath.Join(dir, "state")),
			Report: sc.report, Env: &Env{Omni: om, Vault: ClusterVault{Options: platform.VaultOptions{Addr: l.VaultAddr()}},
				Keys: &Keyring{}, Poll: 100 * time.Millisecond, ClusterWait: time.Minute}}
	}
	c, err := vault.NewClient(&vault.Config{Address: l.VaultAddr()})
	if err != nil {
		t.Fatal(err)
	}

	// The plan says gcpckms; this Vault is sealed by transit: refused, nothing done.
	sv := Saved{Plan: p}
	err = session().RunOne(ctx, &sv, Era2VaultInitStep{})
	if err == nil || !strings.Contains(err.Error(), "Vault reports a transit seal, the plan a gcpckms one") {
		t.Fatalf("a Vault of another seal: %v", err)
	}
	if o, _ := (Era2VaultInitStep{}).Check(ctx, session().Env, p); o.Holds || !strings.Contains(o.Detail, "transit seal, the plan a gcpckms") {
		t.Errorf("Check of a Vault of another seal: %+v", o)
	}
	if st, err := c.Sys().SealStatusWithContext(ctx); err != nil || st.Initialized {
		t.Fatalf("the refused plan touched Vault: %+v %v", st, err)
	}
	if files, _ := os.ReadDir(out); len(files) > 0 {
		t.Fatalf("the refused plan wrote exports: %v", files)
	}

	// The plan's seal is the Vault's: one unattended run initializes and bootstraps.
	v.Seal.Type = "transit"
	sv = Saved{Plan: p}
	r := session()
	if o, _ := (Era2VaultInitStep{}).Check(ctx, r.Env, p); o.Holds || !strings.Contains(o.Detail, "not initialized") {
		t.Errorf("Check before the init: %+v", o)
	}
	if err := r.Run(ctx, &sv); err != nil {
		t.Fatal(err)
	}
	if sv.Steps[Era2VaultInit].State != Done || sv.Steps[Era2VaultBootstrap].State != Done {
		t.Fatalf("states: %+v", sv.Steps)
	}
	said := sc.text.String()
	for _, s := range []string{"auto-unseal seal (transit)", "5 recovery shares, 3 needed", "unsealed itself",
		"role secret-reader: service accounts * of namespace *, audience vault", "enabled mount kv-v2/", "root token revoked"} {
		if !strings.Contains(said, s) {
			t.Errorf("the run does not say %q:\n%s", s, said)
		}
	}
	if res := sv.Steps[Era2VaultInit].Result; len(res.Summary) == 0 || res.Summary[0] != "Vault initialized: 5 recovery shares, 3 of them needed" ||
		len(res.Artifacts) != 6 {
		t.Errorf("the init's result: %+v", res)
	}
	shares := make([]string, 5)
	for i := range shares {
		shares[i] = openArmored(t, keys[i], v.Custodians[i].ShareFile)
	}
	root := openArmored(t, keys[5], v.RootToken.File)
	if st, err := c.Sys().SealStatusWithContext(ctx); err != nil || !st.Initialized || st.Sealed || !st.RecoverySeal || st.N != 5 || st.T != 3 {
		t.Fatalf("Vault after the init: %+v %v", st, err)
	}
	c.SetToken(root)
	if _, err := c.Auth().Token().LookupSelfWithContext(ctx); err == nil {
		t.Error("the root token still works though the plan revokes it")
	}

	// The cluster was reached only with kubeconfigs Omni issued, for the install's service account.
	issued := 0
	for _, i := range srv.Issued() {
		if i.Cluster != p.Era2.Cluster {
			continue
		}
		issued++
		if i.User != KubeconfigUser || !slices.Equal(i.Groups, []string{"system:masters"}) {
			t.Errorf("a kubeconfig issued to %s %v", i.User, i.Groups)
		}
	}
	if issued == 0 {
		t.Error("Omni issued no kubeconfig for the cluster")
	}

	// The roles as Vault has them, read as vault-config-operator will (config-admin).
	admin := loginAs(ctx, t, l.VaultAddr(), kc, "vault", "default", vaultops.ConfigAdmin, nil)
	roles := map[string]*vault.Secret{}
	for _, name := range []string{"config-admin", "secret-reader", "secret-writer"} {
		if roles[name], err = admin.Logical().ReadWithContext(ctx, "auth/kubernetes/role/"+name); err != nil || roles[name] == nil {
			t.Fatalf("role %s: %v", name, err)
		}
	}
	if got := strs(roles["config-admin"].Data["bound_service_account_names"]); !slices.Equal(got, []string{"vault", "default", "controller-manager"}) {
		t.Errorf("config-admin's service accounts: %v", got)
	}
	if got := roles["config-admin"].Data["audience"]; got != "" && got != nil {
		t.Errorf("config-admin has an audience: %v", got)
	}
	for _, name := range []string{"secret-reader", "secret-writer"} {
		d := roles[name].Data
		if !slices.Equal(strs(d["bound_service_account_names"]), []string{"*"}) || !slices.Equal(strs(d["bound_service_account_namespaces"]), []string{"*"}) ||
			d["audience"] != "vault" || !slices.Equal(strs(d["token_policies"]), []string{name}) {
			t.Errorf("role %s: %v", name, d)
		}
	}
	// vault-secrets-operator's login: a token for audience vault is admitted, one for the API server is not.
	loginAs(ctx, t, l.VaultAddr(), kc, "apps", "default", vaultops.SecretReader, []string{"vault"})
	if err := tryLogin(ctx, l.VaultAddr(), kc, "apps", "default", vaultops.SecretReader, nil); err == nil {
		t.Error("a token without the audience vault logs in as secret-reader")
	}
	mounts, err := admin.Sys().ListMountsWithContext(ctx)
	if err != nil || mounts["kv-v2/"] == nil || mounts["kv-v2/"].Options["version"] != "2" || mounts["kv-system/"] == nil {
		t.Errorf("mounts: %v %v", mounts, err)
	}

	// Done, and a second run does nothing.
	r = session()
	for i, o := range r.CheckAll(ctx, sv) {
		if !o.Holds {
			t.Errorf("Check of %s after the run: %+v", r.Steps[i].ID(), o)
		}
	}
	before := len(sc.text.String())
	if err := r.Run(ctx, &sv); err != nil {
		t.Fatal(err)
	}
	if again := sc.text.String()[before:]; strings.Contains(again, "running") || strings.Contains(again, "initializing") {
		t.Errorf("the second run did something:\n%s", again)
	}

	// Someone drops the audience of secret-reader: not done; a later session (no root token) makes one
	// from three recovery shares and repairs it.
	if _, err := admin.Logical().WriteWithContext(ctx, "auth/kubernetes/role/secret-reader", map[string]any{"audience": ""}); err != nil {
		t.Fatal(err)
	}
	if o, _ := (Era2VaultBootstrapStep{}).Check(ctx, session().Env, sv.Plan); o.Holds || !strings.Contains(o.Detail, `audience "", want "vault"`) {
		t.Fatalf("Check of a changed role: %+v", o)
	}
	for i := range 3 {
		f := filepath.Join(dir, fmt.Sprintf("recovery-%d.txt", i+1))
		if err := os.WriteFile(f, []byte(shares[i]+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		sv.Plan.Era2.Vault.RecoveryShareFiles = append(sv.Plan.Era2.Vault.RecoveryShareFiles, f)
	}
	r = session()
	if err := r.Run(ctx, &sv); err != nil {
		t.Fatal(err)
	}
	if again := sc.text.String()[before:]; !strings.Contains(again, "made from 3 shares by generate-root") ||
		!strings.Contains(again, "the root token made for the bootstrap is revoked") {
		t.Errorf("the repair does not say it made and revoked a root token:\n%s", again)
	}
	if o, err := (Era2VaultBootstrapStep{}).Check(ctx, r.Env, sv.Plan); err != nil || !o.Holds {
		t.Errorf("Check after the repair: %+v %v", o, err)
	}
	if st, err := c.Sys().GenerateRootStatusWithContext(ctx); err != nil || st.Started {
		t.Errorf("a generate-root attempt is left open: %+v %v", st, err)
	}

	sc.mustNotContain(t, "a recovery share", shares...)
	sc.mustNotContain(t, "the root token", root)
	state, err := os.ReadFile(r.Store.Path)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range append(shares, root) {
		if strings.Contains(string(state), s) {
			t.Errorf("secret %d is in the state file", i+1)
		}
	}
	if !strings.Contains(string(state), "reviewerExpires") {
		t.Errorf("the reviewer token's expiry is not kept in the state:\n%s", state)
	}
}

// tryLogin logs in to Vault at addr with role, as ServiceAccount ns/name with a token for audiences (nil:
// the API server's).
func tryLogin(ctx context.Context, addr string, kc kubernetes.Interface, ns, name, role string, audiences []string) error {
	_, err := login(ctx, addr, kc, ns, name, role, audiences)
	return err
}

func login(ctx context.Context, addr string, kc kubernetes.Interface, ns, name, role string, audiences []string) (*vault.Client, error) {
	tr, err := kc.CoreV1().ServiceAccounts(ns).CreateToken(ctx, name, &authv1.TokenRequest{Spec: authv1.TokenRequestSpec{Audiences: audiences}},
		metav1.CreateOptions{})
	if err != nil {
		return nil, err
	}
	c, err := vault.NewClient(&vault.Config{Address: addr})
	if err != nil {
		return nil, err
	}
	s, err := c.Logical().WriteWithContext(ctx, "auth/kubernetes/login", map[string]any{"role": role, "jwt": tr.Status.Token})
	if err != nil {
		return nil, err
	}
	c.SetToken(s.Auth.ClientToken)
	return c, nil
}

func loginAs(ctx context.Context, t *testing.T, addr string, kc kubernetes.Interface, ns, name, role string, audiences []string) *vault.Client {
	t.Helper()
	c, err := login(ctx, addr, kc, ns, name, role, audiences)
	if err != nil {
		t.Fatalf("%s/%s cannot log in as %s: %v", ns, name, role, err)
	}
	return c
}

// strs is a list as Vault's JSON returns it.
func strs(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, e := range l {
		out = append(out, fmt.Sprint(e))
	}
	return out
}
