// Package demo is the embedded, simulated era-1 Cedille platform behind `cedille-tui demo`: the same
// platform interfaces the real connections use, served in-process — client-go fake clientsets for
// Kubernetes, the omnisim COSI state over an in-process gRPC listener for the real omni client, and an
// in-process HTTP handler for the Vault API — plus fault injection to practise recovery. A Blank start is
// the platform before its install: the install steps (Platform.InstallEnv) run against it for real, an
// in-process image factory serves their ISO, and omnisim's InstallSim plays Omni's controllers until the
// cluster is ready and the platform is there.
package demo

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/clubcedille/cedille-tui/internal/omnisim"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/vaultops"
	"github.com/clubcedille/cedille-tui/internal/watch"
	"github.com/siderolabs/omni/client/pkg/client"
)

// ClusterName is the simulated Omni cluster.
const ClusterName = "cedille-cluster"

// Options shape the simulated platform.
type Options struct {
	// Installed starts the platform as the wizard leaves it — Vault initialized and unsealed,
	// vault-config-operator reconciled, the vclusters registered in ArgoCD — instead of as era 1 left it.
	// With Blank, it is how the platform comes up once the install's cluster is ready.
	Installed bool
	// Blank starts the platform as it is before an install (see Start); the install wizard's steps
	// (Platform.InstallEnv) then create its cluster, and it becomes the fresh platform once the cluster
	// is ready.
	Blank bool
	// InstallStage is how long each install stage of a machine lasts in a Blank demo (INSTALLING,
	// REBOOTING, BOOTING): DefaultInstallStage when 0, no wait when negative (tests). The machines start
	// their install InstallStage/5 apart.
	InstallStage time.Duration
	// ISORate is the simulated image factory's download speed in bytes per second: DefaultISORate when 0,
	// unthrottled when negative (tests).
	ISORate int
	// Now is the demo's clock (certificate expiry); time.Now when nil.
	Now func() time.Time
	// WorldDir keeps a Blank demo's simulated platform in this directory between runs (world.go): Start
	// loads what a previous run left there, SaveWorld and Close write it. "" keeps it in memory only.
	WorldDir string
	// PracticeShares keeps, when Installed, the key shares Vault was initialized with (5, threshold 3),
	// for PracticeShares to hand over once: `demo --serve` gives them to its custodians to practise a
	// ceremony. Without it they are dropped at once, as the install's ceremony has them taken.
	PracticeShares bool
}

// Defaults of a Blank demo's install: a 6 MiB ISO at 3 MiB/s (2 s of download), and six machines whose
// installs start 0.6 s apart and last 3 × 3 s: the cluster is ready about 12 s after the template sync.
const (
	DefaultInstallStage = 3 * time.Second
	DefaultISORate      = omnisim.DefaultImageRate
)

