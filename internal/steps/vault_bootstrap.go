package steps

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/vaultops"
	vault "github.com/hashicorp/vault/api"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// SSOManifests is where the bootstrap writes the VaultSecret objects, under ConfigDir: commit them to the
// GitOps repository next to the charts, so a recreated namespace gets them back with everything else.
const SSOManifests = "gitops/sso-vaultsecrets.yaml"

// VaultBootstrapStep makes what the platform once made by hand before vault-config-operator could
// reconcile anything: the kubernetes auth method from a dedicated reviewer account, the config-admin
// policy and role, the kv and kv-system mounts; then the SSO client secrets kept in Vault and reflected
// into the charts' Secrets; finally it offers to revoke the root token.
type VaultBootstrapStep struct{}

func (VaultBootstrapStep) ID() ID        { return VaultBootstrap }
func (VaultBootstrapStep) Title() string { return "Vault bootstrap" }
func (VaultBootstrapStep) Fields() []string {
	return []string{"vault.sso", "vault.kubernetesHost", "vault.revokeRoot"}
}

func (VaultBootstrapStep) Describe(p plan.Plan) []string {
	out := []string{
		"with the root token from the init (in memory), or VAULT_TOKEN, or a new one made from a threshold of shares",
		"(generate-root, revoked at the end), or one you paste:",
		"  ServiceAccount vault/" + vaultops.ReviewerName + " bound to system:auth-delegator; its token from the TokenRequest API",
		"  auth method kubernetes/ configured with that reviewer and the cluster CA",
		"  policy and role config-admin (service accounts " + strings.Join(vaultops.ConfigAdminAccounts(), ", ") + " of namespace vault)",
		"  mounts kv/ (KV v2) and kv-system/ (KV v1)",
	}
	for _, c := range configuredSSO(p) {
		out = append(out, fmt.Sprintf("  %s: its client secret in Vault at %s, reflected into Secret %s/%s by a VaultSecret (role %s)",
			c.What, c.Path(), c.Namespace, c.Secret, vaultops.SSOReader))
	}
	out = append(out, "check it as vault-config-operator will: a ServiceAccount token logs in with role config-admin",
		"offer to revoke the root token (a new one can be made with a threshold of shares: vault operator generate-root)")
	return out
}

// configuredSSO are the SSO clients the plan names (a client without an ID stays manual).
func configuredSSO(p plan.Plan) []vaultops.SSOClient {
	var out []vaultops.SSOClient
	for _, nc := range p.Vault.SSO.Clients() {
		if nc.Client.ClientID == "" {
			continue
		}
		if c, ok := vaultops.SSOClientNamed(nc.Name); ok {
			out = append(out, c)
		}
	}
	return out
}

func ssoClientID(p plan.Plan, name string) plan.SSOClient {
	for _, nc := range p.Vault.SSO.Clients() {
		if nc.Name == name {
			return nc.Client
		}
	}
	return plan.SSOClient{}
}

var errNotInitialized = errors.New("Vault is not initialized: run vault-init first")

// leader is the first unsealed replica.
func (c *vaultConn) leader(ctx context.Context) (*vaultops.Replica, error) {
	r, _, err := c.firstWhere(ctx, func(st *vault.SealStatusResponse) (string, error) {
		switch {
		case !st.Initialized:
			return "", errNotInitialized
		case st.Sealed:
			return "sealed", nil
		}
		return "", nil
	})
	if err != nil && !errors.Is(err, errNotInitialized) {
		return nil, fmt.Errorf("no unsealed Vault replica (run vault-unseal): %w", err)
	}
	return r, err
}

// ReviewerRenewal is how long before its expiry the reviewer token makes the bootstrap's Check fail, so
// that a resumed install (or the hand-off's command) renews it in time.
const ReviewerRenewal = 30 * 24 * time.Hour

