package wizard

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"charm.land/huh/v2"
	"github.com/charmbracelet/x/term"
	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/steps"
	"github.com/clubcedille/cedille-tui/internal/units"
	"github.com/clubcedille/cedille-tui/internal/vaultops"
)

// Accessible mode (--accessible): no full screen. The same forms are asked as plain numbered prompts
// (huh's accessible mode), one line at a time, which screen readers and serial consoles read well; the
// steps run with line output (the unattended printer). The plan is saved after each answer and each
// step, as in the full-screen wizard. A step's questions during its run (Env.Ask: the key ceremony, an
// unseal share, a secret, a yes/no) are plain lines too; a share or a secret is read without echo when
// the input is a terminal. Each problem is said once, on a line of its own (a multi-error split into its
// problems, no blank line); a step that meets a problem already said refers to where it was said.

// AccessibleOptions configure an accessible run.
type AccessibleOptions struct {
	// Steps are the install's steps; Flow, when set, the steps with their UI (Steps is then ignored).
	Steps []steps.Step
	Flow  []Registration
	Env   *steps.Env
	Store steps.Store
	Only  map[steps.ID]bool
	In    io.Reader
	Out   io.Writer
	// Report prints the runner's updates (the unattended printer). It is given no "checking" update, and
	// a problem (a pending or failed step's detail) one line at a time, each once: a step that meets a
	// problem already said gets a detail that refers to it.
	Report func(steps.Update)
	// Command is the command line that runs this install again, which a failed step tells to retry;
	// empty is `cedille-tui install --accessible`.
	Command string
	// Era2 and Era choose the install as Options' do: era 2's offered as the first question when Omni
	// has MachineClasses and no install is under way, or run at once with Era 2.
	Era2 *Era2Install
	Era  int
}

// RunAccessible runs the install with plain prompts.
func RunAccessible(ctx context.Context, o AccessibleOptions) (Result, error) {
	a := &accessible{o: o, in: &lineReader{r: bufio.NewReader(o.In)}, said: map[string]steps.ID{}}
	if a.o.Env == nil {
		a.o.Env = &steps.Env{}
	}
	if a.o.Report == nil { // nothing printed: nothing is said but the failures below
		a.o.Report, a.said = func(steps.Update) {}, nil
	}
	a.o.Command = cmp.Or(a.o.Command, "cedille-tui install --accessible")
	a.uis, a.o.Steps = flowOf(a.o.Flow, a.o.Steps)
	if err := a.chooseEra(ctx); err != nil {
		return Result{}, err
	}
	res, err := a.run(ctx)
	res.State = a.o.Store.Path
	return res, err
}

// chooseEra makes era 2's install the run's when it is asked for, resumed (its plan is saved) or chosen
// at the first question (Omni has MachineClasses or an infrastructure provider, and no era-1 install is
// under way).
func (a *accessible) chooseEra(ctx context.Context) error {
	e := a.o.Era2
	if e == nil || a.o.Era == 1 {
		return nil
	}
	read := e.Inventory
	if read == nil {
		env := a.o.Env
		read = func(ctx context.Context) (*plan.Inventory, error) { return steps.LoadEra2Inventory(ctx, env) }
	}
	if a.o.Era == 0 {
		sv2, found2, err2 := e.Store.Load()
		sv1, found1, err1 := a.o.Store.Load()
		if err2 != nil || !found2 || !era2Underway(sv2) {
			if err1 != nil || found1 && len(sv1.Steps) > 0 {
				return nil
			}
			cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			inv, err := read(cctx)
			cancel()
			if err != nil || !fleetReady(inv) {
				return nil
			}
			era := 1
			f := huh.NewForm(huh.NewGroup(huh.NewSelect[int]().Title("Which install? (Omni makes VMs)").Value(&era).
				Options(huh.NewOption(Era1Line+" ("+eraMeanings()[0]+")", 1),
					huh.NewOption(era2Offer(inv)+" ("+eraMeanings()[1]+")", plan.Era2Version))))
			if err := a.form(f); err != nil {
				return err
			}
			if era != plan.Era2Version {
				return nil
			}
		}
	}
	a.uis, a.o.Steps = flowOf(Era2Flow(e.Steps), nil)
	a.o.Store, a.read, a.era = e.Store, read, plan.Era2Version
	return nil
}

