package demo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cosi-project/runtime/pkg/resource"
	"github.com/cosi-project/runtime/pkg/safe"
	"github.com/cosi-project/runtime/pkg/state"
	"github.com/siderolabs/omni/client/api/omni/specs"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/helmops"
	"github.com/clubcedille/cedille-tui/internal/omnisim"
	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/steps"
	"github.com/clubcedille/cedille-tui/internal/watch"
)

// installSteps are part 1's steps, as the install command runs them.
func installSteps() []steps.Step {
	return []steps.Step{steps.PreflightStep{}, steps.ISOStep{}, steps.MachinesStep{}, steps.DisksStep{}, steps.ClusterStep{}}
}

// exampleAnswers is assets/answers.example.yaml (whose machines are the demo's), downloading to isoDir.
func exampleAnswers(t *testing.T, isoDir string) plan.Plan {
	t.Helper()

	path := filepath.Join("..", "..", "assets", "answers.example.yaml")

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	p, _, err := plan.ParseAnswers(path, data)
	if err != nil {
		t.Fatalf("answers: %v", err)
	}

	p.ISO.Dir = isoDir

	return p
}

// startBlank starts a Blank demo whose install simulator is as fast as it goes, closed at the test's end.
func startBlank(t *testing.T) *Platform {
	t.Helper()

	return startDemo(t, Options{Blank: true, InstallStage: -1, ISORate: -1})
}

// startDemo starts a demo with these options, closed at the test's end.
func startDemo(t *testing.T, o Options) *Platform {
	t.Helper()

	d, err := Start(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}

	t.Cleanup(d.Close)

	return d
}

// TestBlankStart: before the install Omni holds the six machines in maintenance mode and its catalogue,
// and nothing else; the cluster's Kubernetes API and Vault do not answer.
func TestBlankStart(t *testing.T) {
	t.Parallel()

	ctx := context.Background()
	d := startBlank(t)
	st := d.Omni.State()

	ms, err := safe.StateListAll[*omni.MachineStatus](ctx, st)
	if err != nil || ms.Len() != 6 {
		t.Fatalf("%d MachineStatus, %v", ms.Len(), err)
	}

	for m := range ms.All() {
		v := m.TypedSpec().Value
		if !v.GetConnected() || !v.GetMaintenance() || v.GetCluster() != "" || len(v.GetHardware().GetBlockdevices()) == 0 {
			t.Errorf("%s: %v", m.Metadata().ID(), v)
		}

		if _, ok := m.Metadata().Labels().Get(omni.LabelCluster); ok {
			t.Errorf("%s has a cluster label", m.Metadata().ID())
		}
	}

	for _, kind := range []resource.Type{omni.ClusterType, omni.ClusterStatusType, omni.ClusterMachineStatusType, omni.ClusterMachineType} {
		l, err := st.List(ctx, resource.NewMetadata("default", kind, "", resource.VersionUndefined))
		if err != nil || len(l.Items) != 0 {
			t.Errorf("%s: %d before the install (%v)", kind, len(l.Items), err)
		}
	}

	if tv, err := safe.StateListAll[*omni.TalosVersion](ctx, st); err != nil || tv.Len() != len(demoTalosVersions()) {
		t.Errorf("TalosVersions: %d, %v", tv.Len(), err)
	}

	fc, err := safe.StateGetByID[*omni.FeaturesConfig](ctx, st, omni.FeaturesConfigID)
	if err != nil || fc.TypedSpec().Value.GetImageFactoryBaseUrl() != DemoImageFactoryURL {
		t.Errorf("FeaturesConfig: %v %v", fc, err)
	}

	inv, err := steps.LoadInventory(ctx, d.InstallEnv(t.TempDir()))
	if err != nil || len(inv.Machines) != 6 {
		t.Fatalf("inventory: %v %v", inv, err)
	}

	if err := d.Kube.Ping(ctx, time.Second); !platform.IsUnreachable(err) {
		t.Errorf("the Kubernetes API before the cluster exists: %v, want unreachable", err)
	}

	if _, err := d.Vault[0].Vault.Health(ctx, time.Second); !platform.IsUnreachable(err) {
		t.Errorf("Vault before the cluster exists: %v, want unreachable", err)
	}

	if _, err := d.Charts().InstallOrUpgrade(ctx, d.Kube, helmops.Release{Name: "argocd", Namespace: "argocd"}, plan.ArgoCDChart,
		plan.Chart{Version: "7.7.3"}, nil); err == nil || !strings.Contains(err.Error(), "Kubernetes cluster unreachable") {
		t.Errorf("a chart installed before the cluster exists: %v, want unreachable", err)
	}

	if n, _ := d.Kube.Typed.CoreV1().Nodes().List(ctx, metav1.ListOptions{}); len(n.Items) != 0 {
		t.Errorf("%d Nodes before the cluster exists", len(n.Items))
	}

	if _, err := d.Omni.Client.Management().WithCluster(ClusterName).Kubeconfig(ctx); err == nil {
		t.Error("Omni served a kubeconfig before the cluster exists")
	}

	select {
	case <-d.Installed():
		t.Error("Installed() closed before the install")
	default:
	}

	for _, f := range d.Faults() {
		if _, err := f.Run(ctx); err == nil || !strings.Contains(err.Error(), "not installed") {
			t.Errorf("fault %s before the install: %v", f.Key, err)
		}
	}
}

