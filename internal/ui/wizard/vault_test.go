package wizard

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/steps"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
	"github.com/clubcedille/cedille-tui/internal/vaultops"
)

// Fake values only: nothing here is a real share, token or key.
const (
	fakeShare       = "FAKEshare1-b64+Zm9yIHRlc3RzIG9ubHksIG5vdCBhIHJlYWwgc2hhcmU="
	fakeArmored     = "-----BEGIN PGP MESSAGE-----\n\nwV4DFAKEFAKEFAKEEgdAfakefakefakefakefakefakefakefakefakefakefakeZmFr\nZWZha2VmYWtl\n=FAKE\n-----END PGP MESSAGE-----"
	fakeFingerprint = "9A3F0C1DE2B4F6A8C0D1E2F3A4B5C6D7E8F90A1B"
	fakeTyped       = "q?[s3cr3t]share" // q ? [ ] are text in a masked input
)

// answers records what a fake step's questions got back, and the error that ended its asking.
type answers struct {
	mu   sync.Mutex
	got  []steps.Answer
	err  error
	kept bool // the step's own copy of the secret survived the screen's wipe
	done chan struct{}
}

func newAnswers() *answers { return &answers{done: make(chan struct{})} }

func (a *answers) add(x steps.Answer) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.got = append(a.got, x)
}

func (a *answers) end(err error) {
	a.mu.Lock()
	a.err = err
	a.mu.Unlock()
	close(a.done)
}

