package wizard

import (
	"cmp"
	"fmt"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
	"github.com/clubcedille/cedille-tui/internal/units"
	"strconv"
	"strings"

	"charm.land/huh/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/clubcedille/cedille-tui/internal/plan"
)

// The forms of the platform's steps: ArgoCD and its app-of-apps (gitops), Mayastor's StorageClass
// (storage), the vclusters. As the other forms, their values live in plain structs, and every field is
// judged by the plan's own rules (ValidateGitOps, ValidateStorage, ValidateVClusters) filtered to its
// path. Nothing here reads a file: a local chart archive is loaded by the step when it runs; one it
// cannot load fails the run, and e comes back to the form.

// effective is what a field holds once the typed answer s is taken: in accessible mode an empty answer
// keeps the value shown (cur); "-" clears an optional field in either mode.
func effective(s, cur string, accessible bool) string {
	s = strings.TrimSpace(s)
	switch {
	case s == "-":
		return ""
	case s == "" && accessible:
		return strings.TrimSpace(cur)
	}
	return s
}

// clean is a field's value as the plan takes it: trimmed, "-" meaning none.
func clean(s string) string { return effective(s, "", false) }

// checkField judges one field of a form's values v: a copy of v holding the typed answer in that field
// (as effective takes it), its problems at path.
func checkField[V any](v *V, accessible bool, problems func(V) plan.Problems, path string, field func(*V) *string) func(string) error {
	return func(s string) error {
		c := *v
		f := field(&c)
		*f = effective(s, *f, accessible)
		return firstProblem(problems(c).Only(path))
	}
}

// optTitle shows, in accessible mode, the value an empty answer keeps and how to clear it.
func optTitle(title, value string, accessible bool) string {
	if accessible && value != "" {
		return title + " [" + value + "; enter keeps it, - clears it]"
	}
	return title
}

// chartValues are a chart's source: a repository and its pinned version, or a local archive.
type chartValues struct {
	Repo, Version, File string
	// prefix is the plan's path of the chart (gitops.chart, vclusters.chart); problems judges one.
	prefix   string
	problems func(plan.Chart) plan.Problems
}

func newChartValues(c plan.Chart, prefix string, problems func(plan.Chart) plan.Problems) chartValues {
	return chartValues{Repo: c.Repo, Version: c.Version, File: c.File, prefix: prefix, problems: problems}
}

// chart is the source as the plan holds it.
func (v chartValues) chart() plan.Chart {
	return plan.Chart{Repo: clean(v.Repo), Version: clean(v.Version), File: clean(v.File)}
}

// checkRepo judges the repository's URL (empty: the local archive below is the source).
func (v *chartValues) checkRepo(accessible bool) func(string) error {
	return func(s string) error {
		repo := effective(s, v.Repo, accessible)
		if repo == "" {
			return nil
		}
		return firstProblem(v.problems(plan.Chart{Repo: repo, Version: clean(v.Version)}).Only(v.prefix + ".repo"))
	}
}

// checkVersion judges the pinned version, when a repository is given.
func (v *chartValues) checkVersion(accessible bool) func(string) error {
	return func(s string) error {
		repo := clean(v.Repo)
		if repo == "" {
			return nil
		}
		version := effective(s, v.Version, accessible)
		return firstProblem(v.problems(plan.Chart{Repo: repo, Version: version}).Only(v.prefix + ".version"))
	}
}

// checkFile judges the whole source once the archive is known: one of the two, not both, not neither.
func (v *chartValues) checkFile(accessible bool) func(string) error {
	return func(s string) error {
		c := v.chart()
		c.File = effective(s, v.File, accessible)
		return firstProblem(v.problems(c).Only(v.prefix))
	}
}

// fields are the chart's three inputs; what names the chart ("ArgoCD", "vcluster") and example its
// repository.
func (v *chartValues) fields(what, example string, accessible bool) []huh.Field {
	repo := huh.NewInput().Title(optTitle(what+" chart repository URL", v.Repo, accessible)).
		Description("e.g. " + example + "; empty with a local chart").Value(&v.Repo).Validate(v.checkRepo(accessible))
	version := huh.NewInput().Title(optTitle("Chart version (pinned)", v.Version, accessible)).
		Description("with a repository: a rerun installs the same one").Value(&v.Version).Validate(v.checkVersion(accessible))
	file := huh.NewInput().Title(optTitle("Or a local chart archive (.tgz)", v.File, accessible)).
		Description("as helm package makes it; not with a repository").Value(&v.File).Validate(v.checkFile(accessible))
	return []huh.Field{repo, version, file}
}

