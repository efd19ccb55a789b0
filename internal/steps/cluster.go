package steps

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/cosi-project/runtime/pkg/resource"
	"github.com/cosi-project/runtime/pkg/safe"
	"github.com/cosi-project/runtime/pkg/state"
	"github.com/siderolabs/omni/client/api/omni/specs"
	"github.com/siderolabs/omni/client/pkg/client/management"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
	"github.com/siderolabs/omni/client/pkg/template"
	"github.com/siderolabs/omni/client/pkg/template/operations"
)

// KubeconfigUser is the service-account identity the saved kubeconfig carries.
const KubeconfigUser = "cedille-tui"

// KubeconfigTTL is how long the saved kubeconfig's Omni service account lives.
const KubeconfigTTL = 365 * 24 * time.Hour

// ClusterStep creates the Omni cluster from the plan's template (after a typed confirmation listing every
// disk it wipes), follows each machine's install until the cluster is ready, and saves its kubeconfig.
type ClusterStep struct{}

func (ClusterStep) ID() ID           { return Cluster }
func (ClusterStep) Title() string    { return "Cluster" }
func (ClusterStep) Fields() []string { return []string{"cluster", "machines", "iso.talosVersion"} }

func (ClusterStep) Describe(p plan.Plan) []string {
	p = p.WithDefaults()
	out := []string{fmt.Sprintf("sync the Omni cluster template of %s (Kubernetes %s, Talos %s; %d control planes, %d workers)",
		p.Cluster.Name, plan.Canonical(p.Cluster.KubernetesVersion), plan.Canonical(p.Cluster.TalosVersion),
		len(p.ByRole(plan.RoleControlPlane)), len(p.ByRole(plan.RoleWorker)))}
	out = append(out, "after typing the cluster name, wipe:")
	out = append(out, WipeLines(p)...)
	out = append(out, "wait for every machine to install and the cluster to be ready",
		"save the kubeconfig (0600) to "+p.Cluster.Kubeconfig)
	return out
}

// WipeLines lists every disk the cluster step wipes, per machine, by by-id path.
func WipeLines(p plan.Plan) []string {
	var out []string
	for _, w := range p.Wiped() {
		for _, d := range w.Disks {
			out = append(out, fmt.Sprintf("  %s  %s  (%s)", name(w.Machine), d.Disk, d.Use))
		}
	}
	return out
}

// KubeconfigPath is where the cluster's kubeconfig is saved: ConfigDir/<cluster>.kubeconfig.
func KubeconfigPath(e *Env, cluster string) string {
	return filepath.Join(e.ConfigDir, cluster+".kubeconfig")
}

func (s ClusterStep) Check(ctx context.Context, e *Env, p plan.Plan) (Outcome, error) {
	om, err := e.omni()
	if err != nil {
		return Outcome{}, err
	}
	p = p.WithDefaults()
	b, err := plan.ClusterTemplate(p)
	if err != nil {
		return Outcome{Detail: err.Error()}, nil
	}
	sync, err := templateSync(ctx, om.State(), b)
	if err != nil {
		return Outcome{}, om.Classify(err)
	}
	if pending := changes(sync); pending > 0 {
		return Outcome{Detail: fmt.Sprintf("%d changes to make in Omni (the cluster, its machine sets, machines and patches)", pending)}, nil
	}
	st, err := safe.StateGetByID[*omni.ClusterStatus](ctx, om.State(), p.Cluster.Name)
	if err != nil {
		return Outcome{Detail: "no cluster status yet"}, nil
	}
	if !st.TypedSpec().Value.GetReady() {
		return Outcome{Detail: "cluster not ready: " + clusterLine(st)}, nil
	}
	if p.Cluster.Kubeconfig == "" {
		return Outcome{Detail: "kubeconfig not saved"}, nil
	}
	if _, err := os.Stat(p.Cluster.Kubeconfig); err != nil {
		return Outcome{Detail: "kubeconfig missing: " + p.Cluster.Kubeconfig}, nil
	}
	return Outcome{Holds: true, Detail: "cluster " + p.Cluster.Name + " ready: " + clusterLine(st)}, nil
}

