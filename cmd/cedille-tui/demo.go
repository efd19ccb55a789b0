package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/clubcedille/cedille-tui/internal/demo"
	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/steps"
	"github.com/clubcedille/cedille-tui/internal/ui"
	"github.com/clubcedille/cedille-tui/internal/ui/app"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
	"github.com/clubcedille/cedille-tui/internal/ui/wizard"
	"github.com/spf13/cobra"
)

type demoFlags struct {
	installed, skipInstall, reset, accessible bool
	serve, drill                              string
	limits                                    serveFlags // --max-sessions … with --serve
	era                                       int
}

func (c *cli) demoCmd() *cobra.Command {
	var f demoFlags
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Install, then watch, an embedded simulated Cedille platform (no cluster needed)",
		Long: `Run cedille-tui on an embedded simulation of the era-1 Cedille platform. Nothing leaves this process.

By default the demo starts before the install: six machines booted from the Talos ISO sit in Omni's
maintenance mode (controlplane-1 still has its USB key, as /dev/sda). The install wizard walks the
steps — preflight, the ISO, the machines' roles, each machine's disks by stable identity (the USB key is
refused), the Omni cluster, ArgoCD and its app-of-apps, Mayastor's pools, Vault's key ceremony, unseal and
bootstrap, the vclusters registered in ArgoCD, the hand-off — and the console opens on the installed
platform. Charts are not fetched: the demo's Helm, ArgoCD, Mayastor and vcluster are simulated. Quit whenever you like:
the demo's install and its simulated platform are saved (under $XDG_STATE_HOME/cedille-tui/demo), and the
next "cedille-tui demo" resumes at the step you left — the cluster still installed, Vault still
initialized (keep the key shares the ceremony shows: the unseal asks for them), as a real platform
outlives the tool. Once the install is done, "cedille-tui demo" opens the console on the platform it
installed. --reset starts over.

--accessible asks the install's questions as plain numbered prompts, one line at a time (screen
readers, serial consoles), as "cedille-tui install --accessible" does.

--skip-install opens the console on the freshly installed platform (Vault uninitialized and sealed);
--installed on a platform in service (Vault unsealed), where the faults below can be practised.

The console: Omni cluster cedille-cluster (controlplane-1..3, worker-1..3), Mayastor DiskPools, the Kuma
mesh, the ArgoCD Applications, three Vault replicas, the staging and sandbox vclusters, cert-manager
Certificates, Warning events.

Faults, toggled while the console runs (also listed under ?):
  N  node worker-2 loses power (NotReady, machine offline in Omni)
  P  worker-2's first pool goes Degraded (hdd-worker-htp3; worker-2-htp3 after the demo's install)
  V  Vault sealed on every replica (needs --installed)
  A  Application calidum-rotae drifts OutOfSync
  H  heal every injected fault

The console has the actions and runbooks of a real one (x on an object, r on a finding whose hint names
a runbook), acting on the simulated platform as you; their audit trail, runs and incident reports are
kept under $XDG_STATE_HOME/cedille-tui/demo/console.

--drill NAME practises a recovery against the clock, on the platform in service: the drill's fault is
injected, the console opens with a one-line banner saying what to look for, and you are timed from the
fault to the runbook started (detection), to its first action done (response), to its last postcheck
(repair). What only hands can do — power a machine on, give the unseal shares, change a disk — the
simulation does when you tick the runbook's manual step. Quit (q) when the banner says the drill is over:
the drill's report (its times, its steps, the runbook's incident report) is printed and written under
$XDG_STATE_HOME/cedille-tui/demo/drills. --drill list names the drills: node-lost, vault-sealed,
pool-degraded, stuck-terminating, cert-renewal, app-sync and cold-start.

--serve [ADDR] serves the console of the platform in service over SSH instead (default 127.0.0.1:2222), as
"cedille-tui serve" does, and prints ready ssh command lines with throw-away keys it made for a viewer, an
operator, an admin and three custodians (kept, with the access file and the audit trail, under
$XDG_STATE_HOME/cedille-tui/demo/serve).

--era 2 opens the fleet console on a simulated era-2 fleet instead (as the club runs it since 2024):
Omni with the hub k8s-shared (ArgoCD, its cluster Secrets and stack ApplicationSets) and the spokes
k8s-cedille-production-v2 and k8s-cedille-sandbox, each with Rook external Ceph, Velero, CloudNativePG,
vault-secrets-operator, Cilium or MetalLB, and its own Vault (gcpckms). Its faults are on from the start: a
CephCluster in HEALTH_WARN and a failed Velero backup on production-v2, a VaultStaticSecret synced once and
never refreshed and a stopped VM on the sandbox, the sandbox refusing ArgoCD's token, and an ApplicationSet
whose cluster generator has no selector on the hub. enter opens a cluster's console, :find searches them
all; a cluster's console has its actions and runbooks, acting on the simulated cluster (their audit trail
and runs under $XDG_STATE_HOME/cedille-tui/demo/fleet/CLUSTER). --era 2 --drill cold-start practises the
2025-08-13 cold start across the fleet: run cold-start on each cluster; the drill's repair is the last
cluster's (--era 2 --drill list names the fleet's drills).`,
		// --serve ADDR: the address may follow the flag as an argument (--serve=ADDR works too).
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 && cmd.Flags().Changed("serve") {
				return nil
			}
			return cobra.NoArgs(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				f.serve = args[0]
			}
			return c.runDemo(cmd.Context(), f)
		},
	}
	cmd.Flags().BoolVar(&f.installed, "installed", false, "skip the install: a platform in service, Vault unsealed")
	cmd.Flags().BoolVar(&f.skipInstall, "skip-install", false, "skip the install: the freshly installed platform, Vault uninitialized")
	cmd.Flags().BoolVar(&f.reset, "reset", false, "forget the demo's saved install and platform and start over")
	cmd.Flags().BoolVar(&f.accessible, "accessible", false, "the install as plain numbered prompts and line output (screen readers)")
	cmd.Flags().StringVar(&f.serve, "serve", "", "serve the demo's console over SSH on this address, with throw-away keys for each role")
	cmd.Flags().StringVar(&f.drill, "drill", "", "practise a recovery, timed: inject the drill's fault and open the console (list: the drills)")
	cmd.Flags().IntVar(&f.era, "era", 1, "which platform: 1, the 2023 bare-metal cluster (install, then console); 2, today's fleet of Omni clusters")
	cmd.Flags().Lookup("serve").NoOptDefVal = "127.0.0.1:2222"
	addSessionFlags(cmd.Flags(), &f.limits)
	return cmd
}

