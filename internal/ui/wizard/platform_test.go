package wizard

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/steps"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
	"github.com/clubcedille/cedille-tui/internal/units"
)

// poolsCapacity is the fake storage step's pools' capacity in bytes: 14.6 TiB.
const poolsCapacity = 16052869765529

// platformPlan is a plan whose cluster is made (the demo's six machines, two pool disks on each worker).
func platformPlan(t testing.TB) steps.Saved {
	t.Helper()
	sv := savedPlan(t, steps.Disks)
	sv.Plan.Cluster.Kubeconfig = "/home/op/.config/cedille-tui/cedille-cluster.kubeconfig"
	return sv
}

// platformSteps are the install's twelve steps as doubles, in the install's order: the cluster's and
// Vault's hold; gitops, storage, vclusters and the hand-off hold once they ran, their Runs reporting
// what the real ones do (the live lists, the last lines). ran counts each one's runs.
func platformSteps(configDir string, ran map[steps.ID]*int) []steps.Step {
	done := func(id steps.ID, title string) fakeStep {
		return fakeStep{id: id, title: title, holds: func(plan.Plan) (bool, string) { return true, "holds" }}
	}
	after := func(id steps.ID, title string, run func(ctx context.Context, e *steps.Env, p *plan.Plan, emit func(steps.Event)) error,
		result func(e *steps.Env, p plan.Plan) steps.Result) fakeStep {
		n := new(int)
		ran[id] = n
		return fakeStep{id: id, title: title, runs: n, run: run, result: result,
			holds: func(plan.Plan) (bool, string) { return *n > 0, "not yet" }}
	}
	gitops := func(_ context.Context, _ *steps.Env, p *plan.Plan, emit func(steps.Event)) error {
		if ps := p.ValidateGitOps(); len(ps) > 0 {
			return ps
		}
		emit(steps.Event{Message: "ArgoCD installed as argo-cd " + p.GitOps.Chart.Version + ", revision 1 (deployed)"})
		items := []steps.Item{{Name: "root (app-of-apps)", State: "Synced/Healthy", OK: true}}
		for _, n := range []string{"cert-manager", "ingress-nginx", "mayastor", "monitoring"} {
			items = append(items, steps.Item{Name: n, State: "Synced/Healthy", OK: true})
		}
		items = append(items, steps.Item{Name: "vault", State: "Synced/Progressing", Detail: "checked after the Vault steps"})
		emit(steps.Event{Items: items, Done: 4, Total: 5, Unit: "applications"})
		emit(steps.Event{Message: "the root Application's 5 children are Synced and Healthy but 1 that wait for the Vault steps"})
		return nil
	}
	storage := func(_ context.Context, _ *steps.Env, p *plan.Plan, emit func(steps.Event)) error {
		pools, ps := p.DiskPools()
		if ps = append(ps, p.ValidateStorage()...); len(ps) > 0 {
			return ps
		}
		var items []steps.Item
		for _, pl := range pools {
			items = append(items, steps.Item{Name: pl.Name + " (" + pl.Node + ")", State: "Created Online", OK: true,
				Detail: "2.7 TiB, 0 B used"})
		}
		emit(steps.Event{Items: items, Done: int64(len(pools)), Total: int64(len(pools)), Unit: "pools"})
		emit(steps.Event{Message: fmt.Sprintf("%d pools Online: %s", len(pools), units.Binary(poolsCapacity))})
		return nil
	}
	vclusters := func(_ context.Context, _ *steps.Env, p *plan.Plan, emit func(steps.Event)) error {
		if ps := p.ValidateVClusters(); len(ps) > 0 {
			return ps
		}
		var items []steps.Item
		for _, c := range p.VClusters.List() {
			items = append(items, steps.Item{Name: c.Name, State: "registration created", OK: true, Detail: "authenticated as admin"})
			emit(steps.Event{Message: "vcluster " + c.Name + " registered in ArgoCD as " + c.Server})
		}
		emit(steps.Event{Items: items, Done: int64(len(items)), Total: int64(len(items)), Unit: "vclusters"})
		return nil
	}
	handoff := func(_ context.Context, e *steps.Env, p *plan.Plan, emit func(steps.Event)) error {
		emit(steps.Event{Items: []steps.Item{{Name: "root (app-of-apps)", State: "Synced/Healthy", OK: true},
			{Name: "vault", State: "Synced/Healthy", OK: true}}, Done: 1, Total: 1, Unit: "applications"})
		for _, l := range steps.HandoffLines(*p, "cedille-tui --kubeconfig "+p.Cluster.Kubeconfig, e.ConfigDir) {
			emit(steps.Event{Message: l})
		}
		emit(steps.Event{Message: "written to " + filepath.Join(e.ConfigDir, steps.HandoffFile)})
		return nil
	}
	return []steps.Step{done(steps.Preflight, "Preflight"), done(steps.ISO, "Talos ISO"), done(steps.Machines, "Machines"),
		done(steps.Disks, "Disks"), done(steps.Cluster, "Cluster"),
		after(steps.GitOps, "GitOps", gitops, func(_ *steps.Env, p plan.Plan) steps.Result { return steps.GitOpsResult(p, 4, 1) }),
		after(steps.Storage, "Storage", storage, func(_ *steps.Env, p plan.Plan) steps.Result {
			pools, _ := p.DiskPools()
			return steps.StorageResult(p, len(pools), poolsCapacity)
		}),
		done(steps.VaultInit, "Vault init"), done(steps.VaultUnseal, "Vault unseal"), done(steps.VaultBootstrap, "Vault bootstrap"),
		after(steps.VClusters, "vclusters", vclusters, func(_ *steps.Env, p plan.Plan) steps.Result { return steps.VClustersResult(p) }),
		after(steps.Handoff, "Hand-off", handoff, func(e *steps.Env, _ plan.Plan) steps.Result {
			return steps.HandoffResult(true, filepath.Join(e.ConfigDir, steps.HandoffFile))
		})}
}

