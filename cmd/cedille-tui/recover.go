package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/clubcedille/cedille-tui/internal/actions"
	"github.com/clubcedille/cedille-tui/internal/audit"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/runbook"
	"github.com/clubcedille/cedille-tui/internal/runbooks"
	"github.com/clubcedille/cedille-tui/internal/steps"
	"github.com/clubcedille/cedille-tui/internal/watch"
	"github.com/spf13/cobra"
	"k8s.io/client-go/rest"
)

type recoverFlags struct {
	target                 string
	dryRun, takeOver, runs bool
	timeout                time.Duration
}

func (c *cli) recoverCmd() *cobra.Command {
	var f recoverFlags
	cmd := &cobra.Command{
		Use:   "recover [RUNBOOK]",
		Short: "Guided recovery: the runbooks and which apply now, or one run step by step",
		Long: `Without a runbook: every runbook, and the ones the platform's findings name now, aimed at their objects.

With one: the runbook run step by step on the cluster of the kubeconfig, as its user (the local admin).
--target names what it is aimed at; a runbook about the whole platform (cold-start) takes none, and
mount-failed takes a pod or none (every pod stuck on a failed mount).
Each step says what it does. A precheck says why the runbook applies, or that it does not (then nothing
changes). An action shows its server-side dry run first; a destructive one wants the object's name typed,
and is refused if the object changed since the dry run (it is shown again). A postcheck waits for the
condition, with progress. A manual step waits for you to type done. "skip" leaves an object alone (with a
reason), "abort" ends the run (with a reason).

A run is kept in $XDG_STATE_HOME/cedille-tui/runbooks: stopped (ctrl+c, a lost session), the same command
resumes it. One person at a time per runbook and target: another is refused, naming who holds it and
since when (--take-over: an admin's). Every step goes to the audit trail; at the end an incident report
(timeline, systems affected, failure, response and repair times) is written to
$XDG_STATE_HOME/cedille-tui/incidents.

--dry-run prints every step with its precheck's verdict and its actions' dry runs, and changes nothing.
--runs lists the runs kept here: those in progress (resume one with the same command line), and where
each ended, with its report.`,
		Example: `  cedille-tui recover
  cedille-tui recover --runs
  cedille-tui recover app-sync --target Application/argocd/shop --dry-run
  cedille-tui recover app-sync --target Application/argocd/shop
  cedille-tui recover multi-attach --target Pod/vault/vault-0 --dry-run
  cedille-tui recover mount-failed          # every pod stuck on a failed mount (or --target Pod/NS/NAME)`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case f.runs && len(args) > 0:
				return errors.New("--runs lists every run: it takes no runbook")
			case f.runs:
				return c.listRuns()
			case len(args) == 0:
				return c.listRunbooks(cmd.Context(), f)
			}
			return c.runRunbook(cmd.Context(), args[0], f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.target, "target", "", "what the runbook is aimed at: KIND/NAME or KIND/NAMESPACE/NAME (Node/worker-2)")
	fl.BoolVar(&f.dryRun, "dry-run", false, "print the steps, the prechecks' verdicts and the actions' dry runs; change nothing")
	fl.BoolVar(&f.takeOver, "take-over", false, "take over a run another person holds (admin)")
	fl.DurationVar(&f.timeout, "timeout", 20*time.Second, "how long reading the platform may take")
	fl.BoolVar(&f.runs, "runs", false, "list the runs kept here, newest first: who holds those in progress, where each ended, its report")
	return cmd
}

// listRunbooks prints every runbook, then what the findings suggest now.
func (c *cli) listRunbooks(ctx context.Context, f recoverFlags) error {
	fmt.Fprintln(c.out, "Runbooks:")
	for _, rb := range runbooks.All() {
		aim := "the platform"
		if len(rb.Kinds) > 0 {
			aim = strings.Join(rb.Kinds, " or ")
		}
		if rb.TargetOptional {
			aim += ", or none: every one it finds"
		}
		fmt.Fprintf(c.out, "  %-22s %s (aimed at: %s)\n", rb.Name, rb.Title, aim)
	}
	p := c.openPlatform()
	defer p.Close()
	if !p.Configured() {
		fmt.Fprintln(c.out, "\nNo platform to read (no kubeconfig, Omni or Vault configured): which apply now is not known.")
		return nil
	}
	s := watch.Collect(ctx, watch.TargetsFor(p), f.timeout, time.Now())
	sug := runbook.Suggested(s.Report, runbooks.Aim) // every pod stuck on a mount names the one cold-start
	if len(sug) == 0 {
		fmt.Fprintf(c.out, "\nNone applies now: no finding of %s names a runbook.\n", s.Platform)
		return nil
	}
	fmt.Fprintf(c.out, "\nWhat the findings of %s name now, worst first:\n", s.Platform)
	for _, g := range sug {
		cmdline := "cedille-tui recover " + g.Runbook
		if !g.Target.IsZero() {
			cmdline += " --target " + g.Target.String()
		}
		if _, err := runbooks.Lookup(g.Runbook); err != nil {
			cmdline = "(not a runbook here yet)"
		}
		fmt.Fprintf(c.out, "  %s %s — %s\n    %s\n", g.Finding.Status.Symbol(), g.Finding.Object, oneLine(g.Finding.Reason), cmdline)
	}
	return nil
}

