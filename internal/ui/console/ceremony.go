package console

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/clubcedille/cedille-tui/internal/ceremony"
	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/ui/common"
	"github.com/clubcedille/cedille-tui/internal/ui/components/lineinput"
	"github.com/clubcedille/cedille-tui/internal/ui/components/scroll"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
	"github.com/clubcedille/cedille-tui/internal/vaultops"
)

// Ceremonies is what the ceremony page does for the person at this console: the server's ceremony
// board bound to their SSH session (internal/serve), who they are checked there at each call. Every
// method does I/O (the audit trail, Vault): the page calls them from a tea.Cmd only.
type Ceremonies interface {
	Open(ctx context.Context, kind ceremony.Kind) error
	Join(ctx context.Context, id string) error
	// Submit gives the share (the ceremony wipes it) and says the progress it made.
	Submit(ctx context.Context, id string, share vaultops.Secret) (string, error)
	Abort(ctx context.Context, id, reason string) error
}

// Participant is the person at this console as the access file has them now.
type Participant struct {
	Name             string
	Admin, Custodian bool
}

// CeremonyMsg is the ceremony board as it is now, and who this console's person is: the server sends it
// at every change. View is nil while no ceremony was ever opened.
type CeremonyMsg struct {
	View *ceremony.View
	Me   Participant
}

// ceremonyTimeout bounds one call of the ceremony page (a submission reaches every replica).
const ceremonyTimeout = time.Minute

// Notice is the one line every served console shows while a ceremony is open ("" when none is): its id,
// and for a custodian who has not given a share, that it is wanted.
func (m CeremonyMsg) Notice() string {
	v := m.View
	if v == nil || v.Phase != ceremony.Running {
		return ""
	}
	s := fmt.Sprintf("◆ %s ceremony %s open by %s", v.Kind, v.ID, v.Owner)
	if st, ok := custodianOf(v, m.Me.Name); ok && m.Me.Custodian && st.Submitted.IsZero() {
		return s + " — your share is wanted: :ceremony"
	}
	return s + " — :ceremony"
}

func custodianOf(v *ceremony.View, name string) (ceremony.CustodianState, bool) {
	for _, c := range v.Custodians {
		if c.Name == name {
			return c, true
		}
	}
	return ceremony.CustodianState{}, false
}

// entry is what the page's line editor reads.
type entry int

const (
	enterNothing entry = iota
	enterShare
	enterReason
)

// CeremonyPage shows the ceremony on the board for everyone to follow — id, nonce fingerprint, each
// replica's progress k of n, each custodian's joining and submitting (when, never what) — and lets the
// person do their part: an admin opens one, a custodian types or pastes their share (masked) and
// submits it, the owner aborts it with a reason. A custodian who opens the page joins the ceremony.
type CeremonyPage struct {
	theme   theme.Theme
	cer     Ceremonies
	msg     CeremonyMsg
	view    scroll.Model
	input   lineinput.Model
	entry   entry
	busy    string // what is on its way to the server ("" for nothing)
	joined  string // the ceremony this page joined
	problem string
	// refused is the last call's refusal, kept in the page's text (a flash is one line, cut at the
	// terminal's width: "recovery shares cannot unseal…" must be read whole).
	refused string
	vault   []health.VaultStatus // Vault's servers as the last snapshot has them
	w, h    int
	keys    cerKeys
}

type cerKeys struct{ unseal, root, submit, abort, send, cancel key.Binding }

// NewCeremonyPage builds the page over the session's ceremonies.
func NewCeremonyPage(t theme.Theme, c Ceremonies) *CeremonyPage {
	return &CeremonyPage{theme: t, cer: c, view: scroll.New(), keys: cerKeys{
		unseal: key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "open an unseal ceremony")),
		root:   key.NewBinding(key.WithKeys("g"), key.WithHelp("g", "open a generate-root ceremony")),
		submit: key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "submit your share")),
		abort:  key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "abort (with a reason)")),
		send:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "send")),
		cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
	}}
}

func (p *CeremonyPage) Init() tea.Cmd { return p.join() }
func (p *CeremonyPage) Title() string { return "Vault ceremony" }

// Capturing holds every key while the share or the reason is typed: q types a q.
func (p *CeremonyPage) Capturing() bool { return p.entry != enterNothing }

func (p *CeremonyPage) SetSize(w, h int) {
	p.w, p.h = w, h
	p.layout()
}

// layout gives the lines all the page but the editor's row, while one is open.
func (p *CeremonyPage) layout() {
	rows := p.h
	if p.entry != enterNothing {
		rows = max(p.h-2, 0)
	}
	p.view.SetSize(p.w, rows)
	lines := CeremonyLines(p.theme, p.msg, p.vault, p.w)
	if p.refused != "" {
		lines = append(lines, "")
		for _, l := range common.Wrap("✖ "+p.refused, max(p.w, 1)) {
			lines = append(lines, p.theme.Error.Render(l))
		}
	}
	p.view.SetLines(lines)
}