func (a *answers) wait(t *testing.T) ([]steps.Answer, error) {
	t.Helper()
	select {
	case <-a.done:
	case <-time.After(10 * time.Second):
		t.Fatal("the step never stopped asking")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.got, a.err
}

// ceremonyPrompts are the fake step's questions: two custodians (a plain share, then one encrypted to
// its custodian's PGP key), an unseal share under the replicas' progress, a yes/no.
func ceremonyPrompts() []steps.Prompt {
	return []steps.Prompt{
		{Kind: steps.PromptCustody, Title: "Vault key ceremony", Holder: "custodian 1 of 2", Confirm: 6,
			Lines: []string{"Share 1 of 2: any 2 of the 2 shares unseal Vault."}, Secret: vaultops.NewSecret(fakeShare)},
		{Kind: steps.PromptCustody, Title: "Vault key ceremony", Holder: "Alice <alice@example.org>", Confirm: 8,
			Secret: vaultops.NewSecret(fakeArmored), Fingerprint: fakeFingerprint},
		{Kind: steps.PromptShare, Title: "Unseal Vault", Lines: []string{"Give 2 shares; each replica takes them in turn."},
			Problem: "vault-1 refused the previous share: not a valid share",
			Items:   []steps.Item{{Name: "vault-0", State: "sealed", Detail: "1/2 shares"}, {Name: "vault-1", State: "sealed", Detail: "0/2"}}},
		{Kind: steps.PromptYesNo, Title: "Revoke the root token now?", Lines: []string{"A new one can be generated later."}, Default: true},
	}
}

// askingStep is a fake step whose Run puts the prompts to the operator in turn, recording the answers.
func askingStep(id steps.ID, title string, ps []steps.Prompt, rec *answers) fakeStep {
	return fakeStep{id: id, title: title,
		holds: func(plan.Plan) (bool, string) { return false, "sealed" },
		run: func(ctx context.Context, e *steps.Env, _ *plan.Plan, emit func(steps.Event)) error {
			emit(steps.Event{Message: "asking the operator"})
			var err error
			for _, p := range ps {
				var a steps.Answer
				if a, err = e.Ask(ctx, p); err != nil {
					break
				}
				rec.add(a)
				if p.Kind == steps.PromptCustody && p.Secret.Reveal() == fakeShare {
					rec.mu.Lock()
					rec.kept = true
					rec.mu.Unlock()
				}
			}
			rec.end(err)
			return err
		},
		result: func(*steps.Env, plan.Plan) steps.Result { return steps.VaultUnsealResult() }}
}

func newVaultModel(t testing.TB, dir string, ss ...steps.Step) *Model {
	return New(Options{Steps: ss, Env: &steps.Env{}, Store: steps.NewStore(dir), Theme: theme.New(false, true),
		Endpoint: "grpc://omni.test", Inventory: func(context.Context) (*plan.Inventory, error) { return testInventory(), nil },
		Refresh: time.Second, Now: func() time.Time { return at }})
}

// enterClears presses enter on a custody screen and tells whether the command it returns clears the
// terminal; the other messages go on as usual.
func (d *driver) enterClears() bool {
	d.t.Helper()
	_, cmd := d.m.Update(keyMsg("enter"))
	clearType := reflect.TypeOf(tea.ClearScreen())
	found := false
	var walk func(tea.Cmd)
	walk = func(c tea.Cmd) {
		if c == nil {
			return
		}
		switch msg := c().(type) {
		case tea.BatchMsg:
			for _, c := range msg {
				walk(c)
			}
		default:
			if reflect.TypeOf(msg) == clearType {
				found = true
				return
			}
			d.deliver(msg)
		}
	}
	walk(cmd)
	d.settle()
	return found
}

// TestKeyCeremony drives a step that asks two custodians, an unseal share and a yes/no: the secret is
// on screen only between the hand-over and the right confirmation, the share is never shown, and the
// prompts' keys are text.
func TestKeyCeremony(t *testing.T) {
	rec := newAnswers()
	d := newDriver(t, newVaultModel(t, t.TempDir(), askingStep(steps.VaultUnseal, "Vault unseal", ceremonyPrompts(), rec)), 80, 24)
	d.quiet = true
	d.shows("Vault unseal · not done")
	d.key("enter")

	// The hand-over: who receives it, the whole screen, nothing secret; q ? [ ] do nothing.
	scr := d.shows("For custodian 1 of 2", "Share 1 of 2", "press enter when custodian 1 of 2 is ready")
	if strings.Contains(scr, fakeShare) || strings.Contains(scr, "Legend") {
		t.Fatal("the hand-over screen must take the whole screen and hold no secret")
	}
	assertFits(t, d.m.Render(), 80, 24)
	d.keys("q", "?", "[", "]")
	if d.quit || d.m.confirmQuit || d.m.help || !d.m.custody() {
		t.Fatal("q ? [ ] must not act during the key ceremony")
	}

	// enter shows it: the secret, its fingerprint, what to type back.
	if !d.enterClears() {
		t.Error("showing the secret must clear the terminal first")
	}
	scr = d.shows("fingerprint "+vaultops.NewSecret(fakeShare).Fingerprint(), "Type the first 6 characters")
	if !strings.Contains(scr, fakeShare) {
		t.Fatal("after enter the custodian's share must be on screen")
	}
	assertFits(t, d.m.Render(), 80, 24)
	golden.RequireEqual(t, []byte(d.m.Render()))

	// Typed text, even q ? [ ], is the confirmation; a wrong one is refused, the secret stays.
	d.typed("q?[]")
	if d.quit || d.m.confirmQuit || d.m.help || !strings.Contains(d.screen(), "> q?[]") {
		t.Fatal("q ? [ ] are typed into the confirmation")
	}
	d.key("enter")
	scr = d.shows("does not match")
	if !strings.Contains(scr, fakeShare) || !d.m.custody() {
		t.Fatal("a wrong confirmation keeps the secret on screen")
	}

	// ctrl+c once warns and stays; a key goes on.
	d.key("ctrl+c")
	d.shows("Quitting now loses the shares not handed over yet", "Press ctrl+c again")
	if d.quit || d.m.running < 0 {
		t.Fatal("one ctrl+c must not quit during the key ceremony")
	}
	d.typed(fakeShare[:6])
	if strings.Contains(d.screen(), "Quitting now loses") {
		t.Error("the warning goes once another key is pressed")
	}
	if !d.enterClears() {
		t.Error("the right confirmation must clear the terminal")
	}
	if strings.Contains(d.screen(), fakeShare) {
		t.Fatal("after the confirmation the secret must be gone from the screen")
	}

	// The second custodian's share is PGP-armored: confirmed by its key's fingerprint (any case).
	scr = d.shows("For Alice <alice@example.org>", "press enter when Alice")
	if strings.Contains(scr, "BEGIN PGP") || strings.Contains(scr, fakeShare) {
		t.Fatal("the second hand-over holds no secret")
	}
	d.key("enter")
	scr = d.shows("-----BEGIN PGP MESSAGE-----", "fingerprint "+fakeFingerprint, "type the first 8",
		"characters of the fingerprint above")
	assertFits(t, d.m.Render(), 80, 24)
	d.typed("-----BEG")
	d.key("enter")
	d.shows("does not match")
	d.typed(strings.ToLower(fakeFingerprint[:8]))
	d.key("enter")

	// The share: the replicas' progress and the last refusal above a masked input; empty is ignored.
	scr = d.shows("Key share", "vault-0  sealed  1/2 shares", "vault-1  sealed  0/2", "vault-1 refused the previous share")
	if strings.Contains(scr, "BEGIN PGP") || !strings.Contains(scr, "Legend") {
		t.Fatal("the share prompt is in the right pane, the ceremony's secret gone")
	}
	d.key("enter")
	d.shows("type or paste a share first")
	d.typed(fakeTyped)
	d.paste("-pasted")
	scr = d.screen()
	if strings.Contains(scr, "s3cr3t") || strings.Contains(scr, "pasted") || !strings.Contains(scr, "•••") {
		t.Fatal("the masked input must never render the typed characters")
	}
	if d.quit || d.m.confirmQuit || d.m.help {
		t.Fatal("q and ? are typed into the share")
	}
	d.key("enter")

	// The yes/no: enter would take the default (yes); n answers no.
	d.shows("Revoke the root token now?", "A new one can be generated later.", "y yes / n no", "(enter: yes)")
	d.key("n")
	d.shows("Vault unseal ✔ done", "every replica unsealed", "press enter to go on")

	got, err := rec.wait(t)
	if err != nil || len(got) != 4 {
		t.Fatalf("the step got %d answers, err %v", len(got), err)
	}
	if !got[0].Yes || !got[1].Yes || got[2].Secret.Reveal() != fakeTyped+"-pasted" || got[3].Yes {
		t.Errorf("answers: custody %v %v, share matches %v, revoke %v", got[0].Yes, got[1].Yes,
			got[2].Secret.Reveal() == fakeTyped+"-pasted", got[3].Yes)
	}
	if !rec.kept {
		t.Error("wiping the screen's copy must leave the step's own secret intact")
	}
	if strings.Contains(d.m.flash.Text(), "s3cr3t") || strings.Contains(strings.Join(d.m.st[0].log, "\n"), "s3cr3t") {
		t.Error("a secret reached the flash line or the log")
	}
}

// TestCancelledRunUnblocksAsk: quitting while a question is up (q then y, esc then y, ctrl+c twice in
// the ceremony) cancels the run, and the step's Ask returns the context's error.
func TestCancelledRunUnblocksAsk(t *testing.T) {
	for _, c := range []struct {
		name string
		p    steps.Prompt
		keys []string
	}{
		{"yes/no, q then y", steps.Prompt{Kind: steps.PromptYesNo, Title: "Revoke the root token now?"}, []string{"q", "y"}},
		{"share, esc then y", steps.Prompt{Kind: steps.PromptShare, Title: "Unseal Vault"}, []string{"esc", "y"}},
		{"secret, ctrl+c", steps.Prompt{Kind: steps.PromptSecret, Title: "ArgoCD's client secret"}, []string{"ctrl+c"}},
		{"custody, ctrl+c twice", steps.Prompt{Kind: steps.PromptCustody, Holder: "custodian 1 of 5",
			Secret: vaultops.NewSecret(fakeShare), Confirm: 4}, []string{"enter", "ctrl+c", "ctrl+c"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec := newAnswers()
			dir := t.TempDir()
			d := newDriver(t, newVaultModel(t, dir, askingStep(steps.VaultUnseal, "Vault unseal", []steps.Prompt{c.p}, rec)), 80, 24)
			d.quiet = true
			d.shows("Vault unseal · not done")
			d.key("enter")
			d.until(10*time.Second, "the question", func(string) bool { return d.m.prompting() })
			d.keys(c.keys...)
			d.waitQuit()
			got, err := rec.wait(t)
			if !errors.Is(err, context.Canceled) || len(got) != 0 {
				t.Errorf("Ask must return the cancelled context's error: %v (%d answers)", err, len(got))
			}
		})
	}
}

// TestVaultInitForm: the split is checked by the plan's rules (a threshold above the shares is
// refused), the key files must be readable and one per share, and the answers land in the plan.
func TestVaultInitForm(t *testing.T) {
	dir, keys := t.TempDir(), t.TempDir()
	var paths []string
	for _, n := range []string{"alice.asc", "bob.asc", "root.asc"} {
		p := filepath.Join(keys, n)
		if err := os.WriteFile(p, []byte("a test file, not a key"), 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	runs := 0
	init := fakeStep{id: steps.VaultInit, title: "Vault init", runs: &runs,
		holds:  func(plan.Plan) (bool, string) { return runs > 0, "not initialized" },
		result: func(_ *steps.Env, p plan.Plan) steps.Result { return steps.VaultInitResult(p) }}
	d := newDriver(t, newVaultModel(t, dir, init), 80, 24)
	d.shows("Key shares", "> 5", "Threshold")
	d.keys("backspace")
	d.typed("2")
	d.key("enter")
	d.shows("Threshold", "> 3")
	d.key("enter")
	d.shows("3: must be 1 to the number of shares (2)")
	d.keys("backspace")
	d.typed("2")
	d.key("enter")

	d.shows("Custodians' PGP public key files", "empty = each share is shown on")
	d.paste(paths[0])
	d.key("enter")
	d.shows("1 key file for 2 shares")
	d.key("ctrl+u")
	d.paste(paths[0] + ", " + paths[1])
	d.key("enter")
	d.paste(keys)
	d.key("enter")
	d.paste(paths[2])
	d.key("enter")
	d.shows("Vault init ✔ done", "Vault initialized: 2 key shares, 2 of them needed", "press enter to go on")

	v := load(t, dir).Plan.Vault
	if v.Shares != 2 || v.Threshold != 2 || len(v.Custodians) != 2 ||
		v.Custodians[0].PGPKey != paths[0] || v.Custodians[1].ShareFile != filepath.Join(keys, "share-2.asc") ||
		v.RootToken.PGPKey != paths[2] || v.RootToken.File != filepath.Join(keys, "root-token.asc") {
		t.Errorf("the plan's vault section: %+v", v)
	}
}

// TestVaultInitValues: the form's answers as the plan holds them.
func TestVaultInitValues(t *testing.T) {
	for _, c := range []struct {
		name string
		v    vaultInitValues
		old  plan.Vault
		want plan.Vault
	}{
		{"plain ceremony", vaultInitValues{Shares: "5", Threshold: "3"},
			plan.Vault{Custodians: []plan.Custodian{{PGPKey: "/k/a.asc"}}, RevokeRoot: true},
			plan.Vault{Shares: 5, Threshold: 3, RevokeRoot: true}},
		{"keys, no export", vaultInitValues{Shares: "2", Threshold: "2", Keys: "/k/a.asc, /k/b.asc"},
			plan.Vault{Custodians: []plan.Custodian{{Name: "Alice"}}},
			plan.Vault{Shares: 2, Threshold: 2, Custodians: []plan.Custodian{{Name: "Alice", PGPKey: "/k/a.asc"}, {PGPKey: "/k/b.asc"}}}},
		{"root token beside the ISO", vaultInitValues{Shares: "1", Threshold: "1", RootKey: "/k/root.asc", isoDir: "/isos"},
			plan.Vault{}, plan.Vault{Shares: 1, Threshold: 1, RootToken: plan.RootTokenExport{PGPKey: "/k/root.asc", File: "/isos/root-token.asc"}}},
		{"root token in the current directory", vaultInitValues{Shares: "1", Threshold: "1", RootKey: "/k/root.asc"},
			plan.Vault{}, plan.Vault{Shares: 1, Threshold: 1, RootToken: plan.RootTokenExport{PGPKey: "/k/root.asc", File: "root-token.asc"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.v.applyTo(c.old); !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
		})
	}
	v := &vaultInitValues{Shares: "5"}
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"threshold above shares", v.checkThreshold("6"), "must be 1 to the number of shares (5)"},
		{"threshold of 1", v.checkThreshold("1"), "lets any one custodian unseal alone"},
		{"no shares", checkShares("0"), "1 to 255"},
		{"export without keys", v.checkDir(t.TempDir()), "only with the custodians' PGP keys"},
		{"client ID with a space", checkClientID("argocd")("a b"), "is not a client ID"},
	} {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, c.err, c.want)
		}
	}
	if checkShares("5") != nil || v.checkThreshold("3") != nil || checkClientID("grafana")("Iv1.0123abcd") != nil {
		t.Error("a valid split and client ID must pass")
	}
}