type accessible struct {
	o         AccessibleOptions
	uis       map[steps.ID]StepUI // the steps' UI halves
	in        *lineReader
	sv        steps.Saved
	inv       *plan.Inventory
	confirmed string
	// said is every problem line Report was given, with the step it was said for (nil when nothing prints).
	said map[string]steps.ID
	// era is plan.Era2Version once era 2's install is the run's; read then reads its inventory.
	era  int
	read func(ctx context.Context) (*plan.Inventory, error)
}

func (a *accessible) printf(format string, args ...any) { fmt.Fprintf(a.o.Out, format, args...) }

func (a *accessible) run(ctx context.Context) (Result, error) {
	sv, found, err := a.o.Store.Load()
	if err != nil {
		return Result{}, err
	}
	if !found {
		sv = steps.Saved{Plan: plan.New()}
		if a.era == plan.Era2Version {
			sv.Plan = newEra2Plan()
		}
	}
	sv.Plan = sv.Plan.WithDefaults()
	a.sv = sv
	env := *a.o.Env
	env.Confirm = func(_ context.Context, c steps.Confirmation) error {
		if a.confirmed != "" && a.confirmed == c.Expect {
			return nil
		}
		return fmt.Errorf("%w: type the cluster name %s when asked", steps.ErrNotConfirmed, c.Expect)
	}
	env.Ask = a.askPrompt
	if env.Keys == nil { // the root token's hand-off from vault-init to vault-bootstrap, this run only
		env.Keys = &steps.Keyring{}
		defer env.Keys.Wipe()
	}
	r := &steps.Runner{Steps: a.o.Steps, Env: &env, Store: a.o.Store, Only: a.o.Only, Report: a.report}
	a.printf("Checking every step from the top (the install resumes at the first one not done).\n")
	outcomes := r.CheckAll(ctx, a.sv)
	start := steps.ResumeAt(steps.Order(a.o.Steps), outcomes, a.o.Only)
	for i := start; i < len(a.o.Steps); i++ {
		s := a.o.Steps[i]
		if !steps.Selected(s.ID(), a.o.Only) {
			a.report(steps.Update{Step: s.ID(), State: steps.Skipped})
			continue
		}
		if i > start { // an earlier step may have made this one hold
			if o, err := s.Check(ctx, &env, a.sv.Plan); err == nil && o.Holds {
				a.report(steps.Update{Step: s.ID(), State: steps.Done, Detail: o.Detail})
				continue
			}
		}
		a.printf("== %s (step %d of %d) ==\n", s.Title(), i+1, len(a.o.Steps))
		if err := a.ask(ctx, &env, a.uis[s.ID()]); err != nil {
			return Result{}, err
		}
		if err := r.Store.Save(a.sv); err != nil {
			return Result{}, err
		}
		if err := r.RunOne(ctx, &a.sv, s); err != nil {
			a.printf("%s failed.\n", s.Title())
			for _, l := range a.unsaid(strings.TrimPrefix(err.Error(), "step "+string(s.ID())+": ")) {
				a.printf("  %s\n", l)
			}
			a.printf("The plan is saved: run `%s` again to retry from this step.\n", a.o.Command)
			return Result{}, &stoppedError{step: s.ID(), err: err}
		}
	}
	res := Result{Finished: true, Kubeconfig: a.sv.Plan.Cluster.Kubeconfig}
	a.printf("Every step's outcome holds. The state is saved to %s.\n", a.o.Store.Path)
	return res, nil
}

// stoppedError ends a run at a failed step whose problem is already printed: its message says only where
// the install stopped (the command prints it last), and it wraps the step's error.
type stoppedError struct {
	step steps.ID
	err  error
}

func (e *stoppedError) Error() string {
	return "the install stopped at step " + string(e.step) + " (its problem is printed above)"
}

func (e *stoppedError) Unwrap() error { return e.err }

// report passes the runner's updates to Report, for a screen reader: no "checking" line before every
// outcome; a pending or failed step's problems one update each, and a problem already said replaced by
// a reference to the step it was said for.
func (a *accessible) report(u steps.Update) {
	if u.Event == nil && u.State == steps.Checking {
		return
	}
	if u.Event != nil || (u.State != steps.Pending && u.State != steps.Failed) {
		a.o.Report(u)
		return
	}
	lines := problemLines(u.Detail)
	if len(lines) == 0 {
		a.o.Report(u)
		return
	}
	var refs []string
	for _, l := range lines {
		first, said := a.said[l]
		if !said {
			if a.said != nil {
				a.said[l] = u.Step
			}
			a.o.Report(steps.Update{Step: u.Step, State: u.State, Detail: l})
			continue
		}
		ref := "same problem as " + string(first) + ", above"
		if first == u.Step {
			ref = "the problem its check found, above"
		}
		if !slices.Contains(refs, ref) {
			refs = append(refs, ref)
			a.o.Report(steps.Update{Step: u.Step, State: u.State, Detail: ref})
		}
	}
}