// newPlatform builds a wizard over the twelve doubles, its state in dir.
func newPlatform(t testing.TB, dir string, ran map[steps.ID]*int) *Model {
	configDir := t.TempDir()
	return New(Options{Steps: platformSteps(configDir, ran), Env: &steps.Env{ConfigDir: configDir}, Store: steps.NewStore(dir),
		Theme: theme.New(false, true), Endpoint: "grpc://omni.test",
		Inventory: func(context.Context) (*plan.Inventory, error) { return testInventory(), nil },
		Refresh:   time.Second, Now: func() time.Time { return at }})
}

// platformAt builds the wizard with the steps before `from` already run in this install.
func platformAt(t *testing.T, sv steps.Saved, from steps.ID) (*driver, string) {
	t.Helper()
	dir := t.TempDir()
	save(t, dir, sv)
	ran := map[steps.ID]*int{}
	m := newPlatform(t, dir, ran)
	for _, id := range []steps.ID{steps.GitOps, steps.Storage, steps.VClusters, steps.Handoff} {
		if id == from {
			break
		}
		*ran[id] = 1
	}
	return newDriver(t, m, 80, 24), dir
}

// TestPlatformFieldChecks: each field of the gitops, storage and vclusters forms is refused with the
// plan's own message for its path, and takes what the plan takes.
func TestPlatformFieldChecks(t *testing.T) {
	sv := platformPlan(t)
	const repo, argoRepo = "https://charts.example.org/loft", "https://charts.example.org/argo-helm"
	git := func(f func(v *gitopsValues) error) error {
		v := newGitOpsValues(sv.Plan)
		return f(&v)
	}
	stor := func(f func(v *storageValues) error) error {
		v := newStorageValues(sv.Plan)
		return f(&v)
	}
	vc := func(f func(v *vclustersValues) error) error {
		v := newVClustersValues(sv.Plan)
		return f(&v)
	}
	for _, c := range []struct {
		name string
		err  error
		want string // "" when the answer is taken
	}{
		{"gitops: repository and file both", git(func(v *gitopsValues) error {
			v.Chart.Repo, v.Chart.Version = argoRepo, "7.7.3"
			return v.Chart.checkFile(false)("/charts/argo-cd-7.7.3.tgz")
		}), "give a repository (repo and version) or a local file, not both"},
		{"gitops: repository without a version", git(func(v *gitopsValues) error {
			v.Chart.Repo = argoRepo
			return v.Chart.checkVersion(false)("")
		}), "required: pin the chart's version"},
		{"gitops: a version that is not one", git(func(v *gitopsValues) error {
			v.Chart.Repo = argoRepo
			return v.Chart.checkVersion(false)("latest")
		}), `"latest" is not a version like 7.7.3`},
		{"gitops: neither repository nor file", git(func(v *gitopsValues) error { return v.Chart.checkFile(false)("") }),
			"required: the chart repository's URL (or file: a local .tgz)"},
		{"gitops: a file that is not an archive", git(func(v *gitopsValues) error { return v.Chart.checkFile(false)("/charts/argo.zip") }),
			`"/charts/argo.zip": a chart archive (.tgz)`},
		{"gitops: a repository that is not a URL", git(func(v *gitopsValues) error { return v.Chart.checkRepo(false)("argoproj") }),
			`"argoproj" is not a chart repository URL`},
		{"gitops: an empty repository (a file follows)", git(func(v *gitopsValues) error { return v.Chart.checkRepo(false)("") }), ""},
		{"gitops: a local archive alone", git(func(v *gitopsValues) error { return v.Chart.checkFile(false)("/charts/argo-cd-7.7.3.tgz") }), ""},
		{"gitops: a URL for a domain", git(func(v *gitopsValues) error {
			return v.check(false, "gitops.domain", func(c *gitopsValues) *string { return &c.Domain })("https://argocd.example.org")
		}), "required: ArgoCD's host name"},
		{"gitops: organization with the Dex client", git(func(v *gitopsValues) error {
			v.DexClient = "Iv1.argocd-client"
			return v.check(false, "gitops.githubOrg", func(c *gitopsValues) *string { return &c.GitHubOrg })("")
		}), "required with the Dex GitHub client"},
		{"gitops: organization without the Dex client", git(func(v *gitopsValues) error {
			return v.check(false, "gitops.githubOrg", func(c *gitopsValues) *string { return &c.GitHubOrg })("")
		}), ""},
		{"gitops: namespace", git(func(v *gitopsValues) error {
			return v.check(false, "gitops.namespace", func(c *gitopsValues) *string { return &c.Namespace })("Argo CD")
		}), `"Argo CD" is not a valid namespace`},
		{"gitops: an absolute root path", git(func(v *gitopsValues) error {
			return v.check(false, "gitops.root.path", func(c *gitopsValues) *string { return &c.Path })("/apps/argo-apps")
		}), "relative to the repository"},
		{"gitops: no root repository", git(func(v *gitopsValues) error {
			return v.check(false, "gitops.root.repoURL", func(c *gitopsValues) *string { return &c.RootRepo })(" ")
		}), "required: the Git repository of the app-of-apps"},
		{"storage: replicas not a number", stor(func(v *storageValues) error {
			return v.check(false, "storage.replicas", func(c *storageValues) *string { return &c.Replicas })("two")
		}), `"two": how many copies of each volume, at least 1`},
		{"storage: more replicas than pool nodes", stor(func(v *storageValues) error {
			return v.check(false, "storage.replicas", func(c *storageValues) *string { return &c.Replicas })("4")
		}), "4 replicas but pools on 3 nodes"},
		{"storage: three replicas on three nodes", stor(func(v *storageValues) error {
			return v.check(false, "storage.replicas", func(c *storageValues) *string { return &c.Replicas })("3")
		}), ""},
		{"storage: class name", stor(func(v *storageValues) error {
			return v.check(false, "storage.class", func(c *storageValues) *string { return &c.Class })("Fast_SSD")
		}), `"Fast_SSD" is not a valid StorageClass name`},
		{"vclusters: a bad name", vc(func(v *vclustersValues) error { return v.checkList(false)("Staging, sandbox") }),
			`"Staging": lowercase letters, digits and '-', at most 52`},
		{"vclusters: twice the same", vc(func(v *vclustersValues) error { return v.checkList(false)("staging, staging") }),
			"vcluster-staging/staging is listed twice"},
		{"vclusters: two colons", vc(func(v *vclustersValues) error { return v.checkList(false)("staging:a:b") }),
			`"staging:a:b": a vcluster is name or name:namespace`},
		{"vclusters: no name", vc(func(v *vclustersValues) error { return v.checkList(false)(":vcluster-x") }),
			"the vcluster's name comes first"},
		{"vclusters: a bad namespace", vc(func(v *vclustersValues) error { return v.checkList(false)("staging:Staging") }),
			`"Staging" is not a valid namespace`},
		{"vclusters: names and namespaces", vc(func(v *vclustersValues) error { return v.checkList(false)("staging, sandbox:sb") }), ""},
		{"vclusters: chart repository and file both", vc(func(v *vclustersValues) error {
			v.Chart.Repo, v.Chart.Version = repo, "0.20.0"
			return v.Chart.checkFile(false)("/charts/vcluster-0.20.0.tgz")
		}), "give a repository (repo and version) or a local file, not both"},
		// Accessible mode: an empty answer keeps the value shown, "-" clears it.
		{"accessible: empty keeps the repository", git(func(v *gitopsValues) error {
			v.Chart.Repo, v.Chart.Version = argoRepo, "7.7.3"
			return v.Chart.checkVersion(true)("")
		}), ""},
		{"accessible: - clears the archive", git(func(v *gitopsValues) error {
			v.Chart.Repo, v.Chart.Version, v.Chart.File = argoRepo, "7.7.3", "/charts/argo-cd-7.7.3.tgz"
			return v.Chart.checkFile(true)("-")
		}), ""},
		{"accessible: empty keeps the archive", git(func(v *gitopsValues) error {
			v.Chart.Repo, v.Chart.Version, v.Chart.File = argoRepo, "7.7.3", "/charts/argo-cd-7.7.3.tgz"
			return v.Chart.checkFile(true)("")
		}), "not both"},
		{"accessible: empty keeps the domain", git(func(v *gitopsValues) error {
			v.Domain = "argocd.example.org"
			return v.check(true, "gitops.domain", func(c *gitopsValues) *string { return &c.Domain })("")
		}), ""},
		{"accessible: - clears the domain", git(func(v *gitopsValues) error {
			v.Domain = "argocd.example.org"
			return v.check(true, "gitops.domain", func(c *gitopsValues) *string { return &c.Domain })("-")
		}), "required: ArgoCD's host name"},
		{"accessible: empty keeps the vclusters, judged", vc(func(v *vclustersValues) error {
			v.List = "Staging"
			return v.checkList(true)("")
		}), `"Staging": lowercase letters`},
	} {
		t.Run(c.name, func(t *testing.T) {
			switch {
			case c.want == "" && c.err != nil:
				t.Errorf("refused: %v", c.err)
			case c.want != "" && (c.err == nil || !strings.Contains(c.err.Error(), c.want)):
				t.Errorf("got %v, want %q", c.err, c.want)
			}
		})
	}
}

