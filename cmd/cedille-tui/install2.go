package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/steps"
	"github.com/clubcedille/cedille-tui/internal/ui/wizard"
	"go.yaml.in/yaml/v3"
)

// stateFileEra2 keeps an era-2 install's state beside an era-1 one's, never in it.
const stateFileEra2 = "install-era2.yaml"

// installsEra2 tells whether the install is era 2: --era 2, or era: 2 in the answers file. --era 1
// with an era-2 file, --era 2 with an era-1 file or another --era are errors saying what to do. --era 2
// without an answers file is the wizard's era-2 install.
func installsEra2(f installFlags) (bool, error) {
	if f.era != 0 && f.era != 1 && f.era != plan.Era2Version {
		return false, fmt.Errorf("--era %d: the platform's era is 1 (one bare-metal cluster) or 2 (a cluster of the fleet)", f.era)
	}
	fileEra := 0
	if f.answers != "" {
		data, err := os.ReadFile(f.answers)
		if err != nil {
			return false, fmt.Errorf("read the answers file: %w", err)
		}
		var head struct {
			Era int `yaml:"era"`
		}
		if yaml.Unmarshal(data, &head) != nil {
			return f.era == plan.Era2Version, nil // the decoding that follows says where the file is not YAML
		}
		fileEra = head.Era
	}
	switch {
	case f.era == plan.Era2Version && f.answers == "":
		return true, nil // the wizard's
	case f.era == plan.Era2Version && fileEra != plan.Era2Version:
		return false, fmt.Errorf("%s is not an era-2 answers file: add era: 2 and an era2 section", f.answers)
	case f.era == 1 && fileEra == plan.Era2Version:
		return false, fmt.Errorf("%s is an era-2 answers file (era: 2): drop --era 1", f.answers)
	}
	return fileEra == plan.Era2Version, nil
}

// era2Install is era 2's install for the wizard: its steps and state file in dir.
func era2Install(dir string) *wizard.Era2Install {
	return &wizard.Era2Install{Steps: steps.Era2Steps(), Store: steps.Store{Path: filepath.Join(dir, stateFileEra2)}}
}

// runInstallEra2 runs an era-2 install from its answers file: the same runner, resume and dry run as
// era 1's, with era 2's steps and state file.
func (c *cli) runInstallEra2(ctx context.Context, f installFlags) error {
	if f.accessible {
		return errors.New("--accessible asks the wizard's questions: drop --answers, or drop --accessible to run from the file")
	}
	ss := steps.Era2Steps()
	only, answers, lines, err := readAnswers(f, ss)
	if err != nil {
		return err
	}
	if ps := answers.Validate(nil); len(ps) > 0 && !f.dryRun {
		return lines.Errors(ps)
	}
	env, dirs, omniErr := c.installEnv()
	if f.stateDir != "" {
		dirs.State = f.stateDir
	}
	store := steps.Store{Path: filepath.Join(dirs.State, stateFileEra2)}
	saved, _, err := store.Load()
	if err != nil {
		return err
	}
	sv := steps.Saved{Plan: answers, Steps: saved.Steps}
	if f.dryRun {
		return c.dryRunEra2(ctx, env, omniErr, answers, lines, ss, only)
	}
	if omniErr != nil {
		return omniErr
	}
	env.Confirm = confirmByFlag(c.out, f.confirmWipe)
	return c.runAnswered(ctx, &steps.Runner{Steps: ss, Env: env, Store: store, Only: only}, &sv, lines)
}

// dryRunEra2 prints the plan, its problems and, for each step, what it would change: read from Omni and
// the hub when Omni answers (the template sync's diff, a server-side dry run), else what it would do.
func (c *cli) dryRunEra2(ctx context.Context, env *steps.Env, omniErr error, p plan.Plan, lines *plan.Lines,
	ss []steps.Step, only map[steps.ID]bool) error {
	b, err := p.Marshal()
	if err != nil {
		return err
	}
	fmt.Fprintln(c.out, "# plan")
	c.out.Write(b)
	ps := p.Validate(nil)
	if omniErr != nil {
		fmt.Fprintf(c.out, "# Omni not configured (%s): the plan is checked on its own\n", oneLine(omniErr.Error()))
	} else if p.Era2 != nil {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		classes, err := steps.MachineClasses(cctx, env.Omni.State())
		var inv *plan.Inventory
		if err == nil {
			inv, err = steps.LoadInventory(cctx, env)
		}
		cancel()
		if err != nil {
			fmt.Fprintf(c.out, "# Omni not read (%s): the plan is checked on its own\n", oneLine(err.Error()))
		} else {
			ps = p.ValidateEra2(classes, inv)
		}
	}
	for _, e := range lines.Errors(ps) {
		fmt.Fprintln(c.out, "problem: "+e.Error())
	}
	fmt.Fprintln(c.out, "# steps (dry run: nothing is changed)")
	for _, s := range ss {
		if !steps.Selected(s.ID(), only) {
			fmt.Fprintf(c.out, "%s — %s (skipped: not in --only)\n", s.ID(), s.Title())
			continue
		}
		fmt.Fprintf(c.out, "%s — %s\n", s.ID(), s.Title())
		for _, l := range c.previewStep(ctx, s, env, omniErr, p, ps) {
			fmt.Fprintln(c.out, "  "+l)
		}
	}
	if len(ps) > 0 {
		return exitCode(1)
	}
	return nil
}

// previewStep is what the step would change on the live system when it can be asked, else what it
// would do; nothing when the answers have problems.
func (c *cli) previewStep(ctx context.Context, s steps.Step, env *steps.Env, omniErr error, p plan.Plan, ps plan.Problems) []string {
	if len(ps.Only(s.Fields()...)) > 0 {
		return []string{"not described until the problems above are fixed"}
	}
	pv, ok := s.(steps.Previewer)
	if !ok || omniErr != nil {
		return s.Describe(p)
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := pv.Preview(cctx, env, p)
	if err != nil {
		return append([]string{"not previewed (" + oneLine(err.Error()) + "); it would:"}, s.Describe(p)...)
	}
	return out
}