// unsaid is the problems of an error's text that Report was not given yet.
func (a *accessible) unsaid(text string) []string {
	var out []string
	for _, l := range problemLines(text) {
		if _, said := a.said[l]; !said {
			out = append(out, l)
		}
	}
	return out
}

// problemLines splits an error's text into its problems, one plain line each, every one once: the lines
// of errors.Join and plan.Problems, and the lists of hashicorp/go-multierror (Omni's template validation:
// "2 errors occurred:\n\t* a\n\t* b\n\n", a nested one after its context) as a line per problem with the
// contexts that lead to it. Blank lines and indentation are dropped.
func problemLines(text string) []string {
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	var out []string
	i := 0
	var item func(prefix string)
	item = func(prefix string) { // one line, and the list it opens
		l := lines[i]
		i++
		if prefix != "" || strings.HasPrefix(l, "* ") {
			l = strings.TrimPrefix(l, "* ")
		}
		context, n, ok := listHeader(l)
		if !ok {
			if l = prefix + l; !slices.Contains(out, l) {
				out = append(out, l)
			}
			return
		}
		for k := 0; k < n && i < len(lines); k++ {
			item(prefix + context)
		}
	}
	for i < len(lines) {
		item("")
	}
	return out
}

// listHeader reads a go-multierror list's header at the end of a line, "[context: ]N error(s) occurred:":
// the context with its ": " ("" when none) and N.
func listHeader(l string) (context string, n int, ok bool) {
	rest, found := strings.CutSuffix(l, " occurred:")
	if !found {
		return "", 0, false
	}
	if rest, found = strings.CutSuffix(rest, " errors"); !found {
		if rest, found = strings.CutSuffix(rest, " error"); !found {
			return "", 0, false
		}
	}
	j := strings.LastIndexByte(rest, ' ')
	n, err := strconv.Atoi(rest[j+1:])
	if err != nil || n < 1 || (j >= 0 && !strings.HasSuffix(rest[:j], ":")) {
		return "", 0, false
	}
	return rest[:j+1], n, true
}

// errInputEnded: the input ended before a question was answered (huh's prompts would take the default,
// or ask again forever).
var errInputEnded = errors.New("the input ended before every question was answered; the answers given so far are saved")

// form runs a form as plain prompts.
func (a *accessible) form(f *huh.Form) error {
	if a.in.eof {
		return errInputEnded
	}
	out := &noBlankLines{w: a.o.Out, atStart: true}
	if err := f.WithAccessible(true).WithTheme(huh.ThemeFunc(huh.ThemeBase)).WithInput(a.in).WithOutput(out).Run(); err != nil {
		return err
	}
	if a.in.eof {
		return errInputEnded
	}
	return nil
}

func (a *accessible) inventory(ctx context.Context, env *steps.Env) {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var inv *plan.Inventory
	var err error
	if a.read != nil {
		inv, err = a.read(cctx)
	} else {
		inv, err = steps.LoadInventory(cctx, env)
	}
	if err != nil {
		a.printf("Omni's machines could not be read.\n")
		for _, l := range a.unsaid(err.Error()) {
			a.printf("  %s\n", l)
		}
		return
	}
	a.inv = inv
}

// ask fills the plan's part that a step needs (its registration says how), then saves it.
func (a *accessible) ask(ctx context.Context, env *steps.Env, ui StepUI) error {
	switch {
	case ui.Picker != nil:
		return ui.Picker.Ask(a, ctx, env)
	case ui.Form != nil:
		if ui.Form.NeedsInventory {
			a.inventory(ctx, env)
		}
		if ui.Form.Intro != nil {
			for _, l := range ui.Form.Intro(a.sv.Plan) {
				a.printf("%s\n", l)
			}
		}
		b := ui.Form.Build(a.sv.Plan, a.inv, true)
		if err := a.form(b.Form); err != nil {
			return err
		}
		if b.Read != nil {
			if err := b.Read(); err != nil {
				return err
			}
		}
		if ps := b.Apply(&a.sv.Plan); len(ps) > 0 {
			return ps
		}
		if ui.Confirm != nil {
			return a.askConfirm(ui.Confirm)
		}
	}
	return nil
}

