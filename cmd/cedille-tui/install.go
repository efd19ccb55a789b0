package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/steps"
	"github.com/clubcedille/cedille-tui/internal/ui"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
	"github.com/clubcedille/cedille-tui/internal/ui/wizard"
	"github.com/clubcedille/cedille-tui/internal/units"
	"github.com/spf13/cobra"
)

type installFlags struct {
	answers     string
	dryRun      bool
	only        string
	confirmWipe string
	stateDir    string
	accessible  bool
	era         int
}

func (c *cli) installCmd() *cobra.Command {
	var f installFlags
	cmd := &cobra.Command{
		Use:   "install",
		Short: "Install the platform, step by step, resumable",
		Long: `install walks through the platform's install: preflight (Omni reachable, key accepted), the Talos ISO
from Omni's image factory, the machines that join and their roles, each machine's disks by stable
identity (never /dev/sdX), and the Omni cluster; then ArgoCD (the pinned argo-cd chart with the Helm
SDK, the platform's values, the root Application of the app-of-apps, its children followed until Synced
and Healthy) and Mayastor's pools and StorageClass; then Vault: its init and the key ceremony (each share
shown once to its custodian and typed back, or encrypted to their PGP key), the unseal of every replica,
and the bootstrap (kubernetes auth, config-admin policy and role, kv mounts, the SSO client secrets kept
in Vault and reflected into the charts' Secrets, the offer to revoke the root token). Vault is reached
through the API server's port-forward to its pods, or at VAULT_ADDR. Keys are never written anywhere but
in PGP-encrypted exports. Last, the staging and sandbox vclusters (chart vcluster, values checked with the
vcluster config types), each registered in ArgoCD with the credentials it publishes and checked with a
real request; and the hand-off: what was installed, where each secret lives, what remains manual.

Every step checks whether its outcome already holds, so running install again — after a crash, a
power cut or quitting — continues at the first step that is not done. The plan is saved after each
step and each answer to $XDG_STATE_HOME/cedille-tui/install.yaml (0600; it never holds a secret).

Interactive (no --answers): a full-screen wizard on this terminal (at least 80×24). The steps are
listed on the left (· pending, ✔ done, ✖ failed, – skipped), the current one on the right: the ISO
form, a live table of the machines connected to Omni (c control plane, w worker, space not in the
cluster), a disk picker per machine (i install disk, p pool disk, e encryption; USB keys and other
unsafe disks are refused with the reason), then the cluster form and a review of every disk that is
wiped, confirmed by typing the cluster's name; then the forms of ArgoCD (chart, domain, Dex client,
root Application), storage (the pools it will make) and the vclusters, Vault's key ceremony (one
custodian per screen, each secret shown once and typed back), masked unseal shares and SSO secrets, and
the hand-off, from which enter opens the console. A failed step keeps the plan: r retries, e edits. q
quits at any point (asking first while a step runs; during the ceremony q is text and ctrl+c must be
pressed twice); nothing is lost. It needs a terminal on stdin and stdout.

--accessible asks the same questions as plain numbered prompts, one line at a time (for screen
readers, serial consoles and braille displays), and prints each step's progress as lines, like the
unattended mode; no full screen, no colour needed.

Unattended: --answers FILE runs from a YAML file with the plan's schema (see
assets/answers.example.yaml); errors name the line and the field. Creating the cluster wipes disks:
unattended, it needs --confirm-wipe with the cluster's name.
Unattended, Vault's init needs every custodian's PGP key and share file (no plaintext share is
produced): the first run initializes and stops at the unseal; once the custodians decrypted theirs, a
second run reads them from vault.unsealShareFiles and bootstraps with VAULT_TOKEN set to the decrypted
root token, or without it with a root token made from those shares (generate-root), revoked at the end.

Steps: preflight, iso, machines, disks, cluster, gitops, storage, vault-init, vault-unseal,
vault-bootstrap, vclusters, handoff.

Era 2 (--era 2, or era: 2 in the answers file; without --era the wizard offers it on its first screen
when Omni has MachineClasses or an infrastructure provider, and resumes it when install-era2.yaml holds
its plan): a cluster of the fleet, Talos VMs that Omni allocates from MachineClasses. The wizard's era-2
form asks the era2 section (versions, MachineClasses and the hub chosen from Omni's, the machines'
network patches from a file, Vault's Cloud KMS key and where its credentials are), and its review is
confirmed by typing the cluster's name; unattended, by --confirm-wipe with it. era2-cluster applies each
machine's network patch and syncs the cluster template (versions, kube-proxy in IPVS mode — for stack
k8s-foundation no CNI and no kube-proxy —, the control planes and workers from their MachineClasses),
and waits until Omni says it is ready; era2-cilium (k8s-foundation only) applies the Gateway API CRDs
and installs Cilium as kube-system/cilium (chart 1.17.3 and Gateway API v1.2.1 by default, or files from
era2.cilium) and waits for its agents and the nodes to be Ready; era2-register writes the cluster's
ArgoCD Secret in the hub (server Omni's Kubernetes proxy ?cluster=NAME, an Omni service-account token
checked with a request to the cluster first, labels stack and etsmtl.club/*). --dry-run shows the
template sync's diff and a server-side dry run of the Secret and of the Gateway API CRDs, and Helm's dry
run of Cilium. era2-vault-init waits for the cluster's Vault (the hub's ArgoCD deploys it; reached
through a kubeconfig Omni issues), refuses it unless its seal is the plan's (gcpckms), initializes it
with recovery shares (they cannot unseal: the KMS key does), each encrypted to a custodian of
era2.vault.custodians, and waits until it unsealed itself; era2-vault-bootstrap makes the kubernetes
auth method, policy config-admin, roles config-admin (vault, default, controller-manager of namespace
vault) and secret-reader/secret-writer (audience vault), mounts kv, kv-system and kv-v2, with the init's
root token, VAULT_TOKEN, or one made from era2.vault.recoveryShareFiles. Its state is kept in
install-era2.yaml.

Era 2's steps: era2-cluster, era2-cilium, era2-register, era2-vault-init, era2-vault-bootstrap.`,
		Example: `  cedille-tui install                      # the wizard; run it again to resume
  cedille-tui install --accessible         # plain prompts and line output
  cedille-tui install --answers answers.yaml --dry-run
  cedille-tui install --answers answers.yaml --confirm-wipe cedille-cluster
  cedille-tui install --answers answers.yaml --only iso
  cedille-tui install --era 2                # the wizard, straight to era 2
  cedille-tui install --era 2 --answers k8s-poc.yaml --dry-run
  cedille-tui install --era 2 --answers k8s-poc.yaml --confirm-wipe k8s-poc`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return c.runInstall(cmd.Context(), f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.answers, "answers", "", "run unattended from this answers `FILE`")
	fl.BoolVar(&f.dryRun, "dry-run", false, "print the plan and what each step would do; touch nothing")
	fl.StringVar(&f.only, "only", "", "run only these steps (comma-separated `IDs`); the answers are judged on the fields they read")
	fl.StringVar(&f.confirmWipe, "confirm-wipe", "", "unattended: the cluster `NAME`, confirming its disks may be wiped")
	fl.StringVar(&f.stateDir, "state-dir", "", "where the install state is kept (default $XDG_STATE_HOME/cedille-tui)")
	fl.BoolVar(&f.accessible, "accessible", false, "plain numbered prompts and line output instead of the full-screen wizard (screen readers)")
	fl.IntVar(&f.era, "era", 0, "the platform's `ERA`: 1 (one bare-metal cluster) or 2 (a cluster of the fleet, from MachineClasses); default: the answers file's, else 1")
	return cmd
}

// installSteps are the install's steps, in order: Omni and the cluster; ArgoCD and its app-of-apps
// (which installs Vault, Mayastor and the rest), Mayastor's pools; Vault's init, unseal and bootstrap;
// the vclusters registered in ArgoCD; the hand-off.
func installSteps() []steps.Step {
	return []steps.Step{steps.PreflightStep{}, steps.ISOStep{}, steps.MachinesStep{}, steps.DisksStep{}, steps.ClusterStep{},
		steps.GitOpsStep{}, steps.StorageStep{},
		steps.VaultInitStep{}, steps.VaultUnsealStep{}, steps.VaultBootstrapStep{},
		steps.VClustersStep{}, steps.HandoffStep{}}
}

func (c *cli) installEnv() (*steps.Env, steps.Dirs, error) {
	p := c.openPlatform()
	dirs := steps.DirsFrom(c.lookup)
	env := &steps.Env{Omni: p.Omni, ConfigDir: dirs.Config, Keys: &steps.Keyring{},
		Vault:  steps.ClusterVault{Options: platform.VaultOptionsFromEnv(c.lookup)},
		Charts: steps.HelmCharts{Log: func(f string, a ...any) { c.logger.Debug("helm", "line", fmt.Sprintf(f, a...)) }}}
	switch {
	case p.Omni == nil && platform.IsNotConfigured(p.OmniErr):
		return env, dirs, errors.Join(p.OmniErr,
			errors.New("no Omni to install on: `cedille-tui demo` runs the install wizard on a simulated platform"))
	case p.Omni == nil && p.OmniErr != nil:
		return env, dirs, p.OmniErr
	}
	return env, dirs, nil
}

// readAnswers reads an unattended install's --only against its steps ss, and its answers file, with
// each answer's line for the errors.
func readAnswers(f installFlags, ss []steps.Step) (map[steps.ID]bool, plan.Plan, *plan.Lines, error) {
	only, err := steps.ParseOnly(f.only, steps.Order(ss))
	if err != nil {
		return nil, plan.Plan{}, nil, err
	}
	data, err := os.ReadFile(f.answers)
	if err != nil {
		return nil, plan.Plan{}, nil, fmt.Errorf("read the answers file: %w", err)
	}
	answers, lines, err := plan.DecodeAnswers(f.answers, data)
	if err != nil {
		return nil, plan.Plan{}, nil, err
	}
	return only, answers, lines, nil
}

func (c *cli) runInstall(ctx context.Context, f installFlags) error {
	era2, err := installsEra2(f)
	switch {
	case err != nil:
		return err
	case f.answers == "":
		return c.runWizard(ctx, f)
	case era2:
		return c.runInstallEra2(ctx, f)
	}
	ss := installSteps()
	only, answers, lines, err := readAnswers(f, ss)
	if err != nil {
		return err
	}
	fields := steps.SelectedFields(ss, only)
	if ps := answers.Validate(nil).Only(fields...); len(ps) > 0 && !f.dryRun {
		return lines.Errors(ps)
	}
	env, dirs, omniErr := c.installEnv()
	if f.stateDir != "" {
		dirs.State = f.stateDir
	}
	store := steps.NewStore(dirs.State)
	saved, found, err := store.Load()
	if err != nil {
		return err
	}
	sv := steps.Saved{Plan: answers, Steps: saved.Steps}
	if found {
		sv.Plan = plan.Merge(answers, saved.Plan)
	}
	if f.dryRun {
		return c.dryRun(ctx, env, omniErr, sv.Plan, lines, ss, only)
	}
	if omniErr != nil && needsOmni(only) {
		return omniErr
	}
	env.Confirm = confirmByFlag(c.out, f.confirmWipe)
	defer env.Keys.Wipe()
	if err := c.runAnswered(ctx, &steps.Runner{Steps: ss, Env: env, Store: store, Only: only}, &sv, lines); err != nil {
		return err
	}
	if sv.Plan.Cluster.Kubeconfig != "" {
		fmt.Fprintf(c.out, "open the console: cedille-tui --kubeconfig %s\n", sv.Plan.Cluster.Kubeconfig)
	}
	return nil
}

// needsOmni tells whether a selected step talks to Omni (the Vault steps need only the cluster).
func needsOmni(only map[steps.ID]bool) bool {
	// The later steps read the machines' hostnames from Omni when the answers lack them, but can go on
	// without it.
	for _, id := range []steps.ID{steps.Preflight, steps.ISO, steps.Machines, steps.Disks, steps.Cluster} {
		if steps.Selected(id, only) {
			return true
		}
	}
	return false
}

// runWizard runs the interactive install: the full-screen wizard, or plain prompts with --accessible.
// --era 2 runs era 2's install; without --era (and without --only, which names era 1's steps) the wizard
// offers it when Omni has MachineClasses.
func (c *cli) runWizard(ctx context.Context, f installFlags) error {
	ss := installSteps()
	if f.era == plan.Era2Version {
		ss = steps.Era2Steps()
	}
	only, err := steps.ParseOnly(f.only, steps.Order(ss))
	if err != nil {
		return err
	}
	example := "assets/answers.example.yaml"
	if f.era == plan.Era2Version {
		example = "assets/answers.era2.example.yaml"
	}
	switch {
	case f.dryRun:
		return fmt.Errorf("--dry-run describes an answers file: add --answers FILE (see %s)", example)
	case f.confirmWipe != "":
		return fmt.Errorf("--confirm-wipe is for --answers: the wizard asks for the cluster's name on its review screen")
	}
	if !f.accessible {
		if err := c.needTerminal("the install wizard", "run `cedille-tui install --answers FILE` (see "+
			example+"), or --accessible for plain prompts"); err != nil {
			return err
		}
	}
	env, dirs, omniErr := c.installEnv()
	if omniErr != nil {
		return omniErr
	}
	if f.stateDir != "" {
		dirs.State = f.stateDir
	}
	store := steps.NewStore(dirs.State)
	var era2 *wizard.Era2Install
	if f.era == plan.Era2Version || f.era == 0 && f.only == "" {
		era2 = era2Install(dirs.State)
	}
	var res wizard.Result
	if f.accessible {
		var err error
		res, err = wizard.RunAccessible(ctx, wizard.AccessibleOptions{Steps: ss, Env: env, Store: store, Only: only,
			In: c.in, Out: c.out, Report: progressPrinter(c.out), Era2: era2, Era: f.era})
		if err != nil {
			return err
		}
	} else {
		endpoint := ""
		if env.Omni != nil {
			endpoint = env.Omni.Endpoint
		}
		m := wizard.New(wizard.Options{Steps: ss, Env: env, Store: store, Only: only, Era2: era2, Era: f.era,
			Theme: theme.New(ui.ColorFromEnv(c.lookup), true), DetectBackground: true, Endpoint: endpoint})
		err := ui.Run(ctx, m, c.in, c.out, c.environ)
		m.Close()
		if err != nil {
			return err
		}
		res = m.Result()
	}
	switch {
	case res.Finished && res.Kubeconfig != "":
		fmt.Fprintf(c.out, "install: done; state saved to %s\nopen the console: cedille-tui --kubeconfig %s\n", res.State, res.Kubeconfig)
	case res.Finished:
		fmt.Fprintf(c.out, "install: done; state saved to %s\n", res.State)
	default:
		fmt.Fprintf(c.out, "install: the plan is saved to %s; run `cedille-tui install` again to resume\n", res.State)
	}
	return nil
}

// runAnswered runs an unattended install's steps, printing each one's progress; an answers file's
// problems are said at their lines. It says where the state was saved.
func (c *cli) runAnswered(ctx context.Context, r *steps.Runner, sv *steps.Saved, lines *plan.Lines) error {
	r.Report = c.logUpdates(progressPrinter(c.out))
	if err := r.Run(ctx, sv); err != nil {
		if ps, ok := asProblems(err); ok {
			return lines.Errors(ps)
		}
		return err
	}
	fmt.Fprintf(c.out, "install: done; state saved to %s\n", r.Store.Path)
	return nil
}

func asProblems(err error) (plan.Problems, bool) {
	for e := err; e != nil; {
		if ps, ok := e.(plan.Problems); ok {
			return ps, true
		}
		u, ok := e.(interface{ Unwrap() error })
		if !ok {
			return nil, false
		}
		e = u.Unwrap()
	}
	return nil, false
}

// dryRun prints the plan, its problems (against Omni when it answers) and what each step would do. A
// step whose answers have problems is not described (what it would print is derived from them): the
// dry run names the answers to fix instead.
func (c *cli) dryRun(ctx context.Context, env *steps.Env, omniErr error, p plan.Plan, lines *plan.Lines,
	ss []steps.Step, only map[steps.ID]bool) error {
	b, err := p.Marshal()
	if err != nil {
		return err
	}
	fmt.Fprintln(c.out, "# plan")
	c.out.Write(b)
	var inv *plan.Inventory
	if omniErr == nil {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		inv, err = steps.LoadInventory(cctx, env)
		cancel()
		if err != nil {
			fmt.Fprintf(c.out, "# Omni not read (%v): the plan is checked on its own\n", err)
		}
	} else {
		fmt.Fprintf(c.out, "# Omni not configured (%s): the plan is checked on its own\n", oneLine(omniErr.Error()))
	}
	ps := p.Validate(inv).Only(steps.SelectedFields(ss, only)...)
	if steps.Selected(steps.VaultInit, only) || steps.Selected(steps.VaultBootstrap, only) {
		ps = append(ps, p.ValidateVault(true)...) // unattended: every share encrypted and exported
	}
	if steps.Selected(steps.VaultInit, only) {
		ps = append(ps, publicKeyProblems(p.Vault)...)
	}
	if steps.Selected(steps.GitOps, only) {
		ps = append(ps, p.ValidateGitOps()...)
	}
	if steps.Selected(steps.Storage, only) {
		ps = append(ps, p.ValidateStorage().Only("storage")...) // pool disks' by-id paths come from the disks step
	}
	if steps.Selected(steps.VClusters, only) {
		ps = append(ps, p.ValidateVClusters()...)
	}
	for _, e := range lines.Errors(ps) {
		fmt.Fprintln(c.out, "problem: "+e.Error())
	}
	described := describedPlan(p, inv, env)
	fmt.Fprintln(c.out, "# steps (dry run: nothing is changed)")
	for _, s := range ss {
		if !steps.Selected(s.ID(), only) {
			fmt.Fprintf(c.out, "%s — %s (skipped: not in --only)\n", s.ID(), s.Title())
			continue
		}
		fmt.Fprintf(c.out, "%s — %s\n", s.ID(), s.Title())
		for _, l := range describeStep(s, env, described, ps) {
			fmt.Fprintln(c.out, "  "+l)
		}
	}
	if len(ps) > 0 {
		return exitCode(1)
	}
	return nil
}

// describedPlan is the plan as the steps will have completed it when each runs: the disks resolved
// against Omni's inventory (by-id paths, hostnames) when it was read, and the kubeconfig's path.
func describedPlan(p plan.Plan, inv *plan.Inventory, env *steps.Env) plan.Plan {
	if inv != nil {
		p, _ = steps.Resolve(p, inv)
		for i, m := range p.Machines {
			if f, ok := inv.Machines[m.ID]; ok && m.Hostname == "" {
				p.Machines[i].Hostname = f.Hostname
			}
		}
	}
	if name := p.WithDefaults().Cluster.Name; p.Cluster.Kubeconfig == "" && name != "" {
		p.Cluster.Kubeconfig = steps.KubeconfigPath(env, name)
	}
	return p
}

// describeStep is what a step would do, or what keeps it from being said: its answers' problems, or
// (storage) the facts only the disks step learns from Omni.
func describeStep(s steps.Step, env *steps.Env, p plan.Plan, ps plan.Problems) []string {
	if bad := ps.Only(s.Fields()...); len(bad) > 0 {
		var paths []string
		for _, b := range bad {
			if !slices.Contains(paths, b.Path) {
				paths = append(paths, b.Path)
			}
		}
		return []string{"not described until these answers are fixed: " + strings.Join(paths, ", ")}
	}
	if s.ID() == steps.Storage {
		if _, unknown := p.DiskPools(); len(unknown) > 0 {
			n := 0
			for _, m := range p.Machines {
				n += len(m.PoolDisks)
			}
			return []string{fmt.Sprintf("not described yet: %d pool disks chosen; each DiskPool is named after its "+
				"machine's hostname and placed on its disk's /dev/disk/by-id path, which the disks step reads from Omni", n)}
		}
	}
	return steps.DescribeIn(s, env, p)
}

// publicKeyProblems are the custodians' and the root token's PGP key files that cannot be read as
// public keys: the init step reads them the same way (steps.ReadPublicKey) and would stop on them.
func publicKeyProblems(v plan.Vault) plan.Problems {
	var ps plan.Problems
	check := func(field, path string) {
		if path == "" {
			return
		}
		if _, err := steps.ReadPublicKey(field, path); err != nil {
			bad, _ := asProblems(err)
			ps = append(ps, bad...)
		}
	}
	for i, cu := range v.Custodians {
		check(fmt.Sprintf("vault.custodians[%d].pgpKey", i), cu.PGPKey)
	}
	check("vault.rootToken.pgpKey", v.RootToken.PGPKey)
	return ps
}

// confirmByFlag confirms the wipe when --confirm-wipe names the cluster, after listing what is wiped.
func confirmByFlag(out io.Writer, name string) func(context.Context, steps.Confirmation) error {
	return func(_ context.Context, cf steps.Confirmation) error {
		fmt.Fprintln(out, cf.Action+":")
		for _, t := range cf.Touches {
			fmt.Fprintln(out, t)
		}
		if name != cf.Expect {
			return fmt.Errorf("%w: rerun with --confirm-wipe %s to wipe the disks listed above", steps.ErrNotConfirmed, cf.Expect)
		}
		fmt.Fprintln(out, "confirmed by --confirm-wipe "+name)
		return nil
	}
}

// logUpdates also sends each update to the debug log (--log-file): the steps' own lines, which never
// carry a secret.
func (c *cli) logUpdates(next func(steps.Update)) func(steps.Update) {
	return func(u steps.Update) {
		if u.Event == nil {
			c.logger.Debug("install step", "step", string(u.Step), "state", u.State.String(), "detail", u.Detail)
		} else if u.Event.Message != "" || len(u.Event.Items) > 0 {
			c.logger.Debug("install event", "step", string(u.Step), "message", u.Event.Message, "items", len(u.Event.Items))
		}
		next(u)
	}
}

// progressPrinter prints step states and messages as lines, byte progress every 10 %, and after a step
// that ran, the lines of its summary its messages did not say.
func progressPrinter(out io.Writer) func(steps.Update) {
	var mu sync.Mutex
	lastPct := map[steps.ID]int64{}
	lastItems := map[steps.ID]string{}
	said := map[steps.ID]map[string]bool{} // each step's messages, for its summary
	return func(u steps.Update) {
		mu.Lock()
		defer mu.Unlock()
		if u.Event == nil {
			line := fmt.Sprintf("[%s] %s", u.Step, u.State)
			if u.Detail != "" {
				line += ": " + u.Detail
			}
			fmt.Fprintln(out, line)
			if u.Result != nil {
				for _, l := range u.Result.Summary {
					if !said[u.Step][l] {
						fmt.Fprintf(out, "[%s] %s\n", u.Step, l)
					}
				}
			}
			if u.State == steps.Running {
				said[u.Step] = map[string]bool{}
			}
			return
		}
		ev := u.Event
		if ev.Message != "" {
			fmt.Fprintf(out, "[%s] %s\n", u.Step, ev.Message)
			if said[u.Step] == nil {
				said[u.Step] = map[string]bool{}
			}
			said[u.Step][ev.Message] = true
		}
		if ev.Total > 0 && ev.Unit == "B" {
			pct := ev.Done * 100 / ev.Total
			if pct/10 != lastPct[u.Step]/10 || pct == 100 && lastPct[u.Step] != 100 {
				fmt.Fprintf(out, "[%s] %d%% %s of %s\n", u.Step, pct, units.Binary(uint64(ev.Done)), units.Binary(uint64(ev.Total)))
				lastPct[u.Step] = pct
			}
		}
		if len(ev.Items) > 0 {
			var b strings.Builder
			for _, it := range ev.Items {
				fmt.Fprintf(&b, "[%s]   %s: %s %s\n", u.Step, it.Name, it.State, it.Detail)
			}
			if s := b.String(); s != lastItems[u.Step] {
				fmt.Fprint(out, s)
				lastItems[u.Step] = s
			}
		}
	}
}