// listRuns prints the runs kept in the state directory, newest first.
func (c *cli) listRuns() error {
	st, err := runbook.OpenStore(filepath.Join(steps.DirsFrom(c.lookup).State, "runbooks"))
	if err != nil {
		return err
	}
	runs, err := st.Runs()
	if len(runs) == 0 {
		fmt.Fprintln(c.out, "No run is kept here ("+st.Dir()+").")
		return err
	}
	for _, r := range runs {
		fmt.Fprintln(c.out, runLine(r))
	}
	return err
}

// runLine is one run in a line: when, which runbook on what, who, and where it is or how it ended.
func runLine(r runbook.Run) string {
	aim := ""
	if r.Target != "" {
		aim = " on " + r.Target
	}
	state := fmt.Sprintf("in progress at step %d of %d", r.Cursor()+1, len(r.Steps))
	if r.IsEnded() {
		state = r.Outcome
		if r.Report != "" {
			state += "; report " + r.Report
		}
	}
	return fmt.Sprintf("%s  %s  %s%s, by %s: %s", r.Started.UTC().Format("2006-01-02 15:04"), r.ID, r.Runbook, aim, r.Owner, state)
}

// runRunbook runs (or with --dry-run, looks at) one runbook on the kubeconfig's cluster.
func (c *cli) runRunbook(ctx context.Context, name string, f recoverFlags) error {
	rb, err := runbooks.Lookup(name)
	if err != nil {
		return err
	}
	var t runbook.Target
	if f.target != "" {
		if t, err = runbook.ParseTarget(f.target); err != nil {
			return err
		}
	}
	if err := rb.Aims(t); err != nil {
		return err
	}
	p := c.openPlatform()
	defer p.Close()
	acts := slices.ContainsFunc(rb.Steps, func(s runbook.Step) bool { return s.Kind == runbook.Action })
	if p.Kube == nil && (acts || !p.Configured()) {
		return errors.Join(append(p.Errors(), errors.New("no cluster to recover: a kubeconfig is needed (--kubeconfig, KUBECONFIG)"))...)
	}
	trailPath := c.serveDefaults(serveFlags{}).auditLog
	trail, err := openTrail(trailPath)
	if err != nil {
		return fmt.Errorf("no step could be recorded, so none is run: %w", err)
	}
	defer trail.Close()
	who := actions.LocalActor(c.localUser(p), "local")
	targets := watch.TargetsFor(p)
	w := runbook.World{Vault: c.vaultFinder(p),
		Snapshot: func() watch.Snapshot { return watch.Collect(ctx, targets, f.timeout, time.Now()) }}
	var d *actions.Dispatcher
	if p.Kube != nil {
		w.Kube, w.Dynamic = p.Kube.Typed, p.Kube.Dynamic
		if d, err = actions.NewDispatcher(actions.NewClients(p.Kube.Config), trail.Append, builtinActions(p)...); err != nil {
			return err
		}
	}
	e, err := c.runbookEngine(trail.Append, trailPath)
	if err != nil {
		return err
	}
	rec := runbooks.Recovery{Engine: e, Dispatcher: d, Who: actions.As(who), World: w}
	if f.dryRun {
		if d != nil {
			w.Act = d.Bind(actions.As(who))
		}
		return c.printDryRun(ctx, rb, t, w, rec.Destructive)
	}
	s, err := rec.Start(ctx, rb.Name, t, f.takeOver)
	if err != nil {
		return err
	}
	r := s.Run()
	fmt.Fprintf(c.out, "%s — %s\nrun %s, as %s (%s); state in %s\n", rb.Name, rb.Title, r.ID, who.Name, who.Role, e.Store.Dir())
	return runbook.Drive(ctx, s, &linePrompter{in: bufio.NewReader(c.in), out: c.out}, rec.Destructive)
}

// runbookEngine is the runbooks' engine over the state directory, recording with record to the trail
// at trailPath (whose records of a run make its incident report).
func (c *cli) runbookEngine(record func(audit.Record) error, trailPath string) (*runbook.Engine, error) {
	return runbookEngineIn(steps.DirsFrom(c.lookup).State, record, trailPath)
}

