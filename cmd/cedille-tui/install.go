package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/steps"
	"github.com/spf13/cobra"
)

type installFlags struct {
	answers     string
	dryRun      bool
	only        string
	confirmWipe string
	stateDir    string
	accessible  bool
}

func (c *cli) installCmd() *cobra.Command {
	var f installFlags
	cmd := &cobra.Command{
		Use:   "install",
		Short: "Install the platform, step by step, resumable",
		Long: `install walks through the platform's install: preflight (Omni reachable, key accepted), the Talos ISO
from Omni's image factory, the machines that join and their roles, each machine's disks by stable
identity (never /dev/sdX), and the Omni cluster.

Every step checks whether its outcome already holds, so running install again — after a crash, a
power cut or quitting — continues at the first step that is not done. The plan is saved after each
step to $XDG_STATE_HOME/cedille-tui/install.yaml (0600; it never holds a secret).

Unattended: --answers FILE runs from a YAML file with the plan's schema (see
assets/answers.example.yaml); errors name the line and the field. Creating the cluster wipes disks:
unattended, it needs --confirm-wipe with the cluster's name.

Steps: preflight, iso, machines, disks, cluster.`,
		Example: `  cedille-tui install --answers answers.yaml --dry-run
  cedille-tui install --answers answers.yaml --confirm-wipe cedille-cluster
  cedille-tui install --answers answers.yaml --only iso`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return c.runInstall(cmd.Context(), f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.answers, "answers", "", "run unattended from this answers `FILE`")
	fl.BoolVar(&f.dryRun, "dry-run", false, "print the plan and what each step would do; touch nothing")
	fl.StringVar(&f.only, "only", "", "run only these steps (comma-separated `IDs`)")
	fl.StringVar(&f.confirmWipe, "confirm-wipe", "", "unattended: the cluster `NAME`, confirming its disks may be wiped")
	fl.StringVar(&f.stateDir, "state-dir", "", "where the install state is kept (default $XDG_STATE_HOME/cedille-tui)")
	fl.BoolVar(&f.accessible, "accessible", false, "plain prompts instead of the full-screen wizard (screen readers)")
	return cmd
}

// installSteps are part 1's steps, in order.
func installSteps() []steps.Step {
	return []steps.Step{steps.PreflightStep{}, steps.ISOStep{}, steps.MachinesStep{}, steps.DisksStep{}, steps.ClusterStep{}}
}

func (c *cli) installEnv() (*steps.Env, steps.Dirs, error) {
	p := c.openPlatform()
	dirs := steps.DirsFrom(c.lookup)
	env := &steps.Env{Omni: p.Omni, ConfigDir: dirs.Config}
	if p.Omni == nil && p.OmniErr != nil {
		return env, dirs, p.OmniErr
	}
	return env, dirs, nil
}

func (c *cli) runInstall(ctx context.Context, f installFlags) error {
	ss := installSteps()
	only, err := steps.ParseOnly(f.only, steps.Order(ss))
	if err != nil {
		return err
	}
	if f.answers == "" {
		return fmt.Errorf("the interactive wizard is not available in this build: run with --answers FILE " +
			"(see assets/answers.example.yaml), or try `cedille-tui demo`")
	}
	data, err := os.ReadFile(f.answers)
	if err != nil {
		return fmt.Errorf("read the answers file: %w", err)
	}
	answers, lines, err := plan.ParseAnswers(f.answers, data)
	if err != nil {
		return err
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
	if omniErr != nil {
		return omniErr
	}
	env.Confirm = confirmByFlag(c.out, f.confirmWipe)
	r := &steps.Runner{Steps: ss, Env: env, Store: store, Only: only, Report: progressPrinter(c.out)}
	if err := r.Run(ctx, &sv); err != nil {
		if ps, ok := asProblems(err); ok {
			return lines.Errors(ps)
		}
		return err
	}
	fmt.Fprintf(c.out, "install: done; state saved to %s\n", store.Path)
	if sv.Plan.Cluster.Kubeconfig != "" {
		fmt.Fprintf(c.out, "open the console: cedille-tui --kubeconfig %s\n", sv.Plan.Cluster.Kubeconfig)
	}
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

// dryRun prints the plan, its problems (against Omni when it answers) and what each step would do.
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
		fmt.Fprintf(c.out, "# Omni not configured (%v): the plan is checked on its own\n", omniErr)
	}
	ps := p.Validate(inv)
	for _, e := range lines.Errors(ps) {
		fmt.Fprintln(c.out, "problem: "+e.Error())
	}
	fmt.Fprintln(c.out, "# steps (dry run: nothing is changed)")
	for _, s := range ss {
		mark := ""
		if !steps.Selected(s.ID(), only) {
			mark = " (skipped: not in --only)"
		}
		fmt.Fprintf(c.out, "%s — %s%s\n", s.ID(), s.Title(), mark)
		for _, l := range s.Describe(p) {
			fmt.Fprintln(c.out, "  "+l)
		}
	}
	if len(ps) > 0 {
		return exitCode(1)
	}
	return nil
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

// progressPrinter prints step states and messages as lines, and byte progress every 10 %.
func progressPrinter(out io.Writer) func(steps.Update) {
	var mu sync.Mutex
	lastPct := map[steps.ID]int64{}
	lastItems := map[steps.ID]string{}
	return func(u steps.Update) {
		mu.Lock()
		defer mu.Unlock()
		if u.Event == nil {
			line := fmt.Sprintf("[%s] %s", u.Step, u.State)
			if u.Detail != "" {
				line += ": " + u.Detail
			}
			fmt.Fprintln(out, line)
			return
		}
		ev := u.Event
		if ev.Message != "" {
			fmt.Fprintf(out, "[%s] %s\n", u.Step, ev.Message)
		}
		if ev.Total > 0 && ev.Unit == "B" {
			pct := ev.Done * 100 / ev.Total
			if pct/10 != lastPct[u.Step]/10 || pct == 100 && lastPct[u.Step] != 100 {
				fmt.Fprintf(out, "[%s] %d%% %s of %s\n", u.Step, pct, plan.Bytes(uint64(ev.Done)), plan.Bytes(uint64(ev.Total)))
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