// TestInstallOnBlankDemo runs the real install steps (part 1) from the example answers against a blank
// demo, with a console hub watching from the start: the template names disks by by-id path, the USB key is
// refused, every step's Check holds at the end, a second run changes nothing, and the console sees the
// fresh platform appear.
func TestInstallOnBlankDemo(t *testing.T) {
	t.Parallel()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	d := startBlank(t)
	st := d.Omni.State()
	isoDir, configDir, stateDir := t.TempDir(), t.TempDir(), t.TempDir()

	// The console's hub, started before the cluster exists.
	hub := startHub(ctx, t, d)

	waitHub(t, "the Kubernetes and Omni sources synced", hub, func(s watch.Snapshot) bool {
		return s.Source(platform.SourceKubernetes).Synced && s.Source(platform.SourceOmni).Synced && len(s.Machines) == 6
	})

	// Stages each machine walks, as Omni's watchers see them.
	stages := watchStages(ctx, t, st)

	answers := exampleAnswers(t, isoDir)
	env := d.InstallEnv(configDir)

	inv, err := steps.LoadInventory(ctx, env)
	if err != nil {
		t.Fatal(err)
	}

	if ps := answers.Validate(inv); len(ps) > 0 {
		t.Fatalf("the example answers do not fit the demo: %v", ps)
	}

	// The installer's USB key on controlplane-1 is refused as an install disk.
	usb := answers
	usb.Machines = append([]plan.Machine(nil), answers.Machines...)
	usb.Machines[0].InstallDisk = plan.Disk{Serial: "4C530001160823117352"}

	if ps := usb.Validate(inv).Only("machines[0].installDisk"); len(ps) != 1 || !strings.Contains(ps[0].Message, "USB") {
		t.Errorf("the USB key as install disk: %v", ps)
	}

	var confirms []steps.Confirmation

	var mu sync.Mutex

	env.Confirm = func(_ context.Context, c steps.Confirmation) error {
		mu.Lock()
		defer mu.Unlock()

		confirms = append(confirms, c)

		return nil
	}

	var log []string

	r := &steps.Runner{Steps: installSteps(), Env: env, Store: steps.NewStore(stateDir), Report: func(u steps.Update) {
		if u.Event != nil && u.Event.Message != "" {
			log = append(log, string(u.Step)+": "+u.Event.Message)
		}
	}}
	sv := steps.Saved{Plan: answers}

	start := time.Now()
	if err := r.Run(ctx, &sv); err != nil {
		t.Fatalf("install: %v\n%s", err, strings.Join(log, "\n"))
	}

	t.Logf("install with no delays: %s", time.Since(start))

	if len(confirms) != 1 || confirms[0].Expect != ClusterName || len(confirms[0].Touches) != 12 {
		t.Errorf("confirmations: %+v", confirms)
	}

	// The template: by-id paths, never /dev/sdX.
	counts, patches := clusterResources(t, st, ClusterName)
	if want := map[string]int{"Cluster": 1, "MachineSet": 2, "MachineSetNode": 6, "ConfigPatch": 9}; fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Errorf("Omni holds %v, want %v", counts, want)
	}

	if strings.Count(patches, "disk: /dev/disk/by-id/wwn-0x") != 6 || strings.Contains(patches, "/dev/sd") {
		t.Errorf("install-disk patches must name every disk by its WWN path:\n%s", patches)
	}

	for _, m := range DemoMachines() {
		if !strings.Contains(patches, "disk: "+strings.Replace(m.InstallDisk().WWID, "naa.", "/dev/disk/by-id/wwn-0x", 1)) {
			t.Errorf("%s: no patch names its SSD", m.Hostname)
		}
	}

	// What was learned and produced.
	if sv.Plan.ISO.File == "" || sv.Plan.ISO.SHA256 != d.ImageFactory().ImageSHA256(
		"/image/"+sv.Plan.ISO.SchematicID+"/v1.8.0/metal-amd64.iso") {
		t.Errorf("ISO %s sha256 %s does not match the factory's image", sv.Plan.ISO.File, sv.Plan.ISO.SHA256)
	}

	kc, err := os.ReadFile(sv.Plan.Cluster.Kubeconfig)
	if err != nil || string(kc) != string(demoKubeconfig(ClusterName)) {
		t.Errorf("kubeconfig %s: %v\n%s", sv.Plan.Cluster.Kubeconfig, err, kc)
	}

	select {
	case <-d.Installed():
	default:
		t.Error("Installed() not closed after the install")
	}

	// Every machine walked the install stages.
	stages.stop()

	if errs := stages.of("error"); errs != "" {
		t.Logf("the stage watch failed (%s): stages not checked", errs)
	} else {
		for _, m := range DemoMachines() {
			if got := stages.of(m.ID); got != "INSTALLING REBOOTING BOOTING RUNNING" {
				t.Errorf("%s walked %q", m.Hostname, got)
			}
		}
	}

	// Every Check holds; a second run changes nothing.
	for i, o := range r.CheckAll(ctx, sv) {
		if !o.Holds {
			t.Errorf("step %s does not hold after the install: %s", r.Steps[i].ID(), o.Detail)
		}
	}

	before := stateVersions(t, st)
	gets := d.ImageFactory().Gets()

	if err := r.Run(ctx, &sv); err != nil {
		t.Fatalf("second run: %v", err)
	}

	time.Sleep(50 * time.Millisecond) // the simulator passes a few times

	if after := stateVersions(t, st); after != before {
		t.Errorf("a second run changed Omni's state:\n%s\nthen\n%s", before, after)
	}

	if len(confirms) != 1 || d.ImageFactory().Gets() != gets {
		t.Errorf("a second run asked %d confirmations, downloaded %d more times", len(confirms)-1, d.ImageFactory().Gets()-gets)
	}

	if err := d.InstallErr(); err != nil {
		t.Errorf("install simulator: %v", err)
	}

	// The console that watched from the start sees the fresh platform on the installed versions.
	s := waitHub(t, "the fresh platform in the console", hub, func(s watch.Snapshot) bool {
		vaultUp := len(s.Vault) == 3
		for _, v := range s.Vault {
			vaultUp = vaultUp && v.Err == nil && v.Health != nil
		}

		return len(s.Nodes) == 6 && s.Source(platform.SourceKubernetes).Err == nil && vaultUp
	})
	checkFreshPlatform(t, s, "v1.31.1")

	// So does a one-shot read (`status`), and the faults work on it.
	checkFreshPlatform(t, watch.Collect(ctx, d.Targets(), 5*time.Second, time.Now()), "v1.31.1")

	for _, f := range d.Faults() {
		if f.Key == "N" {
			if _, err := f.Run(ctx); err != nil {
				t.Fatalf("fault N after the install: %v", err)
			}
		}
	}

	// The fault and the simulated controllers agree: the cluster stays not ready, one machine short.
	deadline := time.Now().Add(10 * time.Second)

	for {
		cs, err := safe.StateGetByID[*omni.ClusterStatus](ctx, st, ClusterName)
		if err == nil && !cs.TypedSpec().Value.GetReady() && cs.TypedSpec().Value.GetMachines().GetHealthy() == 5 {
			time.Sleep(50 * time.Millisecond) // and it stays so

			if cs, _ = safe.StateGetByID[*omni.ClusterStatus](ctx, st, ClusterName); cs.TypedSpec().Value.GetReady() {
				t.Errorf("after N the simulator made the cluster ready again: %v", cs.TypedSpec().Value)
			}

			break
		}

		if time.Now().After(deadline) {
			t.Fatalf("after N the cluster is %v (%v)", cs, err)
		}

		time.Sleep(10 * time.Millisecond)
	}
}