// TestPlatformValues: the forms' answers as the plan holds them, and what they show of a plan.
func TestPlatformValues(t *testing.T) {
	p := platformPlan(t).Plan
	p.GitOps = plan.GitOps{Deferred: []string{"vault"}, Chart: plan.Chart{File: "/charts/old.tgz"}}
	g := newGitOpsValues(p)
	if g.Namespace != "argocd" || g.Revision != "HEAD" || g.Chart.File != "/charts/old.tgz" {
		t.Errorf("gitops defaults: %+v", g)
	}
	g.Chart.File, g.Chart.Repo, g.Chart.Version = " - ", " https://charts.example.org/argo-helm ", "7.7.3"
	g.Namespace, g.Domain, g.GitHubOrg, g.RootRepo, g.Revision, g.Path = "", "argocd.example.org", "clubcedille",
		"https://github.com/clubcedille/gitops", "", "apps/argo-apps"
	want := plan.GitOps{Chart: plan.Chart{Repo: "https://charts.example.org/argo-helm", Version: "7.7.3"}, Namespace: "argocd",
		Domain: "argocd.example.org", GitHubOrg: "clubcedille", Deferred: []string{"vault"},
		Root: plan.RootApp{RepoURL: "https://github.com/clubcedille/gitops", Revision: "HEAD", Path: "apps/argo-apps"}}
	if got := g.applyTo(p.GitOps); !reflect.DeepEqual(got, want) {
		t.Errorf("gitops: got %+v, want %+v", got, want)
	}

	s := newStorageValues(p)
	if s.Class != "mayastor" || s.Replicas != "2" || s.Namespace != "mayastor" {
		t.Errorf("storage defaults: %+v", s)
	}
	s.Replicas = "3"
	if got := s.applyTo(plan.Storage{}); got != (plan.Storage{Class: "mayastor", Namespace: "mayastor", Replicas: 3}) {
		t.Errorf("storage: %+v", got)
	}

	v := newVClustersValues(p)
	if v.List != "staging, sandbox" {
		t.Errorf("the default vclusters: %q", v.List)
	}
	p.VClusters.Clusters = []plan.VCluster{{Name: "staging", Server: "https://staging.example.org"}, {Name: "sandbox", Namespace: "sb", RegisterOnly: true}}
	v = newVClustersValues(p)
	if v.List != "staging, sandbox:sb" {
		t.Errorf("the plan's vclusters: %q", v.List)
	}
	v.List, v.Chart.File = "staging, sandbox:sb, preview", "/charts/vcluster-0.20.0.tgz"
	got := v.applyTo(p.VClusters)
	if want := []plan.VCluster{{Name: "staging", Server: "https://staging.example.org"}, {Name: "sandbox", Namespace: "sb", RegisterOnly: true},
		{Name: "preview"}}; !reflect.DeepEqual(got.Clusters, want) || got.Chart.File != "/charts/vcluster-0.20.0.tgz" {
		t.Errorf("vclusters: %+v (a vcluster kept keeps its server URL and registerOnly)", got)
	}
}