// ceremonyDoneMsg is a call's answer.
type ceremonyDoneMsg struct {
	page *CeremonyPage
	note string
	err  error
}

func (p *CeremonyPage) Update(msg tea.Msg) (common.Page, tea.Cmd) {
	switch msg := msg.(type) {
	case common.ThemeMsg:
		p.theme = msg.Theme
		p.layout()
	case common.SnapshotMsg:
		p.vault = msg.Snapshot.Vault
		p.layout()
	case CeremonyMsg:
		p.msg = msg
		if !p.running() || !p.mayDo() {
			p.entry = enterNothing
		}
		p.layout()
		return p, p.join()
	case ceremonyDoneMsg:
		if msg.page != p {
			return p, nil
		}
		p.busy, p.refused = "", ""
		if msg.err != nil {
			p.refused = common.Inert(msg.err.Error())
		}
		p.layout()
		if msg.err != nil {
			return p, flash(p.refused, true, false)
		}
		return p, flash(common.Inert(msg.note), false, false)
	case tea.PasteMsg:
		if p.entry != enterNothing {
			p.input, _ = p.input.Update(msg)
		}
	case tea.KeyPressMsg:
		return p, p.key(msg)
	}
	return p, nil
}

// running tells whether a ceremony is open.
func (p *CeremonyPage) running() bool {
	return p.msg.View != nil && p.msg.View.Phase == ceremony.Running
}

// mayDo tells whether the editor open still has a purpose: a share not yet given, or the owner's abort.
func (p *CeremonyPage) mayDo() bool {
	switch p.entry {
	case enterShare:
		return p.canSubmit()
	case enterReason:
		return p.isOwner()
	}
	return true
}

func (p *CeremonyPage) canSubmit() bool {
	if !p.running() || !p.msg.Me.Custodian {
		return false
	}
	st, ok := custodianOf(p.msg.View, p.msg.Me.Name)
	return ok && st.Submitted.IsZero()
}

func (p *CeremonyPage) isOwner() bool { return p.running() && p.msg.View.Owner == p.msg.Me.Name }

func (p *CeremonyPage) canOpen() bool { return p.msg.Me.Admin && !p.running() }

// join joins the open ceremony once, for a custodian named in it.
func (p *CeremonyPage) join() tea.Cmd {
	if !p.running() || !p.msg.Me.Custodian || p.joined == p.msg.View.ID {
		return nil
	}
	st, ok := custodianOf(p.msg.View, p.msg.Me.Name)
	if !ok {
		return nil
	}
	p.joined = p.msg.View.ID
	if !st.Joined.IsZero() {
		return nil
	}
	c, id := p.cer, p.msg.View.ID
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), ceremonyTimeout)
		defer cancel()
		if err := c.Join(ctx, id); err != nil {
			return ceremonyDoneMsg{page: p, err: err}
		}
		return nil
	}
}

// call runs f in a command; its answer flashes.
func (p *CeremonyPage) call(what string, f func(ctx context.Context) (string, error)) tea.Cmd {
	p.busy = what
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), ceremonyTimeout)
		defer cancel()
		note, err := f(ctx)
		return ceremonyDoneMsg{page: p, note: note, err: err}
	}
}

func (p *CeremonyPage) key(k tea.KeyPressMsg) tea.Cmd {
	if p.entry != enterNothing {
		return p.entryKey(k)
	}
	if p.busy != "" {
		return nil
	}
	c := p.cer
	switch {
	case key.Matches(k, p.keys.unseal, p.keys.root) && p.canOpen():
		kind := ceremony.Unseal
		if key.Matches(k, p.keys.root) {
			kind = ceremony.GenerateRoot
		}
		return p.call("Opening the "+kind.String()+" ceremony…", func(ctx context.Context) (string, error) {
			if err := c.Open(ctx, kind); err != nil {
				return "", err
			}
			return kind.String() + " ceremony opened: tell the custodians its id and fingerprint", nil
		})
	case key.Matches(k, p.keys.submit) && p.canSubmit():
		p.entry, p.input, p.problem = enterShare, lineinput.NewMasked(), ""
		p.layout()
	case key.Matches(k, p.keys.abort) && p.isOwner():
		p.entry, p.input, p.problem = enterReason, lineinput.New(), ""
		p.layout()
	default:
		var cmd tea.Cmd
		p.view, cmd = p.view.Update(k)
		return cmd
	}
	return nil
}