// reviewerDue says when the reviewer token (expiring at exp; zero: unknown) must be renewed now, "" when
// it need not.
func reviewerDue(e *Env, exp time.Time) string {
	if !exp.IsZero() && e.now().Add(ReviewerRenewal).After(exp) {
		return fmt.Sprintf("Vault's token reviewer expires on %s: rerun to renew it (kubernetes logins fail after it)",
			exp.Format(time.DateOnly))
	}
	return ""
}

func (s VaultBootstrapStep) Check(ctx context.Context, e *Env, p plan.Plan) (Outcome, error) {
	c, err := openVault(ctx, e, p)
	if err != nil {
		return Outcome{Detail: err.Error()}, nil
	}
	defer c.Close()
	r, err := c.leader(ctx)
	if err != nil {
		return Outcome{Detail: err.Error()}, nil
	}
	if c.kube == nil {
		return Outcome{Detail: "no cluster to check the kubernetes auth method with"}, nil
	}
	if why := reviewerDue(e, p.Vault.ReviewerExpires); why != "" {
		return Outcome{Detail: why}, nil
	}
	admin, who, err := loginAsConfigAdmin(ctx, c.kube, r.Vault)
	if err != nil {
		return Outcome{Detail: err.Error()}, nil
	}
	if why, err := missingMount(ctx, admin, vaultops.Mounts()); err != nil || why != "" {
		return Outcome{Detail: errOr(err, why)}, nil
	}
	sso := configuredSSO(p)
	for _, cl := range sso {
		id, ok, err := vaultops.StoredSSO(ctx, admin, cl)
		if err != nil {
			return Outcome{Detail: err.Error()}, nil
		}
		if !ok || id != ssoClientID(p, cl.Name).ClientID {
			return Outcome{Detail: cl.What + ": its client secret is not in Vault (" + cl.Path() + ")"}, nil
		}
	}
	if len(sso) > 0 {
		if role, err := admin.Client.Logical().ReadWithContext(ctx, "auth/"+vaultops.AuthPath+"/role/"+vaultops.SSOReader); err != nil || role == nil {
			return Outcome{Detail: "role " + vaultops.SSOReader + " missing"}, nil
		}
		if served, err := vaultSecretsServed(ctx, c.kube); err == nil && served {
			for _, cl := range sso {
				if _, err := c.kube.Dynamic.Resource(platform.VaultSecret.GVR).Namespace(cl.Namespace).Get(ctx, cl.Secret, metav1.GetOptions{}); err != nil {
					return Outcome{Detail: fmt.Sprintf("VaultSecret %s/%s missing", cl.Namespace, cl.Secret)}, nil
				}
			}
		}
	}
	return Outcome{Holds: true, Detail: fmt.Sprintf("ServiceAccount vault/%s logs in as config-admin; mounts kv/ and kv-system/ present; %d SSO secrets in Vault",
		who, len(sso))}, nil
}

// loginAsConfigAdmin logs in as vault-config-operator will: a TokenRequest token of one of the role's
// service accounts (the first that exists).
func loginAsConfigAdmin(ctx context.Context, k *platform.Kube, v *platform.Vault) (*platform.Vault, string, error) {
	var last error
	for _, sa := range vaultops.ConfigAdminAccounts() {
		jwt, _, err := vaultops.ServiceAccountToken(ctx, k.Typed, vaultops.VaultNamespace, sa, 10*time.Minute)
		if apierrors.IsNotFound(err) {
			last = fmt.Errorf("no ServiceAccount %s in namespace vault", sa)
			continue
		}
		if err != nil {
			return nil, "", fmt.Errorf("request a token for vault/%s: %w", sa, k.Classify(err))
		}
		admin, _, err := vaultops.Login(ctx, v, vaultops.ConfigAdmin, jwt)
		jwt.Wipe()
		if err != nil {
			return nil, "", fmt.Errorf("vault/%s cannot log in as config-admin: %w", sa, err)
		}
		return admin, sa, nil
	}
	return nil, "", fmt.Errorf("none of the config-admin service accounts exists: %w", last)
}

