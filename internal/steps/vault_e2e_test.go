//go:build e2e

package steps

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ProtonMail/gopenpgp/v3/crypto"
	"github.com/clubcedille/cedille-tui/hack/lab"
	"github.com/clubcedille/cedille-tui/hack/lab/labtest"
	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/vaultops"
	authv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiext "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// These tests run the Vault steps against a real Vault and a real kube-apiserver of a lab of their own
// (Vault's init cannot be undone). Vault runs outside the cluster here: the steps reach it by VAULT_ADDR
// and configure the kubernetes auth method with disable_local_ca_jwt.

func vaultStepsLab(t *testing.T) *lab.Lab { return labtest.Start(t, lab.KubeAPIServer, lab.Vault) }

// scanner collects everything the flow says — its events, errors, files — to look for secrets after.
type scanner struct {
	mu   sync.Mutex
	text strings.Builder
}

func (s *scanner) add(v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.text.WriteString(v)
	s.text.WriteByte('\n')
}

func (s *scanner) report(u Update) {
	s.add(fmt.Sprintf("%s %s %s", u.Step, u.State, u.Detail))
	if u.Event != nil {
		s.add(u.Event.Message)
		for _, it := range u.Event.Items {
			s.add(it.Name + " " + it.State + " " + it.Detail)
		}
	}
	if u.Result != nil {
		s.add(strings.Join(u.Result.Summary, "\n"))
		for _, a := range u.Result.Artifacts {
			s.add(string(a.Kind) + " " + a.Label + " " + a.Path)
		}
	}
}

// mustNotContain fails when any secret appears in what the flow said (the secret itself is never printed).
func (s *scanner) mustNotContain(t *testing.T, what string, secrets ...string) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, sec := range secrets {
		if sec != "" && strings.Contains(s.text.String(), sec) {
			t.Errorf("%s %d appears in what the install said or saved", what, i+1)
		}
	}
}

