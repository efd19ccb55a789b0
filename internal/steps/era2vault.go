package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/clubcedille/cedille-tui/internal/fleet"
	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/vaultops"
	vault "github.com/hashicorp/vault/api"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Era 2's Vault (PLATFORM.md §3.2): the hub's ArgoCD deploys it (standalone, sealed by Google Cloud KMS)
// once the cluster is registered; these steps initialize it with recovery shares and make the
// configuration vault-config-operator needs before it can reconcile the rest.
const (
	Era2VaultInit      ID = "era2-vault-init"
	Era2VaultBootstrap ID = "era2-vault-bootstrap"
)

// omniVault reaches an era-2 cluster through Omni: a service-account kubeconfig Omni issues for the
// plan's cluster (fleet.OmniConnector, as the console reaches the fleet), once per step run (a wait for
// Vault does not ask Omni again at each look); Vault's servers are found as the wrapped access finds them
// (the pods of namespace vault, or VAULT_ADDR).
type omniVault struct {
	VaultAccess
	omni *platform.Omni
	kube *platform.Kube // issued by the first call of Kube
}

// era2KubeTTL is how long the kubeconfig the Vault steps reach the cluster with lives: one step's work.
const era2KubeTTL = time.Hour

func (o *omniVault) Kube(ctx context.Context, p plan.Plan) (*platform.Kube, error) {
	if p.Era2 == nil {
		return nil, errors.New("no era2 section")
	}
	if o.kube != nil {
		return o.kube, nil
	}
	t, err := fleet.OmniConnector{Omni: o.omni, User: KubeconfigUser, Groups: []string{"system:masters"}, TTL: era2KubeTTL,
		UserAgent: "cedille-tui/install"}.Connect(ctx, p.Era2.Cluster)
	if err != nil {
		return nil, err
	}
	o.kube = t.Kube
	return t.Kube, nil
}

// era2Vault is how the era-2 Vault steps reach the cluster: through Omni.
func (e *Env) era2Vault() (VaultAccess, error) {
	om, err := e.omni()
	if err != nil {
		return nil, err
	}
	return &omniVault{VaultAccess: e.vault(), omni: om}, nil
}

// openEra2Vault connects to the plan's era-2 cluster through Omni and finds Vault's replicas.
func openEra2Vault(ctx context.Context, e *Env, p plan.Plan) (*vaultConn, error) {
	if p.Era2 == nil {
		return nil, errors.New("no era2 section")
	}
	acc, err := e.era2Vault()
	if err != nil {
		return nil, err
	}
	return openVaultVia(ctx, acc, p)
}

// sealRefusal says why a Vault whose seal status is st cannot be the plan's (want, like gcpckms), ""
// when its seal is the plan's. Pure.
func sealRefusal(want string, st *vault.SealStatusResponse) string {
	if st.Type == want {
		return ""
	}
	msg := fmt.Sprintf("Vault reports a %s seal, the plan a %s one", st.Type, want)
	if !vaultops.AutoUnseal(st) {
		msg += ": a shamir Vault does not unseal itself — each restart needs a threshold of unseal keys, and recovery " +
			"shares cannot unseal it"
	} else {
		msg += ": its shares would be recovery shares of another key than the plan's"
	}
	if st.Initialized {
		return msg + "; it is already initialized: moving it to " + want + " is a seal migration (vault operator unseal -migrate), not an install step"
	}
	return msg + "; fix the seal stanza of Vault's configuration (the vault-config ConfigMap, the KMS key and its credentials) " +
		"and restart Vault before this step initializes it"
}

// sealLine is what the era-2 init says of a Vault it found.
func sealLine(r *vaultops.Replica, st *vault.SealStatusResponse) string {
	switch {
	case !st.Initialized:
		return fmt.Sprintf("Vault is not initialized (%s, %s seal)", r.Name, st.Type)
	case st.Sealed:
		return fmt.Sprintf("Vault is initialized but sealed (%s, %s seal): it unseals itself with the KMS key; while it does not, "+
			"the key or its credentials are out of its reach (recovery shares cannot unseal it)", r.Name, st.Type)
	}
	return fmt.Sprintf("Vault is initialized and unsealed itself (%s seal, %d of %d recovery shares)", st.Type, st.T, st.N)
}

// Era2VaultInitStep initializes the cluster's Vault, which the hub's ArgoCD deployed: it waits for it to
// answer, refuses a Vault whose seal is not the plan's, initializes it with recovery shares (the seal
// unseals it with the KMS key), runs era 1's key ceremony with them, and waits until it unsealed itself.
type Era2VaultInitStep struct{}

