package demo

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/steps"
	"github.com/clubcedille/cedille-tui/internal/watch"
)

// allSteps are the install's steps in order, as `cedille-tui demo` runs them.
func allSteps() []steps.Step {
	return append(installSteps(), steps.GitOpsStep{}, steps.StorageStep{}, steps.VaultInitStep{},
		steps.VaultUnsealStep{}, steps.VaultBootstrapStep{}, steps.VClustersStep{}, steps.HandoffStep{})
}

// TestWorldSurvivesRestart: a Blank demo kept in a world directory is stopped after every step of the
// install and started again, as a user quits `cedille-tui demo` and runs it again. Each time, every step
// done so far still holds on the restarted platform — the cluster is not created again, Vault is not
// initialized again (the custodians' shares from the one ceremony unseal it, and make the bootstrap's
// root token) — and the install goes on from there to the hand-off. The console then sees every layer
// OK and nothing Degraded. Neither file of the world holds a share, a token or the SSO secret.
func TestWorldSurvivesRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	dir, configDir := t.TempDir(), t.TempDir()
	op := &vaultOperator{} // the custodians keep their shares across runs, as on paper
	start := func() (*Platform, *steps.Env) {
		t.Helper()
		d, err := Start(ctx, Options{Blank: true, InstallStage: -1, ISORate: -1, WorldDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		env := d.InstallEnv(configDir)
		env.Poll, env.Keys, env.Ask = 10*time.Millisecond, &steps.Keyring{}, op.ask
		env.Confirm = func(context.Context, steps.Confirmation) error { return nil }
		return d, env
	}

	sv := steps.Saved{Plan: exampleAnswers(t, t.TempDir())}
	sv.Plan.Vault = plan.New().Vault // the ceremony on screen, no custodians' PGP keys
	sv.Plan.Vault.SSO.ArgoCD.ClientID = "demo-client"
	sv.Plan.GitOps = plan.GitOps{Chart: plan.Chart{Repo: "https://charts.example.org/argo", Version: "7.7.3"},
		Domain: "argocd.example.org", GitHubOrg: "ExampleOrg",
		Root: plan.RootApp{RepoURL: "https://git.example.org/platform.git", Path: "apps/argo-apps"}}
	sv.Plan.VClusters = plan.VClusters{Chart: plan.Chart{Repo: "https://charts.example.org/vcluster", Version: "0.36.1"}}

	all := allSteps()
	var log stepLog
	d, env := start()
	for i, s := range all {
		r := &steps.Runner{Steps: all, Env: env, Store: steps.NewStore(t.TempDir()), Report: log.report}
		if err := r.RunOne(ctx, &sv, s); err != nil {
			t.Fatalf("%s: %v\n%s", s.ID(), err, log.String())
		}
		if err := d.Shutdown(); err != nil {
			t.Fatalf("stopping the demo after %s: %v", s.ID(), err)
		}
		d, env = start()
		for _, done := range all[:i+1] {
			o, err := done.Check(ctx, env, sv.Plan)
			if err != nil || !o.Holds {
				t.Fatalf("after a restart following %s, %s no longer holds: %+v %v", s.ID(), done.ID(), o, err)
			}
		}
	}
	defer d.Close()
	if n := strings.Count(log.String(), "vault-init: "); n == 0 {
		t.Fatalf("the init said nothing:\n%s", log.String())
	}
	if shown, _ := op.counts(); shown != 6 {
		t.Errorf("%d secrets shown: one ceremony (5 shares and the root token) for the whole install, want 6", shown)
	}

	hub := startHub(ctx, t, d)
	s := waitHub(t, "every layer OK on the restarted platform", hub, func(s watch.Snapshot) bool {
		return s.Source(platform.SourceKubernetes).Synced && s.Report.Overall == health.OK
	})
	for _, l := range s.Report.Layers {
		for _, f := range l.Findings {
			if f.Status != health.OK {
				t.Errorf("%s: %s %s", l.Name, f.Object, f.Status)
			}
		}
	}

	var files []byte
	for _, name := range []string{worldFile, worldOmniFile} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi, _ := os.Stat(filepath.Join(dir, name)); fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", name, fi.Mode().Perm())
		}
		files = append(files, b...)
	}
	for i, sec := range op.shown {
		if strings.Contains(string(files), sec.Reveal()) {
			t.Errorf("the world holds secret %d shown in the ceremony", i+1)
		}
	}
	if strings.Contains(string(files), "demo-dex-secret") {
		t.Error("the world holds the Dex client secret")
	}
}

// BenchmarkSaveWorld: the cost of one SaveWorld on an installed demo's platform (the wizard saves the world
// with the plan after every answer and step).
func BenchmarkSaveWorld(b *testing.B) {
	d, err := Start(context.Background(), Options{Installed: true, WorldDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	d.opts.WorldDir = b.TempDir() // SaveWorld writes wherever WorldDir names, whatever the start
	b.ReportAllocs()
	for b.Loop() {
		if err := d.SaveWorld(); err != nil {
			b.Fatal(err)
		}
	}
	fi, err := os.Stat(filepath.Join(d.opts.WorldDir, worldFile))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(fi.Size()), "bytes/world")
}