// gitopsChartProblems judges an ArgoCD chart source with the plan's rules.
func gitopsChartProblems(c plan.Chart) plan.Problems {
	p := plan.New()
	p.GitOps.Chart = c
	return p.ValidateGitOps().Only("gitops.chart")
}

// vclustersChartProblems judges a vcluster chart source with the plan's rules.
func vclustersChartProblems(c plan.Chart) plan.Problems {
	p := plan.New()
	p.VClusters.Chart = c
	return p.ValidateVClusters().Only("vclusters.chart")
}

// gitopsValues are the gitops form's fields.
type gitopsValues struct {
	Chart                        chartValues
	Namespace, Domain, GitHubOrg string
	// DexClient is ArgoCD's Dex GitHub client ID (not a secret; its secret is asked at vault-bootstrap):
	// with one, the organization is required. It is asked here because ArgoCD's values need it.
	DexClient                string
	RootRepo, Revision, Path string
}

// newGitOpsValues reads the plan's GitOps section, with its defaults.
func newGitOpsValues(p plan.Plan) gitopsValues {
	g := p.GitOps.WithDefaults()
	return gitopsValues{Chart: newChartValues(g.Chart, "gitops.chart", gitopsChartProblems),
		Namespace: g.Namespace, Domain: g.Domain, GitHubOrg: g.GitHubOrg,
		RootRepo: g.Root.RepoURL, Revision: g.Root.Revision, Path: g.Root.Path,
		DexClient: p.Vault.SSO.ArgoCD.ClientID}
}

// applyTo writes the form into the plan's GitOps section (the deferred Applications are kept).
func (v gitopsValues) applyTo(old plan.GitOps) plan.GitOps {
	old.Chart = v.Chart.chart()
	old.Namespace = cmp.Or(clean(v.Namespace), plan.DefaultArgoNamespace)
	old.Domain = clean(v.Domain)
	old.GitHubOrg = clean(v.GitHubOrg)
	old.Root = plan.RootApp{RepoURL: clean(v.RootRepo), Revision: cmp.Or(clean(v.Revision), plan.DefaultRootRevision),
		Path: clean(v.Path)}
	return old
}

// problems are the plan's problems in what the form fills, the plan's Dex client taken into account.
func (v gitopsValues) problems() plan.Problems {
	p := plan.New()
	p.Vault.SSO.ArgoCD.ClientID = clean(v.DexClient)
	p.GitOps = v.applyTo(plan.GitOps{})
	return p.ValidateGitOps()
}

// check judges one field: the form with the typed answer in that field, the problems at path.
func (v *gitopsValues) check(accessible bool, path string, field func(*gitopsValues) *string) func(string) error {
	return checkField(v, accessible, gitopsValues.problems, path, field)
}

// orgDescription says why the GitHub organization is asked, and when it is required.
const orgDescription = "with Dex: members log in; SRE operate, Exec administer"

// applyClient writes the Dex client ID into the plan (the Vault section keeps the SSO clients).
func (v gitopsValues) applyClient(p *plan.Plan) { p.Vault.SSO.ArgoCD.ClientID = clean(v.DexClient) }

