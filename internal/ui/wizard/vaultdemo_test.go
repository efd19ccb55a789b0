package wizard

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/demo"
	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/steps"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
)

// answerQuestions answers the running step's questions as an operator would, until the step ends:
// each custody screen is opened, its secret kept (the unseal needs the shares) and confirmed; shares
// are pasted in turn; a secret gets secret; a yes/no gets yes. It returns the kinds asked, in order.
// The step must ask at least one question.
func answerQuestions(t *testing.T, d *driver, shares *[]string, secret string) []steps.PromptKind {
	t.Helper()
	var kinds []steps.PromptKind
	next := 0
	// The step asks at least once: wait until it runs (a key's consequences may still be on their way).
	d.until(time.Minute, "the step to start", func(string) bool {
		return (d.m.prompting() && d.m.prompt != nil) || d.m.running >= 0
	})
	for {
		d.until(time.Minute, "a question or the step's end", func(string) bool {
			return (d.m.prompting() && d.m.prompt != nil) || d.m.running < 0
		})
		if d.m.running < 0 {
			return kinds
		}
		p := d.m.prompt.p
		kinds = append(kinds, p.Kind)
		assertFits(t, d.m.Render(), 80, 24)
		switch p.Kind {
		case steps.PromptCustody:
			if strings.Contains(d.screen(), p.Secret.Reveal()) {
				t.Fatal("a hand-over screen shows the secret")
			}
			d.key("enter")
			value := d.m.prompt.p.Secret.Reveal()
			if !strings.Contains(strings.ReplaceAll(d.screen(), "\n", ""), value[:min(len(value), 20)]) {
				t.Fatal("the custody screen does not show the secret")
			}
			if strings.HasPrefix(p.Title, "Vault unseal share") || strings.HasPrefix(p.Title, "Vault recovery share") {
				*shares = append(*shares, value)
			}
			d.paste(value[:confirmLen(p)])
			d.key("enter")
			if strings.Contains(d.screen(), value[:min(len(value), 20)]) {
				t.Fatal("the secret stays on screen after its confirmation")
			}
		case steps.PromptShare:
			if next >= len(*shares) {
				t.Fatalf("share %d asked, %d kept", next+1, len(*shares))
			}
			d.paste((*shares)[next])
			if strings.Contains(d.screen(), (*shares)[next][:8]) {
				t.Fatal("the share input shows what is typed")
			}
			next++
			d.key("enter")
		case steps.PromptSecret:
			d.paste(secret)
			d.key("enter")
		case steps.PromptYesNo:
			d.key("y")
		}
	}
}