// vaultSecretsServed tells whether vault-config-operator's VaultSecret kind is installed.
func vaultSecretsServed(ctx context.Context, k *platform.Kube) (bool, error) {
	_, err := k.Dynamic.Resource(platform.VaultSecret.GVR).Namespace(vaultops.VaultNamespace).List(ctx, metav1.ListOptions{Limit: 1})
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	return err == nil, err
}

func (s VaultBootstrapStep) Run(ctx context.Context, e *Env, p *plan.Plan, emit func(Event)) (Result, error) {
	say := func(f string, a ...any) { emit(Event{Step: VaultBootstrap, Message: fmt.Sprintf(f, a...)}) }
	if ps := p.ValidateVault(e.Ask == nil).Only("vault.sso", "vault.kubernetesHost"); len(ps) > 0 {
		return Result{}, ps
	}
	c, err := openVault(ctx, e, *p)
	if err != nil {
		return Result{}, err
	}
	defer c.Close()
	if c.kube == nil {
		return Result{}, fmt.Errorf("the bootstrap needs the cluster: no kubeconfig in the plan (the cluster step saves it)")
	}
	r, err := c.leader(ctx)
	if err != nil {
		return Result{}, err
	}
	var sso []Item // what became of each SSO client's secret
	b := vaultBootstrap{custody: p.Vault, shareFilesField: "vault.unsealShareFiles", step: VaultBootstrap, layout: vaultops.Era1Layout(),
		reviewed: func(until time.Time) { p.Vault.ReviewerExpires = until },
		extra: func(v *platform.Vault) error {
			return bootstrapSSO(ctx, e, *p, c.kube, v, say, func(items []Item) {
				sso = items
				emit(Event{Step: VaultBootstrap, Items: items})
			})
		}}
	if err := b.run(ctx, e, c, r, say); err != nil {
		return Result{}, err
	}
	return VaultBootstrapResult(sso), nil
}

// vaultBootstrap is a bootstrap with the root token: era 1's and era 2's differ by their layout, where
// the root token's shares and choices are in the plan, and what else they do.
type vaultBootstrap struct {
	// custody is the plan's Vault: its share files (named by shareFilesField) for generate-root, its
	// KubernetesHost and RevokeRoot.
	custody         plan.Vault
	shareFilesField string
	step            ID // the step, named when it must be rerun
	layout          vaultops.Layout
	// reviewed records the reviewer token's expiry in the plan.
	reviewed func(until time.Time)
	// clusterCA is the CA Vault trusts the API server with; nil: the kubeconfig's.
	clusterCA func(ctx context.Context) ([]byte, error)
	// extra runs after the layout is made, before the check (era 1: the SSO secrets); nil: nothing.
	extra func(v *platform.Vault) error
}

