package console

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/clubcedille/cedille-tui/internal/actions"
	"github.com/clubcedille/cedille-tui/internal/ui/common"
	"github.com/clubcedille/cedille-tui/internal/ui/components/lineinput"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
)

// Act is what this console may do to the cluster, bound to the person at it (an SSH session's user as
// the access file has them now, or the local kubeconfig's): *actions.Bound is one. Preview and Do do
// I/O: the actions page calls them from a tea.Cmd only.
type Act interface {
	// Actions lists every action on objects of kind k; Allowed those the person's role allows now.
	Actions(k actions.Kind) []actions.Action
	Allowed(k actions.Kind) []actions.Action
	Preview(ctx context.Context, name string, t actions.Target) (actions.Preview, error)
	Do(ctx context.Context, name string, t actions.Target, c actions.Confirmation) (actions.Result, error)
}

// ActionTarget is what actions act on for a finding's object ("Node/worker-2", "Pod/web/web-1",
// "Application/argocd/shop"); false for the objects no action acts on.
func ActionTarget(object string) (actions.Target, bool) {
	parts := strings.Split(object, "/")
	kinds := map[string]actions.Kind{"Node": actions.KindNode, "Pod": actions.KindPod, "Application": actions.KindApplication}
	k, ok := kinds[parts[0]]
	switch {
	case !ok:
		return actions.Target{}, false
	case k == actions.KindNode && len(parts) == 2 && parts[1] != "":
		return actions.Target{Kind: k, Name: parts[1]}, true
	case k != actions.KindNode && len(parts) == 3 && parts[1] != "" && parts[2] != "":
		return actions.Target{Kind: k, Namespace: parts[1], Name: parts[2]}, true
	}
	return actions.Target{}, false
}

// Timeouts of the API calls the actions page makes.
const (
	previewTimeout = 15 * time.Second
	doTimeout      = 30 * time.Second
)

// actStage is where the actions page is: choosing, waiting for the dry run, reading the preview (and
// typing the name), waiting for the write.
type actStage int

const (
	stageList actStage = iota
	stagePreviewing
	stagePreview
	stageDoing
)

// previewMsg is a dry run's answer; seq tells a stale one (the person backed out meanwhile) apart.
type previewMsg struct {
	seq int
	p   actions.Preview
	err error
}

// ActionsPage lists the actions on one object — those the role may not run dimmed, with the role they
// need — and runs one: a server-side dry run first, shown; for a destructive action the object's name
// typed out; then the write, whose outcome is flashed as the page closes. Esc backs out at any point
// but while the write runs.
type ActionsPage struct {
	theme   theme.Theme
	act     Act
	target  actions.Target
	list    []actions.Action
	allowed map[string]bool
	cursor  int
	stage   actStage
	seq     int
	preview actions.Preview
	typed   lineinput.Model
	problem string // what is wrong with the name typed
	// platform is the cluster the console watches (the snapshot's), named in every confirmation: in a
	// fleet, which cluster an action would touch is never left to the header.
	platform string
	w, h     int
	keys     actKeys
}

type actKeys struct{ up, down, preview, run, back key.Binding }

// NewActionsPage builds the actions page of target.
func NewActionsPage(t theme.Theme, act Act, target actions.Target) *ActionsPage {
	p := &ActionsPage{theme: t, act: act, target: target, keys: actKeys{
		up:      key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		down:    key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		preview: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "preview (dry run)")),
		run:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "run it")),
		back:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
	}}
	p.refresh()
	return p
}

// refresh reads the actions and what the role allows now (a lowered role shows at once).
func (p *ActionsPage) refresh() {
	p.list = p.act.Actions(p.target.Kind)
	p.allowed = map[string]bool{}
	for _, a := range p.act.Allowed(p.target.Kind) {
		p.allowed[a.Name] = true
	}
	p.cursor = min(p.cursor, max(len(p.list)-1, 0))
}

func (p *ActionsPage) Init() tea.Cmd    { return nil }
func (p *ActionsPage) Title() string    { return "Actions" }
func (p *ActionsPage) SetSize(w, h int) { p.w, p.h = w, h }

// Capturing holds the keys past the list: esc then backs out to the list, q types a q.
func (p *ActionsPage) Capturing() bool { return p.stage != stageList }