// askPrompt is Env.Ask in plain lines: a running step's question (the key ceremony, a share, a secret,
// a yes/no). The steps run on this goroutine, so the input is read here directly.
func (a *accessible) askPrompt(ctx context.Context, p steps.Prompt) (steps.Answer, error) {
	if err := ctx.Err(); err != nil {
		return steps.Answer{}, err
	}
	if p.Title != "" {
		a.printf("-- %s --\n", p.Title)
	}
	switch p.Kind {
	case steps.PromptCustody:
		return a.custody(p)
	case steps.PromptYesNo:
		for _, l := range p.Lines {
			a.printf("%s\n", l)
		}
		hint := "[y/N]"
		if p.Default {
			hint = "[Y/n]"
		}
		for {
			a.printf("%s ", hint)
			line, err := a.in.line()
			if err != nil {
				return steps.Answer{}, err
			}
			switch strings.ToLower(strings.TrimSpace(line)) {
			case "":
				return steps.Answer{Yes: p.Default}, nil
			case "y", "yes":
				return steps.Answer{Yes: true}, nil
			case "n", "no":
				return steps.Answer{Yes: false}, nil
			}
			a.printf("Answer y or n.\n")
		}
	}
	for _, l := range p.Lines {
		a.printf("%s\n", l)
	}
	for _, it := range p.Items {
		a.printf("  %s\n", plainItem(it))
	}
	if p.Problem != "" {
		a.printf("Refused: %s\n", p.Problem)
	}
	for {
		if p.Kind == steps.PromptShare {
			a.printf("Key share (not echoed on a terminal): ")
		} else {
			a.printf("Value (not echoed on a terminal; empty skips it): ")
		}
		value, err := a.readSecret()
		if err != nil {
			return steps.Answer{}, err
		}
		if value == "" && p.Kind == steps.PromptShare {
			a.printf("Nothing was typed.\n")
			continue
		}
		return steps.Answer{Secret: vaultops.NewSecret(value)}, nil
	}
}

// custody hands a secret to its custodian: who receives it, enter when they are ready, the secret and
// its fingerprint, then its first characters typed back until they match. A terminal is cleared after.
func (a *accessible) custody(p steps.Prompt) (steps.Answer, error) {
	holder := custodyHolder(p)
	a.printf("For %s.\n", holder)
	for _, l := range p.Lines {
		a.printf("%s\n", l)
	}
	a.printf("Everyone else looks away now; press enter when %s is ready.\n", holder)
	if _, err := a.in.line(); err != nil {
		return steps.Answer{}, err
	}
	a.printf("\n%s\n\nfingerprint %s\n", p.Secret.Reveal(), custodyFingerprint(p))
	a.printf("%s ", custodyAsk(p))
	for {
		typed, err := a.in.line()
		if err != nil {
			return steps.Answer{}, err
		}
		if custodyMatches(p, typed) {
			break
		}
		a.printf("That does not match. Type the first %d characters %s again: ", confirmLen(p), confirmWhat(p))
	}
	if f, ok := a.o.Out.(*os.File); ok && term.IsTerminal(f.Fd()) {
		a.printf("\x1b[2J\x1b[H")
		a.printf("Confirmed. The value is no longer shown (clear the terminal's scrollback too).\n")
	} else {
		a.printf("Confirmed. The value is no longer shown; the output is not a terminal, so remove any copy of it.\n")
	}
	return steps.Answer{Yes: true}, nil
}

// readSecret reads one line without echo when the input is a terminal, else a plain line.
func (a *accessible) readSecret() (string, error) {
	if f, ok := a.o.In.(*os.File); ok && term.IsTerminal(f.Fd()) {
		b, err := term.ReadPassword(f.Fd())
		a.printf("\n")
		if err != nil {
			return "", errInputEnded
		}
		s := string(b)
		clear(b)
		return s, nil
	}
	return a.in.line()
}

// plainItem is a replica's progress line without colour.
func plainItem(it steps.Item) string {
	s := it.Name
	switch {
	case it.Failed:
		s += " (failed)"
	case it.OK:
		s += " (ok)"
	}
	if it.State != "" {
		s += ": " + it.State
	}
	if it.Detail != "" {
		s += ", " + it.Detail
	}
	return s
}