// entryKey edits the share or the reason; enter sends it, esc closes the editor (the text is dropped).
func (p *CeremonyPage) entryKey(k tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(k, p.keys.cancel):
		p.entry, p.input = enterNothing, lineinput.Model{}
		p.layout()
		return nil
	case key.Matches(k, p.keys.send):
		text := strings.TrimSpace(p.input.Value())
		if text == "" {
			p.problem = "nothing typed: type or paste it, or esc"
			return nil
		}
		what, id, c := p.entry, p.msg.View.ID, p.cer
		p.entry, p.input = enterNothing, lineinput.Model{} // the typed text leaves the page at once
		p.layout()
		if what == enterReason {
			return p.call("Aborting…", func(ctx context.Context) (string, error) {
				if err := c.Abort(ctx, id, text); err != nil {
					return "", err
				}
				return "ceremony " + id + " aborted", nil
			})
		}
		share := vaultops.NewSecret(text)
		return p.call("Sending your share to Vault…", func(ctx context.Context) (string, error) {
			return c.Submit(ctx, id, share)
		})
	}
	p.problem = ""
	var cmd tea.Cmd
	p.input, cmd = p.input.Update(k)
	return cmd
}

func (p *CeremonyPage) View() string {
	if p.entry == enterNothing {
		return withEditor(p.theme, p.view.View(), nil, p.w, p.h)
	}
	e := editor{label: "share ", hint: "enter sends it to Vault · esc cancels", input: p.input, problem: p.problem,
		note: "typed characters show as •; the share goes to Vault only, never to a log"}
	if p.entry == enterReason {
		e.label, e.hint, e.note = "reason ", "enter aborts the ceremony · esc cancels", ""
	}
	return withEditor(p.theme, p.view.View(), &e, p.w, p.h)
}

// editor is the line editor a page shows under its text while something is typed: a label, what is
// typed, what enter and esc do, and under it what is wrong with it (else a note).
type editor struct {
	label, hint   string
	input         lineinput.Model
	problem, note string
}

// withEditor is a page's text above its open editor (e nil: the text alone), exactly w×h.
func withEditor(t theme.Theme, body string, e *editor, w, h int) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	if e == nil {
		return common.Block(body, w, h)
	}
	line := t.Key.Render(e.label) + common.Inert(e.input.View()) + t.Subtle.Render("  "+e.hint)
	status := t.Subtle.Render(e.note)
	if e.problem != "" {
		status = t.Error.Render(e.problem)
	}
	return common.Block(body+"\n"+common.Fit(line, w)+"\n"+common.Fit(status, w), w, h)
}

func (p *CeremonyPage) ShortHelp() []key.Binding {
	switch {
	case p.entry != enterNothing:
		return []key.Binding{p.keys.send, p.keys.cancel}
	case p.busy != "":
		return nil
	}
	var bs []key.Binding
	if p.canOpen() {
		bs = append(bs, p.keys.unseal, p.keys.root)
	}
	if p.canSubmit() {
		bs = append(bs, p.keys.submit)
	}
	if p.isOwner() {
		bs = append(bs, p.keys.abort)
	}
	return append(bs, p.view.ShortHelp()...)
}

func (p *CeremonyPage) FullHelp() [][]key.Binding { return [][]key.Binding{p.ShortHelp()} }