// run gets the root token (revoking it at the end when it was made here), makes the reviewer account and
// the layout, runs extra, checks that a ServiceAccount logs in as config-admin as vault-config-operator
// will, then offers to revoke the root token.
func (b vaultBootstrap) run(ctx context.Context, e *Env, c *vaultConn, r *vaultops.Replica, say func(string, ...any)) error {
	token, from, generated, err := rootTokenFrom(ctx, e, b.custody, b.shareFilesField, r.Vault, say)
	if err != nil {
		return err
	}
	v := r.Vault
	v.Client.SetToken(token.Reveal())
	defer v.Client.ClearToken()
	if generated {
		// Nobody else holds a token made here: whatever happens next, it does not outlive this run.
		defer func() {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			v.Client.SetToken(token.Reveal())
			if vaultops.RevokeRoot(cctx, v) == nil {
				say("the root token made for the bootstrap is revoked: nobody else held it")
			} else {
				say("the root token made for the bootstrap could not be revoked: revoke it (vault token revoke) or it stays valid")
			}
			token.Wipe()
		}()
	}
	if _, err := v.Client.Auth().Token().LookupSelfWithContext(ctx); err != nil {
		return fmt.Errorf("the token (%s) is refused by Vault: %w", from, v.Classify(err))
	}
	say("working on %s with the root token (%s)", r.Name, from)

	jwt, until, err := vaultops.EnsureReviewer(ctx, c.kube.Typed)
	if err != nil {
		return c.kube.Classify(err)
	}
	defer jwt.Wipe()
	say("ServiceAccount vault/%s bound to system:auth-delegator; reviewer token from the TokenRequest API, valid until %s "+
		"(rerun %s before then to renew it)", vaultops.ReviewerName, until.UTC().Format(time.DateOnly), b.step)
	host := b.custody.KubernetesHost
	if host == "" {
		host = c.kube.Host
		if e.vault().InCluster() {
			host = InClusterAPI
		}
	}
	ca := c.kube.ClusterCA()
	if b.clusterCA != nil {
		if ca, err = b.clusterCA(ctx); err != nil {
			return err
		}
	}
	o := vaultops.BootstrapOptions{KubernetesHost: host, KubernetesCA: ca, ReviewerJWT: jwt,
		VaultOutsideCluster: !e.vault().InCluster()}
	if err := vaultops.Configure(ctx, v, o, b.layout, func(st vaultops.Step) { say("%s", st.What) }); err != nil {
		return err
	}
	b.reviewed(until.UTC())
	if b.extra != nil {
		if err := b.extra(v); err != nil {
			return err
		}
	}

	admin, who, err := loginAsConfigAdmin(ctx, c.kube, v)
	if err != nil {
		return fmt.Errorf("the check failed: %w", err)
	}
	admin.Client.ClearToken()
	say("checked: ServiceAccount vault/%s logs in with role config-admin, as vault-config-operator will", who)

	if generated {
		return nil // revoked as the run ends, above
	}
	return offerRevoke(ctx, e, b.custody.RevokeRoot, v, from, say)
}

// rootToken is the token the bootstrap works with: the init's (in memory), VAULT_TOKEN, or a new one made
// from a threshold of the shares (generate-root: from the share files unattended; typed in the wizard,
// where a pasted token is the other choice). generated tells the token was made here: nobody else has it.
func rootToken(ctx context.Context, e *Env, p plan.Plan, v *platform.Vault, say func(string, ...any)) (token vaultops.Secret, from string, generated bool, err error) {
	return rootTokenFrom(ctx, e, p.Vault, "vault.unsealShareFiles", v, say)
}