// TestClusterGoesOnToVault: with Vault steps after it, enter on the cluster's result goes on to them
// instead of opening the console; the console opens from the all-done screen.
func TestClusterGoesOnToVault(t *testing.T) {
	dir := t.TempDir()
	save(t, dir, savedPlan(t, steps.Disks))
	m := newFake(t, dir, nil)
	runs := 0
	m.o.Steps = append(m.o.Steps, fakeStep{id: steps.VaultInit, title: "Vault init", runs: &runs,
		holds:  func(plan.Plan) (bool, string) { return runs > 0, "not initialized" },
		result: func(_ *steps.Env, p plan.Plan) steps.Result { return steps.VaultInitResult(p) }})
	m.st = make([]stepState, len(m.o.Steps))
	d := newDriver(t, m, 80, 24)
	d.shows("step 5/6 · Cluster", "Cluster name")
	d.keys("enter", "enter")
	d.shows("Type the cluster name to confirm")
	d.typed("cedille-cluster")
	d.key("enter")
	d.shows("Cluster ✔ done", "press enter to go on", "enter next step")
	d.key("enter")
	d.shows("step 6/6 · Vault init", "Key shares")
	if d.quit || d.m.Result().Finished {
		t.Fatal("enter after the cluster must go on to the Vault steps")
	}
	d.keys("enter", "enter", "enter", "enter", "enter")
	d.shows("Vault init ✔ done", "Vault initialized: 5 key shares, 3 of them needed")
	d.key("enter")
	d.shows("Every step's outcome holds", "press enter to open the console")
	d.key("enter")
	d.waitQuit()
	if r := d.m.Result(); !r.Finished || r.Kubeconfig != "/home/op/.config/cedille-tui/cedille-cluster.kubeconfig" {
		t.Errorf("result = %+v", r)
	}
}