func (o Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// Platform is a running simulated platform.
type Platform struct {
	Kube     *platform.Kube
	Omni     *platform.Omni
	Vault    []watch.VaultTarget
	omni     *omnisim.Server
	vault    *vaultCluster
	kube     *kubeFakes
	factory  *omnisim.ImageFactory
	machines []DemoMachine
	opts     Options

	// A Blank demo's install: the simulated Omni controllers, and what they leave once the cluster is ready.
	sim       *omnisim.InstallSim
	installed chan struct{}
	readyOnce sync.Once

	mu     sync.Mutex
	faults map[string]bool
	// practice are Vault's key shares kept for Options.PracticeShares, until handed over.
	practice []vaultops.Secret
	cluster  string // the cluster the console shows

	// The simulated in-cluster controllers (controllers.go): their context, stopped by Close.
	bgMu     sync.Mutex
	bgCtx    context.Context
	stopBg   context.CancelFunc
	bgClosed bool
	bgWG     sync.WaitGroup
	// simMu keeps the simulated controllers' passes and a scenario's change of several writes apart: a
	// controller never sees, and answers, the half of a change (a pod deleted, its replacement not made).
	simMu sync.Mutex

	// keepWorld: the platform started whole with Options.WorldDir, so Close saves it (a start that
	// failed half-way must not overwrite the world it could not load).
	keepWorld bool

	// The simulated Helm's releases (charts.go), by namespace/name.
	relMu    sync.Mutex
	releases map[string]*demoRelease
}

// Start builds and seeds the simulated platform; Close releases it.
//
// Without Blank it is the era-1 platform in service: Omni's cluster with its six machines, the Kubernetes
// objects (Nodes, DiskPools, Applications, …) and three Vault replicas, uninitialized unless Installed.
//
// With Blank it is what exists before an install: Omni (reached by the real omni client, in-process as
// always) holds only the six machines, booted from the ISO — connected, in maintenance mode, in no
// cluster — the TalosVersion catalogue and a FeaturesConfig naming the demo's image factory. There is no
// cluster yet, so the Kubernetes API answers no probe (the console shows it unreachable; its lists are
// empty) and the Vault servers do not resolve. An install simulator plays Omni's controllers: once a
// template sync (the cluster step) puts the machines in machine sets, they install, and when all run,
// before Omni says the cluster is ready, the platform is seeded as the fresh one (the Kubernetes objects,
// Vault reachable and uninitialized, or unsealed when Installed) and Omni serves its kubeconfig; then
// Installed() is closed.
func Start(ctx context.Context, o Options) (*Platform, error) {
	p := &Platform{machines: DemoMachines(), faults: map[string]bool{}, opts: o, cluster: ClusterName,
		installed: make(chan struct{}), releases: map[string]*demoRelease{}}
	var err error
	if o.Blank {
		p.kube, err = newKubeFakes(eraOne())
	} else {
		p.kube, err = newKube(p.machines, o)
	}
	if err != nil {
		return nil, fmt.Errorf("demo: kubernetes: %w", err)
	}
	p.Kube = p.kube.kube()
	var saved world
	var restored bool
	omniOpts := omnisim.Options{}
	if o.Blank && o.WorldDir != "" {
		if err := os.MkdirAll(o.WorldDir, 0o700); err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
		if saved, restored, err = readWorld(o.WorldDir); err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
		omniOpts.StateFile = filepath.Join(o.WorldDir, worldOmniFile)
	}
	if p.omni, err = omnisim.New(omniOpts); err != nil {
		return nil, fmt.Errorf("demo: omni: %w (is another `cedille-tui demo` running?)", err)
	}
	seed := SeedOmni
	if o.Blank {
		seed = SeedBlankOmni
	}
	if !restored {
		if err := seed(ctx, p.omni.State()); err != nil {
			p.omni.Stop()
			return nil, fmt.Errorf("demo: omni: %w", err)
		}
	}
	if p.Omni, err = platform.ConnectOmni(platform.OmniOptions{
		Endpoint: omnisim.InProcessEndpoint, Extra: []client.Option{p.omni.InProcessOption()},
	}); err != nil {
		p.omni.Stop()
		return nil, err
	}
	// The client dials in process; the endpoint is only what messages name it by.
	p.Omni.Endpoint = "the demo's simulated Omni"
	if p.factory, err = omnisim.NewImageFactory(DemoImageFactoryURL); err != nil {
		p.Close()
		return nil, err
	}
	p.factory.Known = p.omni.HasSchematic
	p.factory.Rate = o.ISORate

	p.vault = newVaultCluster("vault-0", "vault-1", "vault-2")
	p.vault.down.Store(o.Blank)
	for _, r := range p.vault.replicas {
		v, err := platform.ConnectVault(platform.VaultOptions{
			Addr:       replicaAddr(r.name),
			HTTPClient: p.vault.client(r.name),
		})
		if err != nil {
			p.Close()
			return nil, err
		}
		p.Vault = append(p.Vault, watch.VaultTarget{Name: r.name, Vault: v})
	}
	if o.Blank {
		if restored {
			if err := p.restore(ctx, saved); err != nil {
				p.Close()
				return nil, fmt.Errorf("demo: %w (`cedille-tui demo --reset` starts over)", err)
			}
		}
		p.startControllers()
		p.startInstallSim()
		p.keepWorld = o.WorldDir != ""
		return p, nil
	}
	if o.Installed {
		if err := p.setUpVault(ctx); err != nil {
			p.Close()
			return nil, err
		}
	}
	p.startControllers()
	p.readyOnce.Do(func() { close(p.installed) })
	return p, nil
}

// setUpVault leaves Vault as the install does, once: initialized, unsealed and bootstrapped (the
// kubernetes auth method with role config-admin, the policies and mounts — vaultops.Bootstrap, through
// the simulated API), its root token then revoked.
func (p *Platform) setUpVault(ctx context.Context) error {
	p.vault.mu.Lock()
	initialized := p.vault.initialized
	p.vault.mu.Unlock()
	if initialized {
		return p.vault.unsealAll(ctx)
	}
	keys, root, err := p.vault.initialize(5, 3)
	if err != nil {
		return err
	}
	if p.opts.PracticeShares {
		p.mu.Lock()
		for _, k := range keys {
			p.practice = append(p.practice, vaultops.NewSecret(k))
		}
		p.mu.Unlock()
	}
	if err := p.vault.unsealAll(ctx); err != nil {
		return err
	}
	leader := p.vault.replicas[0].name
	v, err := platform.ConnectVault(platform.VaultOptions{Addr: replicaAddr(leader), HTTPClient: p.vault.client(leader), Token: root})
	if err != nil {
		return err
	}
	reviewer := vaultops.NewSecret("demo." + randomHex(32))
	defer reviewer.Wipe()
	if err := vaultops.Bootstrap(ctx, v, vaultops.BootstrapOptions{KubernetesHost: "https://kubernetes.default.svc",
		ReviewerJWT: reviewer}, func(vaultops.Step) {}); err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	return vaultops.RevokeRoot(ctx, v)
}

// Targets are the simulated connections, as the hub and `status` take them. They are the same before and
// after a Blank demo's install: the sources see the platform's objects appear.
func (p *Platform) Targets() watch.Targets {
	return watch.Targets{Name: p.clusterName(), Demo: true, Kube: p.Kube, Omni: p.Omni, Vault: p.Vault}
}

func (p *Platform) clusterName() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cluster
}

// Close stops the simulated controllers, the install simulator and the simulated servers, and saves
// the world (Options.WorldDir); Shutdown does the same and says whether the save went well.
func (p *Platform) Close() { _ = p.Shutdown() }

// Shutdown is Close, with the error of the world's save.
func (p *Platform) Shutdown() error {
	p.stopControllers() // the install simulator with them
	var err error
	if p.keepWorld {
		err = p.SaveWorld()
	}
	if p.Omni != nil {
		_ = p.Omni.Close()
	}
	if p.omni != nil {
		p.omni.Stop()
	}
	return err
}
