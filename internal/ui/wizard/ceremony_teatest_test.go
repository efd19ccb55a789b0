package wizard

import (
	"bytes"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/clubcedille/cedille-tui/internal/steps"
)

// tee keeps everything the program wrote to the terminal while the test waits on it, for a scan at
// the end.
type tee struct {
	r   io.Reader
	mu  sync.Mutex
	all bytes.Buffer
}

func (t *tee) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.mu.Lock()
	t.all.Write(p[:n])
	t.mu.Unlock()
	return n, err
}

func (t *tee) written() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return ansi.Strip(t.all.String())
}

// TestKeyCeremonyInProgram runs the key ceremony in a real tea.Program (teatest): the terminal it writes
// to, commands run by Bubble Tea itself, keys typed one by one. Two custodians confirm (the first after a
// refused confirmation), a share is typed and pasted into the masked input, the yes/no is answered; the step gets
// every answer. Nothing typed into the masked input ever reaches the terminal, and the final screen
// holds neither the shares nor the armored message.
func TestKeyCeremonyInProgram(t *testing.T) {
	rec := newAnswers()
	m := newVaultModel(t, t.TempDir(), askingStep(steps.VaultUnseal, "Vault unseal", ceremonyPrompts(), rec))
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(80, 24))
	out := &tee{r: tm.Output()}
	wait := func(what ...string) {
		t.Helper()
		teatest.WaitFor(t, out, func(b []byte) bool {
			s := ansi.Strip(string(b))
			for _, w := range what {
				if !strings.Contains(s, w) {
					return false
				}
			}
			return true
		}, teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
	}
	press := func(k string) { tm.Send(keyMsg(k)) }

	wait("Vault unseal · not done", "enter run") // the step's screen, once the checks are done: enter runs it
	press("enter")
	wait("custodian 1 of 2 is ready")
	press("enter")
	wait("Type the first 6 characters")
	tm.Type("wrong!")
	press("enter")
	wait("does not match")
	tm.Type(fakeShare[:6])
	press("enter")
	wait("For Alice <alice@example.org>", "Nothing secret is on screen yet")
	press("enter")
	wait("characters of the fingerprint above")
	tm.Type(fakeFingerprint[:8])
	press("enter")
	wait("Key share")
	// Typed, then pasted: a paste is drawn at once, so an input that echoed it would write it whole.
	tm.Type(fakeTyped[:3])
	tm.Send(tea.PasteMsg{Content: fakeTyped[3:]})
	wait("•••") // the input drawn with what was given, masked
	press("enter")
	wait("Revoke the root token now?")
	press("n")
	wait("press enter to go on")

	got, err := rec.wait(t)
	if err != nil || len(got) != 4 {
		t.Fatalf("the step got %d answers, err %v", len(got), err)
	}
	if !got[0].Yes || !got[1].Yes || got[2].Secret.Reveal() != fakeTyped || got[3].Yes {
		t.Errorf("answers: custody %v %v, share matches %v, revoke %v", got[0].Yes, got[1].Yes,
			got[2].Secret.Reveal() == fakeTyped, got[3].Yes)
	}
	if !strings.Contains(out.written(), fakeShare) {
		t.Error("the custodian's share never reached the terminal")
	}
	if strings.Contains(out.written(), "s3cr3t") {
		t.Error("what was typed into the masked input reached the terminal")
	}

	tm.Send(tea.QuitMsg{})
	final := ansi.Strip(tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model).Render())
	for _, secret := range []string{fakeShare, "BEGIN PGP", "s3cr3t"} {
		if strings.Contains(final, secret) {
			t.Errorf("the final screen still holds %q", secret)
		}
	}
	if !strings.Contains(final, "Vault unseal ✔ done") {
		t.Errorf("the final screen:\n%s", final)
	}
}
