package steps

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/vaultops"
)

// noVault fails every connection: the refusals below must come before Vault is reached.
type noVault struct{}

func (noVault) Kube(context.Context, plan.Plan) (*platform.Kube, error) {
	return nil, errors.New("no cluster in this test")
}
func (noVault) Replicas(context.Context, plan.Plan, *platform.Kube) ([]*vaultops.Replica, error) {
	return nil, errors.New("Vault reached: the step should have refused first")
}
func (noVault) InCluster() bool        { return true }
func (noVault) Token() vaultops.Secret { return vaultops.Secret{} }

// TestVaultInitRefusesBeforeVault: what is wrong with the files the plan names is said with the field's
// path before Vault is touched (an init cannot be undone).
func TestVaultInitRefusesBeforeVault(t *testing.T) {
	dir := t.TempDir()
	exists := filepath.Join(dir, "taken.asc")
	if err := os.WriteFile(exists, []byte("another Vault's share"), 0o600); err != nil {
		t.Fatal(err)
	}
	notKey := filepath.Join(dir, "not-a-key.asc")
	if err := os.WriteFile(notKey, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name       string
		v          plan.Vault
		unattended bool
		want       string
	}{
		{"missing key file", plan.Vault{Shares: 1, Threshold: 1, Custodians: []plan.Custodian{{PGPKey: filepath.Join(dir, "missing.asc")}}},
			false, "vault.custodians[0].pgpKey: cannot read"},
		{"not a PGP key", plan.Vault{Shares: 1, Threshold: 1, Custodians: []plan.Custodian{{PGPKey: notKey}}},
			false, "vault.custodians[0].pgpKey: " + notKey + ": not a PGP public key"},
		{"unattended without custodians", plan.Vault{}, true, "vault.custodians: unattended init needs one custodian per share"},
		{"bad split", plan.Vault{Shares: 2, Threshold: 3}, false, "vault.threshold"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := plan.New()
			p.Vault = c.v
			e := &Env{Vault: noVault{}}
			if !c.unattended {
				e.Ask = func(context.Context, Prompt) (Answer, error) { return Answer{Yes: true}, nil }
			}
			res, err := VaultInitStep{}.Run(context.Background(), e, &p, func(Event) {})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
			if !reflect.DeepEqual(res, Result{}) {
				t.Errorf("a refused init's result: %+v", res)
			}
		})
	}
	// An export never overwrites a file: refused before the init, with the field.
	err := checkExports(plan.Vault{RootToken: plan.RootTokenExport{PGPKey: "k", File: exists}})
	if err == nil || !strings.Contains(err.Error(), "vault.rootToken.file: "+exists+" exists") {
		t.Errorf("an existing export file: %v", err)
	}
}

// TestHandoff: the summary names what was installed and where each secret lives — never a secret — and
// its file makes the step hold.
func TestHandoff(t *testing.T) {
	p := plan.New()
	p.Cluster.Kubeconfig = "/home/op/.config/cedille-tui/cedille-cluster.kubeconfig"
	p.GitOps = plan.GitOps{Chart: plan.Chart{Repo: "https://charts.example.org", Version: "7.7.3"}, Domain: "argocd.example.org",
		Root: plan.RootApp{RepoURL: "https://git.example.org/p.git", Path: "apps"}}
	p.Vault.ReviewerExpires = time.Date(2027, 11, 22, 0, 0, 0, 0, time.UTC)
	text := strings.Join(HandoffLines(p, "cedille-tui --kubeconfig "+p.Cluster.Kubeconfig, ""), "\n")
	for _, want := range []string{"ArgoCD (chart argo-cd 7.7.3) at https://argocd.example.org", "vcluster staging in vcluster-staging",
		"expires on 2027-11-22; renew it before then: cedille-tui install --only vault-bootstrap",
		"kv-system/sso/argocd → Secret argocd/dex-secret", "Secret vcluster-sandbox/vc-sandbox"} {
		if !strings.Contains(text, want) {
			t.Errorf("hand-off lacks %q:\n%s", want, text)
		}
	}
	// Without ArgoCD in the plan, the summary alone makes the step hold.
	p.GitOps = plan.GitOps{}
	dir := t.TempDir()
	e := &Env{ConfigDir: dir}
	if o, _ := (HandoffStep{}).Check(context.Background(), e, p); o.Holds {
		t.Fatal("holds before it ran")
	}
	res, err := (HandoffStep{}).Run(context.Background(), e, &p, func(Event) {})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, HandoffFile)
	want := Result{Summary: []string{"summary written to " + path},
		Artifacts: []Artifact{{Kind: ArtifactHandoff, Label: "hand-off summary", Path: path}}}
	if !reflect.DeepEqual(res, want) {
		t.Errorf("result %+v, want %+v", res, want)
	}
	if o, _ := (HandoffStep{}).Check(context.Background(), e, p); !o.Holds {
		t.Error("the written summary must make the step hold")
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("hand-off file: %v %v", fi, err)
	}
}

