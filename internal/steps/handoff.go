package steps

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/clubcedille/cedille-tui/internal/gitops"
	"github.com/clubcedille/cedille-tui/internal/gitops/argocd"
	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/vaultops"
	"github.com/clubcedille/cedille-tui/internal/vcluster"
)

// HandoffFile is the hand-off summary the last step writes in the config directory.
const HandoffFile = "handoff.md"

// HandoffStep writes the hand-off: what was installed, where each secret lives, what remains manual, and
// the command that opens the console. It holds no secret, only where secrets are.
type HandoffStep struct{}

func (HandoffStep) ID() ID           { return Handoff }
func (HandoffStep) Title() string    { return "Hand-off" }
func (HandoffStep) Fields() []string { return nil }

func (s HandoffStep) Describe(p plan.Plan) []string {
	return s.describe(filepath.Join("$XDG_CONFIG_HOME/cedille-tui", HandoffFile))
}

// DescribeIn names the file the hand-off writes with e: in e's config directory (the demo's is under its
// state directory).
func (s HandoffStep) DescribeIn(e *Env, p plan.Plan) []string {
	if e == nil || e.ConfigDir == "" {
		return s.Describe(p)
	}
	return s.describe(filepath.Join(e.ConfigDir, HandoffFile))
}

func (HandoffStep) describe(path string) []string {
	return []string{"check that every Application, Vault's included, is Synced and Healthy", "write the hand-off summary (what was installed, where each secret lives, what remains manual) to " +
		path, "then the console opens"}
}

func (HandoffStep) Check(ctx context.Context, e *Env, p plan.Plan) (Outcome, error) {
	path := filepath.Join(e.ConfigDir, HandoffFile)
	if _, err := os.Stat(path); err != nil {
		return Outcome{Detail: "no hand-off summary yet"}, nil
	}
	if hasGitOps(p) {
		k, err := e.vault().Kube(ctx, p)
		if err != nil {
			return Outcome{Detail: err.Error()}, nil
		}
		_, children, done, err := readApps(ctx, k, p.GitOps.WithDefaults().Namespace)
		if err != nil {
			return Outcome{Detail: err.Error()}, nil
		}
		if !done {
			return Outcome{Detail: fmt.Sprintf("%d of %d Applications Synced and Healthy", countOK(children), len(children))}, nil
		}
	}
	return Outcome{Holds: true, Detail: "hand-off summary in " + path}, nil
}

// hasGitOps tells whether the plan installs ArgoCD (the hand-off then checks every Application).
func hasGitOps(p plan.Plan) bool { return p.GitOps.Chart.Version != "" || p.GitOps.Chart.File != "" }

