package plan

import (
	"bytes"
	"fmt"
	"io/fs"
	"net/url"
	"strings"
	"text/template"

	"go.yaml.in/yaml/v3"
)

// GitOps is ArgoCD's part of the install: the chart, its settings, and the root Application of the
// app-of-apps (which the platform never had in git; PLATFORM.md §4.1).
type GitOps struct {
	// Chart is the argo-cd chart: a repository URL and a pinned version, or a local .tgz.
	Chart Chart `yaml:"chart"`
	// Namespace is ArgoCD's (default argocd).
	Namespace string `yaml:"namespace,omitempty"`
	// Domain is where ArgoCD is served (its URL, Dex's callback).
	Domain string `yaml:"domain,omitempty"`
	// GitHubOrg is the organization whose teams map to ArgoCD roles (SRE: operators, Exec: admin) and
	// whose members may log in through Dex.
	GitHubOrg string `yaml:"githubOrg,omitempty"`
	// Root is the app-of-apps Application.
	Root RootApp `yaml:"root"`
	// Deferred are child Applications that cannot be Healthy before the Vault steps (Vault is sealed
	// until then, and its configuration needs the bootstrap): the gitops step needs them only to exist;
	// the hand-off checks them (default vault and vault-configs).
	Deferred []string `yaml:"deferred,omitempty"`
}

// Chart is a Helm chart: from a chart repository (Repo and Version), or a local archive (File) for a
// server room without internet.
type Chart struct {
	Repo    string `yaml:"repo,omitempty"`
	Version string `yaml:"version,omitempty"`
	File    string `yaml:"file,omitempty"`
}

// RootApp is the Application at the top of the app-of-apps.
type RootApp struct {
	RepoURL  string `yaml:"repoURL,omitempty"`
	Revision string `yaml:"revision,omitempty"`
	Path     string `yaml:"path,omitempty"`
}

// GitOps defaults.
const (
	DefaultArgoNamespace = "argocd"
	DefaultRootRevision  = "HEAD"
	ArgoCDChart          = "argo-cd"
)

// WithDefaults fills what the plan leaves out.
func (g GitOps) WithDefaults() GitOps {
	if g.Namespace == "" {
		g.Namespace = DefaultArgoNamespace
	}
	if g.Root.Revision == "" {
		g.Root.Revision = DefaultRootRevision
	}
	if g.Deferred == nil {
		g.Deferred = []string{"vault", "vault-configs"}
	}
	return g
}

// validateChart checks a chart's source: a repository with a pinned version, or a file.
func validateChart(path string, c Chart, add adder) {
	switch {
	case c.File != "" && c.Repo != "":
		add(path, "give a repository (repo and version) or a local file, not both")
	case c.File != "":
		if !strings.HasSuffix(c.File, ".tgz") {
			add(path+".file", "%q: a chart archive (.tgz), as helm package makes it", c.File)
		}
	case c.Repo == "":
		add(path+".repo", "required: the chart repository's URL (or file: a local .tgz)")
	default:
		// An OCI registry (oci://) is not a chart repository: it has no index.yaml for helmops.LoadFromRepo.
		if u, err := url.Parse(c.Repo); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			add(path+".repo", "%q is not a chart repository URL (http(s)://, serving index.yaml; from an OCI registry, helm pull the chart and give file:)", c.Repo)
		}
		if c.Version == "" {
			add(path+".version", "required: pin the chart's version (a rerun must install the same one)")
		} else if !versionRE.MatchString(c.Version) {
			add(path+".version", "%q is not a version like 7.7.3", c.Version)
		}
	}
}

// ValidateGitOps checks the GitOps section on its own.
func (p Plan) ValidateGitOps() Problems {
	var ps Problems
	g := p.GitOps.WithDefaults()
	validateChart("gitops.chart", g.Chart, ps.add)
	if !clusterNameRE.MatchString(g.Namespace) {
		ps.add("gitops.namespace", "%q is not a valid namespace", g.Namespace)
	}
	if g.Domain == "" || strings.ContainsAny(g.Domain, "/: ") {
		ps.add("gitops.domain", "required: ArgoCD's host name, like argocd.example.org")
	}
	if p.Vault.SSO.ArgoCD.ClientID != "" && g.GitHubOrg == "" {
		ps.add("gitops.githubOrg", "required with the Dex GitHub client: the organization whose teams log in")
	}
	if u, err := url.Parse(g.Root.RepoURL); err != nil || u.Host == "" {
		ps.add("gitops.root.repoURL", "required: the Git repository of the app-of-apps")
	}
	if g.Root.Path == "" || strings.HasPrefix(g.Root.Path, "/") {
		ps.add("gitops.root.path", "required: the app-of-apps directory, relative to the repository (e.g. apps/argo-apps)")
	}
	return ps
}

// argoValues are what the values template reads.
type argoValues struct {
	Domain, DexClientID, GitHubOrg string
	AdminEnabled                   bool
}

// ArgoCDValues renders the chart's values from the embedded template (assets/argocd/values.yaml.tmpl)
// and the plan: Dex's GitHub connector when the plan has its client (the secret comes from Secret
// argocd/dex-secret), the RBAC policy, the URL. The local admin stays enabled only without SSO.
func (p Plan) ArgoCDValues(assets fs.FS) (map[string]any, error) {
	g := p.GitOps.WithDefaults()
	t, err := template.ParseFS(assets, "argocd/values.yaml.tmpl")
	if err != nil {
		return nil, err
	}
	v := argoValues{Domain: g.Domain, DexClientID: p.Vault.SSO.ArgoCD.ClientID, GitHubOrg: g.GitHubOrg}
	v.AdminEnabled = v.DexClientID == ""
	var b bytes.Buffer
	if err := t.Execute(&b, v); err != nil {
		return nil, err
	}
	out := map[string]any{}
	if err := yaml.Unmarshal(b.Bytes(), &out); err != nil {
		return nil, fmt.Errorf("the ArgoCD values do not render to YAML: %w", err)
	}
	return out, nil
}
