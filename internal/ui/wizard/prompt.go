package wizard

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/clubcedille/cedille-tui/internal/steps"
	"github.com/clubcedille/cedille-tui/internal/ui/common"
	"github.com/clubcedille/cedille-tui/internal/vaultops"
)

// A running step's questions (Env.Ask), each on its own screen:
//
//   - custody, the key ceremony, one custodian at a time, on the whole screen: first the hand-over (who
//     receives it; nothing secret on screen), then, on enter, the secret itself with its fingerprint and
//     an input where the custodian types its first characters back. The right ones answer, wipe the
//     screen's copy and clear the terminal. q ? [ ] are text there, and ctrl+c quits only when pressed
//     twice: the shares not handed over yet would be lost;
//   - an unseal share, masked, under each replica's progress and the previous refusal;
//   - a secret (an SSO client secret), masked; empty skips it;
//   - a yes/no question.
//
// A secret never reaches the flash line, the log or the plan: only the answer carries it, to the step.

// defaultConfirm is how many characters a custodian types back when the prompt does not say.
const defaultConfirm = 4

// promptPane is the question a running step waits on.
type promptPane struct {
	p     steps.Prompt
	reply chan steps.Answer
	input textinput.Model
	// shown: a custody prompt's secret is on screen (after the hand-over).
	shown bool
	// note is the last refusal (a confirmation that does not match, an empty share).
	note string
	// warnQuit: ctrl+c was pressed once during a custody prompt.
	warnQuit bool
	// offset scrolls a secret longer than the screen.
	offset int
}

// openPrompt shows a step's question.
func (m *Model) openPrompt(msg askMsg) tea.Cmd {
	m.dropPrompt()
	pp := &promptPane{p: msg.prompt, reply: msg.reply, input: m.newInput(msg.prompt.Kind)}
	m.prompt = pp
	m.show(&promptScreen{session: m.session, c: m})
	m.help = false
	m.flash.Clear() // the status line says what the question expects
	if pp.p.Kind == steps.PromptCustody {
		m.confirmQuit = false // a quit question would be hidden under the ceremony's screen
	}
	m.resizePrompt()
	return pp.input.Focus()
}

// newInput is the prompt's text input: masked for a share or a secret, plain for the confirmation
// characters (a prefix of what is on screen anyway); no colours and a still cursor, so every frame of
// the same state is the same.
func (m *session) newInput(kind steps.PromptKind) textinput.Model {
	in := textinput.New()
	in.Prompt = "> "
	if kind == steps.PromptShare || kind == steps.PromptSecret {
		in.EchoMode = textinput.EchoPassword
		in.EchoCharacter = '•'
	}
	plain := lipgloss.NewStyle()
	st := textinput.StyleState{Text: plain, Placeholder: plain, Suggestion: plain, Prompt: plain}
	in.SetStyles(textinput.Styles{Focused: st, Blurred: st, Cursor: textinput.CursorStyle{Shape: tea.CursorBlock}})
	return in
}

// dropPrompt forgets the question on screen, wiping its copy of the secret.
func (m *Model) dropPrompt() {
	if m.prompt == nil {
		return
	}
	m.prompt.p.Secret.Wipe()
	m.prompt.input.Reset()
	m.prompt = nil
	if _, ok := m.pane.(*promptScreen); ok {
		m.show(newRunScreen(m.session, m))
	}
}

// answer sends the operator's reply to the waiting step and goes back to its progress.
func (m *Model) answer(a steps.Answer) tea.Cmd {
	reply := m.prompt.reply
	m.dropPrompt()
	return func() tea.Msg {
		reply <- a // buffered: never blocks, even when the step stopped waiting
		return nil
	}
}

// custody tells whether the key ceremony holds the screen.
func (m *session) custody() bool {
	return m.prompt != nil && m.prompt.p.Kind == steps.PromptCustody
}

func (m *session) resizePrompt() {
	if m.prompt == nil {
		return
	}
	w := m.rightWidth()
	if m.custody() {
		w = m.w
	}
	m.prompt.input.SetWidth(max(w-lipgloss.Width(m.prompt.input.Prompt)-1, 1))
}

// promptScreen is a question the running step waits on: a share or a secret typed masked, a yes/no, or
// the key ceremony, which takes the whole screen (custodyView).
type promptScreen struct {
	*session
	c control
}

