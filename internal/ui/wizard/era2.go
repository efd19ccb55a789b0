package wizard

import (
	"fmt"
	"strings"

	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/steps"
	"github.com/clubcedille/cedille-tui/internal/ui/common"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
	"github.com/clubcedille/cedille-tui/internal/units"
)

// Era 2's install in the wizard: its steps' UI halves. The cluster step asks the whole era2 section
// (era2form.go) and opens a review of what Omni makes, confirmed by the cluster's name; the steps after
// it have nothing to ask (their screen says what they do, enter runs them).

// Era2Flow pairs era 2's steps with their UI (by ID); a step not registered here has none.
func Era2Flow(ss []steps.Step) []Registration {
	out := make([]Registration, len(ss))
	for i, s := range ss {
		out[i] = Registration{Step: s}
		if s.ID() == steps.Era2Cluster {
			out[i].UI = StepUI{Form: &FormSpec{NeedsInventory: true, Intro: era2Intro, Build: era2Bound}, Confirm: era2Review(s)}
		}
	}
	return out
}

// era2Intro is what the plain prompts say before the era-2 form.
func era2Intro(plan.Plan) []string {
	return []string{"A new cluster of the fleet: Omni allocates its Talos VMs from MachineClasses, registers it in the hub's " +
		"ArgoCD and its Vault unseals with a Google Cloud KMS key. Choices are numbered; an empty answer keeps the value shown."}
}

// newEra2Plan is a new era-2 install's plan.
func newEra2Plan() plan.Plan {
	return plan.Plan{Version: plan.SchemaVersion, Era: plan.Era2Version, Era2: &plan.Era2{}}
}

// era2Review is the era-2 cluster's review: the cluster Omni makes from its MachineClasses (each VM it
// allocates installs Talos: its disks are wiped) and what the step changes in Omni (its Describe).
func era2Review(cluster steps.Step) *ReviewSpec {
	name := func(p plan.Plan) string {
		if p.Era2 == nil {
			return ""
		}
		return p.Era2.Cluster
	}
	wiped := func(p plan.Plan) string {
		e := p.Era2
		return fmt.Sprintf("Omni allocates %s from MachineClasses %s and %s; each installs Talos: its disks are WIPED",
			units.Count(e.ControlPlanes.Size+e.Workers.Size, "VM"), e.ControlPlanes.MachineClass, e.Workers.MachineClass)
	}
	return &ReviewSpec{
		Name: name,
		Head: func(t theme.Theme, p plan.Plan, w int) []string {
			if p.Era2 == nil {
				return []string{t.Label.Render("Review: no era-2 cluster in the plan")}
			}
			e := p.Era2
			head := []string{t.Label.Render("Review: create cluster " + e.Cluster + " (era 2)")}
			head = append(head, strings.Split(wrap(fmt.Sprintf("Kubernetes %s, Talos %s; %d control planes, %d workers; stack %s, registered in hub %s",
				plan.Canonical(e.KubernetesVersion), plan.Canonical(e.TalosVersion), e.ControlPlanes.Size, e.Workers.Size, e.Stack, e.Hub), w), "\n")...)
			return append(head, strings.Split(wrap(t.Style(theme.Bad).Render("✖ "+wiped(p)+"."), w), "\n")...)
		},
		List: func(p plan.Plan, w int) []string { return hanging(cluster.Describe(p), w) },
		Plain: func(p plan.Plan) []string {
			if p.Era2 == nil {
				return nil
			}
			return append([]string{"Creating cluster " + p.Era2.Cluster + ": " + wiped(p) + ". It will:"}, cluster.Describe(p)...)
		},
		Problems: func(p plan.Plan, inv *plan.Inventory) plan.Problems { return p.ValidateEra2(classesOf(inv), inv) },
	}
}

// hanging wraps each line to width, its continuation rows indented two more than the line.
func hanging(lines []string, width int) []string {
	var out []string
	for _, l := range lines {
		text := strings.TrimLeft(l, " ")
		pad := strings.Repeat(" ", len(l)-len(text))
		for i, row := range common.Wrap(text, max(width-len(pad)-2, 10)) {
			if i > 0 {
				row = "  " + row
			}
			out = append(out, pad+row)
		}
	}
	return out
}