// Update moves, previews and runs; the API calls run in commands.
func (p *ActionsPage) Update(msg tea.Msg) (common.Page, tea.Cmd) {
	switch msg := msg.(type) {
	case common.ThemeMsg:
		p.theme = msg.Theme
	case common.SnapshotMsg:
		p.platform = msg.Snapshot.Platform
		p.refresh()
	case previewMsg:
		return p, p.previewed(msg)
	case tea.PasteMsg:
		if p.stage == stagePreview && p.preview.Action != "" && p.destructive() {
			p.typed, _ = p.typed.Update(msg)
		}
	case tea.KeyPressMsg:
		return p, p.key(msg)
	}
	return p, nil
}

func (p *ActionsPage) key(k tea.KeyPressMsg) tea.Cmd {
	switch p.stage {
	case stageDoing: // the write is on its way: its outcome closes the page
		return nil
	case stagePreviewing:
		if key.Matches(k, p.keys.back) {
			p.seq++ // its answer, when it comes, is dropped
			p.stage = stageList
		}
		return nil
	case stagePreview:
		return p.previewKey(k)
	}
	switch {
	case key.Matches(k, p.keys.up):
		p.cursor = max(p.cursor-1, 0)
	case key.Matches(k, p.keys.down):
		p.cursor = min(p.cursor+1, max(len(p.list)-1, 0))
	case key.Matches(k, p.keys.preview) && len(p.list) > 0:
		// A dimmed action is asked for too: the dispatcher refuses it on the server, and says why.
		p.seq++
		p.stage = stagePreviewing
		act, name, t, seq := p.act, p.list[p.cursor].Name, p.target, p.seq
		return func() tea.Msg {
			ctx, cancel := context.WithTimeout(context.Background(), previewTimeout)
			defer cancel()
			pv, err := act.Preview(ctx, name, t)
			return previewMsg{seq: seq, p: pv, err: err}
		}
	}
	return nil
}

// previewed shows a dry run's answer, or flashes its refusal and goes back to the list.
func (p *ActionsPage) previewed(msg previewMsg) tea.Cmd {
	if msg.seq != p.seq || p.stage != stagePreviewing {
		return nil
	}
	if msg.err != nil {
		p.stage = stageList
		return flash(outcome(msg.err), true, false)
	}
	p.stage, p.preview, p.typed, p.problem = stagePreview, msg.p, lineinput.New(), ""
	return nil
}

// previewKey: enter runs the action (a destructive one once its object's name is typed), esc goes back.
func (p *ActionsPage) previewKey(k tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(k, p.keys.back):
		p.stage = stageList
		return nil
	case key.Matches(k, p.keys.run):
		confirm := actions.Confirmation{Expect: p.preview.Expect}
		if p.destructive() {
			if p.typed.Value() != p.target.Name {
				p.problem = "that is not its name: type " + common.Inert(p.target.Name) + " exactly, or esc"
				return nil
			}
			confirm.Typed = p.typed.Value()
		}
		p.stage = stageDoing
		act, name, t := p.act, p.preview.Action, p.target
		return func() tea.Msg {
			ctx, cancel := context.WithTimeout(context.Background(), doTimeout)
			defer cancel()
			res, err := act.Do(ctx, name, t, confirm)
			if err != nil {
				return common.FlashMsg{Text: outcome(err), Bad: true, Back: true}
			}
			return common.FlashMsg{Text: fmt.Sprintf("%s %s: done (as %s)", res.Action, res.Target, res.As), Back: true}
		}
	case p.destructive():
		p.problem = ""
		var cmd tea.Cmd
		p.typed, cmd = p.typed.Update(k)
		return cmd
	}
	return nil
}

// destructive tells whether the action previewed needs its object's name typed.
func (p *ActionsPage) destructive() bool {
	for _, a := range p.list {
		if a.Name == p.preview.Action {
			return a.Destructive
		}
	}
	return true // unknown here: ask for the name all the same
}

// outcome is the line an action's error flashes: a refusal says why ("cordon needs operator; you are
// viewer", "… changed since you looked; look again"), a failure what failed.
func outcome(err error) string {
	var ref *actions.RefusedError
	if errors.As(err, &ref) {
		return "refused: " + common.Inert(ref.Reason)
	}
	return common.Inert(err.Error())
}

func flash(text string, bad, back bool) tea.Cmd {
	return func() tea.Msg { return common.FlashMsg{Text: text, Bad: bad, Back: back} }
}

