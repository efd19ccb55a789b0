package fleet

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/units"
	"github.com/clubcedille/cedille-tui/internal/watch"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
)

// Watched is how one cluster's own watch set fares.
type Watched struct {
	// Started: a watch set runs (or tried to) for this cluster.
	Started bool
	// Err is why the cluster cannot be read: no kubeconfig from Omni, the API unreachable or refusing.
	Err error
	// Snapshot is its latest, nil until it has one.
	Snapshot *watch.Snapshot
}

// Inputs are everything the fleet is judged from; Evaluate only reads them.
type Inputs struct {
	Now time.Time
	// Omni are the clusters Omni has (ClusterStatus), and whether Omni could be read.
	Omni       []*omni.ClusterStatus
	OmniErr    error
	OmniSynced bool
	// Hub is the cluster whose ArgoCD holds Argo, "" when none was found (or it is not watched yet).
	Hub  string
	Argo []ArgoCluster
	// Watched are the clusters' own watch sets, by name.
	Watched map[string]Watched
}

// Row is one cluster of the fleet, as the overview shows it.
type Row struct {
	Cluster string        `json:"cluster"`
	Status  health.Status `json:"status"`
	// Reason is the worst thing about the cluster, in one line; Hint what to do about it.
	Reason string `json:"reason"`
	Hint   string `json:"hint,omitempty"`
	// Omni's view: phase, readiness, machines, versions ("" when Omni does not know the cluster).
	Phase             string `json:"phase,omitempty"`
	Ready             bool   `json:"ready"`
	Machines          int    `json:"machines"`
	MachinesHealthy   int    `json:"machinesHealthy"`
	MachinesConnected int    `json:"machinesConnected"`
	Talos             string `json:"talos,omitempty"`
	Kubernetes        string `json:"kubernetes,omitempty"`
	// ArgoCD's view: how the hub reaches it, the stack it is labelled for, the club's labels.
	Hub    bool       `json:"hub,omitempty"`
	ArgoCD Connection `json:"argocd"`
	Stack  string     `json:"stack,omitempty"`
	Labels []string   `json:"labels,omitempty"`
	// Its own watch: the era, the worst layer, the age of its last successful backup.
	Era        string        `json:"era,omitempty"`
	WorstLayer health.Layer  `json:"worstLayer,omitempty"`
	LastBackup time.Duration `json:"-"`
	HasBackup  bool          `json:"-"`
	// LastBackupAge is LastBackup said ("3h", "never"), "" when the cluster was not read.
	LastBackupAge string `json:"lastBackupAge,omitempty"`
	// Unreachable says why the cluster's own API cannot be read ("" when it can).
	Unreachable string `json:"unreachable,omitempty"`
	// Layers are the cluster's own report, as `status --cluster` prints it (nil when not read).
	Layers []health.LayerReport `json:"layers,omitempty"`
}

// Report is the fleet's verdict: each cluster worst first, and what is wrong across clusters.
type Report struct {
	Overall  health.Status    `json:"overall"`
	Clusters []Row            `json:"clusters"`
	Findings []health.Finding `json:"findings"`
}

// Row returns the named cluster's row.
func (r Report) Row(cluster string) (Row, bool) {
	for _, row := range r.Clusters {
		if row.Cluster == cluster {
			return row, true
		}
	}
	return Row{}, false
}

// Evaluate judges the fleet. Each cluster is the worst of: Omni's verdict on it (health.OmniCluster),
// its own report once read (Unknown with the reason while it cannot be: never a stall), and the hub's
// connection to it (Down when it refuses ArgoCD's token). Clusters known only to ArgoCD are rows too.
// Across clusters: two Vaults answering with one cluster_id (one storage backend shared, PLATFORM.md
// §3.2) are Down.
func Evaluate(in Inputs) Report {
	rows := map[string]*Row{}
	row := func(name string) *Row {
		if r, ok := rows[name]; ok {
			return r
		}
		r := &Row{Cluster: name, Status: health.OK}
		rows[name] = r
		return r
	}
	for _, c := range in.Omni {
		r := row(c.Metadata().ID())
		s := c.TypedSpec().Value
		r.Phase, r.Ready = strings.ToLower(s.GetPhase().String()), s.GetReady()
		r.Machines, r.MachinesHealthy, r.MachinesConnected = int(s.GetMachines().GetTotal()), int(s.GetMachines().GetHealthy()), int(s.GetMachines().GetConnected())
		r.Talos, r.Kubernetes = s.GetTalosVersion(), s.GetKubernetesVersion()
		r.worse(health.OmniCluster(c))
	}
	hub := in.Watched[in.Hub].Snapshot
	for _, a := range in.Argo {
		name := a.Cluster()
		if a.InCluster() {
			name = in.Hub
		}
		r := row(name)
		r.Stack, r.Labels = a.Stack(), a.ClubLabels()
		if a.InCluster() || name == in.Hub {
			r.Hub, r.ArgoCD = true, Connection{State: "in-cluster"}
			continue
		}
		if hub != nil {
			r.ArgoCD = ConnectionTo(a, hub.Applications)
		}
		if r.ArgoCD.State == "Failed" {
			r.worse(health.Finding{Object: "Cluster/" + name, Status: health.Down,
				Reason: "ArgoCD's token is refused: " + r.ArgoCD.Message,
				Hint:   "reissue it: cedille-tui recover " + health.RunbookSpokeToken + " --target Cluster/" + name})
		}
		if len(in.Omni) > 0 && !omniKnows(in.Omni, name) {
			r.worse(health.Finding{Object: "Cluster/" + name, Status: health.Unknown,
				Reason: "registered in ArgoCD (" + a.Secret + ") but unknown to Omni",
				Hint:   "a cluster removed from Omni: remove its cluster Secret from the hub"})
		}
	}
	if in.Hub != "" {
		row(in.Hub).Hub = true
	}
	for name, w := range in.Watched {
		r := row(name)
		switch {
		case w.Err != nil && w.Snapshot == nil:
			r.unreachable(w.Err)
		case w.Snapshot == nil:
			r.worse(health.Finding{Object: "Cluster/" + name, Status: health.Unknown, Reason: "connecting…"})
		default:
			r.judgeOwn(*w.Snapshot)
		}
	}
	for _, r := range rows {
		if !in.Watched[r.Cluster].Started && r.Reason == "" {
			r.Reason = "not looked at yet"
		}
	}
	out := Report{Overall: health.OK, Clusters: make([]Row, 0, len(rows)),
		Findings: append(sharedVaults(in.Watched), gatewayAPIStacks(rows, in.Watched)...)}
	if in.OmniErr != nil {
		out.Findings = append(out.Findings, health.Finding{Object: "API/omni", Status: health.Down, Reason: oneLine(in.OmniErr.Error()),
			Hint: "the fleet is the clusters Omni lists: check OMNI_ENDPOINT and the service-account key"})
	}
	for _, r := range rows {
		out.Clusters = append(out.Clusters, *r)
		out.Overall = health.Worst(out.Overall, r.Status)
	}
	for _, f := range out.Findings {
		out.Overall = health.Worst(out.Overall, f.Status)
	}
	if len(out.Clusters) == 0 && len(out.Findings) == 0 {
		out.Overall = health.Unknown
	}
	sort.Slice(out.Clusters, func(i, j int) bool {
		a, b := out.Clusters[i], out.Clusters[j]
		if a.Status != b.Status {
			return a.Status > b.Status
		}
		return a.Cluster < b.Cluster
	})
	return out
}