// TestPoolLines: the pools of a plan, by name, node and by-id path; the directory said once when the
// paths do not fit; a plan without pool disks says so.
func TestPoolLines(t *testing.T) {
	p := platformPlan(t).Plan
	wide := poolLines(p, 120)
	if len(wide) != 8 || wide[0] != "6 DiskPools in mayastor, one per pool disk:" ||
		wide[2] != "  worker-1-hr67  worker-1  /dev/disk/by-id/wwn-0x50014ee2b6a1f3c2" {
		t.Errorf("wide:\n%s", strings.Join(wide, "\n"))
	}
	narrow := poolLines(p, 59)
	if narrow[1] != "  POOL           NODE      DISK (in /dev/disk/by-id/)" || narrow[7] != "  worker-3-kxx4  worker-3  wwn-0x50014ee0aeb5c7d8" {
		t.Errorf("narrow:\n%s", strings.Join(narrow, "\n"))
	}
	for i := range p.Machines {
		p.Machines[i].PoolDisks = nil
	}
	if none := strings.Join(poolLines(p, 59), " "); !strings.Contains(none, "No pool disk is chosen") {
		t.Errorf("no pool disk: %s", none)
	}
}

// TestGitOpsFormWritesThePlan drives the gitops form: a repository without a version and a repository
// with a file are refused with the plan's messages, the organization is required with the plan's Dex
// client (and says why), and the answers land in the plan; the run's result counts the Applications.
func TestGitOpsFormWritesThePlan(t *testing.T) {
	sv := platformPlan(t)
	sv.Plan.Vault.SSO.ArgoCD.ClientID = "Iv1.argocd-client"
	d, dir := platformAt(t, sv, steps.GitOps)
	d.shows("step 6/12 · GitOps", "ArgoCD chart repository URL", "Chart version (pinned)", "Or a local chart archive (.tgz)")
	assertFits(t, d.m.Render(), 80, 24)
	// Without styles: the form's cursor blinks, its frames differ only in the cursor's reverse video.
	golden.RequireEqual(t, []byte(d.screen()))

	d.paste("https://charts.example.org/argo-helm")
	d.keys("enter", "enter")
	d.shows("required: pin the chart's version")
	d.paste("7.7.3")
	d.key("enter")
	d.paste("/charts/argo-cd-7.7.3.tgz")
	d.key("enter")
	d.shows("give a repository (repo and version) or a local file,")
	d.key("ctrl+u")
	d.key("enter")

	d.shows("ArgoCD namespace", "> argocd", "ArgoCD domain", "ArgoCD Dex GitHub client ID", "> Iv1.argocd-client",
		"GitHub organization", "with Dex: members log in")
	d.key("enter")
	d.paste("argocd.example.org")
	d.keys("enter", "enter", "enter")
	d.shows("required with the Dex GitHub client")
	d.paste("clubcedille")
	d.key("enter")

	d.shows("Root Application repository URL", "> HEAD", "Path")
	d.paste("https://github.com/clubcedille/gitops")
	d.keys("enter", "enter")
	d.paste("/apps/argo-apps")
	d.key("enter")
	d.shows("required: the app-of-apps directory, relative to the")
	d.key("ctrl+u")
	d.paste("apps/argo-apps")
	d.key("enter")
	d.shows("GitOps ✔ done", "ArgoCD installed; 4 Applications Synced and Healthy; 1 wait", "press enter to go on",
		"root (app-of-apps)  Synced/Healthy", "vault  Synced/Progressing")
	assertFits(t, d.m.Render(), 80, 24)

	g := load(t, dir).Plan.GitOps
	want := plan.GitOps{Chart: plan.Chart{Repo: "https://charts.example.org/argo-helm", Version: "7.7.3"}, Namespace: "argocd",
		Domain: "argocd.example.org", GitHubOrg: "clubcedille",
		Root: plan.RootApp{RepoURL: "https://github.com/clubcedille/gitops", Revision: "HEAD", Path: "apps/argo-apps"}}
	if !reflect.DeepEqual(g, want) {
		t.Errorf("the plan's gitops section: %+v", g)
	}
	d.key("enter")
	d.shows("step 7/12 · Storage")
	d.key("esc") // the form of a step not done yet is needed: esc stays
	d.shows("this step needs its form")
	d.key("[")
	if _, ok := d.m.pane.(*formScreen); !ok {
		t.Fatal("[ is typed into the form")
	}
}