// rootTokenFrom is rootToken with custody's share files, named by the plan's field filesField.
func rootTokenFrom(ctx context.Context, e *Env, custody plan.Vault, filesField string, v *platform.Vault,
	say func(string, ...any)) (token vaultops.Secret, from string, generated bool, err error) {
	if e.Keys != nil && !e.Keys.RootToken.Empty() {
		return e.Keys.RootToken, "from the init, in memory", false, nil
	}
	if t := e.vault().Token(); !t.Empty() {
		return t, "from " + platform.EnvVaultToken, false, nil
	}
	// Where generate-root takes each share from, told the last refusal.
	var next func(g *vaultops.RootGeneration, problem string) (vaultops.Secret, error)
	from = "made from the shares by generate-root"
	if e.Ask == nil {
		if len(custody.UnsealShareFiles) == 0 {
			return vaultops.Secret{}, "", false, fmt.Errorf("no root token: the init ran in another process and %s is not set; set it "+
				"to the root token (its custodian decrypts the exported one), or name a threshold of decrypted shares in "+
				"%s to make a new one (generate-root)", platform.EnvVaultToken, filesField)
		}
		shares, err := readShareFiles(filesField, custody.UnsealShareFiles)
		if err != nil {
			return vaultops.Secret{}, "", false, err
		}
		defer func() {
			for i := range shares {
				shares[i].Wipe()
			}
		}()
		from = fmt.Sprintf("made from %d shares by generate-root", len(shares))
		next = func(g *vaultops.RootGeneration, problem string) (vaultops.Secret, error) {
			if problem != "" || g.Progress >= len(shares) {
				return vaultops.Secret{}, fmt.Errorf("the shares of %s do not make a root token: %s", filesField, orText(problem, "too few of them"))
			}
			return shares[g.Progress], nil
		}
	} else {
		a, err := e.ask(ctx, Prompt{Kind: PromptYesNo, Title: "Make a root token from the shares?", Default: true,
			Lines: []string{"The init's root token is not in memory (it ran in another session) and " + platform.EnvVaultToken + " is not set.",
				"Yes: custodians type a threshold of their shares, as for the unseal, and Vault makes a new root token " +
					"(generate-root) that only this process holds. No: paste a root token instead."}})
		if err != nil {
			return vaultops.Secret{}, "", false, err
		}
		if !a.Yes {
			token, err := pastedToken(ctx, e)
			return token, "pasted", false, err
		}
		next = func(g *vaultops.RootGeneration, problem string) (vaultops.Secret, error) {
			a, err := e.ask(ctx, Prompt{Kind: PromptShare, Title: "Share for a new root token",
				Lines:   []string{"Vault makes a new root token once it has a threshold of shares; nothing is shown or saved."},
				Items:   []Item{{Name: "generate-root", State: fmt.Sprintf("%d of %d shares", g.Progress, g.Required)}},
				Problem: problem})
			return a.Secret, err
		}
	}
	token, err = generateRoot(ctx, v, say, next)
	return token, from, true, err
}

// pastedToken asks the operator to paste a root token.
func pastedToken(ctx context.Context, e *Env) (vaultops.Secret, error) {
	a, err := e.ask(ctx, Prompt{Kind: PromptSecret, Title: "Vault token for the bootstrap",
		Lines: []string{"Paste a root token. It is not shown and never saved."}})
	if err != nil {
		return vaultops.Secret{}, err
	}
	if a.Secret.Empty() {
		return vaultops.Secret{}, fmt.Errorf("no token given: the bootstrap needs one")
	}
	return a.Secret, nil
}

// generateRoot runs a generate-root attempt on v, taking each share from next (told the last refusal),
// until Vault returns the new token. An attempt that does not finish is cancelled.
func generateRoot(ctx context.Context, v *platform.Vault, say func(string, ...any),
	next func(g *vaultops.RootGeneration, problem string) (vaultops.Secret, error)) (vaultops.Secret, error) {
	g, err := vaultops.StartRootGeneration(ctx, v)
	if err != nil {
		return vaultops.Secret{}, fmt.Errorf("start generate-root: %w", err)
	}
	if g.Replaced {
		say("an unfinished generate-root attempt was cancelled to start this one")
	}
	say("generate-root started: %d shares needed", g.Required)
	problem := ""
	for {
		share, err := next(g, problem)
		if err != nil {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			_ = g.Cancel(cctx)
			cancel()
			return vaultops.Secret{}, err
		}
		tok, _, err := g.Provide(ctx, share)
		share.Wipe()
		if err != nil {
			problem = err.Error()
			continue
		}
		problem = ""
		if !tok.Empty() {
			say("generate-root done: a new root token, held in memory only")
			return tok, nil
		}
	}
}