const (
	roleCP     = "control plane"
	roleWorker = "worker"
	roleOut    = "not in the cluster"
)

func (a *accessible) askMachines(ctx context.Context, env *steps.Env) error {
	for {
		a.inventory(ctx, env)
		if a.inv == nil || len(a.inv.Machines) == 0 {
			a.printf("No machine is connected to Omni yet: boot them from the ISO, then press enter.\n")
			if _, err := bufio.NewReader(a.in).ReadString('\n'); err != nil {
				return errInputEnded
			}
			continue
		}
		cands := plan.Candidates(a.sv.Plan, a.inv)
		a.printf("%d machines are connected. Choose %d control planes and at least one worker.\n",
			len(a.inv.Machines), plan.ControlPlanes)
		roles := make([]string, len(cands))
		var fields []huh.Field
		for i, f := range cands {
			roles[i] = roleOut
			if pm, ok := a.sv.Plan.Machine(f.ID); ok {
				roles[i] = roleWorker
				if pm.Role == plan.RoleControlPlane {
					roles[i] = roleCP
				}
			}
			title := fmt.Sprintf("%s (ID %s, %d cores, %s RAM, %d disks)", f.Name(), f.ID, f.Cores, memory(f.MemoryMiB), len(f.Disks))
			fields = append(fields, huh.NewSelect[string]().Title(title).Value(&roles[i]).
				Options(huh.NewOptions(roleCP, roleWorker, roleOut)...))
		}
		if err := a.form(huh.NewForm(huh.NewGroup(fields...))); err != nil {
			return err
		}
		for i, f := range cands {
			switch roles[i] {
			case roleCP:
				a.sv.Plan.SetRole(f.ID, plan.RoleControlPlane, a.inv)
			case roleWorker:
				a.sv.Plan.SetRole(f.ID, plan.RoleWorker, a.inv)
			default:
				a.sv.Plan.SetRole(f.ID, "", a.inv)
			}
		}
		if err := a.o.Store.Save(a.sv); err != nil {
			return err
		}
		a.printf("%s\n", roleCounts(a.sv.Plan))
		ps := a.sv.Plan.Validate(a.inv).MachineChoice()
		if len(ps) == 0 {
			return nil
		}
		for _, p := range ps {
			a.printf("  problem: %s\n", p)
		}
		a.printf("Choose again.\n")
	}
}