// TestStorageFormListsThePools: the storage form lists the pools the plan's pool disks make, refuses more
// replicas than nodes with pools, and writes the plan.
func TestStorageFormListsThePools(t *testing.T) {
	d, dir := platformAt(t, platformPlan(t), steps.Storage)
	scr := d.shows("step 7/12 · Storage", "StorageClass (the default class)", "> mayastor", "6 DiskPools in mayastor",
		"POOL           NODE      DISK (in /dev/disk/by-id/)", "worker-1-hr67  worker-1  wwn-0x50014ee2b6a1f3c2",
		"worker-3-kxx4  worker-3  wwn-0x50014ee0aeb5c7d8")
	if strings.Contains(scr, "/dev/sd") {
		t.Errorf("pools are named by by-id paths only:\n%s", scr)
	}
	assertFits(t, d.m.Render(), 80, 24)
	d.key("enter")
	d.key("backspace")
	d.typed("4")
	d.shows("✖ storage.replicas: 4 replicas but pools on 3 nodes")
	d.key("enter")
	d.shows("* 4 replicas but pools on 3 nodes")
	d.key("backspace")
	d.typed("3")
	d.keys("enter", "enter")
	d.shows("Storage ✔ done", "6 pools Online: 14.6 TiB", "StorageClass mayastor (3 replicas per volume), the",
		"worker-1-hr67 (worker-1)  Created Online")
	assertFits(t, d.m.Render(), 80, 24)
	if s := load(t, dir).Plan.Storage; s != (plan.Storage{Class: "mayastor", Namespace: "mayastor", Replicas: 3}) {
		t.Errorf("the plan's storage section: %+v", s)
	}
}