// CeremonyLines is the page's text for the board m, wrapped to width: what is open, its fingerprint,
// each replica's progress, each custodian's part, what was noticed, and what this person may do; while
// none is open, Vault's servers as the console watches them.
func CeremonyLines(t theme.Theme, m CeremonyMsg, vault []health.VaultStatus, width int) []string {
	var lines []string
	add := func(style func(...string) string, text string) {
		for _, l := range common.Wrap(common.Inert(text), max(width, 1)) {
			lines = append(lines, style(l))
		}
	}
	plain := func(s ...string) string { return strings.Join(s, "") }
	v := m.View
	if v == nil {
		add(t.Title.Render, "No Vault ceremony has been opened.")
		lines = append(lines, "")
		if now := vaultNow(vault); now != "" {
			add(plain, now)
			lines = append(lines, "")
		}
		add(plain, "A ceremony lets the custodians unseal Vault — each gives their own share from their own session, so nobody carries a threshold of shares — or make a new root token.")
		lines = append(lines, "")
		if m.Me.Admin {
			add(t.Subtle.Render, "As an admin you open one: u to unseal the sealed replicas, g to make a root token.")
		} else {
			add(t.Subtle.Render, "An admin opens one; it shows here at once.")
		}
		return lines
	}
	state := v.Phase.String()
	if v.Reason != "" {
		state += " (" + v.Reason + ")"
	}
	add(t.Title.Render, fmt.Sprintf("%s ceremony %s · %s", titleCase(v.Kind.String()), v.ID, state))
	add(plain, "fingerprint "+v.Fingerprint+" — compare it with the one "+v.Owner+" announced before giving a share")
	add(t.Subtle.Render, fmt.Sprintf("opened by %s at %s UTC · ends at %s UTC", v.Owner, clock(v.Opened), clock(v.Deadline)))
	lines = append(lines, "")
	nameW := len("custodian")
	for _, r := range v.Replicas {
		nameW = max(nameW, len(r.Name))
	}
	for _, c := range v.Custodians {
		nameW = max(nameW, len(c.Name))
	}
	pad := func(s string) string { return s + strings.Repeat(" ", max(nameW-len(s), 0)) + "  " }
	progressWord := "sealed"
	if v.Kind == ceremony.GenerateRoot {
		progressWord = "shares"
	}
	for _, r := range v.Replicas {
		text, style := "", t.Style(theme.Warn)
		switch {
		case !r.Known:
			text, style = "not read yet", t.Subtle
		case !r.Sealed && v.Kind == ceremony.GenerateRoot:
			text, style = "root token made ✔", t.Style(theme.Good)
		case !r.Sealed:
			text, style = "unsealed ✔", t.Style(theme.Good)
		default:
			text = fmt.Sprintf("%s %s %d of %d", progressWord, bar(r.Progress, r.Threshold), r.Progress, r.Threshold)
		}
		if r.Err != "" {
			text += " — " + r.Err
			style = t.Style(theme.Bad)
		}
		add(style.Render, pad(r.Name)+text)
	}
	lines = append(lines, "")
	add(t.Subtle.Render, pad("custodian")+"joined    submitted")
	for _, c := range v.Custodians {
		line := pad(c.Name) + stamp(c.Joined) + "  " + stamp(c.Submitted)
		if c.Name == m.Me.Name {
			line += "  ← you"
		}
		add(plain, line)
	}
	if len(v.Notes) > 0 {
		lines = append(lines, "")
		for _, n := range v.Notes {
			add(t.Style(theme.Warn).Render, "▲ "+n)
		}
	}
	lines = append(lines, "")
	for _, s := range nextSteps(v, m.Me, vault) {
		add(t.Subtle.Render, s)
	}
	return lines
}

// vaultNow says in one line which of Vault's servers are sealed, as the console last read them.
func vaultNow(vault []health.VaultStatus) string {
	var parts []string
	for _, s := range vault {
		switch {
		case s.Err != nil:
			parts = append(parts, s.Name+" not reached ("+oneLineOf(s.Err.Error())+")")
		case s.Health == nil:
		case !s.Health.Initialized:
			parts = append(parts, s.Name+" not initialized")
		case s.Health.Sealed:
			parts = append(parts, s.Name+" sealed")
		default:
			parts = append(parts, s.Name+" unsealed")
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "Vault now: " + strings.Join(parts, ", ") + "."
}

// oneLineOf is an error's first line.
func oneLineOf(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}

// nextSteps says what this person may do now.
func nextSteps(v *ceremony.View, me Participant, vault []health.VaultStatus) []string {
	st, named := custodianOf(v, me.Name)
	var out []string
	switch {
	case v.Phase == ceremony.Completed && v.TokenReady && v.Owner == me.Name:
		out = append(out, "The root token waits for you. Take it without a terminal, so it never reaches a screen: ssh <this server> ceremony token "+v.ID+" > root.token")
	case v.Phase != ceremony.Running:
		if me.Admin {
			out = append(out, "u opens a new unseal ceremony, g a generate-root one.")
		}
		if now := vaultNow(vault); now != "" {
			out = append(out, now)
		}
	case named && me.Custodian && st.Submitted.IsZero():
		out = append(out, "s: type or paste your share (it shows as •), after checking the fingerprint. Without a terminal: gpg -d share.asc | ssh <this server> ceremony submit "+v.ID+" "+v.Fingerprint)
	case named && me.Custodian:
		out = append(out, "Your share is given. The ceremony waits for the others.")
	default:
		out = append(out, "You follow the ceremony; only the custodians named give shares.")
	}
	if v.Phase == ceremony.Running && v.Owner == me.Name {
		out = append(out, "x aborts it (the shares held are wiped).")
	}
	return out
}

// bar draws k of n as ■■□.
func bar(k, n int) string {
	if n <= 0 || n > 20 {
		return ""
	}
	k = min(max(k, 0), n)
	return strings.Repeat("■", k) + strings.Repeat("□", n-k)
}

func clock(t time.Time) string { return t.UTC().Format("15:04") }

// stamp is a custodian's time of joining or submitting, "—" when not yet; 8 cells either way.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "—       "
	}
	return t.UTC().Format("15:04:05")
}

func titleCase(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