// worse folds a verdict into the row: the status is the worst seen, the reason and hint the worst's.
func (r *Row) worse(f health.Finding) {
	if f.Status > r.Status || r.Reason == "" {
		r.Reason, r.Hint = f.Reason, f.Hint
	}
	r.Status = health.Worst(r.Status, f.Status)
}

// unreachable makes the row Unknown with why its cluster cannot be read: one row, never a stalled screen.
func (r *Row) unreachable(err error) {
	r.Unreachable = oneLine(err.Error())
	r.worse(health.Finding{Status: health.Unknown, Reason: "cannot be read: " + r.Unreachable,
		Hint: "the other clusters are still watched; this one is retried"})
}

// judgeOwn reads a cluster's own report: its worst layer and finding, its era, its last backup. A
// cluster whose API failed before its first full read is unreachable, not Down in every layer.
func (r *Row) judgeOwn(s watch.Snapshot) {
	if k := s.Source(platform.SourceKubernetes); k.Configured && k.Err != nil {
		// Never read: nothing to show. Read before: its layers stay, as last read (stale), and the row
		// says it can no longer be read rather than judging stale data.
		if k.Synced {
			r.Layers = s.Report.Layers
		}
		r.unreachable(k.Err)
		return
	}
	r.Layers = s.Report.Layers
	r.Era = health.EraOf(s.Objects).String()
	r.LastBackup, r.HasBackup = health.LastBackupAge(s.Objects)
	switch {
	case r.HasBackup:
		r.LastBackupAge = units.Duration(r.LastBackup)
	case health.LayerShown(s.Objects, health.LayerBackups):
		r.LastBackupAge = "never"
	}
	var worst *health.LayerReport
	for i := range s.Report.Layers {
		l := &s.Report.Layers[i]
		if worst == nil || l.Status > worst.Status {
			worst = l
		}
	}
	if worst == nil {
		r.worse(health.Finding{Status: health.Unknown, Reason: "nothing read yet"})
		return
	}
	if worst.Status != health.OK {
		r.WorstLayer = worst.Name
	}
	f := worst.Worst()
	reason := f.Object + " " + f.Reason
	if f.Object == "" {
		reason = "no finding"
	}
	if worst.Status == health.OK {
		reason = "every layer OK"
	}
	r.worse(health.Finding{Status: worst.Status, Reason: string(worst.Name) + ": " + reason, Hint: f.Hint})
}

func omniKnows(cs []*omni.ClusterStatus, name string) bool {
	for _, c := range cs {
		if c.Metadata().ID() == name {
			return true
		}
	}
	return false
}

// sharedVaults finds Vaults of different clusters answering with one cluster_id: two Vault clusters
// sharing one storage backend, which corrupts it over time (PLATFORM.md §3.2).
func sharedVaults(watched map[string]Watched) []health.Finding {
	byID := map[string][]string{}
	for name, w := range watched {
		if w.Snapshot == nil {
			continue
		}
		seen := map[string]bool{}
		for _, v := range w.Snapshot.Vault {
			if v.Health == nil || v.Health.ClusterID == "" || seen[v.Health.ClusterID] {
				continue
			}
			seen[v.Health.ClusterID] = true
			byID[v.Health.ClusterID] = append(byID[v.Health.ClusterID], name)
		}
	}
	var out []health.Finding
	for id, clusters := range byID {
		if len(clusters) < 2 {
			continue
		}
		sort.Strings(clusters)
		out = append(out, health.Finding{Object: "Vault/cluster_id " + id, Status: health.Down,
			Reason: fmt.Sprintf("the Vaults of %s answer with one cluster_id: they share one storage backend", strings.Join(clusters, " and ")),
			Hint:   "give each cluster's Vault its own storage (its own bucket or Raft) before they corrupt it"})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Object < out[j].Object })
	return out
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