// TestVClustersFormWritesThePlan: a bad vcluster name is refused with the plan's message; name:namespace
// sets the namespace; the result says which are registered.
func TestVClustersFormWritesThePlan(t *testing.T) {
	d, dir := platformAt(t, platformPlan(t), steps.VClusters)
	d.shows("step 11/12 · vclusters", "vcluster chart repository URL")
	d.paste("https://charts.example.org/loft")
	d.key("enter")
	d.paste("0.20.0")
	d.keys("enter", "enter")
	d.shows("name or name:namespace", "> staging, sandbox")
	d.key("ctrl+u")
	d.paste("Staging, sandbox:sb")
	d.key("enter")
	d.shows(`"Staging": lowercase letters, digits and '-', at most 52`)
	d.key("ctrl+u")
	d.paste("staging, sandbox:sb")
	d.key("enter")
	d.shows("vclusters ✔ done", "2 vclusters registered in ArgoCD: staging, sandbox", "https://sandbox.sb.svc")
	v := load(t, dir).Plan.VClusters
	if want := (plan.VClusters{Chart: plan.Chart{Repo: "https://charts.example.org/loft", Version: "0.20.0"},
		Clusters: []plan.VCluster{{Name: "staging"}, {Name: "sandbox", Namespace: "sb"}}}); !reflect.DeepEqual(v, want) {
		t.Errorf("the plan's vclusters section: %+v", v)
	}
}