// checkFreshPlatform: the snapshot shows the fresh demo's platform after part 1 of the install — nodes on
// the installed Kubernetes, machines in the cluster, the layers as on a fresh demo (Vault reachable but
// uninitialized) but storage: no DiskPools before the storage step.
func checkFreshPlatform(t *testing.T, s watch.Snapshot, kubelet string) {
	t.Helper()

	if len(s.Nodes) != 6 || len(s.Machines) != 6 || len(s.ClusterMachines) != 6 {
		t.Fatalf("%d nodes, %d machines, %d cluster machines; want 6 each", len(s.Nodes), len(s.Machines), len(s.ClusterMachines))
	}

	for _, n := range s.Nodes {
		if n.Status.NodeInfo.KubeletVersion != kubelet {
			t.Errorf("node %s runs kubelet %s, want %s", n.Name, n.Status.NodeInfo.KubeletVersion, kubelet)
		}
	}

	cluster, _ := s.Report.Layer(health.LayerCluster)
	secrets, _ := s.Report.Layer(health.LayerSecrets)

	if cluster.Status != health.OK || secrets.Status != health.Down {
		t.Errorf("after the install: cluster %v (%v), secrets %v; want OK, Down (uninitialized)", cluster.Status, cluster.Worst(), secrets.Status)
	}

	for _, name := range []health.Layer{health.LayerMesh, health.LayerGitOps, health.LayerCertificates, health.LayerIngress} {
		if l, ok := s.Report.Layer(name); !ok || l.Status != health.OK {
			t.Errorf("after the install %s = %v (%v), want OK", name, l.Status, l.Worst())
		}
	}

	// No pools yet: the storage step makes them.
	if st, _ := s.Report.Layer(health.LayerStorage); len(s.DiskPools) != 0 || st.Status == health.OK {
		t.Errorf("after part 1: %d DiskPools, storage %v; want none, not OK", len(s.DiskPools), st.Status)
	}
}

