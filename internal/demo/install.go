package demo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/cosi-project/runtime/pkg/resource"
	"github.com/cosi-project/runtime/pkg/safe"
	"github.com/cosi-project/runtime/pkg/state"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"

	"github.com/clubcedille/cedille-tui/internal/omnisim"
	"github.com/clubcedille/cedille-tui/internal/steps"
)

// The waits of the install steps on the demo: its machines are connected from the start and its cluster
// installs in seconds, so a wait that lasts is a bug to show, not a slow machine.
const (
	demoMachineWait = 30 * time.Second
	demoClusterWait = 3 * time.Minute
	demoPoll        = 200 * time.Millisecond
)

// InstallEnv is the steps' environment on the simulated platform: its Omni, an HTTP client whose
// transport is the demo's image factory (in-process, throttled to Options.ISORate), the config directory
// given (presets and the cluster's kubeconfig are written there), short waits, a 200 ms poll and the
// simulated Vault replicas (VaultAccess). Confirm is left to the caller (the wizard asks for the typed
// confirmation). Part 3's steps install their charts with the demo's simulated Helm (Charts), and the
// vclusters' registrations are checked against the simulated vclusters (CheckRegistration). Meant for a
// Blank demo: on the others the cluster already exists.
func (p *Platform) InstallEnv(configDir string) *steps.Env {
	return &steps.Env{
		Omni:              p.Omni,
		HTTP:              &http.Client{Transport: p.factory},
		ConfigDir:         configDir,
		MachineWait:       demoMachineWait,
		ClusterWait:       demoClusterWait,
		Poll:              demoPoll,
		Vault:             p.VaultAccess(),
		Charts:            p.Charts(),
		CheckRegistration: p.CheckRegistration,
		ConsoleCommand:    "cedille-tui demo",
	}
}

// Installed is closed once the platform holds its cluster's contents: at once unless Blank, else when the
// install's cluster is ready (just before Omni says so).
func (p *Platform) Installed() <-chan struct{} { return p.installed }

// ImageFactory is the demo's simulated image factory (Env.HTTP's transport).
func (p *Platform) ImageFactory() *omnisim.ImageFactory { return p.factory }

// startInstallSim starts the install simulator on the background context (startControllers first).
func (p *Platform) startInstallSim() {
	stage, stagger := p.opts.InstallStage, time.Duration(0)
	switch {
	case stage == 0:
		stage = DefaultInstallStage
	case stage < 0:
		stage = 0
	}
	stagger = stage / 5
	poll := 100 * time.Millisecond
	if stage == 0 {
		poll = 10 * time.Millisecond
	}
	p.sim = omnisim.NewInstallSim(p.omni.State(), omnisim.InstallOptions{
		StageDelay: stage, Stagger: stagger, Poll: poll, BeforeReady: p.clusterReady,
	})
	p.goBackground(func(ctx context.Context) { _ = p.sim.Run(ctx) })
}

// InstallErr is the install simulator's last error (nil when its last pass went well, or without one).
func (p *Platform) InstallErr() error {
	if p.sim == nil {
		return nil
	}
	return p.sim.Err()
}

// clusterReady runs when every machine of the cluster the install created runs, before Omni says the
// cluster is ready: the platform becomes the fresh one on those machines and versions.
func (p *Platform) clusterReady(ctx context.Context, cluster string) error {
	st := p.omni.State()
	c, err := safe.StateGetByID[*omni.Cluster](ctx, st, cluster)
	if err != nil {
		return err
	}
	v := versions{talos: strings.TrimLeft(c.TypedSpec().Value.GetTalosVersion(), "v"),
		kubernetes: strings.TrimLeft(c.TypedSpec().Value.GetKubernetesVersion(), "v")}

	members, err := safe.StateListAll[*omni.ClusterMachineStatus](ctx, st,
		state.WithLabelQuery(resource.LabelEqual(omni.LabelCluster, cluster)))
	if err != nil {
		return err
	}
	in := map[string]bool{}
	for m := range members.All() {
		in[m.Metadata().ID()] = true
	}
	var machines []DemoMachine
	for _, m := range p.machines {
		if in[m.ID] {
			machines = append(machines, m)
		}
	}
	// Nodes in the era-1 order (control planes, then workers), as the fresh demo numbers their CIDRs.
	sort.SliceStable(machines, func(i, j int) bool {
		return machines[i].Role == RoleControlPlane && machines[j].Role != RoleControlPlane
	})

	if err := p.kube.seed(machines, v, p.opts); err != nil {
		return fmt.Errorf("seed the cluster's Kubernetes objects: %w", err)
	}
	p.kube.up.Store(true)
	p.vault.down.Store(false)
	if p.opts.Installed {
		if err := p.setUpVault(ctx); err != nil {
			return fmt.Errorf("set up Vault: %w", err)
		}
	}
	p.omni.SetKubeconfig(demoKubeconfig(cluster))
	p.mu.Lock()
	p.cluster = cluster
	p.mu.Unlock()
	p.readyOnce.Do(func() { close(p.installed) })
	return nil
}

// demoKubeconfig is the kubeconfig Omni serves for the demo's cluster: a service-account token for the
// simulated API server (which the demo console never dials: it reads the in-process fakes).
func demoKubeconfig(cluster string) []byte {
	sum := sha256.Sum256([]byte("cedille-tui demo " + cluster))
	token := "omni-sa." + hex.EncodeToString(sum[:16])
	ctx := "omni-" + cluster
	return []byte(fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
  - name: %[1]s
    cluster:
      server: %[2]s
contexts:
  - name: %[1]s
    context:
      cluster: %[1]s
      namespace: default
      user: %[1]s-%[3]s
current-context: %[1]s
users:
  - name: %[1]s-%[3]s
    user:
      token: %[4]s
`, ctx, kubeHost, steps.KubeconfigUser, token))
}