// TestHandoffOpensTheConsole: the hand-off has no form, enter runs it; its result says where the summary
// is, shows the summary from its start (it scrolls), and enter opens the console.
func TestHandoffOpensTheConsole(t *testing.T) {
	d, _ := platformAt(t, platformPlan(t), steps.Handoff)
	d.shows("step 12/12 · Hand-off", "Hand-off · not done", "enter run")
	if d.m.editable() {
		t.Error("the hand-off has no form")
	}
	d.key("enter")
	scr := d.shows("Hand-off ✔ done", "summary written to", steps.HandoffFile, "press enter to open the console", "## Installed",
		"enter open the console")
	if strings.Contains(scr, "root (app-of-apps)") || strings.Contains(scr, "## Open the console") {
		t.Errorf("the summary shows from its start, not the Applications' list:\n%s", scr)
	}
	assertFits(t, d.m.Render(), 80, 24)
	for range 40 {
		d.key("down")
	}
	d.shows("## Open the console", "cedille-tui --kubeconfig", "/home/op/.config/cedille-tui/cedille-cluster.kubeconfig")
	d.key("enter")
	d.waitQuit()
	if r := d.m.Result(); !r.Finished || r.Kubeconfig != "/home/op/.config/cedille-tui/cedille-cluster.kubeconfig" {
		t.Errorf("result = %+v", r)
	}
}

// itemsStep reports n items (the ones in failed failing) and runs until it is cancelled.
type itemsStep struct {
	fakeStep
	n      int
	failed map[int]bool
}

func (s itemsStep) Run(ctx context.Context, _ *steps.Env, _ *plan.Plan, emit func(steps.Event)) (steps.Result, error) {
	items := make([]steps.Item, s.n)
	for i := range items {
		items[i] = steps.Item{Name: fmt.Sprintf("app-%02d", i+1), State: "Synced/Healthy", OK: true}
		if s.failed[i+1] {
			items[i] = steps.Item{Name: fmt.Sprintf("app-%02d", i+1), State: "Synced/Degraded", Failed: true,
				Detail: "Deployment app has timed out progressing"}
		}
	}
	emit(steps.Event{Message: "following the root Application's children"})
	emit(steps.Event{Items: items, Done: int64(s.n - len(s.failed)), Total: int64(s.n), Unit: "applications"})
	<-ctx.Done()
	return steps.Result{}, ctx.Err()
}