// demoDirs is where the demo keeps its install between runs (state, ISO, kubeconfig), apart from a
// real install's.
func (c *cli) demoDirs() string {
	return filepath.Join(steps.DirsFrom(c.lookup).State, "demo")
}

func (c *cli) runDemo(ctx context.Context, f demoFlags) error {
	dir := c.demoDirs()
	switch f.era {
	case 1:
	case 2:
		if f.serve != "" || f.installed || f.skipInstall || f.reset || f.accessible {
			return fmt.Errorf("--era 2 opens the simulated fleet's console: it takes no other flag but --drill")
		}
		if f.drill != "" {
			return c.runFleetDrill(ctx, f.drill)
		}
		return c.runFleetDemo(ctx)
	default:
		return fmt.Errorf("--era %d: the club's platform has had two eras, 1 (2023) and 2 (2024–)", f.era)
	}
	if f.drill != "" {
		if f.serve != "" || f.installed || f.skipInstall || f.reset || f.accessible {
			return fmt.Errorf("--drill runs on its own platform in service: it takes no other flag")
		}
		return c.runDrill(ctx, f.drill)
	}
	if f.serve != "" {
		return c.demoServe(ctx, f.serve, filepath.Join(dir, "serve"), f.limits)
	}
	store := steps.NewStore(dir)
	var saved steps.Saved
	found := false
	if !f.reset {
		var err error
		if saved, found, err = store.Load(); err != nil {
			return err
		}
	}
	installed := found && saved.Steps[steps.Handoff].State == steps.Done
	// Only the install runs as plain prompts: every console needs a terminal. Refused before --reset
	// removes anything.
	if !f.accessible || f.installed || f.skipInstall || installed {
		if err := c.needTerminal("the demo", "run it in one, or `cedille-tui demo --accessible` for its install as plain prompts; "+
			"scripts use `cedille-tui status` and `cedille-tui install --answers FILE` on a real platform"); err != nil {
			return err
		}
	}
	if f.reset {
		if err := os.RemoveAll(dir); err != nil {
			return fmt.Errorf("reset the demo: %w", err)
		}
	}
	worldDir := filepath.Join(dir, "world")
	switch {
	case f.installed || f.skipInstall:
		return c.demoConsole(ctx, demo.Options{Installed: f.installed})
	case installed && !demo.HasWorld(worldDir):
		// Installed by a cedille-tui that did not keep the demo's platform: the one in service.
		return c.demoConsole(ctx, demo.Options{Installed: true})
	case !found:
		p := plan.New()
		p.ISO.Dir = filepath.Join(dir, "iso")
		demoPlan(&p)
		if err := store.Save(steps.Saved{Plan: p}); err != nil {
			return err
		}
	}
	d, err := demo.Start(ctx, demo.Options{Blank: true, WorldDir: worldDir})
	if err != nil {
		return err
	}
	if installed {
		err = c.runDemoConsole(ctx, d)
	} else {
		err = c.demoInstall(ctx, d, f, store, dir)
	}
	return errors.Join(err, d.Shutdown())
}