func (a *accessible) askDisks(ctx context.Context, env *steps.Env) error {
	a.inventory(ctx, env)
	if a.inv == nil {
		return errors.New("Omni's machines could not be read: the disks cannot be chosen")
	}
	for i := range a.sv.Plan.Machines {
		pm := a.sv.Plan.Machines[i]
		f, ok := a.inv.Machines[pm.ID]
		if !ok {
			a.printf("%s is not connected to Omni: its disks cannot be read.\n", name(pm))
			continue
		}
		a.printf("Disks of %s (%s):\n", f.Name(), pm.Role)
		var err error
		var installOpts []huh.Option[string]
		for _, d := range f.Disks {
			label := fmt.Sprintf("%s  %s  %s  %s/%s  %s", strings.TrimPrefix(d.LinuxName, "/dev/"), d.Model, units.Binary(d.Size),
				d.Type, d.Transport, orDash(plan.ByIDPath(d)))
			if why := plan.InstallRefusal(d); why != "" {
				a.printf("  not offered as install disk: %s (%s)\n", label, why)
				continue
			}
			installOpts = append(installOpts, huh.NewOption(label, diskKey(d)))
		}
		if len(installOpts) == 0 {
			return fmt.Errorf("%s has no disk Talos can be installed on", f.Name())
		}
		chosen := ""
		if d, ok := f.Disk(pm.InstallDisk); ok {
			chosen = diskKey(d)
		}
		if err := a.form(huh.NewForm(huh.NewGroup(huh.NewSelect[string]().
			Title("Install disk of " + f.Name() + " (named by its /dev/disk/by-id path, never /dev/sdX)").
			Value(&chosen).Options(installOpts...)))); err != nil {
			return err
		}
		for _, d := range f.Disks {
			if diskKey(d) == chosen {
				if pm, err = pm.WithInstallDisk(d); err != nil {
					return err
				}
			}
		}
		if pm.Role == plan.RoleWorker {
			var poolOpts []huh.Option[string]
			var pools []string
			for _, d := range f.Disks {
				if why := plan.PoolRefusal(d, pm.InstallDisk); why != "" {
					continue
				}
				if slices.ContainsFunc(pm.PoolDisks, d.Matches) {
					pools = append(pools, diskKey(d))
				}
				poolOpts = append(poolOpts, huh.NewOption(fmt.Sprintf("%s  %s  %s  %s", strings.TrimPrefix(d.LinuxName, "/dev/"),
					d.Model, units.Binary(d.Size), orDash(plan.ByIDPath(d))), diskKey(d)))
			}
			if len(poolOpts) > 0 {
				if err := a.form(huh.NewForm(huh.NewGroup(huh.NewMultiSelect[string]().
					Title("Mayastor pool disks of " + f.Name() + " (they are wiped; 0 when done)").
					Value(&pools).Options(poolOpts...)))); err != nil {
					return err
				}
			}
			pm.PoolDisks = nil
			for _, d := range f.Disks {
				if slices.Contains(pools, diskKey(d)) {
					if pm, err = pm.WithPoolDisk(d, true); err != nil {
						return err
					}
				}
			}
		}
		a.sv.Plan.SetMachine(i, pm)
		if err := a.o.Store.Save(a.sv); err != nil {
			return err
		}
	}
	c := &a.sv.Plan.Cluster
	a.printf("Disk encryption is %s\n", steps.EncryptionOffReason)
	on := c.Encryption
	if err := a.form(huh.NewForm(huh.NewGroup(huh.NewConfirm().Title("Turn disk encryption on?").Value(&on)))); err != nil {
		return err
	}
	reason := c.EncryptionReason
	if on {
		if err := a.form(huh.NewForm(huh.NewGroup(huh.NewInput().Title("Why is it wanted?").Value(&reason)))); err != nil {
			return err
		}
	}
	var refused plan.Problems
	*c, refused = c.WithEncryption(on, reason)
	if ps := append(refused, a.sv.Plan.Validate(a.inv).Disks()...); len(ps) > 0 {
		for _, p := range ps {
			a.printf("  problem: %s\n", p)
		}
		return ps
	}
	return nil
}

// askConfirm says what the step destroys (its review) and asks for the cluster's name.
func (a *accessible) askConfirm(r *ReviewSpec) error {
	p := a.sv.Plan.WithDefaults()
	if err := a.o.Store.Save(a.sv); err != nil {
		return err
	}
	for _, l := range r.Plain(p) {
		a.printf("%s\n", l)
	}
	name := r.Name(p)
	typed := ""
	if err := a.form(huh.NewForm(huh.NewGroup(huh.NewInput().Title("Type the cluster name to confirm:").Value(&typed)))); err != nil {
		return err
	}
	if strings.TrimSpace(typed) != name {
		return fmt.Errorf("%w: %q is not %s; nothing was wiped (the plan is saved: run again to confirm)",
			steps.ErrNotConfirmed, typed, name)
	}
	a.confirmed = name
	return nil
}

// noBlankLines writes what it is given but the blank lines (huh's accessible prompts put one after each
// field), which a screen reader would read out as such. atStart says the last byte written ended a line.
type noBlankLines struct {
	w       io.Writer
	atStart bool
}

func (n *noBlankLines) Write(p []byte) (int, error) {
	kept := make([]byte, 0, len(p))
	for _, b := range p {
		if b == '\n' && n.atStart {
			continue
		}
		kept = append(kept, b)
		n.atStart = b == '\n'
	}
	if _, err := n.w.Write(kept); err != nil {
		return 0, err
	}
	return len(p), nil
}

// lineReader hands out at most one line per Read: huh's accessible prompts each wrap the input in a new
// scanner, which would otherwise swallow the lines after the first when input is piped.
// It remembers reaching the end, which the prompts do not report.
type lineReader struct {
	r   *bufio.Reader
	eof bool
}

// line reads one line without its end; errInputEnded at the end of the input.
func (l *lineReader) line() (string, error) {
	s, err := l.r.ReadString('\n')
	if err != nil {
		l.eof = true
		if s == "" {
			return "", errInputEnded
		}
	}
	return strings.TrimRight(s, "\r\n"), nil
}

func (l *lineReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		b, err := l.r.ReadByte()
		if err != nil {
			l.eof = true
			if n > 0 {
				return n, nil
			}
			return 0, err
		}
		p[n] = b
		n++
		if b == '\n' {
			break
		}
	}
	return n, nil
}