func (m *promptScreen) Update(msg tea.Msg) (Screen, tea.Cmd) {
	if m.prompt == nil {
		return m, nil
	}
	switch msg := msg.(type) {
	case tea.PasteMsg:
		return m, m.paste(msg)
	case tea.KeyPressMsg:
		return m, m.key(msg)
	}
	return m, nil
}

func (m *promptScreen) View() string {
	if m.prompt == nil {
		return ""
	}
	return m.promptView()
}

func (m *promptScreen) SetSize(int, int) { m.resizePrompt() }
func (m *promptScreen) Capturing() bool {
	return m.prompt != nil && m.prompt.p.Kind != steps.PromptYesNo
}
func (m *promptScreen) Hint() string             { return m.promptHint() }
func (m *promptScreen) ShortHelp() []key.Binding { return m.promptHelp() }

// paste gives pasted text to the input (a share is usually pasted).
func (m *promptScreen) paste(msg tea.PasteMsg) tea.Cmd {
	pp := m.prompt
	if pp.p.Kind == steps.PromptYesNo || (pp.p.Kind == steps.PromptCustody && !pp.shown) {
		return nil
	}
	pp.warnQuit = false
	var cmd tea.Cmd
	pp.input, cmd = pp.input.Update(msg)
	return cmd
}

// key handles a key on a question's screen.
func (m *promptScreen) key(k tea.KeyPressMsg) tea.Cmd {
	pp := m.prompt
	if pp == nil {
		return nil
	}
	switch pp.p.Kind {
	case steps.PromptCustody:
		return m.custodyKey(k)
	case steps.PromptYesNo:
		switch k.String() {
		case "y", "Y":
			return m.c.answer(steps.Answer{Yes: true})
		case "n", "N":
			return m.c.answer(steps.Answer{Yes: false})
		case "enter":
			return m.c.answer(steps.Answer{Yes: pp.p.Default})
		}
		return nil
	}
	// A share or a secret.
	switch {
	case key.Matches(k, m.keys.Back):
		m.c.askQuit() // the step waits on this answer: leaving means quitting (it resumes next time)
		return nil
	case key.Matches(k, m.keys.Enter):
		value := pp.input.Value()
		if value == "" && pp.p.Kind == steps.PromptShare {
			pp.note = "type or paste a share first"
			return nil
		}
		pp.input.Reset()
		return m.c.answer(steps.Answer{Secret: vaultops.NewSecret(value)})
	}
	pp.note = ""
	var cmd tea.Cmd
	pp.input, cmd = pp.input.Update(k)
	return cmd
}

// custodyKey: enter shows the secret once the custodian is ready, then checks the characters typed
// back; ↑/↓ scroll a long secret; everything else is typed text.
func (m *promptScreen) custodyKey(k tea.KeyPressMsg) tea.Cmd {
	pp := m.prompt
	pp.warnQuit = false
	if !pp.shown {
		if key.Matches(k, m.keys.Enter) {
			pp.shown = true
			return tea.ClearScreen
		}
		return nil
	}
	switch k.String() {
	case "enter":
		if !custodyMatches(pp.p, pp.input.Value()) {
			pp.note = fmt.Sprintf("%q does not match: type the first %d characters %s, or look again",
				pp.input.Value(), confirmLen(pp.p), confirmWhat(pp.p))
			pp.input.Reset()
			return nil
		}
		return tea.Batch(m.c.answer(steps.Answer{Yes: true}), tea.ClearScreen)
	case "up":
		pp.offset = max(pp.offset-1, 0)
		return nil
	case "down":
		_, secret, room := m.custodySecret()
		pp.offset = min(pp.offset+1, max(len(secret)-room+1, 0))
		return nil
	}
	pp.note = ""
	var cmd tea.Cmd
	pp.input, cmd = pp.input.Update(k)
	return cmd
}

// pgpArmored tells whether a custody secret is PGP-armored text (a share encrypted to its custodian):
// its first characters are the armour's header, so the custodian confirms with the fingerprint instead.
func pgpArmored(p steps.Prompt) bool {
	return strings.HasPrefix(strings.TrimSpace(p.Secret.Reveal()), "-----BEGIN")
}

// custodyFingerprint is what the screen names the secret by: the prompt's (a PGP key's), else the
// secret's own short hash.
func custodyFingerprint(p steps.Prompt) string {
	if p.Fingerprint != "" {
		return p.Fingerprint
	}
	return p.Secret.Fingerprint()
}