// TestHandoffConsoleCommand: the hand-off ends with the command that opens the console where the install
// ran — the plan's kubeconfig on a real platform, the demo's own command on the demo.
func TestHandoffConsoleCommand(t *testing.T) {
	p := plan.New()
	p.Cluster.Kubeconfig = "/home/op/.config/cedille-tui/cedille-cluster.kubeconfig"
	for _, tc := range []struct {
		name, command, want string
	}{
		{"real platform", "", "cedille-tui --kubeconfig /home/op/.config/cedille-tui/cedille-cluster.kubeconfig"},
		{"demo", "cedille-tui demo", "cedille-tui demo"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			var shown []string
			e := &Env{ConfigDir: dir, ConsoleCommand: tc.command}
			if _, err := (HandoffStep{}).Run(context.Background(), e, &p, func(ev Event) { shown = append(shown, ev.Message) }); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(filepath.Join(dir, HandoffFile))
			if err != nil {
				t.Fatal(err)
			}
			written := strings.Split(strings.TrimSpace(string(b)), "\n")
			if got := written[len(written)-2:]; got[0] != "## Open the console" || got[1] != "    "+tc.want {
				t.Errorf("the hand-off ends with %q, want the console heading then %q", got, tc.want)
			}
			if !slices.Contains(shown, "    "+tc.want) {
				t.Errorf("the step's output lacks %q: %q", tc.want, shown)
			}
		})
	}
}

// TestRootTokenWithoutVault: the choices of rootToken that need no Vault — the init's token first, then
// VAULT_TOKEN; unattended without either, an error that names the fields to set (or an unreadable share
// file, with its path); in the wizard, "no" to generate-root asks for a token to paste, never saved as
// made here.
func TestRootTokenWithoutVault(t *testing.T) {
	ctx := context.Background()
	say := func(string, ...any) {}
	p := plan.New()

	e := &Env{Vault: noVault{}, Keys: &Keyring{RootToken: vaultops.NewSecret("from-init")}}
	if tok, from, gen, err := rootToken(ctx, e, p, nil, say); err != nil || tok.Reveal() != "from-init" || gen || !strings.Contains(from, "init") {
		t.Errorf("the init's token: %q %v %v", from, gen, err)
	}

	e = &Env{Vault: noVault{}}
	if _, _, _, err := rootToken(ctx, e, p, nil, say); err == nil ||
		!strings.Contains(err.Error(), platform.EnvVaultToken) || !strings.Contains(err.Error(), "vault.unsealShareFiles") {
		t.Errorf("unattended, no token and no share files: %v", err)
	}
	p.Vault.UnsealShareFiles = []string{filepath.Join(t.TempDir(), "missing")}
	if _, _, _, err := rootToken(ctx, e, p, nil, say); err == nil || !strings.Contains(err.Error(), "vault.unsealShareFiles[0]: cannot read") {
		t.Errorf("unattended, a missing share file: %v", err)
	}

	var kinds []PromptKind
	pasted := ""
	e.Ask = func(_ context.Context, pr Prompt) (Answer, error) {
		kinds = append(kinds, pr.Kind)
		if pr.Kind == PromptSecret {
			return Answer{Secret: vaultops.NewSecret(pasted)}, nil
		}
		return Answer{Yes: false}, nil
	}
	if _, _, _, err := rootToken(ctx, e, p, nil, say); err == nil || !strings.Contains(err.Error(), "no token given") {
		t.Errorf("nothing pasted: %v", err)
	}
	pasted = "hvs.pasted"
	tok, from, gen, err := rootToken(ctx, e, p, nil, say)
	if err != nil || tok.Reveal() != pasted || from != "pasted" || gen {
		t.Errorf("a pasted token: %q %v %v", from, gen, err)
	}
	if want := []PromptKind{PromptYesNo, PromptSecret, PromptYesNo, PromptSecret}; !slices.Equal(kinds, want) {
		t.Errorf("prompts %v, want %v", kinds, want)
	}
}