// TestInstallDiskMissingIsAConfigError: a template whose install disk path the machine does not have
// leaves that machine in a config error, which the cluster step's stage list shows; the wait goes on.
func TestInstallDiskMissingIsAConfigError(t *testing.T) {
	t.Parallel()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	d := startBlank(t)
	env := d.InstallEnv(t.TempDir())
	env.Confirm = func(context.Context, steps.Confirmation) error { return nil }
	sv := steps.Saved{Plan: exampleAnswers(t, t.TempDir())}
	r := &steps.Runner{Steps: installSteps(), Env: env, Store: steps.NewStore(t.TempDir())}

	for _, s := range r.Steps[:4] {
		if err := r.RunOne(ctx, &sv, s); err != nil {
			t.Fatalf("%s: %v", s.ID(), err)
		}
	}

	// worker-2's install disk recorded with a by-id path its SSD does not have (a typo in the WWN).
	const wrong = "/dev/disk/by-id/wwn-0x50026b7683a2b9e2"

	sv.Plan.Machines[4].InstallDisk.ByID = wrong

	runCtx, stop := context.WithCancel(ctx)
	defer stop()

	var failed steps.Item

	r.Report = func(u steps.Update) {
		if u.Event == nil {
			return
		}

		for _, it := range u.Event.Items {
			if it.Failed && failed.Name == "" {
				failed = it
				stop()
			}
		}
	}

	err := r.RunOne(runCtx, &sv, r.Steps[4])
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("the cluster step ended with %v, want to be still waiting", err)
	}

	if failed.Name != "worker-2" || failed.State != "installing" || !strings.Contains(failed.Detail, "config error") ||
		!strings.Contains(failed.Detail, wrong) {
		t.Errorf("stage item %+v, want worker-2 installing with a config error naming %s", failed, wrong)
	}

	cs, err := safe.StateGetByID[*omni.ClusterStatus](ctx, d.Omni.State(), ClusterName)
	if err != nil || cs.TypedSpec().Value.GetReady() {
		t.Errorf("the cluster is ready with a machine in config error: %v %v", cs, err)
	}
}