func (HandoffStep) Run(ctx context.Context, e *Env, p *plan.Plan, emit func(Event)) (Result, error) {
	allHealthy := false
	if hasGitOps(*p) {
		// Vault's Applications were deferred until the Vault steps: now every child must be Healthy.
		k, err := e.vault().Kube(ctx, *p)
		if err != nil {
			return Result{}, err
		}
		items, err := followChildren(ctx, e, k, Handoff, p.GitOps.WithDefaults().Namespace, nil, emit)
		if err != nil {
			return Result{}, err
		}
		allHealthy = len(items) > 0 && !slices.ContainsFunc(items, func(it Item) bool { return !it.OK })
	}
	lines := HandoffLines(*p, e.consoleCommand(*p), e.ConfigDir)
	for _, l := range lines {
		emit(Event{Step: Handoff, Message: l})
	}
	if e.ConfigDir == "" {
		return HandoffResult(allHealthy, ""), nil
	}
	if err := os.MkdirAll(e.ConfigDir, 0o700); err != nil {
		return Result{}, err
	}
	path := filepath.Join(e.ConfigDir, HandoffFile)
	if err := os.WriteFile(path, []byte("# cedille-tui hand-off\n\n"+strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		return Result{}, fmt.Errorf("write the hand-off: %w", err)
	}
	emit(Event{Step: Handoff, Message: "written to " + path})
	return HandoffResult(allHealthy, path), nil
}

// HandoffHeading is the first line of the hand-off summary.
const HandoffHeading = "## Installed"

// HandoffLines is the hand-off summary of a plan, as lines; console is the command line that opens the
// console where the install ran (Env.ConsoleCommand, as consoleCommand fills it), configDir where the
// install wrote its files ("" names them relative to the config directory).
func HandoffLines(p plan.Plan, console, configDir string) []string {
	p = p.WithDefaults()
	g := p.GitOps.WithDefaults()
	s := p.Storage.WithDefaults()
	v := p.Vault.WithDefaults()
	pools, _ := p.DiskPools()
	out := []string{HandoffHeading,
		fmt.Sprintf("- Omni cluster %s: Talos %s, Kubernetes %s, %d control planes, %d workers", p.Cluster.Name,
			plan.Canonical(p.Cluster.TalosVersion), plan.Canonical(p.Cluster.KubernetesVersion),
			len(p.ByRole(plan.RoleControlPlane)), len(p.ByRole(plan.RoleWorker))),
		fmt.Sprintf("- Vault initialized (%d shares, %d needed), unsealed, bootstrapped: kubernetes auth, config-admin, kv and kv-system",
			v.Shares, v.Threshold)}
	if hasGitOps(p) {
		out = append(out, fmt.Sprintf("- ArgoCD (chart %s %s) at https://%s; root Application %s: %s %s",
			plan.ArgoCDChart, chartLabel(g.Chart), g.Domain, gitops.RootName, g.Root.RepoURL, g.Root.Path))
	}
	out = append(out, fmt.Sprintf("- Mayastor: %d DiskPools in %s, StorageClass %s (%d replicas, default)", len(pools), s.Namespace, s.Class, s.Replicas))
	for _, c := range p.VClusters.List() {
		out = append(out, fmt.Sprintf("- vcluster %s in %s, registered in ArgoCD as %s (%s)", c.Name, c.Namespace, c.Server,
			argocd.ClusterSecretName(c.Name)))
	}
	out = append(out, "", "## Where each secret lives",
		"- Omni service-account key: OMNI_SERVICE_ACCOUNT_KEY, never saved by cedille-tui",
		"- the cluster's kubeconfig: "+p.Cluster.Kubeconfig+" (0600; an Omni service account)",
		fmt.Sprintf("- Vault's %d key shares: with their custodians only (never written here unless PGP-encrypted exports were asked for)", v.Shares))
	if v.RevokeRoot {
		out = append(out, "- the root token: revoked; make one when needed with a threshold of shares (vault operator generate-root)")
	} else {
		out = append(out, "- the root token: as the bootstrap left it (revoked if you said so); a new one needs a threshold of shares")
	}
	for _, c := range vaultops.SSOClients() {
		out = append(out, fmt.Sprintf("- %s client secret: Vault %s → Secret %s/%s (VaultSecret, vault-config-operator)",
			c.What, c.Path(), c.Namespace, c.Secret))
	}
	renew := "renew it before it expires"
	if exp := p.Vault.ReviewerExpires; !exp.IsZero() {
		renew = "expires on " + exp.Format(time.DateOnly) + "; renew it before then: cedille-tui install --only vault-bootstrap"
	}
	out = append(out, "- Vault's reviewer token: TokenRequest of vault/"+vaultops.ReviewerName+" (one year): "+renew)
	for _, c := range p.VClusters.List() {
		out = append(out, fmt.Sprintf("- vcluster %s credentials: Secret %s/%s (written by its syncer), copied into %s/%s", c.Name,
			c.Namespace, vcluster.KubeconfigSecret(c.Name), g.Namespace, argocd.ClusterSecretName(c.Name)))
	}
	out = append(out, "", "## What remains manual",
		"- commit "+ssoManifestsPath(configDir)+" to the GitOps repository beside the charts",
		"- write the GitHub App key to Vault at kv-system/github/clubcedille before vault-config-operator reconciles (it panics without it)",
		"- DNS for "+g.Domain+" and the ingress certificate",
		"- Mayastor backups (never built on this platform)",
		"", "## Open the console", "    "+console)
	return out
}

// consoleCommand is Env.ConsoleCommand, or a real platform's: the console on the plan's kubeconfig.
func (e *Env) consoleCommand(p plan.Plan) string {
	return cmp.Or(e.ConsoleCommand, "cedille-tui --kubeconfig "+p.Cluster.Kubeconfig)
}

// ssoManifestsPath is where the bootstrap writes the VaultSecret manifests, as the hand-off names it.
func ssoManifestsPath(configDir string) string {
	if configDir == "" {
		return SSOManifests + " (in the config directory)"
	}
	return filepath.Join(configDir, SSOManifests)
}