func genKey(t *testing.T, name string) *crypto.Key {
	t.Helper()
	k, err := crypto.PGP().KeyGeneration().AddUserId(name, name+"@cedille.test").New().GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func writePublic(t *testing.T, dir string, k *crypto.Key, name string) string {
	t.Helper()
	pub, err := k.GetArmoredPublicKey()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name+".pub.asc")
	if err := os.WriteFile(p, []byte(pub), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// openArmored decrypts an exported file as its custodian would (gpg --decrypt).
func openArmored(t *testing.T, k *crypto.Key, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "-----BEGIN PGP MESSAGE-----") {
		t.Fatalf("%s is not an armored PGP message", path)
	}
	dec, err := crypto.PGP().Decryption().DecryptionKey(k).New()
	if err != nil {
		t.Fatal(err)
	}
	res, err := dec.Decrypt(b, crypto.Armor)
	if err != nil {
		t.Fatalf("the custodian cannot open %s: %v", path, err)
	}
	return string(res.Bytes())
}

func installVaultCRD(t *testing.T, l *lab.Lab) {
	t.Helper()
	c, err := apiext.NewForConfig(l.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	pres := true
	crd := &apiextv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "vaultsecrets.redhatcop.redhat.io"},
		Spec: apiextv1.CustomResourceDefinitionSpec{
			Group: "redhatcop.redhat.io", Scope: apiextv1.NamespaceScoped,
			Names: apiextv1.CustomResourceDefinitionNames{Plural: "vaultsecrets", Singular: "vaultsecret", Kind: "VaultSecret", ListKind: "VaultSecretList"},
			Versions: []apiextv1.CustomResourceDefinitionVersion{{Name: "v1alpha1", Served: true, Storage: true,
				Schema: &apiextv1.CustomResourceValidation{OpenAPIV3Schema: &apiextv1.JSONSchemaProps{Type: "object",
					XPreserveUnknownFields: &pres}}}},
		},
	}
	ctx := context.Background()
	if _, err := c.ApiextensionsV1().CustomResourceDefinitions().Create(ctx, crd, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	k, _ := platform.NewKube(l.RESTConfig(), "", "")
	deadline := time.Now().Add(30 * time.Second)
	for {
		if ok, _ := vaultSecretsServed(ctx, k); ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the VaultSecret CRD is not served")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// accounts creates service accounts as the cluster's controllers would (the lab runs no controller
// manager): vault/default and default in the SSO namespaces.
func accounts(t *testing.T, kc kubernetes.Interface, namespaces ...string) {
	t.Helper()
	ctx := context.Background()
	for _, ns := range namespaces {
		_, _ = kc.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
		_, _ = kc.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{})
	}
}

func saToken(t *testing.T, kc kubernetes.Interface, ns, name string) vaultops.Secret {
	t.Helper()
	tr, err := kc.CoreV1().ServiceAccounts(ns).CreateToken(context.Background(), name, &authv1.TokenRequest{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return vaultops.NewSecret(tr.Status.Token)
}

// clusterPlan is a plan whose cluster is l's API server (with the vault/default account the bootstrap's
// check logs in as), and a directory for the run's files.
func clusterPlan(t *testing.T, l *lab.Lab) (plan.Plan, string) {
	t.Helper()
	kc, err := kubernetes.NewForConfig(l.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	accounts(t, kc, "vault")
	var p plan.Plan
	p.Version = plan.SchemaVersion
	p.Cluster.Kubeconfig = l.KubeconfigPath()
	return p, t.TempDir()
}

// vaultSession runs the Vault steps as one session would, on the Vault at addr ("": found through the
// cluster): a keyring of its own, its config and state under dir (shared by the sessions of one test),
// ask for the prompts (nil: unattended), what it says reported to sc (nil: nowhere).
func vaultSession(addr, dir string, ask func(context.Context, Prompt) (Answer, error), sc *scanner) *Runner {
	r := &Runner{Steps: vaultSteps(), Store: NewStore(filepath.Join(dir, "state")),
		Env: &Env{Vault: ClusterVault{Options: platform.VaultOptions{Addr: addr}}, Keys: &Keyring{}, ConfigDir: filepath.Join(dir, "config"),
			Poll: 100 * time.Millisecond, ClusterWait: time.Minute, Ask: ask}}
	if sc != nil {
		r.Report = sc.report
	}
	return r
}

func vaultSteps() []Step { return []Step{VaultInitStep{}, VaultUnsealStep{}, VaultBootstrapStep{}} }

// TestVaultStepsUnattended: an unattended init 5/3 with five custodians' PGP keys writes five encrypted,
// armored share files and the encrypted root token, and the unseal stops for want of shares; three
// custodians decrypt theirs into files; the second run unseals through the step and bootstraps with the
// root token still in memory (the same process), stores both SSO secrets, applies their VaultSecrets,
// revokes the root token. Then, as the cluster will: a ServiceAccount token logs in as config-admin, the
// default account of argocd reads the Dex secret through role sso-reader; grafana's cannot read
// anything else. Nothing the flow said or saved contains a share, the root token or an SSO secret.
func TestVaultStepsUnattended(t *testing.T) {
	l := vaultStepsLab(t)
	kc, err := kubernetes.NewForConfig(l.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	accounts(t, kc, "vault", "argocd", "grafana")
	installVaultCRD(t, l)
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	keys := make([]*crypto.Key, 6)
	var p plan.Plan
	p.Version = plan.SchemaVersion
	p.Cluster.Kubeconfig = l.KubeconfigPath()
	p.Vault.Shares, p.Vault.Threshold = 5, 3
	for i := range keys {
		keys[i] = genKey(t, fmt.Sprintf("custodian-%d", i+1))
		pub := writePublic(t, dir, keys[i], fmt.Sprintf("custodian-%d", i+1))
		if i == 5 {
			p.Vault.RootToken = plan.RootTokenExport{PGPKey: pub, File: filepath.Join(out, "root-token.asc")}
			continue
		}
		p.Vault.Custodians = append(p.Vault.Custodians, plan.Custodian{Name: fmt.Sprintf("custodian-%d", i+1), PGPKey: pub,
			ShareFile: filepath.Join(out, fmt.Sprintf("share-%d.asc", i+1))})
	}
	ssoSecrets := map[string]string{"argocd": "dex-secret-" + randomish(t), "grafana": "grafana-secret-" + randomish(t)}
	for name, sec := range ssoSecrets {
		f := filepath.Join(dir, name+".secret")
		if err := os.WriteFile(f, []byte(sec+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		c := plan.SSOClient{ClientID: "client-" + name, ClientSecretFile: f}
		if name == "argocd" {
			p.Vault.SSO.ArgoCD = c
		} else {
			p.Vault.SSO.Grafana = c
		}
	}
	p.Vault.RevokeRoot = true

	var sc scanner
	r := vaultSession(l.VaultAddr(), dir, nil, &sc)
	env := r.Env
	sv := Saved{Plan: p}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	err = r.Run(ctx, &sv)
	if err == nil || !strings.Contains(err.Error(), "share files are used up") {
		t.Fatalf("the first unattended run must init, then stop at the unseal for want of share files: %v", err)
	}
	sc.add(err.Error())
	if sv.Steps[VaultInit].State != Done || sv.Steps[VaultUnseal].State != Failed {
		t.Fatalf("states after the first run: %+v", sv.Steps)
	}
	if env.Keys.RootToken.Empty() {
		t.Fatal("the root token is not kept in memory for the bootstrap")
	}
	// The init's result names the split and every encrypted export, by path.
	initRes := sv.Steps[VaultInit].Result
	if len(initRes.Summary) == 0 || initRes.Summary[0] != "Vault initialized: 5 key shares, 3 of them needed" || len(initRes.Artifacts) != 6 {
		t.Errorf("the init's result: %+v", initRes)
	}
	for i, a := range initRes.Artifacts {
		want := ArtifactShare
		if i == 5 {
			want = ArtifactRootToken
		}
		if _, err := os.Stat(a.Path); a.Kind != want || err != nil {
			t.Errorf("artifact %d: %+v (want a %s written): %v", i, a, want, err)
		}
	}
	var shares []string
	for i := range 5 {
		f := p.Vault.Custodians[i].ShareFile
		fi, err := os.Stat(f)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("share file %d: %v %v", i+1, fi, err)
		}
		shares = append(shares, openArmored(t, keys[i], f))
	}
	root := openArmored(t, keys[5], p.Vault.RootToken.File)
	if root != env.Keys.RootToken.Reveal() || !strings.HasPrefix(root, "hvs.") {
		t.Fatal("the exported root token is not the one in memory, or not a Vault token")
	}
	// A rerun never initializes twice and never overwrites an export.
	if o, err := (VaultInitStep{}).Check(ctx, env, sv.Plan); err != nil || !o.Holds {
		t.Fatalf("init check after init: %+v %v", o, err)
	}

	// Three custodians decrypt their shares into files for the unattended unseal (on a tmpfs, in life).
	for _, i := range []int{0, 2, 4} {
		f := filepath.Join(dir, fmt.Sprintf("plain-%d", i+1))
		if err := os.WriteFile(f, []byte(shares[i]), 0o600); err != nil {
			t.Fatal(err)
		}
		sv.Plan.Vault.UnsealShareFiles = append(sv.Plan.Vault.UnsealShareFiles, f)
	}
	if err := r.Run(ctx, &sv); err != nil {
		t.Fatalf("second run: %v", err)
	}
	for _, id := range []ID{VaultInit, VaultUnseal, VaultBootstrap} {
		if sv.Steps[id].State != Done {
			t.Errorf("%s: %v", id, sv.Steps[id])
		}
	}
	if got := sv.Steps[VaultUnseal].Result.Summary; !slices.Equal(got, []string{"every replica unsealed"}) {
		t.Errorf("the unseal's summary: %q", got)
	}
	boot := strings.Join(sv.Steps[VaultBootstrap].Result.Summary, "\n")
	for _, want := range []string{"Vault bootstrapped: the kubernetes auth method", "client client-argocd: " + SSOStored,
		"client client-grafana: " + SSOStored} {
		if !strings.Contains(boot, want) {
			t.Errorf("the bootstrap's summary lacks %q:\n%s", want, boot)
		}
	}
	v, err := platform.ConnectVault(platform.VaultOptions{Addr: l.VaultAddr()})
	if err != nil {
		t.Fatal(err)
	}
	if h, err := v.Health(ctx, 5*time.Second); err != nil || h.Sealed || !h.Initialized {
		t.Fatalf("Vault after the steps: %+v %v", h, err)
	}
	if !env.Keys.RootToken.Empty() {
		t.Error("the root token is still in memory after the bootstrap")
	}
	v.Client.SetToken(root)
	if _, err := v.Client.Auth().Token().LookupSelfWithContext(ctx); err == nil {
		t.Error("the root token was not revoked")
	}
	v.Client.ClearToken()

	// As the cluster will: vault-config-operator's login, and the SSO reflection's.
	admin, _, err := vaultops.Login(ctx, v, vaultops.ConfigAdmin, saToken(t, kc, "vault", "default"))
	if err != nil {
		t.Fatalf("config-admin login: %v", err)
	}
	if err := admin.Client.Sys().PutPolicyWithContext(ctx, "secret-reader", `path "kv/data/*" { capabilities = ["read"] }`); err != nil {
		t.Errorf("config-admin cannot write policies: %v", err)
	}
	reader, auth, err := vaultops.Login(ctx, v, vaultops.SSOReader, saToken(t, kc, "argocd", "default"))
	if err != nil {
		t.Fatalf("sso-reader login as argocd/default: %v", err)
	}
	if !slices.Contains(auth.Auth.Policies, vaultops.SSOReader) {
		t.Errorf("sso-reader policies: %v", auth.Auth.Policies)
	}
	s, err := reader.Client.Logical().ReadWithContext(ctx, "kv-system/sso/argocd")
	if err != nil || s == nil || s.Data["clientSecret"] != ssoSecrets["argocd"] || s.Data["clientID"] != "client-argocd" {
		t.Fatalf("argocd's default account cannot read the Dex secret it needs (%v)", err)
	}
	if _, err := reader.Client.Logical().ReadWithContext(ctx, "kv-system/github/clubcedille"); err == nil {
		t.Error("sso-reader reads outside kv-system/sso/")
	}
	if _, _, err := vaultops.Login(ctx, v, vaultops.SSOReader, saToken(t, kc, "vault", "default")); err == nil {
		t.Error("an account of namespace vault logged in as sso-reader")
	}
	k, _ := platform.NewKube(l.RESTConfig(), "", "")
	for _, c := range vaultops.SSOClients() {
		u, err := k.Dynamic.Resource(platform.VaultSecret.GVR).Namespace(c.Namespace).Get(ctx, c.Secret, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("VaultSecret %s/%s: %v", c.Namespace, c.Secret, err)
		}
		b, _ := u.MarshalJSON()
		if !strings.Contains(string(b), c.Path()) || !strings.Contains(string(b), `"role":"sso-reader"`) {
			t.Errorf("VaultSecret %s/%s does not read %s with role sso-reader: %s", c.Namespace, c.Secret, c.Path(), b)
		}
		sc.add(string(b))
	}
	manifests, err := os.ReadFile(filepath.Join(env.ConfigDir, SSOManifests))
	if err != nil || !strings.Contains(string(manifests), "name: dex-secret") || !strings.Contains(string(manifests), "app.kubernetes.io/part-of: argocd") {
		t.Errorf("the GitOps manifests of the VaultSecrets: %v\n%s", err, manifests)
	}
	sc.add(string(manifests))
	if o, err := (VaultBootstrapStep{}).Check(ctx, env, sv.Plan); err != nil || !o.Holds {
		t.Errorf("bootstrap check after the run: %+v %v", o, err)
	}
	// The reviewer token's expiry is kept in the plan; within a month of it, the Check asks for a rerun.
	exp := sv.Plan.Vault.ReviewerExpires
	if time.Until(exp) < 24*time.Hour {
		t.Fatalf("the plan's reviewer expiry: %v", exp)
	}
	soon := *env
	soon.Now = func() time.Time { return exp.Add(-7 * 24 * time.Hour) }
	if o, err := (VaultBootstrapStep{}).Check(ctx, &soon, sv.Plan); err != nil || o.Holds || !strings.Contains(o.Detail, "expires on "+exp.Format(time.DateOnly)) {
		t.Errorf("a week before the reviewer token expires, the check: %+v %v", o, err)
	}

	// A later session, the root token revoked and VAULT_TOKEN unset: the bootstrap runs again with a
	// root token made from the share files by generate-root, and revokes it when done.
	if err := vaultSession(l.VaultAddr(), dir, nil, &sc).RunOne(ctx, &sv, VaultBootstrapStep{}); err != nil {
		t.Fatalf("the bootstrap in a later session: %v", err)
	}
	if said := sc.text.String(); !strings.Contains(said, "made from 3 shares by generate-root") ||
		!strings.Contains(said, "the root token made for the bootstrap is revoked") {
		t.Errorf("the later bootstrap does not say it made and revoked a root token:\n%s", said)
	}
	if st, err := v.Client.Sys().GenerateRootStatusWithContext(ctx); err != nil || st.Started {
		t.Errorf("a generate-root attempt is left open: %+v %v", st, err)
	}

	// The secret scan: the events, errors, state file and saved plan.
	state, err := os.ReadFile(r.Store.Path)
	if err != nil {
		t.Fatal(err)
	}
	sc.add(string(state))
	b, _ := sv.Plan.Marshal()
	sc.add(string(b))
	sc.mustNotContain(t, "an unseal share", shares...)
	sc.mustNotContain(t, "the root token", root)
	sc.mustNotContain(t, "an SSO secret", ssoSecrets["argocd"], ssoSecrets["grafana"])
}

// randomish is a value no test data contains by chance.
func randomish(t *testing.T) string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// operator answers the steps' prompts as people at the terminal would, recording what they were shown.
type operator struct {
	t       *testing.T
	mu      sync.Mutex
	shown   []string // custody prompts' secrets, as the custodians saw them
	prompts []Prompt
	shares  func(Prompt) vaultops.Secret
	sso     map[string]string
	revoke  bool
}

func (o *operator) ask(_ context.Context, p Prompt) (Answer, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.prompts = append(o.prompts, p)
	switch p.Kind {
	case PromptCustody:
		o.shown = append(o.shown, p.Secret.Reveal())
		if p.Confirm < 4 || len(p.Fingerprint) < 8 {
			o.t.Errorf("custody prompt %q: confirm %d, fingerprint %q", p.Title, p.Confirm, p.Fingerprint)
		}
		return Answer{Yes: true}, nil
	case PromptShare:
		return Answer{Secret: o.shares(p)}, nil
	case PromptSecret:
		for name, s := range o.sso {
			if strings.Contains(strings.ToLower(p.Title), name) {
				return Answer{Secret: vaultops.NewSecret(s)}, nil
			}
		}
		return Answer{}, nil
	case PromptYesNo:
		return Answer{Yes: o.revoke}, nil
	}
	return Answer{}, fmt.Errorf("unexpected prompt")
}

// TestVaultStepsInteractive: the ceremony through the prompts (five shares and the root token, each
// shown once with a fingerprint and confirmed; nothing written to disk), then the unseal with a
// malformed share (Vault's error shown on the next prompt, progress kept), Vault killed and restarted
// between two shares (noticed, the shares given so far sent again), and the bootstrap asking for the SSO
// secret and whether to revoke the root token (kept, this time). The VaultSecret kind is not installed:
// the manifests are written for the GitOps repository and the step says so.
func TestVaultStepsInteractive(t *testing.T) {
	l := vaultStepsLab(t)
	p, dir := clusterPlan(t, l)
	p.Vault.SSO.ArgoCD.ClientID = "client-argocd"
	ssoSecret := "dex-" + randomish(t)

	op := &operator{t: t, sso: map[string]string{"argocd": ssoSecret}}
	var sc scanner
	r := vaultSession(l.VaultAddr(), dir, op.ask, &sc)
	env := r.Env
	sv := Saved{Plan: p}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	if err := r.RunOne(ctx, &sv, VaultInitStep{}); err != nil {
		t.Fatalf("init: %v", err)
	}
	if len(op.shown) != 6 {
		t.Fatalf("the ceremony showed %d secrets, want 5 shares and the root token", len(op.shown))
	}
	for i, pr := range op.prompts {
		if i < 5 && (pr.Holder != fmt.Sprintf("custodian %d", i+1) || !strings.Contains(pr.Title, fmt.Sprintf("share %d of 5", i+1))) {
			t.Errorf("prompt %d: %q to %q", i, pr.Title, pr.Holder)
		}
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "*", "*")); slices.ContainsFunc(files, func(f string) bool {
		return strings.Contains(f, "share") || strings.Contains(f, "root")
	}) {
		t.Errorf("the ceremony wrote files: %v", files)
	}
	shares := op.shown[:5]
	root := op.shown[5]

	// The unseal: a malformed share, then share 1; Vault restarted; shares 2 and 4.
	asked := 0
	op.shares = func(pr Prompt) vaultops.Secret {
		asked++
		switch asked {
		case 1:
			return vaultops.NewSecret("not-a-share!")
		case 2:
			if !strings.Contains(pr.Problem, "refused the share") {
				t.Errorf("the prompt after a malformed share does not show Vault's refusal: %q", pr.Problem)
			}
			return vaultops.NewSecret(shares[0])
		case 3:
			if len(pr.Items) != 1 || !strings.Contains(pr.Items[0].State, "1 of 3") {
				t.Errorf("progress after one share: %+v", pr.Items)
			}
			if err := l.Stop(lab.Vault); err != nil {
				t.Error(err)
			}
			if err := l.Start(lab.Vault); err != nil {
				t.Error(err)
			}
			return vaultops.NewSecret(shares[1])
		case 4:
			return vaultops.NewSecret(shares[3])
		}
		t.Errorf("asked for share %d: three valid shares must do", asked)
		return vaultops.NewSecret(shares[4])
	}
	if err := r.RunOne(ctx, &sv, VaultUnsealStep{}); err != nil {
		t.Fatalf("unseal: %v", err)
	}
	if !strings.Contains(sc.text.String(), "restarted and came back sealed") {
		t.Error("the restart was not noticed")
	}
	if asked != 4 {
		t.Errorf("asked %d times for a share, want 4 (one refused, three good)", asked)
	}

	if err := r.RunOne(ctx, &sv, VaultBootstrapStep{}); err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	if !strings.Contains(sc.text.String(), "vault-config-operator is not installed yet") {
		t.Error("the bootstrap does not say the VaultSecrets wait for vault-config-operator")
	}
	if b, err := os.ReadFile(filepath.Join(env.ConfigDir, SSOManifests)); err != nil || strings.Contains(string(b), ssoSecret) {
		t.Errorf("manifests: %v (and they must hold no secret)", err)
	}
	v, _ := platform.ConnectVault(platform.VaultOptions{Addr: l.VaultAddr(), Token: root})
	if _, err := v.Client.Auth().Token().LookupSelfWithContext(ctx); err != nil {
		t.Errorf("the root token was revoked though the operator said no: %v", err)
	}
	if s, err := v.Client.Logical().ReadWithContext(ctx, "kv-system/sso/argocd"); err != nil || s == nil || s.Data["clientSecret"] != ssoSecret {
		t.Errorf("the typed SSO secret is not in Vault: %v", err)
	}
	sc.mustNotContain(t, "an unseal share", shares...)
	sc.mustNotContain(t, "the root token", root)
	sc.mustNotContain(t, "the SSO secret", ssoSecret)
}

// TestVaultStepsInClusterPGPCeremony: Vault found the way the install finds it on the platform — its
// server pods listed through the real API server, each reached through its own port-forward (kwok
// answers for the kubelet) — with three custodians' PGP keys and an export directory: each custody
// prompt shows the custodian's armored PGP message (never a plaintext share), the same message is in the
// export file, and the custodian opens it; then the unseal of the three replicas from the decrypted
// shares, typed once each.
func TestVaultStepsInClusterPGPCeremony(t *testing.T) {
	l := labtest.Start(t, lab.KubeAPIServer, lab.Kwok, lab.Vault)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	if _, err := l.CreateVaultReplicas(ctx, 3); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var p plan.Plan
	p.Version = plan.SchemaVersion
	p.Cluster.Kubeconfig = l.KubeconfigPath()
	p.Vault.Shares, p.Vault.Threshold = 3, 2
	keys := make([]*crypto.Key, 3)
	for i := range keys {
		keys[i] = genKey(t, fmt.Sprintf("c%d", i))
		p.Vault.Custodians = append(p.Vault.Custodians, plan.Custodian{PGPKey: writePublic(t, dir, keys[i], fmt.Sprintf("c%d", i)),
			ShareFile: filepath.Join(dir, "export", fmt.Sprintf("share-%d.asc", i+1))})
	}
	op := &operator{t: t}
	r := vaultSession("", dir, op.ask, nil)
	env := r.Env
	sv := Saved{Plan: p}
	if err := r.RunOne(ctx, &sv, VaultInitStep{}); err != nil {
		t.Fatalf("init through vault-0's port-forward: %v", err)
	}
	if len(op.shown) != 4 {
		t.Fatalf("%d custody prompts, want 3 shares and the root token", len(op.shown))
	}
	var plain []string
	for i := range 3 {
		if !strings.HasPrefix(op.shown[i], "-----BEGIN PGP MESSAGE-----") {
			t.Fatalf("custody prompt %d does not show an armored PGP message", i+1)
		}
		f := p.Vault.Custodians[i].ShareFile
		b, err := os.ReadFile(f)
		if err != nil || string(b) != op.shown[i] {
			t.Fatalf("export %s is not what the custodian was shown: %v", f, err)
		}
		plain = append(plain, openArmored(t, keys[i], f))
		if strings.Contains(op.shown[i], plain[i]) {
			t.Fatal("the armored message contains the plaintext share")
		}
	}
	op.shares = func(pr Prompt) vaultops.Secret {
		if !strings.HasPrefix(pr.Title, "Unseal vault-0") || len(pr.Items) != 3 {
			t.Errorf("the first replica asked for must be vault-0, with the three replicas listed: %q %d", pr.Title, len(pr.Items))
		}
		return vaultops.NewSecret(plain[len(op.prompts)%2])
	}
	if err := r.RunOne(ctx, &sv, VaultUnsealStep{}); err != nil {
		t.Fatalf("unseal through the port-forwards: %v", err)
	}
	if o, err := (VaultUnsealStep{}).Check(ctx, env, sv.Plan); err != nil || !o.Holds ||
		o.Detail != "vault-0 unsealed · vault-1 unsealed · vault-2 unsealed" {
		t.Errorf("unseal check: %+v %v", o, err)
	}
}