func (Era2VaultInitStep) ID() ID        { return Era2VaultInit }
func (Era2VaultInitStep) Title() string { return "Vault init (era 2)" }
func (Era2VaultInitStep) Fields() []string {
	return []string{"era2.vault.seal", "era2.vault.recoveryShares", "era2.vault.recoveryThreshold", "era2.vault.custodians",
		"era2.vault.rootToken"}
}

func (Era2VaultInitStep) Describe(p plan.Plan) []string {
	if p.Era2 == nil {
		return []string{"no era2 section"}
	}
	e := p.Era2
	v := e.Vault.Custody()
	out := []string{fmt.Sprintf("wait for cluster %s's Vault, deployed by the hub's ArgoCD (the pods of namespace vault, reached "+
		"with a kubeconfig Omni issues, or VAULT_ADDR)", e.Cluster),
		fmt.Sprintf("refuse it unless its seal is %s (a shamir Vault would need unseal keys at every restart)", e.Vault.Seal.Type),
		fmt.Sprintf("if Vault is not initialized: %d recovery shares, %d of them needed (they authorize generate-root and seal "+
			"migration; they do not unseal)", v.Shares, v.Threshold)}
	out = append(out, custodyLines(v)...)
	return append(out, "wait until Vault has unsealed itself with the KMS key")
}

func (Era2VaultInitStep) Check(ctx context.Context, e *Env, p plan.Plan) (Outcome, error) {
	c, err := openEra2Vault(ctx, e, p)
	if err != nil {
		return Outcome{Detail: err.Error()}, nil
	}
	defer c.Close()
	r, st, err := c.first(ctx)
	if err != nil {
		return Outcome{Detail: err.Error()}, nil
	}
	if why := sealRefusal(p.Era2.Vault.Seal.Type, st); why != "" {
		return Outcome{Detail: why}, nil
	}
	return Outcome{Holds: st.Initialized && !st.Sealed, Detail: sealLine(r, st)}, nil
}

func (s Era2VaultInitStep) Run(ctx context.Context, e *Env, p *plan.Plan, emit func(Event)) (Result, error) {
	say := func(f string, a ...any) { emit(Event{Step: Era2VaultInit, Message: fmt.Sprintf(f, a...)}) }
	if ps := p.ValidateEra2Vault(e.Ask == nil); len(ps) > 0 {
		return Result{}, ps
	}
	v := p.Era2.Vault.Custody()
	pk, err := readInitKeys(v, "era2.vault.")
	if err != nil {
		return Result{}, err
	}
	acc, err := e.era2Vault()
	if err != nil {
		return Result{}, err
	}
	c, r, st, err := waitForVault(ctx, e, acc, *p, say)
	if err != nil {
		return Result{}, err
	}
	defer c.Close()
	if why := sealRefusal(p.Era2.Vault.Seal.Type, st); why != "" {
		return Result{}, errors.New(why)
	}
	if st.Initialized {
		say("Vault is already initialized (%s): nothing to do, no new keys", r.Name)
	} else if err := initAndHandOver(ctx, e, r, st, v, pk, say); err != nil {
		return Result{}, err
	}
	if st, err = waitUnsealed(ctx, e, r); err != nil {
		return Result{}, err
	}
	say("%s", sealLine(r, st))
	res := initResult(v, "recovery share")
	res.Summary = append(res.Summary, sealLine(r, st))
	return res, nil
}

// waitForVault waits until Vault answers (ArgoCD deploys it after the registration): its replicas and
// the first one that answers, with its seal status. Omni refusing the cluster's kubeconfig is not waited
// for.
func waitForVault(ctx context.Context, e *Env, acc VaultAccess, p plan.Plan, say func(string, ...any)) (*vaultConn, *vaultops.Replica,
	*vault.SealStatusResponse, error) {
	var (
		c    *vaultConn
		r    *vaultops.Replica
		st   *vault.SealStatusResponse
		last error
	)
	said := ""
	err := e.until(ctx, e.clusterWait(), func() (bool, error) {
		cc, err := openVaultVia(ctx, acc, p)
		if err == nil {
			if r, st, err = cc.first(ctx); err == nil {
				c = cc
				return true, nil
			}
			cc.Close()
		}
		var ce *platform.ConnError
		if errors.As(err, &ce) && ce.Source == platform.SourceOmni {
			return false, err
		}
		last = err
		if line := firstLine(err.Error()); line != said {
			said = line
			say("waiting for Vault (the hub's ArgoCD deploys it): %s", line)
		}
		return false, nil
	}, func() error {
		return fmt.Errorf("Vault does not answer after %s (look at the vault Application in the hub's ArgoCD): %w", e.clusterWait(), last)
	})
	return c, r, st, err
}