// confirmTarget is what the custodian's characters are checked against: the secret, or for an armored
// one its fingerprint without spaces.
func confirmTarget(p steps.Prompt) string {
	if pgpArmored(p) {
		return strings.ReplaceAll(custodyFingerprint(p), " ", "")
	}
	return strings.TrimSpace(p.Secret.Reveal())
}

// confirmLen is how many characters are typed back: Confirm (defaultConfirm when not set), at most the
// target's length.
func confirmLen(p steps.Prompt) int {
	n := p.Confirm
	if n <= 0 {
		n = defaultConfirm
	}
	return min(n, len([]rune(confirmTarget(p))))
}

func confirmWhat(p steps.Prompt) string {
	if pgpArmored(p) {
		return "of the fingerprint"
	}
	return "of the value"
}

// custodyMatches checks the typed characters: at least the first confirmLen of the target (more is
// fine, as long as they are its beginning — a pasted whole share). A fingerprint ignores case and spaces.
func custodyMatches(p steps.Prompt, typed string) bool {
	target := []rune(confirmTarget(p))
	n := confirmLen(p)
	if n == 0 {
		return false
	}
	got := strings.TrimSpace(typed)
	if pgpArmored(p) {
		got = strings.ToUpper(strings.ReplaceAll(got, " ", ""))
		target = []rune(strings.ToUpper(string(target)))
	}
	g := []rune(got)
	return len(g) >= n && len(g) <= len(target) && string(target[:len(g)]) == got
}

// custodyView is the whole screen of the key ceremony: the hand-over, then the secret.
func (m *session) custodyView() []string {
	t, p, w := m.theme, m.prompt.p, m.w
	if !m.prompt.shown {
		lines := append(m.custodyTitle(), styled(t.Label, "For "+custodyHolder(p), w)...)
		lines = append(lines, wrapLines(p.Lines, w)...)
		lines = append(lines, "")
		lines = append(lines, styled(t.Key, "Everyone else looks away now; press enter when "+custodyHolder(p)+" is ready.", w)...)
		lines = append(lines, t.Subtle.Render("Nothing secret is on screen yet."))
		return append(lines, m.custodyWarn()...)
	}
	top, secret, room := m.custodySecret()
	if len(secret) > room {
		last := len(secret) - room + 1
		off := min(m.prompt.offset, last)
		more := t.Subtle.Render(fmt.Sprintf("… lines %d–%d of %d (↑/↓ scroll)", off+1, off+room-1, len(secret)))
		secret = append(secret[off:off+room-1:off+room-1], more)
	}
	return slices.Concat(top, secret, m.custodyTail())
}

// custodyTitle is the ceremony screen's first lines.
func (m *session) custodyTitle() []string {
	t := m.theme
	return []string{common.Join(t.Title.Render(cmp.Or(m.prompt.p.Title, "Key ceremony")), t.Subtle.Render("cedille-tui install"), m.w), ""}
}

// custodySecret lays the shown secret out: the lines above it, its lines and how many of them fit.
func (m *session) custodySecret() (top, secret []string, room int) {
	p := m.prompt.p
	top = append(m.custodyTitle(), styled(m.theme.Label, "For "+custodyHolder(p)+", shown once: write it down or store it now.", m.w)...)
	top = append(top, "")
	secret = strings.Split(wrap(p.Secret.Reveal(), m.w), "\n")
	return top, secret, max(m.h-1-len(top)-len(m.custodyTail()), 1)
}

// custodyAsk asks for the characters typed back (the fingerprint's, for a share encrypted to a PGP key).
func custodyAsk(p steps.Prompt) string {
	if pgpArmored(p) {
		return fmt.Sprintf("This share is encrypted to %s's PGP key: type the first %d characters of the fingerprint above "+
			"to confirm you have it:", custodyHolder(p), confirmLen(p))
	}
	return fmt.Sprintf("Type the first %d characters to confirm you have it:", confirmLen(p))
}

// custodyTail is what follows the secret: its fingerprint, the confirmation and its refusal.
func (m *session) custodyTail() []string {
	t, pp := m.theme, m.prompt
	tail := []string{"", "fingerprint " + t.Label.Render(custodyFingerprint(pp.p)), ""}
	tail = append(tail, strings.Split(wrap(custodyAsk(pp.p), m.w), "\n")...)
	tail = append(tail, pp.input.View())
	if pp.note != "" {
		tail = append(tail, styled(t.Error, "✖ "+pp.note, m.w)...)
	}
	return append(tail, m.custodyWarn()...)
}