// stageLog records every stage each ClusterMachineStatus goes through.
type stageLog struct {
	mu     sync.Mutex
	seen   map[string][]string
	cancel context.CancelFunc
	done   chan struct{}
}

func watchStages(ctx context.Context, t *testing.T, st state.State) *stageLog {
	t.Helper()

	ctx, cancel := context.WithCancel(ctx)
	l := &stageLog{seen: map[string][]string{}, cancel: cancel, done: make(chan struct{})}
	ch := make(chan safe.WrappedStateEvent[*omni.ClusterMachineStatus])

	if err := safe.StateWatchKind[*omni.ClusterMachineStatus](ctx, st, omni.NewClusterMachineStatus("").Metadata(), ch); err != nil {
		t.Fatal(err)
	}

	go func() {
		defer close(l.done)

		for {
			select {
			case <-ctx.Done():
				return
			case ev := <-ch:
				if ev.Type() == state.Errored {
					l.mu.Lock()
					l.seen["error"] = append(l.seen["error"], ev.Error().Error())
					l.mu.Unlock()

					continue
				}

				r, err := ev.Resource()
				if err != nil {
					continue
				}

				stage := r.TypedSpec().Value.GetStage()
				if stage == specs.ClusterMachineStatusSpec_RUNNING && !r.TypedSpec().Value.GetReady() {
					continue
				}

				l.mu.Lock()
				s := l.seen[r.Metadata().ID()]
				if len(s) == 0 || s[len(s)-1] != stage.String() {
					l.seen[r.Metadata().ID()] = append(s, stage.String())
				}
				l.mu.Unlock()
			}
		}
	}()

	return l
}

func (l *stageLog) stop() {
	l.cancel()
	<-l.done
}

func (l *stageLog) of(id string) string {
	l.mu.Lock()
	defer l.mu.Unlock()

	return strings.Join(l.seen[id], " ")
}

// clusterResources counts what the cluster's template put in Omni, by type, and concatenates its patches.
func clusterResources(t *testing.T, st state.State, cluster string) (map[string]int, string) {
	t.Helper()

	ctx := context.Background()
	q := state.WithLabelQuery(resource.LabelEqual(omni.LabelCluster, cluster))
	out := map[string]int{}

	if _, err := safe.StateGetByID[*omni.Cluster](ctx, st, cluster); err == nil {
		out["Cluster"] = 1
	}

	sets, _ := safe.StateListAll[*omni.MachineSet](ctx, st, q)
	out["MachineSet"] = sets.Len()
	nodes, _ := safe.StateListAll[*omni.MachineSetNode](ctx, st, q)
	out["MachineSetNode"] = nodes.Len()

	patches, err := safe.StateListAll[*omni.ConfigPatch](ctx, st, q)
	if err != nil {
		t.Fatal(err)
	}

	out["ConfigPatch"] = patches.Len()

	var b strings.Builder

	for p := range patches.All() {
		data, err := p.TypedSpec().Value.GetUncompressedData()
		if err != nil {
			t.Fatal(err)
		}

		b.Write(data.Data())
		data.Free()
		b.WriteString("\n---\n")
	}

	return out, b.String()
}