// waitUnsealed waits until replica r has unsealed itself (an auto-unseal seal does it right after the
// init and at every start).
func waitUnsealed(ctx context.Context, e *Env, r *vaultops.Replica) (*vault.SealStatusResponse, error) {
	var st *vault.SealStatusResponse
	err := e.until(ctx, e.clusterWait(), func() (bool, error) {
		s, err := vaultops.SealStatus(ctx, r.Vault)
		if err != nil {
			return false, nil
		}
		st = s
		return !s.Sealed, nil
	}, func() error {
		if st == nil {
			return fmt.Errorf("%s does not answer any more after the init: rerun once its pod runs", r.Name)
		}
		return fmt.Errorf("after %s, %s", e.clusterWait(), sealLine(r, st))
	})
	return st, err
}

// Era2VaultLayout is era 2's bootstrap (PLATFORM.md §3.2, the runbook vault-config-operator-bootstrap):
// policy config-admin (era 2's, which also covers identity/, kv/ and kv-v2/); role config-admin for the
// service accounts vault, default and controller-manager of namespace vault (no audience); roles
// secret-reader and secret-writer for every service account of every namespace, bound to the audience
// vault-secrets-operator sends (era2.vault.audience, default vault); mounts kv (KV v2), kv-system (KV v1)
// and kv-v2 (KV v2). The policies secret-reader and secret-writer are vault-config-operator's (the
// stack's Policy objects): the roles name them. kv-shared (Terraform) and github (a plugin) are made
// elsewhere. Pure.
func Era2VaultLayout(p plan.Plan) vaultops.Layout {
	aud := plan.DefaultVaultAudience
	if p.Era2 != nil && p.Era2.Vault.Audience != "" {
		aud = p.Era2.Vault.Audience
	}
	all := []string{"*"}
	role := func(name string) vaultops.Role {
		return vaultops.Role{Name: name, ServiceAccounts: all, Namespaces: all, Policies: []string{name}, Audience: aud, TTL: "24h"}
	}
	return vaultops.Layout{
		Policies: []vaultops.Policy{{Name: vaultops.ConfigAdmin, Text: vaultops.ConfigAdminPolicyEra2}},
		Roles:    []vaultops.Role{vaultops.ConfigAdminRole(), role(vaultops.SecretReader), role(vaultops.SecretWriter)},
		Mounts:   append(vaultops.Mounts(), vaultops.Mount{Path: "kv-v2", Type: "kv", Options: map[string]string{"version": "2"}}),
	}
}

// Era2VaultBootstrapStep makes what vault-config-operator needs before it can reconcile anything on an
// era-2 cluster (Era2VaultLayout): the kubernetes auth method from a dedicated reviewer account, the
// policy and roles, the mounts; with the root token from the init, VAULT_TOKEN, or one made from the
// recovery shares (generate-root); finally it offers to revoke the root token.
type Era2VaultBootstrapStep struct{}

func (Era2VaultBootstrapStep) ID() ID        { return Era2VaultBootstrap }
func (Era2VaultBootstrapStep) Title() string { return "Vault bootstrap (era 2)" }
func (Era2VaultBootstrapStep) Fields() []string {
	return []string{"era2.vault.audience", "era2.vault.kubernetesHost", "era2.vault.recoveryShareFiles", "era2.vault.revokeRoot"}
}

func (Era2VaultBootstrapStep) Describe(p plan.Plan) []string {
	l := Era2VaultLayout(p)
	out := []string{
		"with the root token from the init (in memory), or VAULT_TOKEN, or a new one made from a threshold of recovery shares",
		"(generate-root, revoked at the end), or one you paste:",
		"  ServiceAccount vault/" + vaultops.ReviewerName + " bound to system:auth-delegator; its token from the TokenRequest API",
		"  auth method kubernetes/ configured with that reviewer and the cluster CA",
		"  policy config-admin",
	}
	for _, r := range l.Roles {
		out = append(out, "  "+r.String())
	}
	var mounts []string
	for _, m := range l.Mounts {
		mounts = append(mounts, m.Path+"/")
	}
	return append(out, "  mounts "+strings.Join(mounts, ", "),
		"check it as vault-config-operator will: a ServiceAccount token logs in with role config-admin",
		"offer to revoke the root token (a new one can be made with a threshold of recovery shares: vault operator generate-root)")
}