// TestKeyringPerSession: without Env.Keys the session has its own keyring, shared by every run's
// environment, the caller's Env untouched, and wiped by Close.
func TestKeyringPerSession(t *testing.T) {
	env := &steps.Env{}
	m := New(Options{Env: env, Store: steps.NewStore(t.TempDir())})
	if env.Keys != nil || m.env().Keys == nil || m.env().Keys != m.env().Keys {
		t.Fatal("one keyring per session, not written into the caller's Env")
	}
	m.env().Keys.RootToken = vaultops.NewSecret("fake-root-token")
	m.Close()
	if !m.env().Keys.RootToken.Empty() {
		t.Error("Close must wipe the keyring")
	}
	mine := &steps.Keyring{}
	m = New(Options{Env: &steps.Env{Keys: mine}})
	defer m.Close()
	if m.env().Keys != mine {
		t.Error("a given keyring is used")
	}
}

// TestAccessibleCeremony: the plain prompts hand a share over (enter, the secret, its characters typed
// back until they match, no escape sequence when the output is not a terminal), read a share and a
// yes/no.
func TestAccessibleCeremony(t *testing.T) {
	rec := newAnswers()
	ps := ceremonyPrompts()
	ps = []steps.Prompt{ps[0], ps[2], ps[3]}
	in := strings.NewReader(strings.Join([]string{"", "wrong", fakeShare[:6], "", "a-share", "n"}, "\n") + "\n")
	var out syncBuffer
	res, err := RunAccessible(context.Background(), AccessibleOptions{
		Steps: []steps.Step{askingStep(steps.VaultUnseal, "Vault unseal", ps, rec)},
		Store: steps.NewStore(t.TempDir()), In: in, Out: &out})
	if err != nil || !res.Finished {
		t.Fatalf("accessible run: %v", err)
	}
	text := out.String()
	hand, show := strings.Index(text, "press enter when custodian 1 of 2 is ready"), strings.Index(text, fakeShare)
	if hand < 0 || show < hand {
		t.Error("the hand-over comes before the secret")
	}
	for _, want := range []string{"Type the first 6 characters", "That does not match", "no longer shown",
		"Refused: vault-1 refused the previous share", "vault-0: sealed, 1/2 shares", "Nothing was typed", "[Y/n]"} {
		if !strings.Contains(text, want) {
			t.Errorf("the prompts lack %q", want)
		}
	}
	if strings.Contains(text, "\x1b[") {
		t.Error("no escape sequence when the output is not a terminal")
	}
	got, _ := rec.wait(t)
	if len(got) != 3 || !got[0].Yes || got[1].Secret.Reveal() != "a-share" || got[2].Yes {
		t.Errorf("the step got %d answers", len(got))
	}
}