// TestSSOSecretPrompt: the question for an SSO client's secret reads as a sentence, naming the client,
// the client ID GitHub gave it and where the secret goes.
func TestSSOSecretPrompt(t *testing.T) {
	cases := []struct{ name, want string }{
		{"argocd", "ArgoCD Dex GitHub connector: paste the client secret GitHub issued with client ID Ov23li0abc. It goes " +
			"to Vault at kv-system/sso/argocd and is never shown or saved here; left empty, this client stays manual."},
		{"grafana", "Grafana GitHub OAuth: paste the client secret GitHub issued with client ID Ov23li0abc. It goes " +
			"to Vault at kv-system/sso/grafana and is never shown or saved here; left empty, this client stays manual."},
	}
	for _, c := range cases {
		cl, _ := vaultops.SSOClientNamed(c.name)
		p := ssoSecretPrompt(cl, "Ov23li0abc")
		if p.Kind != PromptSecret || strings.Join(p.Lines, "\n") != c.want {
			t.Errorf("%s: %v %q\nwant %q", c.name, p.Kind, p.Lines, c.want)
		}
	}
}

// TestSSOItem: the bootstrap's result says, per client, what became of its secret.
func TestSSOItem(t *testing.T) {
	argocd, _ := vaultops.SSOClientNamed("argocd")
	cases := []struct {
		id, state string
		want      Item
	}{
		{"Ov23", SSOStored, Item{Name: "ArgoCD Dex GitHub connector", State: "its secret stored in Vault at kv-system/sso/argocd",
			Detail: "client Ov23", OK: true}},
		{"Ov23", SSOKept, Item{Name: "ArgoCD Dex GitHub connector", State: "its secret already in Vault, kept at kv-system/sso/argocd",
			Detail: "client Ov23", OK: true}},
		{"Ov23", SSONoSecret, Item{Name: "ArgoCD Dex GitHub connector", State: "no secret given: it stays manual, Secret argocd/dex-secret",
			Detail: "client Ov23"}},
		{"", SSONoID, Item{Name: "ArgoCD Dex GitHub connector", State: "no client ID: it stays manual"}},
	}
	for _, c := range cases {
		if got := ssoItem(argocd, c.id, c.state); got != c.want {
			t.Errorf("ssoItem(%q, %q) = %+v, want %+v", c.id, c.state, got, c.want)
		}
	}
}

// TestPickTarget: the unseal gives a share to the first replica that is reachable, initialized and
// sealed; it is done only when every replica is unsealed, and notices a seal that unseals itself.
func TestPickTarget(t *testing.T) {
	sealed := func(progress, threshold int) *unsealing {
		return &unsealing{init: true, last: vaultops.Progress{Sealed: true, Progress: progress, Threshold: threshold}}
	}
	unsealed := func() *unsealing { return &unsealing{init: true, last: vaultops.Progress{Threshold: 3}} }
	down := &unsealing{err: errors.New("connection refused")}
	blank := &unsealing{}
	for _, c := range []struct {
		name   string
		rs     []*unsealing
		target int // index in rs; -1 for none
		done   bool
		auto   bool
	}{
		{"no replica", nil, -1, false, false},
		{"all unsealed", []*unsealing{unsealed(), unsealed()}, -1, true, false},
		{"the first sealed one", []*unsealing{unsealed(), sealed(1, 3), sealed(0, 3)}, 1, false, false},
		{"an unreachable one is passed over, and not done", []*unsealing{down, sealed(0, 3)}, 1, false, false},
		{"unreachable, the rest unsealed", []*unsealing{down, unsealed()}, -1, false, false},
		{"not initialized", []*unsealing{blank}, -1, false, false},
		{"auto-unseal", []*unsealing{sealed(0, 0)}, 0, false, true},
	} {
		target, done, auto := pickTarget(c.rs)
		want := (*unsealing)(nil)
		if c.target >= 0 {
			want = c.rs[c.target]
		}
		if target != want || done != c.done || auto != c.auto {
			t.Errorf("%s: target %p done %v auto %v, want %p %v %v", c.name, target, done, auto, want, c.done, c.auto)
		}
	}
}
