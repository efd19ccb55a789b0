package omnisim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/cosi-project/runtime/pkg/resource"
	"github.com/cosi-project/runtime/pkg/safe"
	"github.com/cosi-project/runtime/pkg/state"
	"github.com/siderolabs/omni/client/api/omni/specs"
	"github.com/siderolabs/omni/client/pkg/omni/resources"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
	"go.yaml.in/yaml/v3"
)

// InstallOptions tune an InstallSim.
type InstallOptions struct {
	// StageDelay is how long each install stage of a machine lasts (INSTALLING, REBOOTING, BOOTING); 0
	// walks the stages one per pass, without waiting (tests).
	StageDelay time.Duration
	// Stagger delays the start of each machine's install by its rank in its cluster (control planes
	// first): machines are never booted at the same instant, and the install list reads better when their
	// stages differ. A machine waiting for its turn is CONFIGURING. 0 starts them all at once.
	Stagger time.Duration
	// Poll is how often the simulator looks at the state again (default 100ms).
	Poll time.Duration
	// Settle is how long a cluster's membership (its machine-set nodes) must stay unchanged before the
	// cluster may be said ready (default 500ms): a template sync creates the nodes one by one, and with
	// short stages the first machines could otherwise finish before the last ones are even requested.
	Settle time.Duration
	// BeforeReady, when set, runs once per cluster when every one of its machines runs, before its
	// ClusterStatus turns ready: whatever must exist once Omni says the cluster is ready (a kubeconfig to
	// serve, the cluster's contents) is put there. An error is kept (Err) and retried at the next pass;
	// the cluster stays not ready meanwhile.
	BeforeReady func(ctx context.Context, cluster string) error
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// InstallSim plays the Omni controllers of a cluster's creation against a COSI state, the way kwok plays
// kubelets: for every machine a cluster template put in a machine set (a MachineSetNode labelled with its
// cluster), it writes the ClusterMachine and a ClusterMachineStatus walking the install stages
// (CONFIGURING while waiting for its turn, INSTALLING, REBOOTING, BOOTING, then RUNNING and ready), takes
// the MachineStatus out of maintenance with the cluster's Talos version once the installed system boots,
// and keeps each cluster's ClusterStatus and MachineSetStatuses counted (SCALING_UP, then RUNNING and
// ready with its control plane and Kubernetes API). An install disk named by a config patch that the
// machine does not have is a config error (ClusterMachineStatus.LastConfigError), as Talos reports a
// wrong /dev/disk/by-id path; the machine waits until a re-sync fixes it.
//
// It only ever writes resources that Omni's controllers own — never the Cluster, MachineSets,
// MachineSetNodes or ConfigPatches a template sync writes — so a template re-sync sees no change, and each
// pass writes only what differs. A machine taken out of its machine set goes back to maintenance, and a
// deleted cluster loses its statuses. Connection is read, never written: a machine that is disconnected
// (a power loss) is not ready and not counted healthy, as Omni has it.
type InstallSim struct {
	st state.State
	o  InstallOptions

	mu       sync.Mutex
	since    map[resource.ID]time.Time // machine → when its current stage began
	joined   map[resource.ID]time.Time // machine → when it was first seen in a machine set
	owned    map[resource.ID]string    // machine → the cluster the simulator put it in
	clusters map[string]bool           // clusters whose statuses the simulator writes
	readied  map[string]bool           // clusters whose BeforeReady succeeded
	members  map[string]string         // cluster → its members' IDs, as last seen
	changed  map[string]time.Time      // cluster → when its membership last changed
	err      error
}

// NewInstallSim returns a simulator over st; nothing happens until Run (or Pass).
func NewInstallSim(st state.State, o InstallOptions) *InstallSim {
	if o.Poll <= 0 {
		o.Poll = 100 * time.Millisecond
	}

	if o.Settle <= 0 {
		o.Settle = 500 * time.Millisecond
	}

	if o.Now == nil {
		o.Now = time.Now
	}

	return &InstallSim{st: st, o: o, since: map[resource.ID]time.Time{}, joined: map[resource.ID]time.Time{},
		owned: map[resource.ID]string{}, clusters: map[string]bool{}, readied: map[string]bool{},
		members: map[string]string{}, changed: map[string]time.Time{}}
}

// Run passes over the state every Poll until ctx ends; it returns nil then. A pass that fails is retried
// at the next one (Err says why).
func (s *InstallSim) Run(ctx context.Context) error {
	t := time.NewTicker(s.o.Poll)
	defer t.Stop()

	for {
		if err := s.Pass(ctx); err != nil && ctx.Err() == nil {
			s.setErr(err)
		}

		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Err is the error of the last pass that failed, nil when the last one succeeded.
func (s *InstallSim) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()

	return s.err
}

func (s *InstallSim) setErr(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()

	s.err = err
}

// member is one machine of a machine set, as a pass sees it.
type member struct {
	id           resource.ID
	cluster, set string
	controlPlane bool
	status       *omni.MachineStatus // nil: not known to Omni (not booted yet)
	cms          *omni.ClusterMachineStatus
	stage        specs.ClusterMachineStatusSpec_Stage
	configError  string
}

func (m *member) connected() bool {
	return m.status != nil && m.status.TypedSpec().Value.GetConnected()
}

func (m *member) running() bool { return m.stage == specs.ClusterMachineStatusSpec_RUNNING }

func (m *member) up() bool { return m.running() && m.connected() }

// Pass looks at the state once and writes what Omni's controllers would: one step of every install.
func (s *InstallSim) Pass(ctx context.Context) error {
	clusters, err := safe.StateListAll[*omni.Cluster](ctx, s.st)
	if err != nil {
		return err
	}

	byName := map[string]*omni.Cluster{}
	for c := range clusters.All() {
		byName[c.Metadata().ID()] = c
	}

	nodes, err := safe.StateListAll[*omni.MachineSetNode](ctx, s.st)
	if err != nil {
		return err
	}

	members := map[string][]*member{}

	for n := range nodes.All() {
		cluster, _ := n.Metadata().Labels().Get(omni.LabelCluster)
		if cluster == "" || byName[cluster] == nil || n.Metadata().Phase() == resource.PhaseTearingDown {
			continue
		}

		set, _ := n.Metadata().Labels().Get(omni.LabelMachineSet)
		_, cp := n.Metadata().Labels().Get(omni.LabelControlPlaneRole)
		members[cluster] = append(members[cluster], &member{id: n.Metadata().ID(), cluster: cluster, set: set, controlPlane: cp})
	}

	s.mu.Lock()
	for c := range s.clusters {
		if _, ok := members[c]; !ok && byName[c] != nil {
			members[c] = nil // emptied: its statuses say so
		}
	}
	s.mu.Unlock()

	var errs []error

	for cluster, ms := range members {
		if err := s.passCluster(ctx, byName[cluster], ms); err != nil {
			errs = append(errs, fmt.Errorf("cluster %s: %w", cluster, err))
		}
	}

	if err := s.release(ctx, members, byName); err != nil {
		errs = append(errs, err)
	}

	err = errors.Join(errs...)
	if err == nil {
		s.setErr(nil)
	}

	return err
}

func (s *InstallSim) passCluster(ctx context.Context, cluster *omni.Cluster, ms []*member) error {
	name := cluster.Metadata().ID()
	talos := "v" + strings.TrimLeft(cluster.TypedSpec().Value.GetTalosVersion(), "v")
	now := s.o.Now()

	ids := make([]string, 0, len(ms))
	for _, m := range ms {
		ids = append(ids, m.id)
	}

	sort.Strings(ids)

	s.mu.Lock()
	met := s.clusters[name]
	s.mu.Unlock()

	// A cluster this simulator meets already ready with these machines (left by another one: a state
	// kept in a file, the simulator restarted) counts as settled since long ago, so it is not said unready
	// for a moment.
	since := now
	if !met {
		prev, err := getOptional(ctx, s.st, omni.NewClusterStatus(name))
		if err != nil {
			return err
		}

		if prev != nil && prev.TypedSpec().Value.GetReady() && prev.TypedSpec().Value.GetMachines().GetRequested() == uint32(len(ms)) {
			since = now.Add(-s.o.Settle)
		}
	}

	s.mu.Lock()
	s.clusters[name] = true

	if sig := strings.Join(ids, ","); s.members[name] != sig || s.changed[name].IsZero() {
		s.members[name], s.changed[name] = sig, since
	}

	settled := now.Sub(s.changed[name]) >= s.o.Settle
	s.mu.Unlock()

	installDisks, err := s.installDisks(ctx, name)
	if err != nil {
		return err
	}

	for _, m := range ms {
		if m.status, err = getOptional(ctx, s.st, omni.NewMachineStatus(m.id)); err != nil {
			return err
		}

		if m.cms, err = getOptional(ctx, s.st, omni.NewClusterMachineStatus(m.id)); err != nil {
			return err
		}
	}

	// Rank: control planes first, then by machine set and ID, so that the stagger is stable.
	sort.SliceStable(ms, func(i, j int) bool {
		if ms[i].controlPlane != ms[j].controlPlane {
			return ms[i].controlPlane
		}

		if ms[i].set != ms[j].set {
			return ms[i].set < ms[j].set
		}

		return ms[i].id < ms[j].id
	})

	rank := 0

	for _, m := range ms {
		if m.status == nil {
			continue // not booted yet: Omni waits for it
		}

		disk := installDisks.forMachine(m.set, m.id)
		s.advance(m, disk, rank, now)
		rank++

		if err := s.writeMember(ctx, m, talos, disk, cluster.TypedSpec().Value.GetKubernetesVersion()); err != nil {
			return fmt.Errorf("machine %s: %w", m.id, err)
		}
	}

	return s.writeCluster(ctx, cluster, ms, settled)
}

// advance moves a machine's stage on by the clock: each stage lasts StageDelay.
func (s *InstallSim) advance(m *member, disk string, rank int, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()

	if _, ok := s.joined[m.id]; !ok {
		s.joined[m.id] = now
	}

	s.owned[m.id] = m.cluster

	cur := specs.ClusterMachineStatusSpec_UNKNOWN
	if m.cms != nil {
		cur = m.cms.TypedSpec().Value.GetStage()
	}

	since, known := s.since[m.id]
	if !known {
		since = now
	}

	set := func(st specs.ClusterMachineStatusSpec_Stage) {
		if st != cur || !known {
			since = now
		}

		m.stage = st
		s.since[m.id] = since
	}

	installed := cur == specs.ClusterMachineStatusSpec_BOOTING || cur == specs.ClusterMachineStatusSpec_RUNNING ||
		cur == specs.ClusterMachineStatusSpec_REBOOTING

	// Talos reads the install disk when it installs: a wrong one stops a machine not installed yet; an
	// installed machine ignores it until its next upgrade.
	if !installed {
		if why := diskError(disk, m.status); why != "" {
			m.configError = why
			set(specs.ClusterMachineStatusSpec_INSTALLING)
			delete(s.since, m.id) // the install starts over once the config is fixed

			return
		}
	}

	// A machine that lost its connection does not progress: its stage is the last one Omni saw.
	if !m.connected() && cur != specs.ClusterMachineStatusSpec_UNKNOWN {
		set(cur)

		return
	}

	elapsed := now.Sub(since) >= s.o.StageDelay && known

	switch cur {
	case specs.ClusterMachineStatusSpec_UNKNOWN, specs.ClusterMachineStatusSpec_CONFIGURING:
		if now.Sub(s.joined[m.id]) >= time.Duration(rank)*s.o.Stagger && (cur == specs.ClusterMachineStatusSpec_CONFIGURING || s.o.Stagger == 0) {
			set(specs.ClusterMachineStatusSpec_INSTALLING)
		} else {
			set(specs.ClusterMachineStatusSpec_CONFIGURING)
		}
	case specs.ClusterMachineStatusSpec_INSTALLING:
		if elapsed {
			set(specs.ClusterMachineStatusSpec_REBOOTING)
		} else {
			set(cur)
		}
	case specs.ClusterMachineStatusSpec_REBOOTING:
		if elapsed {
			set(specs.ClusterMachineStatusSpec_BOOTING)
		} else {
			set(cur)
		}
	case specs.ClusterMachineStatusSpec_BOOTING:
		if elapsed {
			set(specs.ClusterMachineStatusSpec_RUNNING)
		} else {
			set(cur)
		}
	default:
		set(cur) // RUNNING, or a stage someone else wrote (a fault): kept
	}
}

// writeMember writes the machine's ClusterMachine, ClusterMachineStatus and MachineStatus.
func (s *InstallSim) writeMember(ctx context.Context, m *member, talos, disk, kubernetes string) error {
	ms := m.status.TypedSpec().Value
	hostname := ms.GetNetwork().GetHostname()

	if hostname == "" {
		hostname = m.id
	}

	labels := func(r resource.Resource) {
		l := r.Metadata().Labels()
		l.Set(omni.LabelCluster, m.cluster)
		l.Set(omni.LabelMachineSet, m.set)
		setRoleLabel(l, m.controlPlane)
	}

	if err := ensure(ctx, s.st, omni.NewClusterMachine(m.id), func(cm *omni.ClusterMachine) {
		labels(cm)
		cm.TypedSpec().Value.KubernetesVersion = strings.TrimLeft(kubernetes, "v")
	}); err != nil {
		return err
	}

	if err := ensure(ctx, s.st, omni.NewClusterMachineStatus(m.id), func(c *omni.ClusterMachineStatus) {
		labels(c)
		c.Metadata().Labels().Set(omni.ClusterMachineStatusLabelNodeName, hostname)
		setFlag(c, omni.MachineStatusLabelConnected, m.connected())

		v := c.TypedSpec().Value
		v.Stage = m.stage
		v.Ready = m.up()
		v.ConfigUpToDate = m.running()
		v.ManagementAddress = ms.GetManagementAddress()
		v.LastConfigError = m.configError

		switch {
		case m.configError != "":
			v.ConfigApplyStatus = specs.ConfigApplyStatus_FAILED
		case m.stage == specs.ClusterMachineStatusSpec_CONFIGURING:
			v.ConfigApplyStatus = specs.ConfigApplyStatus_PENDING
		default:
			v.ConfigApplyStatus = specs.ConfigApplyStatus_APPLIED
		}
	}); err != nil {
		return err
	}

	booted := m.stage == specs.ClusterMachineStatusSpec_BOOTING || m.stage == specs.ClusterMachineStatusSpec_RUNNING

	return ensure(ctx, s.st, omni.NewMachineStatus(m.id), func(st *omni.MachineStatus) {
		v := st.TypedSpec().Value
		v.Cluster = m.cluster
		v.Role = specs.MachineStatusSpec_WORKER

		if m.controlPlane {
			v.Role = specs.MachineStatusSpec_CONTROL_PLANE
		}

		l := st.Metadata().Labels()
		l.Set(omni.LabelCluster, m.cluster)
		l.Delete(omni.MachineStatusLabelAvailable)
		setRoleLabel(l, m.controlPlane)

		if !booted {
			return
		}

		// The installed system booted: out of maintenance, on the cluster's Talos, from the install disk.
		v.Maintenance = false
		v.TalosVersion = talos
		l.Set(omni.MachineStatusLabelInstalled, "")
		l.Set(omni.MachineStatusLabelReadyToUse, "")
		l.Set(omni.MachineStatusLabelTalosVersion, talos)

		for _, d := range v.GetHardware().GetBlockdevices() {
			if disk != "" {
				d.SystemDisk = diskMatches(disk, d)
			}
		}
	})
}

// writeCluster counts the cluster's machines into its ClusterStatus and MachineSetStatuses, running
// BeforeReady once before the cluster is first said ready.
func (s *InstallSim) writeCluster(ctx context.Context, cluster *omni.Cluster, ms []*member, settled bool) error {
	name := cluster.Metadata().ID()
	spec := cluster.TypedSpec().Value

	type counts struct {
		requested, total, connected, up, cps, cpsUp uint32
		installing                                  bool
	}

	count := func(filter func(*member) bool) counts {
		var c counts

		for _, m := range ms {
			if !filter(m) {
				continue
			}

			c.requested++

			if m.status == nil {
				c.installing = true

				continue
			}

			c.total++

			if m.connected() {
				c.connected++
			}

			if m.up() {
				c.up++
			}

			if !m.running() {
				c.installing = true
			}

			if m.controlPlane {
				c.cps++

				if m.up() {
					c.cpsUp++
				}
			}
		}

		return c
	}

	sets := map[string]bool{}
	for _, m := range ms {
		sets[m.set] = true
	}

	for set := range sets {
		c := count(func(m *member) bool { return m.set == set })
		cp := false

		for _, m := range ms {
			if m.set == set {
				cp = m.controlPlane
			}
		}

		if err := ensure(ctx, s.st, omni.NewMachineSetStatus(set), func(st *omni.MachineSetStatus) {
			l := st.Metadata().Labels()
			l.Set(omni.LabelCluster, name)
			l.Set(omni.LabelMachineSet, set)

			if cp {
				l.Set(omni.LabelControlPlaneRole, "")
			} else {
				l.Set(omni.LabelWorkerRole, "")
			}

			v := st.TypedSpec().Value
			v.Phase = specs.MachineSetPhase_Running

			if c.installing {
				v.Phase = specs.MachineSetPhase_ScalingUp
			}

			v.Ready = !c.installing && c.up == c.requested
			v.Machines = &specs.Machines{Total: c.total, Healthy: c.up, Connected: c.connected, Requested: c.requested}
		}); err != nil {
			return err
		}
	}

	c := count(func(*member) bool { return true })
	apiReady := c.cps > 0 && c.cpsUp > c.cps/2 // etcd quorum
	ready := !c.installing && c.up == c.requested && apiReady && settled

	var hookErr error

	if ready {
		s.mu.Lock()
		done := s.readied[name] || s.o.BeforeReady == nil
		s.mu.Unlock()

		if !done {
			if hookErr = s.o.BeforeReady(ctx, name); hookErr != nil {
				ready = false
				hookErr = fmt.Errorf("before it is ready: %w", hookErr)
			} else {
				s.mu.Lock()
				s.readied[name] = true
				s.mu.Unlock()
			}
		}
	}

	return errors.Join(hookErr, ensure(ctx, s.st, omni.NewClusterStatus(name), func(st *omni.ClusterStatus) {
		v := st.TypedSpec().Value
		v.Phase = specs.ClusterStatusSpec_RUNNING

		if c.installing {
			v.Phase = specs.ClusterStatusSpec_SCALING_UP
		}

		v.Machines = &specs.Machines{Total: c.total, Healthy: c.up, Connected: c.connected, Requested: c.requested}
		v.Ready = ready
		v.Available = c.cpsUp > 0
		v.HasConnectedControlPlanes = c.cpsUp > 0
		v.ControlplaneReady = c.cps > 0 && c.cpsUp == c.cps
		v.KubernetesAPIReady = apiReady
		v.TalosVersion = strings.TrimLeft(spec.GetTalosVersion(), "v")
		v.KubernetesVersion = strings.TrimLeft(spec.GetKubernetesVersion(), "v")
	}))
}

// release sends the machines taken out of their machine set back to maintenance (Omni wipes them), and
// drops the statuses of the clusters that were deleted.
func (s *InstallSim) release(ctx context.Context, members map[string][]*member, clusters map[string]*omni.Cluster) error {
	in := map[resource.ID]bool{}

	for _, ms := range members {
		for _, m := range ms {
			in[m.id] = true
		}
	}

	s.mu.Lock()
	var gone []resource.ID

	for id := range s.owned {
		if !in[id] {
			gone = append(gone, id)
		}
	}

	var deleted []string

	for c := range s.clusters {
		if clusters[c] == nil {
			deleted = append(deleted, c)
		}
	}
	s.mu.Unlock()

	for _, id := range gone {
		for _, md := range []*resource.Metadata{omni.NewClusterMachineStatus(id).Metadata(), omni.NewClusterMachine(id).Metadata()} {
			if err := s.st.Destroy(ctx, md); err != nil && !state.IsNotFoundError(err) {
				return err
			}
		}

		if err := ensure(ctx, s.st, omni.NewMachineStatus(id), func(st *omni.MachineStatus) {
			v := st.TypedSpec().Value
			v.Cluster, v.Role, v.Maintenance = "", specs.MachineStatusSpec_NONE, true

			l := st.Metadata().Labels()
			for _, k := range []string{omni.LabelCluster, omni.LabelControlPlaneRole, omni.LabelWorkerRole, omni.MachineStatusLabelInstalled} {
				l.Delete(k)
			}

			l.Set(omni.MachineStatusLabelAvailable, "")

			for _, d := range v.GetHardware().GetBlockdevices() {
				d.SystemDisk = false
			}
		}); err != nil && !state.IsNotFoundError(err) {
			return err
		}

		s.mu.Lock()
		delete(s.owned, id)
		delete(s.since, id)
		delete(s.joined, id)
		s.mu.Unlock()
	}

	for _, c := range deleted {
		sets, err := safe.StateListAll[*omni.MachineSetStatus](ctx, s.st, state.WithLabelQuery(resource.LabelEqual(omni.LabelCluster, c)))
		if err != nil {
			return err
		}

		for mss := range sets.All() {
			if err := s.st.Destroy(ctx, mss.Metadata()); err != nil && !state.IsNotFoundError(err) {
				return err
			}
		}

		if err := s.st.Destroy(ctx, omni.NewClusterStatus(c).Metadata()); err != nil && !state.IsNotFoundError(err) {
			return err
		}

		s.mu.Lock()
		delete(s.clusters, c)
		delete(s.readied, c)
		delete(s.members, c)
		delete(s.changed, c)
		s.mu.Unlock()
	}

	return nil
}

// patchDisks are the install disks the cluster's config patches set, by where they apply.
type patchDisks struct {
	cluster string
	sets    map[string]string
	nodes   map[resource.ID]string
}

// forMachine is the install disk a machine's merged config names: its own patches win over its machine
// set's, which win over the cluster's. "" when none names one (Omni then picks the disk).
func (p patchDisks) forMachine(set string, id resource.ID) string {
	if d := p.nodes[id]; d != "" {
		return d
	}

	if d := p.sets[set]; d != "" {
		return d
	}

	return p.cluster
}

// installDisks reads the cluster's config patches, in the order Omni applies them (by ID), for the
// machine.install.disk they set.
func (s *InstallSim) installDisks(ctx context.Context, cluster string) (patchDisks, error) {
	out := patchDisks{sets: map[string]string{}, nodes: map[resource.ID]string{}}

	patches, err := safe.StateListAll[*omni.ConfigPatch](ctx, s.st, state.WithLabelQuery(resource.LabelEqual(omni.LabelCluster, cluster)))
	if err != nil {
		return out, err
	}

	list := make([]*omni.ConfigPatch, 0, patches.Len())
	for p := range patches.All() {
		list = append(list, p)
	}

	sort.Slice(list, func(i, j int) bool { return list[i].Metadata().ID() < list[j].Metadata().ID() })

	for _, p := range list {
		buf, err := p.TypedSpec().Value.GetUncompressedData()
		if err != nil {
			continue // a patch Omni cannot read is Omni's error, not the install's
		}

		disk := installDiskOf(buf.Data())
		buf.Free()

		if disk == "" {
			continue
		}

		l := p.Metadata().Labels()

		if id, ok := l.Get(omni.LabelClusterMachine); ok {
			out.nodes[id] = disk
		} else if set, ok := l.Get(omni.LabelMachineSet); ok {
			out.sets[set] = disk
		} else {
			out.cluster = disk
		}
	}

	return out, nil
}

// installDiskOf is the machine.install.disk a strategic-merge patch sets (the last document's wins).
func installDiskOf(data []byte) string {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	disk := ""

	for {
		var doc struct {
			Machine struct {
				Install struct {
					Disk string `yaml:"disk"`
				} `yaml:"install"`
			} `yaml:"machine"`
		}

		if err := dec.Decode(&doc); err != nil {
			if errors.Is(err, io.EOF) {
				return disk
			}

			return disk // a JSON 6902 patch (a list) or a non-config document: nothing about the disk
		}

		if d := strings.TrimSpace(doc.Machine.Install.Disk); d != "" {
			disk = d
		}
	}
}

// diskError is what Talos says when the install disk path does not exist on the machine; "" when it does
// (or no disk is named).
func diskError(disk string, ms *omni.MachineStatus) string {
	if disk == "" {
		return ""
	}

	for _, d := range ms.TypedSpec().Value.GetHardware().GetBlockdevices() {
		if diskMatches(disk, d) {
			return ""
		}
	}

	return fmt.Sprintf("install disk %q not found: stat %s: no such file or directory (the machine's disks: %s)",
		disk, disk, strings.Join(diskNames(ms), ", "))
}

func diskNames(ms *omni.MachineStatus) []string {
	var out []string
	for _, d := range ms.TypedSpec().Value.GetHardware().GetBlockdevices() {
		out = append(out, d.GetLinuxName())
	}

	return out
}

// diskMatches tells whether path names the block device: its Linux name, or one of the
// /dev/disk/by-id links udev makes for it.
func diskMatches(path string, d *specs.MachineStatusSpec_HardwareStatus_BlockDevice) bool {
	if path == d.GetLinuxName() || (d.GetName() != "" && path == "/dev/"+d.GetName()) {
		return true
	}

	for _, l := range plan.ByIDLinks(plan.DiskFacts{WWID: d.GetWwid(), Serial: d.GetSerial(), Model: d.GetModel(), Transport: d.GetTransport()}) {
		if path == l {
			return true
		}
	}

	return false
}

// getOptional reads the resource r names; the zero T when it does not exist.
func getOptional[T resource.Resource](ctx context.Context, st state.State, r T) (T, error) {
	var zero T

	cur, err := st.Get(ctx, r.Metadata())
	if state.IsNotFoundError(err) {
		return zero, nil
	}

	if err != nil {
		return zero, err
	}

	t, ok := cur.(T)
	if !ok {
		return zero, fmt.Errorf("%s %s: unexpected type %T", r.Metadata().Type(), r.Metadata().ID(), cur)
	}

	return t, nil
}

// ensure creates r after mutate, or applies mutate to the stored copy and updates it when that changed
// anything: a pass that changes nothing writes nothing (watchers see no event).
func ensure[T resource.Resource](ctx context.Context, st state.State, r T, mutate func(T)) error {
	cur, err := st.Get(ctx, r.Metadata())
	if state.IsNotFoundError(err) {
		mutate(r)

		return st.Create(ctx, r)
	}

	if err != nil {
		return err
	}

	next, ok := cur.DeepCopy().(T)
	if !ok {
		return fmt.Errorf("%s %s: unexpected type %T", r.Metadata().Type(), r.Metadata().ID(), cur)
	}

	mutate(next)

	if resource.Equal(cur, next) {
		return nil
	}

	return st.Update(ctx, next)
}

func setFlag(r resource.Resource, key string, on bool) {
	if on {
		r.Metadata().Labels().Set(key, "")
	} else {
		r.Metadata().Labels().Delete(key)
	}
}

// setRoleLabel labels a cluster machine's resource with its role, control plane or worker, and not the other.
func setRoleLabel(l *resource.Labels, controlPlane bool) {
	if controlPlane {
		l.Set(omni.LabelControlPlaneRole, "")
		l.Delete(omni.LabelWorkerRole)
		return
	}
	l.Set(omni.LabelWorkerRole, "")
	l.Delete(omni.LabelControlPlaneRole)
}

// InstallTypes are the resource types an install touches: the template's (cluster, machine sets and
// their nodes, config patches) and the statuses the simulator keeps. The slice is the caller's.
func InstallTypes() []resource.Type {
	return []resource.Type{omni.ClusterType, omni.MachineSetType, omni.MachineSetNodeType, omni.ConfigPatchType,
		omni.ClusterMachineType, omni.ClusterMachineStatusType, omni.MachineStatusType, omni.ClusterStatusType,
		omni.MachineSetStatusType}
}

// ResourceVersions lists every resource of the given types in Omni's default namespace, one
// "type/id@version" a line: two listings are equal when nothing of those types was written in between.
func ResourceVersions(ctx context.Context, st state.State, types ...resource.Type) (string, error) {
	var b strings.Builder

	for _, typ := range types {
		l, err := st.List(ctx, resource.NewMetadata(resources.DefaultNamespace, typ, "", resource.VersionUndefined))
		if err != nil {
			return "", err
		}

		for _, r := range l.Items {
			fmt.Fprintf(&b, "%s/%s@%s\n", typ, r.Metadata().ID(), r.Metadata().Version())
		}
	}

	return b.String(), nil
}
