package plan

import (
	"strings"
	"testing"

	"github.com/clubcedille/cedille-tui/assets"
)

func TestValidateGitOps(t *testing.T) {
	ok := GitOps{Chart: Chart{Repo: "https://charts.example.org/argo", Version: "7.7.3"}, Domain: "argocd.example.org",
		GitHubOrg: "ExampleOrg", Root: RootApp{RepoURL: "https://git.example.org/platform.git", Path: "apps/argo-apps"}}
	with := func(f func(*GitOps)) GitOps { g := ok; f(&g); return g }
	cases := []struct {
		name string
		g    GitOps
		sso  string
		want []string
	}{
		{"complete", ok, "abc", nil},
		{"a local archive", with(func(g *GitOps) { g.Chart = Chart{File: "charts/argo-cd-7.7.3.tgz"} }), "", nil},
		{"both sources", with(func(g *GitOps) { g.Chart.File = "x.tgz" }), "", []string{"gitops.chart"}},
		{"no pinned version", with(func(g *GitOps) { g.Chart.Version = "" }), "", []string{"gitops.chart.version"}},
		{"not a URL", with(func(g *GitOps) { g.Chart.Repo = "argo" }), "", []string{"gitops.chart.repo"}},
		{"an OCI registry", with(func(g *GitOps) { g.Chart.Repo = "oci://registry.example.org/charts" }), "", []string{"gitops.chart.repo"}},
		{"not an archive", with(func(g *GitOps) { g.Chart = Chart{File: "chart/"} }), "", []string{"gitops.chart.file"}},
		{"no domain", with(func(g *GitOps) { g.Domain = "" }), "", []string{"gitops.domain"}},
		{"SSO without the org", with(func(g *GitOps) { g.GitHubOrg = "" }), "abc", []string{"gitops.githubOrg"}},
		{"no root", with(func(g *GitOps) { g.Root = RootApp{} }), "", []string{"gitops.root.repoURL", "gitops.root.path"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := Plan{GitOps: c.g}
			p.Vault.SSO.ArgoCD.ClientID = c.sso
			var got []string
			for _, pr := range p.ValidateGitOps() {
				got = append(got, pr.Path)
			}
			if strings.Join(got, " ") != strings.Join(c.want, " ") {
				t.Errorf("problems %v, want %v", got, c.want)
			}
		})
	}
}

func TestArgoCDValues(t *testing.T) {
	p := Plan{GitOps: GitOps{Domain: "argocd.example.org", GitHubOrg: "ExampleOrg"}}
	v, err := p.ArgoCDValues(assets.FS)
	if err != nil {
		t.Fatal(err)
	}
	cm := v["configs"].(map[string]any)["cm"].(map[string]any)
	if cm["url"] != "https://argocd.example.org" || cm["admin.enabled"] != true || cm["dex.config"] != nil {
		t.Errorf("without SSO: local admin on, no Dex: %v", cm)
	}
	p.Vault.SSO.ArgoCD.ClientID = "client-123"
	v, err = p.ArgoCDValues(assets.FS)
	if err != nil {
		t.Fatal(err)
	}
	cm = v["configs"].(map[string]any)["cm"].(map[string]any)
	dex, _ := cm["dex.config"].(string)
	if !strings.Contains(dex, "clientID: client-123") || !strings.Contains(dex, "clientSecret: $dex-secret:dex.github.clientSecret") ||
		!strings.Contains(dex, "- name: ExampleOrg") || cm["admin.enabled"] != false {
		t.Errorf("with SSO: Dex's GitHub connector reading the secret from dex-secret, admin off:\n%v", cm)
	}
	rbac := v["configs"].(map[string]any)["rbac"].(map[string]any)
	if csv, _ := rbac["policy.csv"].(string); !strings.Contains(csv, "g, ExampleOrg:SRE, role:org-operators") ||
		!strings.Contains(csv, "g, ExampleOrg:Exec, role:admin") || rbac["policy.default"] != "role:readonly" {
		t.Errorf("RBAC: %v", rbac)
	}
	if v["dex"].(map[string]any)["enabled"] != true {
		t.Error("Dex must run with the GitHub connector")
	}
}

func TestVClusters(t *testing.T) {
	chart := Chart{Repo: "https://charts.example.org/vc", Version: "0.36.1"}
	p := Plan{VClusters: VClusters{Chart: chart}}
	l := p.VClusters.List()
	if len(l) != 2 || l[0].Name != "staging" || l[0].Namespace != "vcluster-staging" || l[1].Server != "https://sandbox.vcluster-sandbox.svc" {
		t.Errorf("defaults: %+v", l)
	}
	if ps := p.ValidateVClusters(); len(ps) > 0 {
		t.Errorf("defaults are valid: %v", ps)
	}
	p.VClusters.Clusters = []VCluster{{Name: "Prod"}, {Name: "a", Server: "http://x"}, {Name: "a"}}
	var got []string
	for _, pr := range p.ValidateVClusters() {
		got = append(got, pr.Path)
	}
	want := "vclusters.clusters[0].name vclusters.clusters[0].namespace vclusters.clusters[1].server vclusters.clusters[2].name"
	if strings.Join(got, " ") != want {
		t.Errorf("problems %v, want %s", got, want)
	}
}

func TestExampleAnswersPart3(t *testing.T) {
	p := exampleAnswers(t)
	if ps := append(append(p.ValidateGitOps(), p.ValidateVClusters()...), p.ValidateStorage().Only("storage")...); len(ps) > 0 {
		t.Errorf("the example's gitops, storage and vclusters sections:\n%v", ps)
	}
	if l := p.VClusters.List(); len(l) != 2 || l[1].Namespace != "vcluster-sandbox" || p.Storage.WithDefaults().Replicas != 2 {
		t.Errorf("example: %+v %+v", l, p.Storage)
	}
}