// gitopsForm builds the gitops form over v: the chart, then ArgoCD's settings, then the root Application.
func gitopsForm(v *gitopsValues, accessible bool) *huh.Form {
	namespace := huh.NewInput().Title(inputTitle("ArgoCD namespace", v.Namespace, accessible)).
		Description("default " + plan.DefaultArgoNamespace).Value(&v.Namespace).
		Validate(v.check(accessible, "gitops.namespace", func(c *gitopsValues) *string { return &c.Namespace }))
	domain := huh.NewInput().Title(inputTitle("ArgoCD domain", v.Domain, accessible)).
		Description("its host name, e.g. argocd.example.org (its URL, Dex's callback)").Value(&v.Domain).
		Validate(v.check(accessible, "gitops.domain", func(c *gitopsValues) *string { return &c.Domain }))
	dex := huh.NewInput().Title(optTitle("ArgoCD Dex GitHub client ID", v.DexClient, accessible)).
		Description("empty: no SSO; its secret is asked at vault-bootstrap").
		Value(&v.DexClient)
	org := huh.NewInput().Title(optTitle("GitHub organization", v.GitHubOrg, accessible)).
		Description(orgDescription).Value(&v.GitHubOrg).
		Validate(v.check(accessible, "gitops.githubOrg", func(c *gitopsValues) *string { return &c.GitHubOrg }))
	repo := huh.NewInput().Title(inputTitle("Root Application repository URL", v.RootRepo, accessible)).
		Description("the Git repository of the app-of-apps, e.g. https://git.example.org/org/gitops").Value(&v.RootRepo).
		Validate(v.check(accessible, "gitops.root.repoURL", func(c *gitopsValues) *string { return &c.RootRepo }))
	revision := huh.NewInput().Title(inputTitle("Revision", v.Revision, accessible)).
		Description("a branch, tag or commit (default " + plan.DefaultRootRevision + ")").Value(&v.Revision)
	path := huh.NewInput().Title(inputTitle("Path", v.Path, accessible)).
		Description("the app-of-apps directory in it, e.g. apps/argo-apps").Value(&v.Path).
		Validate(v.check(accessible, "gitops.root.path", func(c *gitopsValues) *string { return &c.Path }))
	return huh.NewForm(
		huh.NewGroup(v.Chart.fields("ArgoCD", "https://charts.example.org/argo-helm", accessible)...),
		huh.NewGroup(namespace, domain, dex, org),
		huh.NewGroup(repo, revision, path),
	)
}

// storageValues are the storage form's fields.
type storageValues struct {
	Class, Replicas, Namespace string
	// base is the plan whose pool disks make the pools (read only).
	base plan.Plan
}

func newStorageValues(p plan.Plan) storageValues {
	s := p.Storage.WithDefaults()
	return storageValues{Class: s.Class, Replicas: strconv.Itoa(s.Replicas), Namespace: s.Namespace, base: p.Clone()}
}