// demoInstall runs (or resumes) the demo's install on its platform, the plan and the platform saved
// together after every answer and step, then opens the console.
func (c *cli) demoInstall(ctx context.Context, d *demo.Platform, f demoFlags, store steps.Store, dir string) error {
	store.AfterSave = d.SaveWorld
	env := d.InstallEnv(filepath.Join(dir, "config"))
	if f.accessible {
		res, err := wizard.RunAccessible(ctx, wizard.AccessibleOptions{Steps: installSteps(), Env: env, Store: store,
			In: c.in, Out: c.out, Report: progressPrinter(c.out), Command: "cedille-tui demo --accessible"})
		switch {
		case err != nil:
			return err
		case res.Finished:
			fmt.Fprintln(c.out, "demo: installed; `cedille-tui demo` opens its console")
		default:
			fmt.Fprintln(c.out, "demo: the install is saved; run `cedille-tui demo --accessible` again to resume it (--reset starts over)")
		}
		return nil
	}
	m := wizard.New(wizard.Options{Steps: installSteps(), Env: env, Store: store,
		Theme: theme.New(ui.ColorFromEnv(c.lookup), true), DetectBackground: true, Endpoint: "simulated Omni (demo)"})
	err := ui.Run(ctx, m, c.in, c.out, c.environ)
	m.Close()
	if err != nil {
		return err
	}
	if !m.Result().Finished {
		fmt.Fprintln(c.out, "demo: the install and its platform are saved; run `cedille-tui demo` again to resume (--reset starts over)")
		return nil
	}
	return c.runDemoConsole(ctx, d)
}

// demoPlan prefills what the demo's forms would otherwise ask first: chart sources and addresses under
// .invalid, which the simulated Helm never fetches.
func demoPlan(p *plan.Plan) {
	p.GitOps = plan.GitOps{Chart: plan.Chart{Repo: "https://charts.cedille.invalid/argo", Version: "7.7.3"},
		Domain: "argocd.cedille.invalid", GitHubOrg: "ClubCedille",
		Root: plan.RootApp{RepoURL: "https://git.cedille.invalid/plateforme.git", Path: "apps/argo-apps"}}
	p.VClusters = plan.VClusters{Chart: plan.Chart{Repo: "https://charts.cedille.invalid/vcluster", Version: "0.36.1"}}
}

// demoConsole starts a platform that is already installed and opens the console on it.
func (c *cli) demoConsole(ctx context.Context, o demo.Options) error {
	d, err := demo.Start(ctx, o)
	if err != nil {
		return err
	}
	defer d.Close()
	return c.runDemoConsole(ctx, d)
}

func (c *cli) runDemoConsole(ctx context.Context, d *demo.Platform) error {
	var keys []app.Action
	for _, f := range d.Faults() {
		keys = append(keys, ui.KeyAction(f.Key, f.Help, f.Run))
	}
	x, closeTools, err := c.demoTools(d, c.demoStateDir("console"), nil)
	if err != nil { // nothing unrecorded: no actions, no runbooks
		c.logger.Debug("demo actions off: the audit trail cannot be written", "error", err.Error())
		x, closeTools = consoleExtras{}, func() {}
	}
	defer closeTools()
	x.keys, x.keysTitle = keys, "Demo faults"
	t := d.Targets()
	return c.runTUI(ctx, t, t.Sources(), x)
}