func orText(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

// The SSO outcomes a bootstrap reports, one Item per client (its State).
const (
	SSOStored   = "its secret stored in Vault at "
	SSOKept     = "its secret already in Vault, kept at "
	SSONoSecret = "no secret given: it stays manual, Secret "
	SSONoID     = "no client ID: it stays manual"
)

// ssoItem is a client's line in the bootstrap's result: what became of its secret.
func ssoItem(cl vaultops.SSOClient, clientID, state string) Item {
	it := Item{Name: cl.What, State: state}
	if clientID != "" {
		it.Detail = "client " + clientID
	}
	switch state {
	case SSOStored, SSOKept:
		it.State += cl.Path()
		it.OK = true
	case SSONoSecret:
		it.State += cl.Namespace + "/" + cl.Secret
	}
	return it
}

// bootstrapSSO keeps the SSO client secrets in Vault and reflects them into the charts' Secrets; report
// gets what became of each client's secret (stored, kept, or manual), in the plan's order.
func bootstrapSSO(ctx context.Context, e *Env, p plan.Plan, k *platform.Kube, v *platform.Vault, say func(string, ...any),
	report func([]Item)) error {
	var stored []vaultops.SSOClient
	outcome := map[string]Item{}
	defer func() {
		var items []Item
		for _, nc := range p.Vault.SSO.Clients() {
			cl, ok := vaultops.SSOClientNamed(nc.Name)
			if !ok {
				continue
			}
			if it, done := outcome[nc.Name]; done {
				items = append(items, it)
			} else if nc.Client.ClientID == "" {
				items = append(items, ssoItem(cl, "", SSONoID))
			}
		}
		if len(items) > 0 {
			report(items)
		}
	}()
	for _, cl := range configuredSSO(p) {
		want := ssoClientID(p, cl.Name)
		id, has, err := vaultops.StoredSSO(ctx, v, cl)
		if err != nil {
			return err
		}
		var secret vaultops.Secret
		switch {
		case e.Ask == nil:
			if secret, err = readSecretFile("vault.sso."+cl.Name+".clientSecretFile", want.ClientSecretFile); err != nil {
				return err
			}
		case has && id == want.ClientID:
			a, err := e.ask(ctx, Prompt{Kind: PromptYesNo, Title: cl.What, Default: true,
				Lines: []string{fmt.Sprintf("Vault already holds the client secret of %s (client %s) at %s. Keep it?", cl.What, id, cl.Path())}})
			if err != nil {
				return err
			}
			if a.Yes {
				say("%s: the secret already in Vault is kept", cl.What)
				outcome[cl.Name] = ssoItem(cl, want.ClientID, SSOKept)
				stored = append(stored, cl)
				continue
			}
			fallthrough
		default:
			a, err := e.ask(ctx, ssoSecretPrompt(cl, want.ClientID))
			if err != nil {
				return err
			}
			secret = a.Secret
		}
		if secret.Empty() {
			say("%s: no secret given: it stays manual (Secret %s/%s)", cl.What, cl.Namespace, cl.Secret)
			outcome[cl.Name] = ssoItem(cl, want.ClientID, SSONoSecret)
			continue
		}
		err = vaultops.StoreSSO(ctx, v, cl, want.ClientID, secret)
		secret.Wipe()
		if err != nil {
			return err
		}
		say("%s: client secret stored in Vault at %s", cl.What, cl.Path())
		outcome[cl.Name] = ssoItem(cl, want.ClientID, SSOStored)
		stored = append(stored, cl)
	}
	if len(stored) == 0 {
		return nil
	}
	if err := vaultops.EnsureSSOReader(ctx, v, vaultops.SSOClients()); err != nil {
		return err
	}
	say("policy and role %s: the default ServiceAccount of argocd and grafana reads kv-system/sso/* only", vaultops.SSOReader)
	return reflectSSO(ctx, e, k, stored, say)
}

// ssoSecretPrompt asks for an SSO client's secret, naming the client and the client ID GitHub gave it.
func ssoSecretPrompt(cl vaultops.SSOClient, clientID string) Prompt {
	return Prompt{Kind: PromptSecret, Title: cl.What + " client secret",
		Lines: []string{fmt.Sprintf("%s: paste the client secret GitHub issued with client ID %s. It goes to Vault at %s and "+
			"is never shown or saved here; left empty, this client stays manual.", cl.What, clientID, cl.Path())}}
}

// reflectSSO writes the VaultSecret objects to the GitOps manifests file and, when vault-config-operator
// is installed, applies them.
func reflectSSO(ctx context.Context, e *Env, k *platform.Kube, cls []vaultops.SSOClient, say func(string, ...any)) error {
	var buf bytes.Buffer
	objs := make([]*unstructured.Unstructured, len(cls))
	for i, cl := range cls {
		objs[i] = vaultops.VaultSecretObject(cl)
		b, err := yaml.Marshal(objs[i].Object)
		if err != nil {
			return err
		}
		buf.WriteString("---\n")
		buf.Write(b)
	}
	if e.ConfigDir != "" {
		path := filepath.Join(e.ConfigDir, SSOManifests)
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return err
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
			return err
		}
		say("VaultSecret manifests written to %s: commit them to the GitOps repository so a recreated namespace gets them back", path)
	}
	served, err := vaultSecretsServed(ctx, k)
	if err != nil {
		return fmt.Errorf("look for vault-config-operator's VaultSecret kind: %w", k.Classify(err))
	}
	if !served {
		say("vault-config-operator is not installed yet: the VaultSecrets are applied once it is (the GitOps step, or the file above)")
		return nil
	}
	for i, cl := range cls {
		if err := ensureNamespace(ctx, k, cl.Namespace); err != nil {
			return err
		}
		if _, err := applyObject(ctx, k, platform.VaultSecret, objs[i]); err != nil {
			return fmt.Errorf("apply VaultSecret %s/%s: %w", cl.Namespace, cl.Secret, k.Classify(err))
		}
		say("VaultSecret %s/%s applied: vault-config-operator fills Secret %s from Vault and re-creates it if it is deleted",
			cl.Namespace, cl.Secret, cl.Secret)
	}
	return nil
}