// replicas reads the replica count: the default when empty, -1 when it is not a number.
func replicas(s string) int {
	s = clean(s)
	if s == "" {
		return plan.DefaultReplicas
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}

// applyTo writes the form into the plan's storage section.
func (v storageValues) applyTo(old plan.Storage) plan.Storage {
	old.Class = cmp.Or(clean(v.Class), plan.DefaultStorageClass)
	old.Namespace = cmp.Or(clean(v.Namespace), plan.DefaultStorageNamespace)
	old.Replicas = replicas(v.Replicas)
	return old
}

// problems are the plan's storage problems with the form's values: the section's own, and the pool
// disks' (which the disks step records).
func (v storageValues) problems() plan.Problems {
	var ps plan.Problems
	if n := replicas(v.Replicas); n < 1 {
		ps = append(ps, plan.Problem{Path: "storage.replicas",
			Message: fmt.Sprintf("%q: how many copies of each volume, at least 1", clean(v.Replicas))})
	}
	p := v.base
	p.Storage = v.applyTo(p.Storage)
	for _, pr := range p.ValidateStorage() {
		if pr.Path == "storage.replicas" && len(ps) > 0 {
			continue // the count is not a number: said above
		}
		ps = append(ps, pr)
	}
	return ps
}

func (v *storageValues) check(accessible bool, path string, field func(*storageValues) *string) func(string) error {
	return checkField(v, accessible, storageValues.problems, path, field)
}

// storageForm builds the storage form over v, one line a field (titles padded to one width) so the
// pools it makes fit under it (poolLines).
func storageForm(v *storageValues, accessible bool) *huh.Form {
	inputs := []struct {
		title, path string
		field       func(*storageValues) *string
	}{
		{"StorageClass (the default class)", "storage.class", func(c *storageValues) *string { return &c.Class }},
		{"Replicas per volume (on distinct nodes)", "storage.replicas", func(c *storageValues) *string { return &c.Replicas }},
		{"Mayastor's namespace", "storage.namespace", func(c *storageValues) *string { return &c.Namespace }},
	}
	tw := 0
	for _, in := range inputs {
		tw = max(tw, len(in.title))
	}
	fields := make([]huh.Field, len(inputs))
	for i, in := range inputs {
		value := in.field(v)
		title := inputTitle(in.title, *value, accessible)
		if !accessible {
			title = fmt.Sprintf("%-*s ", tw, in.title)
		}
		fields[i] = huh.NewInput().Title(title).Inline(!accessible).Value(value).Validate(v.check(accessible, in.path, in.field))
	}
	return huh.NewForm(huh.NewGroup(fields...))
}

// poolLines lists the DiskPools the plan makes: name, node and disk, one line each. The disks are named
// by their /dev/disk/by-id paths, the directory said once above them when the whole path does not fit.
func poolLines(p plan.Plan, width int) []string {
	pools, _ := p.DiskPools()
	ns := p.Storage.WithDefaults().Namespace
	if len(pools) == 0 {
		return strings.Split(wrap("No pool disk is chosen: no DiskPool is made (the disks step chooses them, p on a worker's disk).",
			width), "\n")
	}
	const byID = "/dev/disk/by-id/"
	nw, dw, pw := len("POOL"), len("NODE"), 0
	short := true
	for _, pl := range pools {
		nw, dw, pw = max(nw, ansi.StringWidth(pl.Name)), max(dw, ansi.StringWidth(pl.Node)), max(pw, ansi.StringWidth(pl.Disk))
		short = short && strings.HasPrefix(pl.Disk, byID)
	}
	disk := func(d string) string { return d }
	head := "DISK"
	if 2+nw+2+dw+2+pw > width && short {
		disk = func(d string) string { return strings.TrimPrefix(d, byID) }
		head = "DISK (in " + byID + ")"
	}
	out := []string{fmt.Sprintf("%s in %s, one per pool disk:", units.Count(len(pools), "DiskPool"), ns),
		fmt.Sprintf("  %-*s  %-*s  %s", nw, "POOL", dw, "NODE", head)}
	for _, pl := range pools {
		out = append(out, fmt.Sprintf("  %-*s  %-*s  %s", nw, pl.Name, dw, pl.Node, disk(pl.Disk)))
	}
	return out
}

// vclustersValues are the vclusters form's fields.
type vclustersValues struct {
	Chart chartValues
	// List is the vclusters as "name[:namespace]", comma-separated.
	List string
	// old are the plan's vclusters: a server URL set by an answers file is kept for the same vcluster.
	old []plan.VCluster
}

func newVClustersValues(p plan.Plan) vclustersValues {
	return vclustersValues{Chart: newChartValues(p.VClusters.Chart, "vclusters.chart", vclustersChartProblems),
		List: formatVClusters(p.VClusters.List()), old: p.VClusters.List()}
}

// formatVClusters writes vclusters as the form's list: the namespace only when it is not the default.
func formatVClusters(cs []plan.VCluster) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.Name
		if c.Namespace != "" && c.Namespace != "vcluster-"+c.Name {
			parts[i] += ":" + c.Namespace
		}
	}
	return strings.Join(parts, ", ")
}

// parseVClusters reads the form's list: "name" or "name:namespace", comma-separated.
func parseVClusters(s string) ([]plan.VCluster, error) {
	var out []plan.VCluster
	for _, item := range SplitList(s) {
		parts := strings.Split(item, ":")
		if len(parts) > 2 {
			return nil, fmt.Errorf("%q: a vcluster is name or name:namespace", item)
		}
		c := plan.VCluster{Name: strings.TrimSpace(parts[0])}
		if len(parts) == 2 {
			c.Namespace = strings.TrimSpace(parts[1])
		}
		if c.Name == "" {
			return nil, fmt.Errorf("%q: the vcluster's name comes first (name:namespace)", item)
		}
		out = append(out, c)
	}
	return out, nil
}