// runbookEngineIn is the runbooks' engine keeping its runs and incident reports under state.
func runbookEngineIn(state string, record func(audit.Record) error, trailPath string) (*runbook.Engine, error) {
	store, err := runbook.OpenStore(filepath.Join(state, "runbooks"))
	if err != nil {
		return nil, err
	}
	return &runbook.Engine{Store: store, Audit: record, Incidents: filepath.Join(state, "incidents"),
		Entries: func(run string) ([]audit.Entry, error) { return trailEntries(trailPath, run) }}, nil
}

// localActor is the person at this terminal: the kubeconfig's user (else $USER), the platform's admin.
func (c *cli) localActor(kube *rest.Config) actions.Actor {
	return actions.LocalActor(c.userOf(kube), "local")
}

// localUser is the person at this terminal's name for the platform p.
func (c *cli) localUser(p *platform.Platform) string {
	if p.Kube != nil {
		return c.userOf(p.Kube.Config)
	}
	return c.userOf(nil)
}

// userOf is the kubeconfig's user, else $USER, else "local".
func (c *cli) userOf(kube *rest.Config) string {
	user := ""
	if kube != nil {
		user = kube.Username
	}
	if user == "" {
		user, _ = c.lookup("USER")
	}
	if user == "" {
		user = "local"
	}
	return user
}

// openTrail opens the audit trail at path, making its directory (0700) first: a fresh machine has none.
func openTrail(path string) (*audit.Log, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("the audit trail's directory: %w", err)
	}
	return audit.Open(path)
}

// trailEntries reads the records of one run from the trail at path.
func trailEntries(path, run string) ([]audit.Entry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return audit.Entries(f, func(e audit.Entry) bool { return e.Run == run })
}

// printDryRun prints every step as a dry run sees it.
func (c *cli) printDryRun(ctx context.Context, rb runbook.Runbook, t runbook.Target, w runbook.World, destructive func(string) bool) error {
	ds, err := runbook.DryRun(ctx, rb, t, w)
	if err != nil {
		return err
	}
	aim := ""
	if !t.IsZero() {
		aim = " on " + t.String()
	}
	fmt.Fprintf(c.out, "%s%s — dry run: nothing is changed\n", rb.Name, aim)
	for i, d := range ds {
		fmt.Fprintf(c.out, "\n%d. (%s) %s\n", i+1, d.Step.Kind, d.Step.Title)
		switch {
		case d.Verdict != nil:
			verdict := "applies: "
			if !d.Verdict.Applies {
				verdict = "does not apply: "
			}
			fmt.Fprintf(c.out, "   %s%s\n", verdict, d.Verdict.Why)
			for _, l := range d.Verdict.Details {
				fmt.Fprintf(c.out, "     %s\n", l)
			}
		case d.Reading != nil:
			fmt.Fprintf(c.out, "   now: %s (waits up to %s)\n", d.Reading.Line, d.Step.Timeout)
		case d.Instructions != nil:
			for _, l := range d.Instructions {
				fmt.Fprintf(c.out, "   %s\n", l)
			}
		}
		if d.Step.Kind == runbook.Action && len(d.Previews) == 0 && d.Err == nil {
			fmt.Fprintf(c.out, "   nothing to %s\n", d.Step.Do)
		}
		for _, p := range d.Previews {
			for _, l := range strings.Split(strings.TrimRight(p.String(), "\n"), "\n") {
				fmt.Fprintf(c.out, "   %s\n", l)
			}
			if destructive(d.Step.Do) {
				fmt.Fprintf(c.out, "   (asks for %s typed)\n", p.Target.Name)
			}
		}
		if d.Err != nil {
			fmt.Fprintf(c.out, "   ✖ %s\n", oneLine(d.Err.Error()))
		}
	}
	if len(ds) < len(rb.Steps) {
		fmt.Fprintf(c.out, "\n(the %d steps after a precheck that does not apply are not looked at)\n", len(rb.Steps)-len(ds))
	}
	return nil
}

// linePrompter is the plain terminal's conversation.
type linePrompter struct {
	in  *bufio.Reader
	out io.Writer
}

func (l *linePrompter) Say(lines ...string) {
	for _, s := range lines {
		fmt.Fprintln(l.out, s)
	}
}

func (l *linePrompter) Ask(q string) (string, error) {
	fmt.Fprint(l.out, q+" ")
	s, err := l.in.ReadString('\n')
	if err != nil && (s == "" || !errors.Is(err, io.EOF)) {
		return "", err
	}
	return strings.TrimRight(s, "\r\n"), nil
}