// templateSync is what a sync of the template would create, update or destroy in Omni.
func templateSync(ctx context.Context, st state.State, tmpl []byte) (*template.SyncResult, error) {
	t, err := template.Load(bytes.NewReader(tmpl))
	if err != nil {
		return nil, err
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return t.Sync(ctx, st)
}

// changes counts a sync's creations, updates and destructions.
func changes(r *template.SyncResult) int {
	n := len(r.Create) + len(r.Update)
	for _, d := range r.Destroy {
		n += len(d)
	}
	return n
}

// syncLines say what a sync of the template does in Omni, in an operator's words: the cluster, each
// role's machine set, each machine by hostname and role, each config patch by its name and machine —
// never a resource type or a machine's UUID (hosts names the machines). In that order, then by text.
func syncLines(r *template.SyncResult, cluster string, hosts map[string]string) []string {
	type line struct {
		rank int
		text string
	}
	var out []line
	add := func(verb string, res resource.Resource) {
		rank, text := syncLine(verb, res, cluster, hosts)
		out = append(out, line{rank, text})
	}
	for _, c := range r.Create {
		add("creating", c)
	}
	for _, u := range r.Update {
		add("updating", u.New)
	}
	for _, phase := range r.Destroy {
		for _, d := range phase {
			add("removing", d)
		}
	}
	slices.SortFunc(out, func(a, b line) int {
		return cmp.Or(cmp.Compare(a.rank, b.rank), strings.Compare(a.text, b.text))
	})
	lines := make([]string, len(out))
	for i, l := range out {
		lines[i] = l.text
	}
	return lines
}

// syncLine is one change of a sync (verb: creating, updating or removing) in words, with its rank in
// syncLines.
func syncLine(verb string, r resource.Resource, cluster string, hosts map[string]string) (int, string) {
	md := r.Metadata()
	host := func(id string) string {
		if h := hosts[id]; h != "" {
			return h
		}
		return "a machine not in the plan (" + shortID(id) + ")"
	}
	switch md.Type() {
	case omni.ClusterType:
		return 0, verb + " cluster " + md.ID()
	case omni.MachineSetType:
		switch md.ID() {
		case omni.ControlPlanesResourceID(cluster):
			return 1, verb + " the control planes' machine set"
		case omni.WorkersResourceID(cluster):
			return 1, verb + " the workers' machine set"
		}
		return 1, verb + " machine set " + md.ID()
	case omni.MachineSetNodeType:
		role := "a worker"
		if set, _ := md.Labels().Get(omni.LabelMachineSet); set == omni.ControlPlanesResourceID(cluster) {
			role = "a control plane"
		}
		switch verb {
		case "creating":
			return 2, "adding " + host(md.ID()) + " as " + role
		case "removing":
			return 2, "removing " + host(md.ID()) + " from the cluster"
		}
		return 2, "updating " + host(md.ID()) + " (" + role + ")"
	case omni.ConfigPatchType:
		what, _ := md.Annotations().Get(omni.ConfigPatchName)
		of := "cluster " + cluster
		if m, ok := md.Labels().Get(omni.LabelClusterMachine); ok {
			of = host(m)
		}
		return 3, verb + " config patch " + cmp.Or(what, "(unnamed)") + " of " + of
	}
	// Another kind: its type in words; a machine it belongs to by hostname.
	text := verb + " " + typeWords(md.Type())
	if m, ok := md.Labels().Get(omni.LabelClusterMachine); ok {
		return 4, text + " of " + host(m)
	}
	return 4, text + " of cluster " + cluster
}

// typeWords is a COSI resource type in words: "ExtensionsConfigurations.omni.sidero.dev" → "extensions
// configuration".
func typeWords(t resource.Type) string {
	name, _, _ := strings.Cut(t, ".")
	name = strings.TrimSuffix(name, "s")
	var b strings.Builder
	for i, r := range name {
		if unicode.IsUpper(r) && i > 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// shortID is a machine UUID's distinctive end.
func shortID(id string) string {
	if i := strings.LastIndex(id, "-"); i >= 0 {
		return "…" + id[i+1:]
	}
	return id
}

func (s ClusterStep) Run(ctx context.Context, e *Env, p *plan.Plan, emit func(Event)) (Result, error) {
	om, err := e.omni()
	if err != nil {
		return Result{}, err
	}
	*p = p.WithDefaults()
	inv, err := LoadInventory(ctx, e)
	if err != nil {
		return Result{}, err
	}
	if ps := p.Validate(inv); len(ps) > 0 {
		return Result{}, ps
	}
	b, err := plan.ClusterTemplate(*p)
	if err != nil {
		return Result{}, err
	}
	sync, err := templateSync(ctx, om.State(), b)
	if err != nil {
		return Result{}, om.Classify(err)
	}
	hosts := map[string]string{} // machine ID → hostname, what the log names machines by
	for id, f := range inv.Machines {
		hosts[id] = f.Name()
	}
	for _, m := range p.Machines {
		hosts[m.ID] = name(m)
	}
	if changes(sync) > 0 {
		if e.Confirm == nil {
			return Result{}, fmt.Errorf("creating cluster %s wipes disks and needs a typed confirmation: %w", p.Cluster.Name, ErrNotConfirmed)
		}
		c := Confirmation{Action: fmt.Sprintf("create cluster %s in Omni: each machine installs Talos and its disks are wiped",
			p.Cluster.Name), Touches: WipeLines(*p), Expect: p.Cluster.Name}
		if err := e.Confirm(ctx, c); err != nil {
			return Result{}, err
		}
		for _, l := range syncLines(sync, p.Cluster.Name, hosts) {
			emit(Event{Step: Cluster, Message: l})
		}
		// Omni's own account of the sync names resource types and machine UUIDs: the lines above say it.
		if err := operations.SyncTemplate(ctx, bytes.NewReader(b), io.Discard, om.State(), operations.SyncOptions{}, nil); err != nil {
			return Result{}, fmt.Errorf("sync the cluster template: %w", om.Classify(err))
		}
	} else {
		emit(Event{Step: Cluster, Message: "the cluster template is already in Omni"})
	}
	if err := waitReady(ctx, e, p.Cluster.Name, len(p.Machines), hosts, emit); err != nil {
		return Result{}, err
	}
	path, err := saveKubeconfig(ctx, e, p.Cluster.Name)
	if err != nil {
		return Result{}, err
	}
	p.Cluster.Kubeconfig = path
	emit(Event{Step: Cluster, Message: "kubeconfig saved to " + path + " (0600)"})
	return ClusterResult(*p), nil
}

// waitReady follows the cluster's and its machines' statuses until the cluster is ready, listing each
// machine's install stage; a machine's config error is shown and the wait goes on (Omni retries).
func waitReady(ctx context.Context, e *Env, cluster string, machines int, hosts map[string]string, emit func(Event)) error {
	om, _ := e.omni()
	wait := e.ClusterWait
	if wait <= 0 {
		wait = 60 * time.Minute
	}
	line := "no status yet"
	return e.until(ctx, wait, func() (bool, error) {
		cs, _ := safe.StateGetByID[*omni.ClusterStatus](ctx, om.State(), cluster)
		cms, err := safe.StateListAll[*omni.ClusterMachineStatus](ctx, om.State(),
			state.WithLabelQuery(resource.LabelEqual(omni.LabelCluster, cluster)))
		if err != nil {
			return false, om.Classify(err)
		}
		items, ready := stageItems(collect(cms), hosts)
		emit(Event{Step: Cluster, Items: items, Done: int64(ready), Total: int64(machines), Unit: "machines"})
		if cs == nil {
			line = "no status yet"
			return false, nil
		}
		line = clusterLine(cs)
		if !cs.TypedSpec().Value.GetReady() {
			return false, nil
		}
		// Omni may call the cluster ready before every planned machine has joined it: a half-built
		// cluster is not the one the plan asked for, so the wait goes on until all of them run.
		if ready < machines {
			line = fmt.Sprintf("%s; %d of the plan's %d machines running", line, ready, machines)
			return false, nil
		}
		emit(Event{Step: Cluster, Message: "cluster " + cluster + " ready: " + line})
		return true, nil
	}, func() error {
		return fmt.Errorf("cluster %s not ready after %s (%s): look at the machines' stages; resume to keep waiting", cluster, wait, line)
	})
}

// stageItems is one line per cluster machine, by name: its stage, readiness and last config error. A
// machine is named by its node name, else by its hostname in hosts (by machine ID), never by its UUID
// when the plan knows it.
func stageItems(cms []*omni.ClusterMachineStatus, hosts map[string]string) ([]Item, int) {
	items := make([]Item, 0, len(cms))
	ready := 0
	for _, m := range cms {
		s := m.TypedSpec().Value
		name := cmp.Or(hosts[m.Metadata().ID()], m.Metadata().ID())
		if n, ok := m.Metadata().Labels().Get(omni.ClusterMachineStatusLabelNodeName); ok && n != "" {
			name = n
		}
		it := Item{Name: name, State: words(s.GetStage().String())}
		switch {
		case s.GetLastConfigError() != "":
			it.Failed, it.Detail = true, "config error: "+firstLine(s.GetLastConfigError())
		case s.GetReady() && s.GetStage() == specs.ClusterMachineStatusSpec_RUNNING:
			it.OK, it.Detail = true, "ready"
			ready++
		}
		items = append(items, it)
	}
	sort.Slice(items, func(i, j int) bool { return items[i].Name < items[j].Name })
	return items, ready
}

// words is an Omni enum value in words: "POWERING_ON" → "powering on".
func words(enum string) string { return strings.ToLower(strings.ReplaceAll(enum, "_", " ")) }

func clusterLine(cs *omni.ClusterStatus) string {
	s := cs.TypedSpec().Value
	m := s.GetMachines()
	return fmt.Sprintf("phase %s, %d/%d machines healthy, Kubernetes API ready: %v",
		words(s.GetPhase().String()), m.GetHealthy(), m.GetTotal(), s.GetKubernetesAPIReady())
}

// saveKubeconfig asks Omni for a service-account kubeconfig of the cluster and writes it 0600.
func saveKubeconfig(ctx context.Context, e *Env, cluster string) (string, error) {
	om, _ := e.omni()
	kc, err := om.Client.Management().WithCluster(cluster).Kubeconfig(ctx,
		management.WithServiceAccount(KubeconfigTTL, KubeconfigUser, "system:masters"))
	if err != nil {
		return "", fmt.Errorf("get the kubeconfig from Omni: %w", om.Classify(err))
	}
	if e.ConfigDir == "" {
		return "", errors.New("no config directory to save the kubeconfig in")
	}
	if err := os.MkdirAll(e.ConfigDir, 0o700); err != nil {
		return "", err
	}
	path := KubeconfigPath(e, cluster)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, kc, 0o600); err != nil {
		return "", fmt.Errorf("save the kubeconfig: %w", err)
	}
	return path, os.Rename(tmp, path)
}

func firstLine(s string) string {
	sc := bufio.NewScanner(strings.NewReader(s))
	if sc.Scan() {
		return sc.Text()
	}
	return s
}