// stateVersions lists every Omni resource of the install (template and statuses, machines and their
// kernel arguments) with its version.
func stateVersions(t *testing.T, st state.State) string {
	t.Helper()

	v, err := omnisim.ResourceVersions(context.Background(), st, append(omnisim.InstallTypes(), omni.MachineType, omni.KernelArgsType)...)
	if err != nil {
		t.Fatal(err)
	}

	return v
}

// startHub runs the console's hub on the demo until the test ends.
func startHub(ctx context.Context, t *testing.T, d *Platform) *watch.Hub {
	t.Helper()

	hub := watch.NewHub(watch.HubOptions{Platform: d.Targets().Name, Demo: true, MinInterval: 20 * time.Millisecond}, d.Targets().Sources()...)
	hubCtx, stopHub := context.WithCancel(ctx)
	hubDone := make(chan struct{})

	go func() {
		defer close(hubDone)
		hub.Run(hubCtx)
	}()

	t.Cleanup(func() {
		stopHub()
		<-hubDone
	})

	return hub
}

func waitHub(t *testing.T, what string, h *watch.Hub, cond func(watch.Snapshot) bool) watch.Snapshot {
	t.Helper()

	deadline := time.Now().Add(30 * time.Second)

	for {
		s := h.Latest()
		if cond(s) {
			return s
		}

		if time.Now().After(deadline) {
			var problems []string
			for _, l := range s.Report.Layers {
				for _, f := range l.Findings {
					if f.Status != health.OK {
						problems = append(problems, fmt.Sprintf("%s: %s %s: %s", l.Name, f.Object, f.Status, f.Reason))
					}
				}
			}
			t.Fatalf("timed out waiting for %s: %d nodes, %d machines, sources %+v; problems:\n%s", what, len(s.Nodes),
				len(s.Machines), s.Sources, strings.Join(problems, "\n"))
		}

		time.Sleep(20 * time.Millisecond)
	}
}

// TestBlankInstalledUnsealsVault: with Installed, the platform a blank demo's install leaves has Vault
// initialized and unsealed, as the wizard's later steps would.
func TestBlankInstalledUnsealsVault(t *testing.T) {
	t.Parallel()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	d := startDemo(t, Options{Blank: true, Installed: true, InstallStage: -1, ISORate: -1})

	env := d.InstallEnv(t.TempDir())
	env.Confirm = func(context.Context, steps.Confirmation) error { return nil }
	sv := steps.Saved{Plan: exampleAnswers(t, t.TempDir())}
	r := &steps.Runner{Steps: installSteps(), Env: env, Store: steps.NewStore(t.TempDir())}

	if err := r.Run(ctx, &sv); err != nil {
		t.Fatal(err)
	}

	// The platform as the wizard leaves it holds the pools the storage step makes, Online, and the
	// vclusters registered as the vclusters step registers them.
	if o, err := (steps.StorageStep{}).Check(ctx, env, sv.Plan); err != nil || !o.Holds {
		t.Errorf("the storage step's check on an installed demo: %+v %v", o, err)
	}

	sv.Plan.VClusters = plan.VClusters{Chart: plan.Chart{Repo: "https://charts.example.org/vcluster", Version: "0.36.1"}}
	if o, err := (steps.VClustersStep{}).Check(ctx, env, sv.Plan); err != nil || !o.Holds {
		t.Errorf("the vclusters step's check on an installed demo: %+v %v", o, err)
	}

	for _, v := range d.Vault {
		h, err := v.Vault.Health(ctx, time.Second)
		if err != nil || !h.Initialized || h.Sealed {
			t.Errorf("%s after the install: %+v %v", v.Name, h, err)
		}
	}

	if s := watch.Collect(ctx, d.Targets(), 5*time.Second, time.Now()); s.Report.Overall != health.OK {
		t.Errorf("an installed demo after its install is %v, want OK", s.Report.Overall)
	}
}
