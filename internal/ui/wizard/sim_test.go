package wizard

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/omnisim"
	"github.com/clubcedille/cedille-tui/internal/omnisim/omnisimtest"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/steps"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
	"github.com/cosi-project/runtime/pkg/resource"
	"github.com/cosi-project/runtime/pkg/safe"
	"github.com/cosi-project/runtime/pkg/state"
	"github.com/siderolabs/omni/client/api/omni/specs"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
)

const simKubeconfig = "apiVersion: v1\nkind: Config\nclusters: []\n"

// simOmni is an in-process simulated Omni reached by the real omni client, with the test machines
// booted from the ISO, a Talos version catalogue, an image factory on loopback serving an ISO, and a
// stand-in for Omni's controllers that installs each machine the cluster template puts in the cluster.
type simOmni struct {
	srv *omnisim.Server
	om  *platform.Omni
	iso []byte
}

func newSimOmni(t *testing.T) *simOmni {
	t.Helper()
	srv, om := omnisimtest.Start(t, omnisim.Options{Kubeconfig: []byte(simKubeconfig)})
	s := &simOmni{srv: srv, om: om, iso: make([]byte, 3<<20)}
	rand.Read(s.iso)
	factory := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/image/") || !strings.HasSuffix(r.URL.Path, "/v"+testTalos+"/metal-amd64.iso") {
			http.NotFound(w, r)
			return
		}
		http.ServeContent(w, r, "metal-amd64.iso", at, bytes.NewReader(s.iso))
	}))
	t.Cleanup(factory.Close)
	ctx := context.Background()
	st := srv.State()
	fc := omni.NewFeaturesConfig(omni.FeaturesConfigID)
	fc.TypedSpec().Value.ImageFactoryBaseUrl = factory.URL
	var rs []resource.Resource
	rs = append(rs, fc)
	for _, tv := range talosVersions() {
		rs = append(rs, tv)
	}
	for _, ms := range machineStatuses() {
		rs = append(rs, ms)
	}
	for _, r := range rs {
		if err := st.Create(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go playControllers(cctx, srv.State(), done)
	t.Cleanup(func() { cancel(); <-done })
	return s
}

// playControllers plays Omni's controllers: each machine a cluster template put in a machine set
// installs and runs; once all of a cluster's machines run, the cluster is ready.
func playControllers(ctx context.Context, st state.State, done chan struct{}) {
	defer close(done)
	for ctx.Err() == nil {
		nodes, err := safe.StateListAll[*omni.MachineSetNode](ctx, st)
		if err == nil && nodes.Len() > 0 {
			byCluster := map[string]int{}
			nodes.ForEach(func(n *omni.MachineSetNode) {
				cluster, _ := n.Metadata().Labels().Get(omni.LabelCluster)
				byCluster[cluster]++
				cms := omni.NewClusterMachineStatus(n.Metadata().ID())
				cms.Metadata().Labels().Set(omni.LabelCluster, cluster)
				host := n.Metadata().ID()
				if ms, err := safe.StateGetByID[*omni.MachineStatus](ctx, st, n.Metadata().ID()); err == nil {
					host = ms.TypedSpec().Value.GetNetwork().GetHostname()
				}
				cms.Metadata().Labels().Set(omni.ClusterMachineStatusLabelNodeName, host)
				cms.TypedSpec().Value = &specs.ClusterMachineStatusSpec{Stage: specs.ClusterMachineStatusSpec_RUNNING, Ready: true}
				_ = st.Create(ctx, cms)
			})
			for cluster, n := range byCluster {
				cs := omni.NewClusterStatus(cluster)
				cs.TypedSpec().Value = &specs.ClusterStatusSpec{Available: true, Ready: true, KubernetesAPIReady: true,
					ControlplaneReady: true, Phase: specs.ClusterStatusSpec_RUNNING,
					Machines: &specs.Machines{Total: uint32(n), Healthy: uint32(n), Connected: uint32(n)}}
				if err := st.Create(ctx, cs); state.IsConflictError(err) {
					_, _ = safe.StateUpdateWithConflicts(ctx, st, cs.Metadata(), func(r *omni.ClusterStatus) error {
						r.TypedSpec().Value = cs.TypedSpec().Value
						return nil
					})
				}
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// realSteps are the install's steps, as cmd/cedille-tui wires them.
func realSteps() []steps.Step {
	return []steps.Step{steps.PreflightStep{}, steps.ISOStep{}, steps.MachinesStep{}, steps.DisksStep{}, steps.ClusterStep{}}
}

func newReal(s *simOmni, stateDir, configDir string) *Model {
	env := &steps.Env{Omni: s.om, ConfigDir: configDir, Poll: 50 * time.Millisecond,
		MachineWait: 20 * time.Second, ClusterWait: 30 * time.Second}
	return New(Options{Steps: realSteps(), Env: env, Store: steps.NewStore(stateDir), Theme: theme.New(false, true),
		Endpoint: omnisim.InProcessEndpoint, Refresh: time.Second})
}

// TestWizardOnSimulatedOmni drives the whole install with the real steps against the simulated Omni
// and the real omni client: probes, ISO form and download, machines, disks (the USB key refused), a
// quit and a resume, the review and the typed confirmation, the cluster and its kubeconfig.
func TestWizardOnSimulatedOmni(t *testing.T) {
	sim := newSimOmni(t)
	stateDir, configDir, isoDir := t.TempDir(), t.TempDir(), t.TempDir()
	d := newDriver(t, newReal(sim, stateDir, configDir), 80, 24)

	d.shows("Preflight ✔ done", "service-account key accepted", "Talos versions offered: 1.7.6, 1.8.0", "image factory: http://127.0.0.1:",
		"Talos version: 1.8.0 (newest offered)", "terminal 80×24")
	d.key("enter")
	d.shows("step 2/5 · Talos ISO", "> 1.8.0")
	d.keys("enter", "enter", "enter", "enter", "enter")
	d.shows("Download directory")
	d.typed(isoDir)
	d.keys("enter", "enter")
	sum := sha256.Sum256(sim.iso)
	digest := hex.EncodeToString(sum[:])
	scr := d.shows("Talos ISO ✔ done", "SHA-256 "+digest[:32], digest[32:], "sudo dd", "of="+steps.KeyPlaceholder)
	check := copied(t, scr, "cd ", 0) // as a person copies it off the screen, run elsewhere
	if out := runCopied(t, check, t.TempDir()); !strings.HasSuffix(out, ": OK\n") {
		t.Errorf("%s said %q", check, out)
	}
	isos, _ := filepath.Glob(filepath.Join(isoDir, "*.iso"))
	if len(isos) != 1 {
		t.Fatalf("ISO files: %v", isos)
	}
	d.key("enter")

	d.shows("step 3/5 · Machines", "6 connected", "controlplane-1")
	d.keys("c", "j", "c", "j", "c", "j", "w", "j", "w", "j", "w")
	d.shows("✔ control planes 3/3, workers 3")
	d.key("enter")

	d.shows("step 4/5 · Disks", "Disks of controlplane-1", "✔ Machines")
	d.key("i")
	d.shows("sda cannot be the install disk: USB disk: removable")
	d.keys("j", "i")
	d.shows("install disk  /dev/disk/by-id/wwn-0x5002538e40a1c3f7 (now sdb)")
	d.keys("tab", "i", "tab", "i")
	d.shows("Disks of controlplane-3", "install disk  /dev/disk/by-id/wwn-0x50026b778320f1a4")

	// Quit half-way through the disks; a new wizard resumes there, the choices kept.
	d.key("q")
	d.waitQuit()
	d = newDriver(t, newReal(sim, stateDir, configDir), 80, 24)
	// The disks are listed once Omni's inventory is read again: keys pressed before would find no disk.
	scr = d.shows("step 4/5 · Disks", "Disks of worker-1 (worker) · machine 4/6", "sdc")
	if !strings.Contains(scr, "✔ Preflight") || !strings.Contains(scr, "✔ Talos ISO") || !strings.Contains(scr, "✔ Machines") {
		t.Errorf("the resume must find the first three steps done:\n%s", scr)
	}
	for range 3 { // worker-1..3: the SSD is sda, the two HDDs go to the pool
		d.keys("i", "j", "p", "j", "p", "tab")
	}
	d.shows("every machine's disks are chosen")
	d.key("enter")

	d.shows("step 5/5 · Cluster", "✔ Disks", "Cluster name", "1.31.1")
	d.keys("enter", "enter")
	d.shows("Review: create cluster cedille-cluster", "These 12 disks will be WIPED",
		"worker-3        /dev/disk/by-id/wwn-0x5002538e4b2c9a66  install")
	d.typed("cedille-cluster")
	d.key("enter")
	d.shows("Cluster ✔ done", "press enter to open the console", "cluster cedille-cluster ready", "controlplane-1")
	kc := filepath.Join(configDir, "cedille-cluster.kubeconfig")
	if b, err := os.ReadFile(kc); err != nil || string(b) != simKubeconfig {
		t.Fatalf("kubeconfig %s: %q %v", kc, b, err)
	}
	d.key("enter")
	d.waitQuit()
	if r := d.m.Result(); !r.Finished || r.Kubeconfig != kc {
		t.Errorf("result = %+v", r)
	}

	// What the cluster step put in Omni names every disk by its by-id path, never /dev/sdX.
	patches, err := safe.StateListAll[*omni.ConfigPatch](context.Background(), sim.srv.State(),
		state.WithLabelQuery(resource.LabelEqual(omni.LabelCluster, "cedille-cluster")))
	if err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	patches.ForEach(func(p *omni.ConfigPatch) {
		data, _ := p.TypedSpec().Value.GetUncompressedData()
		all.Write(data.Data())
		data.Free()
	})
	if strings.Count(all.String(), "disk: /dev/disk/by-id/wwn-0x") != 6 || strings.Contains(all.String(), "/dev/sd") {
		t.Errorf("install disks must be named by by-id path:\n%s", all.String())
	}
	sv := load(t, stateDir)
	for _, id := range steps.Order(realSteps()) {
		if sv.Steps[id].State != steps.Done {
			t.Errorf("step %s saved as %v", id, sv.Steps[id].State)
		}
	}

	// Run again: every Check holds, nothing to do.
	d = newDriver(t, newReal(sim, stateDir, configDir), 80, 24)
	d.shows("✔ Every step's outcome holds", "kubeconfig", "press enter to open the console")
}