// View draws the stage, exactly the page's size.
func (p *ActionsPage) View() string {
	if p.w <= 0 || p.h <= 0 {
		return ""
	}
	var lines []string
	switch p.stage {
	case stageList:
		lines = p.listLines()
	case stagePreviewing:
		lines = p.subtle("Asking the API server for a dry run of " + p.list[p.cursor].Name + " on " + p.what() + "…")
	case stagePreview, stageDoing:
		lines = p.previewLines()
	}
	return common.Block(strings.Join(lines, "\n"), p.w, p.h)
}

// what is the target, inert, as the page names it.
func (p *ActionsPage) what() string { return common.Inert(p.target.String()) }

// subtle is text wrapped to the page's width, in the subtle style.
func (p *ActionsPage) subtle(text string) []string {
	lines := common.Wrap(text, p.w)
	for i, l := range lines {
		lines[i] = p.theme.Subtle.Render(l)
	}
	return lines
}

// listLines lists the actions, each with its blast radius; those the role may not run dimmed, with the
// role they need.
func (p *ActionsPage) listLines() []string {
	lines := []string{p.theme.Title.Render("Actions on " + p.what()), ""}
	if len(p.list) == 0 {
		return append(lines, p.theme.Subtle.Render("No action acts on a "+string(p.target.Kind)+"."))
	}
	nameWidth := 0
	for _, a := range p.list {
		nameWidth = max(nameWidth, len(a.Name))
	}
	allowed := 0
	for i, a := range p.list {
		mark := "  "
		if i == p.cursor {
			mark = p.theme.Key.Render("▸ ")
		}
		name := a.Name + strings.Repeat(" ", nameWidth-len(a.Name))
		style, needs := p.theme.Title, ""
		if p.allowed[a.Name] {
			allowed++
		} else {
			style, needs = p.theme.Subtle, "  needs "+a.Role.String()
		}
		if a.Destructive {
			needs += "  (asks for the name)"
		}
		lines = append(lines, mark+style.Render(name)+p.theme.Subtle.Render(needs))
		for _, l := range common.Wrap(common.Inert(a.Blast(p.target)), max(p.w-4, 1)) {
			lines = append(lines, "    "+p.theme.Subtle.Render(l))
		}
	}
	note := "enter shows what it would change (a dry run: nothing changes yet)."
	if allowed == 0 {
		note = "Your role runs none of these: they are listed for what the role they need could do."
	}
	return append(append(lines, ""), p.subtle(note)...)
}

// previewLines is the dry run's answer, then what enter does: run it, or (destructive) the name to type.
func (p *ActionsPage) previewLines() []string {
	lines := []string{p.theme.Title.Render("Dry run of "+p.preview.Action+" on "+p.what()) + p.theme.Subtle.Render(" — nothing changed yet"), ""}
	for _, l := range strings.Split(strings.TrimRight(common.Inert(p.preview.String()), "\n"), "\n") {
		lines = append(lines, common.Wrap(l, p.w)...)
	}
	lines = append(lines, "")
	switch {
	case p.stage == stageDoing:
		lines = append(lines, p.subtle("Running "+p.preview.Action+" on "+p.what()+"…")...)
	case p.destructive():
		lines = append(lines, common.Wrap(p.preview.Action+" cannot be undone"+onPlatform(p.platform)+". Type the "+string(p.target.Kind)+"'s name, "+
			common.Inert(p.target.Name)+", and press enter (esc goes back):", p.w)...)
		lines = append(lines, p.theme.Key.Render("> ")+common.Inert(p.typed.View()))
		if p.problem != "" {
			lines = append(lines, p.theme.Error.Render(p.problem))
		}
	default:
		lines = append(lines, p.subtle("enter runs "+p.preview.Action+" as shown, bound to this uid and resourceVersion; esc goes back.")...)
	}
	return lines
}

func (p *ActionsPage) ShortHelp() []key.Binding {
	switch p.stage {
	case stageList:
		return []key.Binding{p.keys.up, p.keys.down, p.keys.preview}
	case stagePreview:
		return []key.Binding{p.keys.run}
	}
	return nil // the shell's esc says back
}

func (p *ActionsPage) FullHelp() [][]key.Binding {
	return [][]key.Binding{{p.keys.up, p.keys.down, p.keys.preview}, {p.keys.run, p.keys.back}}
}

// onPlatform names the cluster a confirmation is about (" on k8s-shared"), "" when unknown.
func onPlatform(platform string) string {
	if platform == "" {
		return ""
	}
	return " on " + common.Inert(platform)
}

// SetPlatform names the cluster the page acts on before its first snapshot arrives.
func (p *ActionsPage) SetPlatform(name string) { p.platform = name }
