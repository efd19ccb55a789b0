package wizard

import (
	"context"
	"fmt"

	"charm.land/huh/v2"
	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/steps"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
)

// A flow is the wizard's steps, in order, each registered once: its domain half (a steps.Step: Check,
// Run, Describe, its Result) and its UI half (a StepUI: how the operator gives it its answers, in the full
// screen and in --accessible, and what follows its run). A step without a StepUI has nothing to ask: its
// screen says what it does, and enter runs it.
//
// Registering a step of a test flow (the whole change):
//
//	flow := append(Flow(installSteps()), Registration{Step: greetStep{}, UI: StepUI{Form: &FormSpec{
//		Build: func(p plan.Plan, _ *plan.Inventory, accessible bool) BoundForm {
//			name := p.Cluster.Name
//			f := huh.NewForm(huh.NewGroup(huh.NewInput().Title("Name").Value(&name)))
//			return BoundForm{Form: f, Apply: func(p *plan.Plan) plan.Problems { p.Cluster.Name = name; return nil }}
//		}}}})

// StepUI is a step's half in the wizard.
type StepUI struct {
	// Form is the step's answers as a form: one build, one apply and validate, for both modes.
	Form *FormSpec
	// Picker is a step whose answers are chosen in a screen of its own (the machines, the disks), with
	// its plain-prompt twin Ask for --accessible. A step has a Form or a Picker, or neither.
	Picker *PickerSpec
	// Auto runs the step as soon as it is opened, and r runs it again once done (it only probes: the
	// preflight).
	Auto bool
	// Confirm: after its form, the operator reviews what the step destroys and types the cluster's name
	// (the cluster steps); Env.Confirm checks it again before anything is wiped.
	Confirm *ReviewSpec
	// Quiet: a run with nothing to read; once it succeeds the wizard checks again and goes on.
	Quiet bool
	// Console: the step's success hands the cluster's kubeconfig to the console (enter opens it when no
	// selected step follows).
	Console bool
	// Note is a line the wizard adds to the step's result, from what only the screen knows (the
	// preflight: the terminal's size against what the wizard needs).
	Note func(w, h int) string
	// SummaryReplacesItems: once the step is done, its result's summary stands for its live list (the
	// bootstrap says what became of each SSO secret; the hand-off, whether every Application is healthy).
	SummaryReplacesItems bool
	// ReadFrom: once the step is done, its log is shown from the line that starts with it (the hand-off's
	// summary reads from its beginning), and the result says it scrolls.
	ReadFrom string
}

// FormSpec builds a step's form over the plan.
type FormSpec struct {
	// NeedsInventory: the form offers what Omni reports (versions), so it waits for the first read.
	NeedsInventory bool
	// Intro is what the plain prompts print before the form (the full-screen form says it in its fields'
	// descriptions).
	Intro func(p plan.Plan) []string
	// Build makes the form over values read from p; accessible makes it for plain prompts (an empty
	// answer keeps the value shown).
	Build func(p plan.Plan, inv *plan.Inventory, accessible bool) BoundForm
}

// BoundForm is a form and what it does with its answers.
type BoundForm struct {
	Form *huh.Form
	// Apply writes the answers into p; the problems it returns send the operator back to the form.
	Apply func(p *plan.Plan) plan.Problems
	// Read, when set, is the I/O the answers need before Apply (a file they name): the form screen runs
	// it in a command, the plain prompts at once; its error sends the operator back to the form.
	Read func() error
	// Notes are lines the full-screen form shows under it, following what is typed, in at most room
	// lines (the storage form's pools); nil when none.
	Notes func(t theme.Theme, width, room int) []string
}

// ReviewSpec is the review a step that destroys opens after its form: what it destroys, and the name the
// operator types to confirm it.
type ReviewSpec struct {
	// Name is what is typed to confirm: the cluster's name.
	Name func(p plan.Plan) string
	// Head is the review's first lines (its title, what is made); List what is destroyed, scrolled.
	Head func(t theme.Theme, p plan.Plan, width int) []string
	List func(p plan.Plan, width int) []string
	// Plain is what --accessible prints before asking for the name.
	Plain func(p plan.Plan) []string
	// Problems keep the review from confirming: the plan's, against Omni's inventory.
	Problems func(p plan.Plan, inv *plan.Inventory) plan.Problems
}

// PickerSpec is a step whose answers are picked in a screen of its own.
type PickerSpec struct {
	// Open makes the picker's screen; the wizard reads Omni's machines again while it is shown.
	Open func(s *session, c control) Screen
	// Ask is the same choice as plain prompts; it saves the plan as it goes.
	Ask func(a *accessible, ctx context.Context, env *steps.Env) error
}

// Registration is one step of a flow: its domain half and its UI half.
type Registration struct {
	Step steps.Step
	UI   StepUI
}

// Flow pairs each step with its registered UI (installUI's, by ID); a step not registered has none.
func Flow(ss []steps.Step) []Registration {
	ui := installUI()
	out := make([]Registration, len(ss))
	for i, s := range ss {
		out[i] = Registration{Step: s, UI: ui[s.ID()]}
	}
	return out
}

// installUI is the install's steps' UI halves, by ID.
func installUI() map[steps.ID]StepUI {
	return map[steps.ID]StepUI{
		steps.Preflight: {Auto: true, Note: func(w, h int) string {
			return fmt.Sprintf("terminal %d×%d (the wizard needs %d×%d)", w, h, MinWidth, MinHeight)
		}},
		steps.ISO:            {Form: &FormSpec{NeedsInventory: true, Build: isoBound}},
		steps.Machines:       {Quiet: true, Picker: &PickerSpec{Open: openMachines, Ask: (*accessible).askMachines}},
		steps.Disks:          {Quiet: true, Picker: &PickerSpec{Open: openDisks, Ask: (*accessible).askDisks}},
		steps.Cluster:        {Form: &FormSpec{NeedsInventory: true, Build: clusterBound}, Confirm: clusterReview(), Console: true},
		steps.VaultInit:      {Form: &FormSpec{Build: vaultInitBound}},
		steps.VaultBootstrap: {Form: &FormSpec{Build: vaultBootstrapBound}, SummaryReplacesItems: true},
		steps.GitOps:         {Form: &FormSpec{Intro: gitopsIntro, Build: gitopsBound}},
		steps.Storage:        {Form: &FormSpec{Intro: storageIntro, Build: storageBound}},
		steps.VClusters:      {Form: &FormSpec{Intro: vclustersIntro, Build: vclustersBound}},
		steps.Handoff:        {Console: true, SummaryReplacesItems: true, ReadFrom: steps.HandoffHeading},
	}
}

// editable tells whether a step has answers to give: a form or a picker.
func (u StepUI) editable() bool { return u.Form != nil || u.Picker != nil }

// flowOf is the flow the wizard runs: fl when given (its steps, their UI by ID), else ss with the
// install's UI.
func flowOf(fl []Registration, ss []steps.Step) (map[steps.ID]StepUI, []steps.Step) {
	if fl == nil {
		return installUI(), ss // all of them, by ID: tests add install steps to the session after New
	}
	ui := make(map[steps.ID]StepUI, len(fl))
	ss = make([]steps.Step, len(fl))
	for i, r := range fl {
		ss[i], ui[r.Step.ID()] = r.Step, r.UI
	}
	return ui, ss
}