// TestPromptScreensFit renders every question, in colour and without, at a few sizes: exactly the
// window; a secret longer than the screen scrolls; below 80×24 nothing but the one line is drawn.
func TestPromptScreensFit(t *testing.T) {
	long := "-----BEGIN PGP MESSAGE-----\n\n" + strings.Repeat(strings.Repeat("FAKE", 16)+"\n", 30) + "-----END PGP MESSAGE-----"
	ps := append(ceremonyPrompts(), steps.Prompt{Kind: steps.PromptCustody, Holder: "custodian 3 of 5", Confirm: 6,
		Secret: vaultops.NewSecret(long), Fingerprint: fakeFingerprint},
		steps.Prompt{Kind: steps.PromptSecret, Title: "ArgoCD's client secret", Lines: []string{strings.Repeat("long line ", 30)}})
	for _, color := range []bool{false, true} {
		for i, p := range ps {
			m := newVaultModel(t, t.TempDir(), askingStep(steps.VaultUnseal, "Vault unseal", nil, newAnswers()))
			m.theme = theme.New(color, true)
			m.running = 0
			m.openPrompt(askMsg{prompt: p, reply: make(chan steps.Answer, 1)})
			for phase := range 2 {
				for _, size := range [][2]int{{80, 24}, {120, 40}, {200, 60}} {
					m.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
					assertFits(t, m.Render(), size[0], size[1])
				}
				m.Update(tea.WindowSizeMsg{Width: 79, Height: 24})
				if out := m.Render(); p.Kind == steps.PromptCustody && strings.Contains(out, p.Secret.Reveal()[:12]) {
					t.Errorf("prompt %d: a terminal too small shows only its one line", i)
				}
				if p.Kind != steps.PromptCustody || phase == 1 {
					break
				}
				m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
				m.Update(keyMsg("enter")) // the secret on screen
			}
			if p.Secret.Reveal() == long {
				m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
				if !strings.Contains(m.Render(), " of 33 (↑/↓ scroll)") {
					t.Errorf("a secret longer than the screen says it scrolls")
				}
				for range 40 {
					m.Update(keyMsg("down"))
				}
				if !strings.Contains(m.Render(), "-----END PGP MESSAGE-----") {
					t.Errorf("↓ scrolls to the secret's end")
				}
			}
			m.Close()
			if !m.o.Env.Keys.RootToken.Empty() || (m.prompt != nil) {
				t.Error("Close forgets the question on screen")
			}
		}
	}
}