func ensureNamespace(ctx context.Context, k *platform.Kube, name string) error {
	_, err := k.Typed.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create namespace %s: %w", name, k.Classify(err))
	}
	return nil
}

func readSecretFile(field, path string) (vaultops.Secret, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return vaultops.Secret{}, plan.Problems{{Path: field, Message: fmt.Sprintf("cannot read %s: %v", path, errors.Unwrap(err))}}
	}
	s := vaultops.NewSecret(strings.TrimSpace(string(b)))
	clear(b)
	return s, nil
}

// offerRevoke revokes the root token when the operator (or the answers: revoke) wants it.
func offerRevoke(ctx context.Context, e *Env, revoke bool, v *platform.Vault, from string, say func(string, ...any)) error {
	if e.Ask != nil {
		a, err := e.ask(ctx, Prompt{Kind: PromptYesNo, Title: "Revoke the root token?", Default: true,
			Lines: []string{"The bootstrap is done and vault-config-operator takes it from here with role config-admin.",
				"A root token left alive can do anything in Vault. Revoking it is safe: a new one can be made when needed with " +
					"a threshold of the shares — vault operator generate-root -init, then each custodian runs " +
					"vault operator generate-root with their share, and the result is decoded with the one-time password."}})
		if err != nil {
			return err
		}
		revoke = a.Yes
	}
	if !revoke {
		say("root token kept (%s): revoke it when done (vault token revoke -self)", from)
		e.Keys.Wipe()
		return nil
	}
	if err := vaultops.RevokeRoot(ctx, v); err != nil {
		return err
	}
	e.Keys.Wipe()
	say("root token revoked; a new one needs a threshold of the shares (vault operator generate-root)")
	return nil
}

// missingMount names the first of mounts Vault lacks ("" when it has them all), read with v.
func missingMount(ctx context.Context, v *platform.Vault, mounts []vaultops.Mount) (string, error) {
	have, err := v.Client.Sys().ListMountsWithContext(ctx)
	if err != nil {
		return "", fmt.Errorf("config-admin cannot list the mounts: %w", v.Classify(err))
	}
	for _, m := range mounts {
		if _, ok := have[m.Path+"/"]; !ok {
			return "mount " + m.Path + "/ missing", nil
		}
	}
	return "", nil
}