func (Era2VaultBootstrapStep) Check(ctx context.Context, e *Env, p plan.Plan) (Outcome, error) {
	c, err := openEra2Vault(ctx, e, p)
	if err != nil {
		return Outcome{Detail: err.Error()}, nil
	}
	defer c.Close()
	r, err := c.leader(ctx)
	if err != nil {
		return Outcome{Detail: err.Error()}, nil
	}
	if why := reviewerDue(e, p.Era2.Vault.ReviewerExpires); why != "" {
		return Outcome{Detail: why}, nil
	}
	admin, who, err := loginAsConfigAdmin(ctx, c.kube, r.Vault)
	if err != nil {
		return Outcome{Detail: err.Error()}, nil
	}
	l := Era2VaultLayout(p)
	for _, want := range l.Roles {
		have, err := vaultops.ReadRole(ctx, admin, want.Name)
		if err != nil {
			return Outcome{Detail: err.Error()}, nil
		}
		if why := vaultops.RoleDrift(want, have); why != "" {
			return Outcome{Detail: why}, nil
		}
	}
	if why, err := missingMount(ctx, admin, l.Mounts); err != nil || why != "" {
		return Outcome{Detail: errOr(err, why)}, nil
	}
	return Outcome{Holds: true, Detail: fmt.Sprintf("ServiceAccount vault/%s logs in as config-admin; roles %s as planned; mounts present",
		who, roleNames(l.Roles))}, nil
}

func roleNames(rs []vaultops.Role) string {
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = r.Name
	}
	return strings.Join(names, ", ")
}

func (s Era2VaultBootstrapStep) Run(ctx context.Context, e *Env, p *plan.Plan, emit func(Event)) (Result, error) {
	say := func(f string, a ...any) { emit(Event{Step: Era2VaultBootstrap, Message: fmt.Sprintf(f, a...)}) }
	if ps := p.ValidateEra2Vault(false).Only(s.Fields()...); len(ps) > 0 {
		return Result{}, ps
	}
	acc, err := e.era2Vault()
	if err != nil {
		return Result{}, err
	}
	c, err := openVaultVia(ctx, acc, *p)
	if err != nil {
		return Result{}, err
	}
	defer c.Close()
	if c.kube == nil {
		return Result{}, fmt.Errorf("the bootstrap needs cluster %s: Omni issued no kubeconfig for it", p.Era2.Cluster)
	}
	r, err := c.leader(ctx)
	if err != nil {
		return Result{}, err
	}
	l := Era2VaultLayout(*p)
	b := vaultBootstrap{custody: p.Era2.Vault.Custody(), shareFilesField: "era2.vault.recoveryShareFiles", step: Era2VaultBootstrap,
		layout: l, reviewed: func(until time.Time) { p.Era2.Vault.ReviewerExpires = until }}
	if acc.InCluster() {
		b.clusterCA = func(ctx context.Context) ([]byte, error) { return podCA(ctx, c.kube) }
	}
	if err := b.run(ctx, e, c, r, say); err != nil {
		return Result{}, err
	}
	return Result{Summary: []string{"Vault bootstrapped: the kubernetes auth method, the config-admin policy, the roles " +
		roleNames(l.Roles) + " (audience " + l.Roles[1].Audience + " on the last two), the kv, kv-system and kv-v2 engines"}}, nil
}

// podCA is the CA a pod of namespace vault trusts the API server with (ConfigMap kube-root-ca.crt, the
// ca.crt of its service-account volume): what Vault in the cluster verifies kubernetes.default.svc with.
// The kubeconfig's CA is Omni's proxy's, not the cluster's; it is used only when the ConfigMap is missing.
func podCA(ctx context.Context, k *platform.Kube) ([]byte, error) {
	cm, err := k.Typed.CoreV1().ConfigMaps(vaultops.VaultNamespace).Get(ctx, "kube-root-ca.crt", metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return k.ClusterCA(), nil
	case err != nil:
		return nil, fmt.Errorf("read the cluster CA (ConfigMap vault/kube-root-ca.crt): %w", k.Classify(err))
	}
	return []byte(cm.Data["ca.crt"]), nil
}