// TestVaultStepsInWizardOnDemo drives the real Vault steps through the wizard on the demo's sealed,
// uninitialized Vault: the init form with its defaults, the ceremony (five shares and the root token,
// each shown once and confirmed), the unseal with three of the shares pasted, the bootstrap form with
// ArgoCD's client ID, its secret asked masked, the root token revoked.
func TestVaultStepsInWizardOnDemo(t *testing.T) {
	dp, err := demo.Start(context.Background(), demo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer dp.Close()
	env := dp.InstallEnv(t.TempDir())
	env.Poll = 10 * time.Millisecond
	dir := t.TempDir()
	save(t, dir, steps.Saved{Plan: plan.New()})
	m := New(Options{Steps: []steps.Step{steps.VaultInitStep{}, steps.VaultUnsealStep{}, steps.VaultBootstrapStep{}},
		Env: env, Store: steps.NewStore(dir), Theme: theme.New(false, true), Endpoint: "demo"})
	d := newDriver(t, m, 80, 24)
	d.quiet = true

	d.shows("step 1/3", "Key shares", "Threshold")
	d.keys("enter", "enter", "enter", "enter", "enter")
	var shares []string
	kinds := answerQuestions(t, d, &shares, "")
	d.shows("Vault init ✔ done", "Vault initialized: 5 key shares, 3 of them needed", "press enter to go on")
	if len(kinds) != 6 || len(shares) != 5 {
		t.Fatalf("the ceremony asked %d questions, %d shares kept: want 5 shares and the root token", len(kinds), len(shares))
	}

	d.key("enter")
	d.shows("step 2/3", "What this step does")
	d.key("enter")
	kinds = answerQuestions(t, d, &shares, "")
	d.shows("✔ done", "every replica unsealed")
	if len(kinds) != 3 {
		t.Errorf("the unseal asked %d questions, want 3 shares", len(kinds))
	}

	d.key("enter")
	d.shows("step 3/3", "ArgoCD Dex GitHub client ID")
	d.paste("demo-client")
	d.keys("enter", "enter")
	kinds = answerQuestions(t, d, &shares, "demo-dex-secret")
	scr := d.shows("✔ done", "Vault bootstrapped")
	if len(kinds) != 2 || kinds[0] != steps.PromptSecret || kinds[1] != steps.PromptYesNo {
		t.Errorf("the bootstrap asked %v, want the client secret and the revocation", kinds)
	}
	// The summary says what became of each client's secret, from the step's result.
	for _, want := range []string{"ArgoCD Dex GitHub connector, client demo-client: its secret stored in Vault at kv-system/sso/argocd",
		"Grafana GitHub OAuth: no client ID: it stays manual"} {
		if !strings.Contains(paneText(scr), want) {
			t.Errorf("the bootstrap's summary must say %q:\n%s", want, d.shown())
		}
	}
	d.key("enter")
	d.shows("Every step's outcome holds")
	sv := load(t, dir)
	if sv.Plan.Vault.SSO.ArgoCD.ClientID != "demo-client" {
		t.Errorf("the bootstrap form's client ID is saved: %+v", sv.Plan.Vault.SSO)
	}
}

// TestGenerateRootInWizardOnDemo: the init and the unseal in one session; the wizard quits before the
// bootstrap, so the init's root token is gone. The next session's bootstrap offers to make a root token
// from the shares: three are pasted (masked, with generate-root's progress), the bootstrap runs with it
// and revokes it without asking (nobody else has it).
func TestGenerateRootInWizardOnDemo(t *testing.T) {
	dp, err := demo.Start(context.Background(), demo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer dp.Close()
	dir := t.TempDir()
	save(t, dir, steps.Saved{Plan: plan.New()})
	session := func() *driver {
		env := dp.InstallEnv(t.TempDir())
		env.Poll = 10 * time.Millisecond
		m := New(Options{Steps: []steps.Step{steps.VaultInitStep{}, steps.VaultUnsealStep{}, steps.VaultBootstrapStep{}},
			Env: env, Store: steps.NewStore(dir), Theme: theme.New(false, true), Endpoint: "demo"})
		d := newDriver(t, m, 80, 24)
		d.quiet = true
		return d
	}
	d := session()
	d.shows("step 1/3", "Key shares")
	d.keys("enter", "enter", "enter", "enter", "enter")
	var shares []string
	answerQuestions(t, d, &shares, "")
	d.shows("Vault init ✔ done")
	d.key("enter")
	d.shows("step 2/3", "What this step does")
	d.key("enter")
	answerQuestions(t, d, &shares, "")
	d.shows("✔ done", "every replica unsealed")
	d.key("q")
	d.waitQuit()

	d = session()
	d.shows("step 3/3", "ArgoCD Dex GitHub client ID")
	d.paste("demo-client")
	d.keys("enter", "enter")
	d.shows("Make a root token from the shares?", "generate-root")
	d.key("y")
	d.shows("Share for a new root token", "generate-root  0 of 3 shares", "Key share")
	shares = shares[2:] // other custodians than the unseal's
	kinds := answerQuestions(t, d, &shares, "demo-dex-secret")
	d.shows("✔ done", "Vault bootstrapped", "the root token made for the bootstrap is revoked")
	want := []steps.PromptKind{steps.PromptShare, steps.PromptShare, steps.PromptShare, steps.PromptSecret}
	if !slices.Equal(kinds, want) {
		t.Errorf("the bootstrap asked %v, want three shares and the client secret (no revocation question)", kinds)
	}
}
