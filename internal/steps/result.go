package steps

import (
	"fmt"
	"strings"

	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/units"
)

// Result is what a finished step did, as data: the lines a person reads once it is done (the wizard
// styles and wraps them, the unattended install prints them) and the files it wrote. It is kept in the
// state file, so it never holds a secret: no share, token, key or password, only where files are.
type Result struct {
	Summary   []string   `yaml:"summary,omitempty"`
	Artifacts []Artifact `yaml:"artifacts,omitempty"`
}

// ArtifactKind names what a file a step wrote is.
type ArtifactKind string

// The kinds of files the steps write.
const (
	ArtifactISO        ArtifactKind = "iso"
	ArtifactKubeconfig ArtifactKind = "kubeconfig"
	// ArtifactShare is a Vault key share encrypted to its custodian's PGP key.
	ArtifactShare ArtifactKind = "encrypted-share"
	// ArtifactRootToken is Vault's root token encrypted to a PGP key.
	ArtifactRootToken ArtifactKind = "encrypted-root-token"
	ArtifactHandoff   ArtifactKind = "handoff"
)

// Artifact is a file a step wrote: its kind, a label for people, its path; never its content.
type Artifact struct {
	Kind  ArtifactKind `yaml:"kind"`
	Label string       `yaml:"label,omitempty"`
	Path  string       `yaml:"path"`
	// SHA256 is the file's digest in hex, when the step checked it (the ISO).
	SHA256 string `yaml:"sha256,omitempty"`
}

// Find is the first artifact of that kind.
func (r Result) Find(k ArtifactKind) (Artifact, bool) {
	for _, a := range r.Artifacts {
		if a.Kind == k {
			return a, true
		}
	}
	return Artifact{}, false
}

// ISOResult is the ISO step's: the file and its digest.
func ISOResult(p plan.Plan) Result {
	if p.ISO.File == "" {
		return Result{}
	}
	return Result{Artifacts: []Artifact{{Kind: ArtifactISO, Label: "Talos ISO", Path: p.ISO.File, SHA256: p.ISO.SHA256}}}
}

// ClusterResult is the cluster step's: the kubeconfig it saved.
func ClusterResult(p plan.Plan) Result {
	if p.Cluster.Kubeconfig == "" {
		return Result{}
	}
	return Result{Artifacts: []Artifact{{Kind: ArtifactKubeconfig, Label: "kubeconfig", Path: p.Cluster.Kubeconfig}}}
}

// VaultInitResult is what the init did, told from the plan (the keys are gone by then): the split, and
// the encrypted exports it names.
func VaultInitResult(p plan.Plan) Result { return initResult(p.Vault.WithDefaults(), "key share") }

// initResult is an init's result for the split of v, whose shares are of kind ("key share", "recovery
// share").
func initResult(v plan.Vault, kind string) Result {
	r := Result{Summary: []string{fmt.Sprintf("Vault initialized: %s, %d of them needed", units.Count(v.Shares, kind), v.Threshold)}}
	if v.Encrypted() {
		r.Summary = append(r.Summary, "each share encrypted to its custodian's PGP key")
		for i, c := range v.Custodians {
			if c.ShareFile != "" {
				r.Summary = append(r.Summary, fmt.Sprintf("%s's share: %s", v.CustodianName(i), c.ShareFile))
				r.Artifacts = append(r.Artifacts, Artifact{Kind: ArtifactShare, Label: v.CustodianName(i) + "'s share", Path: c.ShareFile})
			}
		}
	}
	if v.RootToken.File != "" {
		r.Summary = append(r.Summary, "root token, encrypted: "+v.RootToken.File)
		r.Artifacts = append(r.Artifacts, Artifact{Kind: ArtifactRootToken, Label: "root token, encrypted", Path: v.RootToken.File})
	}
	return r
}

// VaultUnsealResult is the unseal's.
func VaultUnsealResult() Result { return Result{Summary: []string{"every replica unsealed"}} }

// VaultBootstrapResult is what the bootstrap made, and what became of each SSO client's secret (its
// live list's last items).
func VaultBootstrapResult(sso []Item) Result {
	r := Result{Summary: []string{"Vault bootstrapped: the kubernetes auth method, the config-admin policy and role " +
		"(vault-config-operator), the kv and kv-system engines"}}
	for _, it := range sso {
		name := it.Name
		if it.Detail != "" {
			name += ", " + it.Detail
		}
		r.Summary = append(r.Summary, name+": "+it.State)
	}
	return r
}

// GitOpsResult is what the GitOps step did: ArgoCD, and how many of the root Application's children are
// Synced and Healthy (synced) or wait for the Vault steps (waiting).
func GitOpsResult(p plan.Plan, synced, waiting int) Result {
	g := p.GitOps.WithDefaults()
	line := fmt.Sprintf("ArgoCD installed; %s Synced and Healthy", units.Count(synced, "Application"))
	if waiting > 0 {
		line += fmt.Sprintf("; %d wait for the Vault steps (the hand-off checks them)", waiting)
	}
	return Result{Summary: []string{line, "ArgoCD at https://" + g.Domain + ", the root Application from " + g.Root.RepoURL}}
}

// StorageResult is what the storage step did: pools DiskPools Online holding capacity bytes, and the class.
func StorageResult(p plan.Plan, pools int, capacity uint64) Result {
	s := p.Storage.WithDefaults()
	return Result{Summary: []string{poolsOnline(pools, capacity),
		fmt.Sprintf("StorageClass %s (%d replicas per volume), the cluster's default", s.Class, s.Replicas)}}
}

// poolsOnline is the storage step's last line: "6 pools Online: 14.6 TiB".
func poolsOnline(pools int, capacity uint64) string {
	return fmt.Sprintf("%d pools Online: %s", pools, units.Binary(capacity))
}

// VClustersResult is what the vclusters step did: every vcluster of the plan registered in ArgoCD.
func VClustersResult(p plan.Plan) Result {
	var names []string
	for _, c := range p.VClusters.List() {
		names = append(names, c.Name)
	}
	return Result{Summary: []string{fmt.Sprintf("%s registered in ArgoCD: %s", units.Count(len(names), "vcluster"), strings.Join(names, ", "))}}
}

// HandoffResult is what the hand-off did: whether every Application was seen Synced and Healthy
// (allHealthy; false when there was none to see), and where it wrote the summary ("" for nowhere).
func HandoffResult(allHealthy bool, path string) Result {
	var r Result
	if allHealthy {
		r.Summary = append(r.Summary, "every Application Synced and Healthy, Vault's included")
	}
	if path == "" {
		r.Summary = append(r.Summary, "the summary was not written to a file (no config directory)")
		return r
	}
	r.Summary = append(r.Summary, "summary written to "+path)
	r.Artifacts = append(r.Artifacts, Artifact{Kind: ArtifactHandoff, Label: "hand-off summary", Path: path})
	return r
}