// clusters is the list as the plan holds it (none: the defaults, staging and sandbox); a vcluster
// already in the plan with the same name and namespace keeps its server URL and registerOnly.
func (v vclustersValues) clusters() ([]plan.VCluster, error) {
	cs, err := parseVClusters(clean(v.List))
	if err != nil {
		return nil, err
	}
	for i, c := range cs {
		ns := cmp.Or(c.Namespace, "vcluster-"+c.Name)
		for _, o := range v.old {
			if o.Name != c.Name || o.Namespace != ns {
				continue
			}
			if o.Server != "https://"+o.Name+"."+o.Namespace+".svc" {
				cs[i].Server = o.Server
			}
			cs[i].RegisterOnly = o.RegisterOnly
		}
	}
	return cs, nil
}

// applyTo writes the form into the plan's vclusters section (the list must parse: problems says so).
func (v vclustersValues) applyTo(old plan.VClusters) plan.VClusters {
	old.Chart = v.Chart.chart()
	if cs, err := v.clusters(); err == nil {
		old.Clusters = cs
	}
	return old
}

// problems are the plan's vclusters problems with the form's values.
func (v vclustersValues) problems() plan.Problems {
	if _, err := v.clusters(); err != nil {
		return plan.Problems{{Path: "vclusters.clusters", Message: err.Error()}}
	}
	p := plan.New()
	p.VClusters = v.applyTo(plan.VClusters{})
	return p.ValidateVClusters()
}

// checkList judges the list of vclusters.
func (v *vclustersValues) checkList(accessible bool) func(string) error {
	return checkField(v, accessible, vclustersValues.problems, "vclusters.clusters", func(c *vclustersValues) *string { return &c.List })
}

// vclustersForm builds the vclusters form over v: the chart, then the vclusters.
func vclustersForm(v *vclustersValues, accessible bool) *huh.Form {
	list := huh.NewInput().Title(inputTitle("vclusters", v.List, accessible)).
		Description("name or name:namespace, comma-separated (namespace default vcluster-<name>; " +
			"ArgoCD reaches each at https://<name>.<namespace>.svc)").
		Value(&v.List).Validate(v.checkList(accessible))
	return huh.NewForm(
		huh.NewGroup(v.Chart.fields("vcluster", "https://charts.example.org/loft", accessible)...),
		huh.NewGroup(list),
	)
}

func gitopsIntro(plan.Plan) []string {
	return []string{"ArgoCD's chart: a repository and a pinned version, or a local .tgz (- clears a value shown).",
		"GitHub organization: " + orgDescription + "."}
}

func gitopsBound(p plan.Plan, _ *plan.Inventory, accessible bool) BoundForm {
	v := newGitOpsValues(p)
	return BoundForm{Form: gitopsForm(&v, accessible), Apply: func(p *plan.Plan) plan.Problems {
		p.GitOps = v.applyTo(p.GitOps)
		v.applyClient(p)
		return v.problems()
	}}
}

// storageIntro is the pools the plan makes and the problems of its storage values, said before the
// plain prompts (the full-screen form shows them under it, following the typing: storageNotes).
func storageIntro(p plan.Plan) []string {
	out := poolLines(p, 1<<10)
	for _, pr := range newStorageValues(p).problems() {
		out = append(out, "  problem: "+pr.String())
	}
	return out
}

func storageBound(p plan.Plan, _ *plan.Inventory, accessible bool) BoundForm {
	v := newStorageValues(p)
	return BoundForm{Form: storageForm(&v, accessible),
		Apply: func(p *plan.Plan) plan.Problems {
			p.Storage = v.applyTo(p.Storage)
			// The pool disks' problems belong to the disks step: the run reports them by their paths.
			return v.problems().Only("storage")
		},
		Notes: func(t theme.Theme, width, room int) []string { return storageNotes(&v, t, width, room) }}
}

func vclustersIntro(plan.Plan) []string {
	return []string{"The vcluster chart: a repository and a pinned version, or a local .tgz (- clears a value shown).",
		"The vclusters: name or name:namespace, comma-separated (namespace default vcluster-<name>)."}
}

func vclustersBound(p plan.Plan, _ *plan.Inventory, accessible bool) BoundForm {
	v := newVClustersValues(p)
	return BoundForm{Form: vclustersForm(&v, accessible), Apply: func(p *plan.Plan) plan.Problems {
		p.VClusters = v.applyTo(p.VClusters)
		return v.problems()
	}}
}