// TestRunPaneItemsAt80x24: a live list longer than the pane keeps the step's title and counter, a line
// of log, and the failing items; the rest is counted.
func TestRunPaneItemsAt80x24(t *testing.T) {
	for _, c := range []struct {
		n       int
		failed  map[int]bool
		visible []string
		more    string
	}{
		{12, nil, []string{"app-01", "app-12"}, ""},
		{12, map[int]bool{12: true}, []string{"app-01", "✖ app-12  Synced/Degraded"}, ""},
		{30, map[int]bool{27: true}, []string{"app-01", "✖ app-27  Synced/Degraded  Deployment app has timed out"}, "… 14 more: 14 ✔"},
	} {
		t.Run(fmt.Sprintf("%d items", c.n), func(t *testing.T) {
			step := itemsStep{fakeStep: fakeStep{id: steps.Handoff, title: "Hand-off",
				holds: func(plan.Plan) (bool, string) { return false, "not yet" }}, n: c.n, failed: c.failed}
			dir := t.TempDir()
			save(t, dir, platformPlan(t))
			d := newDriver(t, newVaultModel(t, dir, step), 80, 24)
			d.shows("Hand-off · not done")
			d.press("enter")
			scr := d.shows(append([]string{"applications " + fmt.Sprint(c.n-len(c.failed)) + "/" + fmt.Sprint(c.n),
				"following the root Application's children"}, c.visible...)...)
			assertFits(t, d.m.Render(), 80, 24)
			lines := strings.Split(scr, "\n")
			if !strings.Contains(lines[2], "Hand-off") || !strings.Contains(lines[2], "running") {
				t.Errorf("the step's title is the pane's first line:\n%s", scr)
			}
			if c.more != "" && !strings.Contains(scr, c.more) {
				t.Errorf("the items left out are counted (%q):\n%s", c.more, scr)
			}
			d.press("ctrl+c")
			d.waitQuit()
		})
	}
}

// TestAccessiblePlatformForms answers the gitops, storage and vclusters prompts through a pipe: a refused
// answer is asked again, the pools are listed, and the answers land in the plan.
func TestAccessiblePlatformForms(t *testing.T) {
	dir := t.TempDir()
	save(t, dir, platformPlan(t))
	all := platformSteps(t.TempDir(), map[steps.ID]*int{})
	ss := []steps.Step{all[5], all[6], all[10]}
	answers := []string{
		// gitops: chart repository, version (refused, then pinned), file, namespace, domain, Dex client,
		// organization, root repository, revision, path.
		"https://charts.example.org/argo-helm", "latest", "7.7.3", "", "", "argocd.example.org", "", "",
		"https://github.com/clubcedille/gitops", "", "apps/argo-apps",
		// storage: class, replicas (refused, then 3), namespace.
		"", "4", "3", "",
		// vclusters: chart, version, file, the list (refused, then right).
		"https://charts.example.org/loft", "0.20.0", "", "Staging", "staging, sandbox:sb",
	}
	var out syncBuffer
	res, err := RunAccessible(context.Background(), AccessibleOptions{Steps: ss, Store: steps.NewStore(dir),
		In: strings.NewReader(strings.Join(answers, "\n") + "\n"), Out: &out})
	text := out.String()
	if err != nil || !res.Finished {
		t.Fatalf("accessible: %v\n%s", err, text)
	}
	for _, want := range []string{"ArgoCD chart repository URL", `"latest" is not a version like 7.7.3`,
		"ArgoCD namespace [argocd; enter keeps it]", "6 DiskPools in mayastor, one per pool disk:",
		"worker-1-hr67  worker-1  /dev/disk/by-id/wwn-0x50014ee2b6a1f3c2", "4 replicas but pools on 3 nodes",
		"vclusters [staging, sandbox; enter keeps it]", `"Staging": lowercase letters`} {
		if !strings.Contains(text, want) {
			t.Errorf("the prompts lack %q:\n%s", want, text)
		}
	}
	p := load(t, dir).Plan
	if p.GitOps.Chart.Version != "7.7.3" || p.GitOps.Namespace != "argocd" || p.GitOps.Root.Revision != "HEAD" ||
		p.GitOps.Root.Path != "apps/argo-apps" || p.Storage.Replicas != 3 ||
		!reflect.DeepEqual(p.VClusters.Clusters, []plan.VCluster{{Name: "staging"}, {Name: "sandbox", Namespace: "sb"}}) {
		t.Errorf("the plan: %+v %+v %+v", p.GitOps, p.Storage, p.VClusters)
	}
	if strings.Contains(text, "\x1b[") {
		t.Error("accessible output holds escape sequences")
	}
}