// custodyWarn is the warning after a first ctrl+c.
func (m *session) custodyWarn() []string {
	if !m.prompt.warnQuit {
		return nil
	}
	return append([]string{""}, styled(m.theme.Error, "✖ Quitting now loses the shares not handed over yet: Vault would have "+
		"to be re-created. Press ctrl+c again to quit anyway; any other key goes on.", m.w)...)
}

func custodyHolder(p steps.Prompt) string {
	if p.Holder == "" {
		return "the custodian"
	}
	return p.Holder
}

// promptView is a share, secret or yes/no question in the right pane.
func (m *session) promptView() string {
	t := m.theme
	pp := m.prompt
	p := pp.p
	w := m.rightWidth()
	title := p.Title
	if title == "" {
		title = m.o.Steps[m.cur].Title()
	}
	out := []string{t.Label.Render(title)}
	out = append(out, wrapLines(p.Lines, w)...)
	if len(p.Items) > 0 {
		out = append(out, "")
		for _, it := range p.Items {
			out = append(out, common.Fit(m.itemLine(it), w))
		}
	}
	if p.Problem != "" {
		out = append(out, "")
		out = append(out, styled(t.Error, "✖ "+p.Problem, w)...)
	}
	out = append(out, "")
	switch p.Kind {
	case steps.PromptYesNo:
		yes, no := "y yes", "n no"
		if p.Default {
			yes = t.Key.Render(yes)
		} else {
			no = t.Key.Render(no)
		}
		out = append(out, yes+" / "+no+t.Subtle.Render("  (enter: "+yesNo(p.Default)+")"))
	case steps.PromptShare:
		out = append(out, styled(t.Subtle, "Key share: it is not shown as you type; paste works.", w)...)
		out = append(out, pp.input.View())
	default:
		out = append(out, styled(t.Subtle, "The value is not shown as you type; paste works. Enter on an empty field skips it.", w)...)
		out = append(out, pp.input.View())
	}
	if pp.note != "" {
		out = append(out, styled(t.Error, "✖ "+pp.note, w)...)
	}
	return strings.Join(out, "\n")
}

// promptHint is the status line on a question's screen.
func (m *session) promptHint() string {
	if m.prompt == nil {
		return ""
	}
	switch m.prompt.p.Kind {
	case steps.PromptShare:
		return "type or paste a key share: it is never shown"
	case steps.PromptSecret:
		return "type or paste the secret: it is never shown; an empty entry skips it"
	case steps.PromptYesNo:
		return "answer y or n"
	}
	return ""
}

// promptHelp is a question's keys.
func (m *session) promptHelp() []key.Binding {
	k := m.keys
	pp := m.prompt
	if pp == nil {
		return nil
	}
	switch pp.p.Kind {
	case steps.PromptCustody:
		if !pp.shown {
			return []key.Binding{withHelp(k.Enter, "ready: show it")}
		}
		bs := []key.Binding{withHelp(k.Enter, "confirm")}
		if _, secret, room := m.custodySecret(); len(secret) > room {
			bs = append(bs, key.NewBinding(key.WithKeys("up", "down"), key.WithHelp("↑/↓", "scroll")))
		}
		return bs
	case steps.PromptYesNo:
		return []key.Binding{key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "yes")),
			key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "no")),
			withHelp(k.Enter, "default ("+yesNo(pp.p.Default)+")")}
	case steps.PromptSecret:
		return []key.Binding{withHelp(k.Enter, "submit (empty skips)"), withHelp(k.Back, "quit…")}
	}
	return []key.Binding{withHelp(k.Enter, "submit"), withHelp(k.Back, "quit…")}
}

// custodyQuitHelp is the ceremony's quit key: it takes two presses.
func (m *session) custodyQuitHelp() key.Binding {
	return key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c ×2", "quit (loses the shares not shown yet)"))
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// styled wraps s to width and styles each line on its own, so no style runs into the next line.
func styled(style lipgloss.Style, s string, width int) []string {
	lines := strings.Split(wrap(s, width), "\n")
	for i, l := range lines {
		lines[i] = style.Render(l)
	}
	return lines
}
