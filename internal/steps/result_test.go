package steps

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/clubcedille/cedille-tui/internal/plan"
)

// TestResults: each step's result, built from what it learned, says what the wizard shows after it and
// names the files it wrote by kind.
func TestResults(t *testing.T) {
	iso := plan.New()
	iso.ISO.File, iso.ISO.SHA256 = "/isos/metal-amd64.iso", "ab12"
	kube := plan.New()
	kube.Cluster.Kubeconfig = "/home/op/.config/cedille-tui/c.kubeconfig"
	plain := plan.New()
	plain.Vault = plan.Vault{Shares: 1, Threshold: 1}
	enc := plan.New()
	enc.Vault = plan.Vault{Shares: 2, Threshold: 2, Custodians: []plan.Custodian{
		{Name: "ana", PGPKey: "ana.asc", ShareFile: "/out/ana.asc"}, {Name: "bo", PGPKey: "bo.asc"}},
		RootToken: plan.RootTokenExport{PGPKey: "root.asc", File: "/out/root.asc"}}
	git := plan.New()
	git.GitOps = plan.GitOps{Domain: "argocd.example.org", Root: plan.RootApp{RepoURL: "https://git.example.org/p.git"}}
	vcs := plan.New()
	vcs.VClusters.Clusters = []plan.VCluster{{Name: "staging"}, {Name: "sandbox"}}
	one := plan.New()
	one.VClusters.Clusters = []plan.VCluster{{Name: "staging"}}
	for _, c := range []struct {
		name string
		got  Result
		want Result
	}{
		{"no ISO yet", ISOResult(plan.New()), Result{}},
		{"the ISO and its digest", ISOResult(iso), Result{Artifacts: []Artifact{
			{Kind: ArtifactISO, Label: "Talos ISO", Path: "/isos/metal-amd64.iso", SHA256: "ab12"}}}},
		{"no kubeconfig yet", ClusterResult(plan.New()), Result{}},
		{"the kubeconfig", ClusterResult(kube), Result{Artifacts: []Artifact{
			{Kind: ArtifactKubeconfig, Label: "kubeconfig", Path: "/home/op/.config/cedille-tui/c.kubeconfig"}}}},
		{"a ceremony's init", VaultInitResult(plain), Result{Summary: []string{"Vault initialized: 1 key share, 1 of them needed"}}},
		{"an init with exports", VaultInitResult(enc), Result{
			Summary: []string{"Vault initialized: 2 key shares, 2 of them needed", "each share encrypted to its custodian's PGP key",
				"ana's share: /out/ana.asc", "root token, encrypted: /out/root.asc"},
			Artifacts: []Artifact{{Kind: ArtifactShare, Label: "ana's share", Path: "/out/ana.asc"},
				{Kind: ArtifactRootToken, Label: "root token, encrypted", Path: "/out/root.asc"}}}},
		{"the unseal", VaultUnsealResult(), Result{Summary: []string{"every replica unsealed"}}},
		{"the bootstrap", VaultBootstrapResult([]Item{{Name: "ArgoCD (Dex)", Detail: "client c1", State: "stored"},
			{Name: "Grafana", State: SSONoID}}), Result{Summary: []string{
			"Vault bootstrapped: the kubernetes auth method, the config-admin policy and role (vault-config-operator), the kv and kv-system engines",
			"ArgoCD (Dex), client c1: stored", "Grafana: " + SSONoID}}},
		{"gitops, all synced", GitOpsResult(git, 1, 0), Result{Summary: []string{"ArgoCD installed; 1 Application Synced and Healthy",
			"ArgoCD at https://argocd.example.org, the root Application from https://git.example.org/p.git"}}},
		{"gitops, some deferred", GitOpsResult(git, 4, 1), Result{Summary: []string{
			"ArgoCD installed; 4 Applications Synced and Healthy; 1 wait for the Vault steps (the hand-off checks them)",
			"ArgoCD at https://argocd.example.org, the root Application from https://git.example.org/p.git"}}},
		{"storage", StorageResult(plan.New(), 6, 3<<40), Result{Summary: []string{"6 pools Online: 3.0 TiB",
			"StorageClass mayastor (2 replicas per volume), the cluster's default"}}},
		{"vclusters", VClustersResult(vcs), Result{Summary: []string{"2 vclusters registered in ArgoCD: staging, sandbox"}}},
		{"one vcluster", VClustersResult(one), Result{Summary: []string{"1 vcluster registered in ArgoCD: staging"}}},
		{"hand-off written", HandoffResult(true, "/cfg/handoff.md"), Result{
			Summary:   []string{"every Application Synced and Healthy, Vault's included", "summary written to /cfg/handoff.md"},
			Artifacts: []Artifact{{Kind: ArtifactHandoff, Label: "hand-off summary", Path: "/cfg/handoff.md"}}}},
		{"hand-off nowhere", HandoffResult(false, ""), Result{Summary: []string{"the summary was not written to a file (no config directory)"}}},
	} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: %+v\nwant %+v", c.name, c.got, c.want)
		}
	}
}

// resultStep returns its result, or fails.
type resultStep struct {
	res Result
	err error
}

func (resultStep) ID() ID                      { return Handoff }
func (resultStep) Title() string               { return "Hand-off" }
func (resultStep) Fields() []string            { return nil }
func (resultStep) Describe(plan.Plan) []string { return nil }
func (resultStep) Check(context.Context, *Env, plan.Plan) (Outcome, error) {
	return Outcome{}, nil
}
func (s resultStep) Run(context.Context, *Env, *plan.Plan, func(Event)) (Result, error) {
	return s.res, s.err
}

// TestRunOneKeepsTheResult: the runner reports a step's result with its end and saves it in the step's
// record, where a resumed session reads it; a failed rerun drops it.
func TestRunOneKeepsTheResult(t *testing.T) {
	store := NewStore(t.TempDir())
	want := HandoffResult(true, "/cfg/handoff.md")
	var reported *Result
	r := &Runner{Env: &Env{}, Store: store, Report: func(u Update) {
		if u.State == Done {
			reported = u.Result
		}
	}}
	sv := Saved{Plan: plan.New()}
	if err := r.RunOne(context.Background(), &sv, resultStep{res: want}); err != nil {
		t.Fatal(err)
	}
	if reported == nil || !reflect.DeepEqual(*reported, want) {
		t.Errorf("reported %+v, want %+v", reported, want)
	}
	back, _, err := store.Load()
	if err != nil || back.Steps[Handoff].State != Done || !reflect.DeepEqual(back.Steps[Handoff].Result, want) {
		t.Fatalf("saved %+v %v, want the result %+v", back.Steps[Handoff], err, want)
	}
	if err := r.RunOne(context.Background(), &back, resultStep{err: errors.New("boom")}); err == nil {
		t.Fatal("the failing step did not fail")
	}
	if again, _, _ := store.Load(); again.Steps[Handoff].State != Failed || !reflect.DeepEqual(again.Steps[Handoff].Result, Result{}) {
		t.Errorf("after a failure: %+v", again.Steps[Handoff])
	}
}
