package ui_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/ceremony"
	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/ui"
	"github.com/clubcedille/cedille-tui/internal/ui/console"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
	"github.com/clubcedille/cedille-tui/internal/ui/uitest"
	"github.com/clubcedille/cedille-tui/internal/vaultops"
	vault "github.com/hashicorp/vault/api"
)

// fakeCeremonies records what the ceremony page asks of the server.
type fakeCeremonies struct {
	mu                    sync.Mutex
	opened                []ceremony.Kind
	joined, shares, abort []string
	refuse                error
}

func (f *fakeCeremonies) Open(_ context.Context, k ceremony.Kind) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.opened = append(f.opened, k)
	return f.refuse
}

func (f *fakeCeremonies) Join(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.joined = append(f.joined, id)
	return nil
}

func (f *fakeCeremonies) Submit(_ context.Context, id string, s vaultops.Secret) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.shares = append(f.shares, id+"="+s.Reveal())
	s.Wipe()
	if f.refuse != nil {
		return "", f.refuse
	}
	return "share taken — vault-0: 2 of 3", nil
}

func (f *fakeCeremonies) Abort(_ context.Context, id, reason string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.abort = append(f.abort, id+": "+reason)
	return nil
}

func (f *fakeCeremonies) calls() (opened []ceremony.Kind, joined, shares, abort []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.opened), slices.Clone(f.joined), slices.Clone(f.shares), slices.Clone(f.abort)
}

var opened = time.Date(2026, 12, 7, 3, 12, 0, 0, time.UTC)

// openView is an unseal ceremony opened by alice for bob and carol, carol having given her share.
func openView() *ceremony.View {
	return &ceremony.View{ID: "1a2b3c4d", Fingerprint: "3fa9-01bc-77de-0a12", Kind: ceremony.Unseal, Owner: "alice",
		Phase: ceremony.Running, Opened: opened, Deadline: opened.Add(30 * time.Minute),
		Custodians: []ceremony.CustodianState{{Name: "bob"}, {Name: "carol", Joined: opened.Add(time.Minute), Submitted: opened.Add(2 * time.Minute)}},
		Replicas: []ceremony.ReplicaProgress{{Name: "vault-0", Known: true, Sealed: true, Progress: 1, Threshold: 3},
			{Name: "vault-1", Known: true, Sealed: true, Progress: 1, Threshold: 3, Err: "connection refused"}}}
}

// TestCeremonyPageCustodian: a custodian sees the notice on every page, opens :ceremony and so joins
// (once), types their share masked — never on the screen — and sends it; a refusal flashes and keeps
// the page.
func TestCeremonyPageCustodian(t *testing.T) {
	const share = "q1Vh8mZ3nR0tYw2Lp4Xc7Bf9Ks6Dj5Ag1Ee0Hi3Oo2Uu"
	f := &fakeCeremonies{}
	m := ui.NewConsole(ui.ConsoleOptions{Snapshots: oneShot(demoSnapshot(t)), Presence: true, Ceremonies: f})
	drv := uitest.New(t, m, 80, 24)
	drv.Plain = true
	drv.Shows("worst first")
	me := console.Participant{Name: "bob", Custodian: true}
	drv.Send(console.CeremonyMsg{View: openView(), Me: me})
	drv.Shows("◆ unseal ceremony 1a2b3c4d open by alice — your share is wanted: :ceremony")
	drv.Keys(":")
	drv.Type("ceremony")
	drv.Keys("enter")
	scr := drv.Shows("Unseal ceremony 1a2b3c4d · open", "fingerprint 3fa9-01bc-77de-0a12", "vault-0", "1 of 3",
		"connection refused", "s: type or paste your share")
	uitest.AssertFits(t, scr, 80, 24)
	drv.Send(console.CeremonyMsg{View: openView(), Me: me}) // the board changed: no second join
	if _, joined, _, _ := f.calls(); !slices.Equal(joined, []string{"1a2b3c4d"}) {
		t.Fatalf("joined %v, want once", joined)
	}

	drv.Keys("s")
	drv.Paste(share[:20])
	drv.Type(share[20:])
	scr = drv.Shows("share ••••", "esc cancel")
	if strings.Contains(scr, share[:8]) || strings.Contains(scr, "q1Vh") {
		t.Fatalf("the share is on the screen:\n%s", scr)
	}
	if strings.Contains(scr, "q quit") {
		t.Error("the footer offers q while q types into the share")
	}
	drv.Keys("enter")
	drv.Shows("share taken — vault-0: 2 of 3")
	if _, _, shares, _ := f.calls(); !slices.Equal(shares, []string{"1a2b3c4d=" + share}) {
		t.Fatalf("submitted %q", shares)
	}

	// Esc drops what was typed; a refusal says why and the page stays.
	drv.Keys("s")

	drv.Type("half")
	drv.Keys("esc")
	if scr := drv.Screen(); strings.Contains(scr, "enter sends it to Vault") {
		t.Fatalf("esc left the editor open:\n%s", scr)
	}
	f.mu.Lock()
	f.refuse = errors.New("bob already submitted a share to ceremony 1a2b3c4d, at 03:14:00 UTC")
	f.mu.Unlock()
	drv.Keys("s")
	drv.Type("again")
	drv.Keys("enter")
	drv.Shows("already submitted", "Unseal ceremony 1a2b3c4d · open")
	if _, _, shares, _ := f.calls(); len(shares) != 2 || shares[1] != "1a2b3c4d=again" {
		t.Fatalf("after esc and a second share: %q (esc must send nothing)", shares)
	}
}

// TestCeremonyPageRoles: an admin opens one and, as its owner, aborts it with a reason; someone neither
// admin nor custodian can do neither; once a custodian has submitted, s does nothing.
func TestCeremonyPageRoles(t *testing.T) {
	f := &fakeCeremonies{}
	m := ui.NewConsole(ui.ConsoleOptions{Snapshots: oneShot(demoSnapshot(t)), Presence: true, Ceremonies: f})
	drv := uitest.New(t, m, 80, 24)
	drv.Plain = true
	drv.Shows("worst first")
	alice := console.Participant{Name: "alice", Admin: true}
	drv.Send(console.CeremonyMsg{Me: alice})
	drv.Keys(":")
	drv.Type("ceremony")
	drv.Keys("enter")
	drv.Shows("No Vault ceremony has been opened", "u to unseal", "u open an unseal ceremony")
	// A refusal longer than the status line is kept whole in the page.
	f.mu.Lock()
	f.refuse = errors.New("recovery shares cannot unseal: vault-0 has an auto-unseal seal, so the custodians hold recovery shares, which cannot decrypt Vault's key — the KMS is the blocker; recovery shares can make a new root token: open a generate-root ceremony instead")
	f.mu.Unlock()
	drv.Keys("u")
	drv.Shows("✖ recovery shares cannot unseal", "ceremony instead")
	f.mu.Lock()
	f.refuse = nil
	f.mu.Unlock()
	drv.Keys("u")
	drv.Shows("unseal ceremony opened")
	drv.Send(console.CeremonyMsg{View: openView(), Me: alice})
	drv.Shows("x aborts it", "You follow the ceremony")
	drv.Keys("x")
	drv.Type("wrong replica list")
	drv.Keys("enter")
	drv.Shows("ceremony 1a2b3c4d aborted")
	opened, joined, shares, aborts := f.calls()
	if !slices.Equal(opened, []ceremony.Kind{ceremony.Unseal, ceremony.Unseal}) || !slices.Equal(aborts, []string{"1a2b3c4d: wrong replica list"}) ||
		len(joined)+len(shares) != 0 {
		t.Fatalf("opened %v, aborted %v, joined %v, shares %d", opened, aborts, joined, len(shares))
	}

	// A viewer: no key opens, submits or aborts.
	drv.Send(console.CeremonyMsg{View: openView(), Me: console.Participant{Name: "victor"}})
	drv.Keys("u", "g", "s", "x")
	scr := drv.Shows("You follow the ceremony")
	if strings.Contains(scr, "enter sends it to Vault") || strings.Contains(scr, "reason ") {
		t.Fatalf("a viewer got an editor:\n%s", scr)
	}
	// carol gave hers: s does nothing.
	drv.Send(console.CeremonyMsg{View: openView(), Me: console.Participant{Name: "carol", Custodian: true}})
	drv.Keys("s")
	scr = drv.Shows("Your share is given")
	if strings.Contains(scr, "enter sends it to Vault") {
		t.Fatal("a custodian who submitted got the share editor again")
	}
	if o, _, _, _ := f.calls(); len(o) != 2 {
		t.Fatalf("opened %v", o)
	}
}

func TestCeremonyLines(t *testing.T) {
	vaults := []health.VaultStatus{{Name: "vault-0", Health: &vault.HealthResponse{Initialized: true, Sealed: true}},
		{Name: "vault-1", Health: &vault.HealthResponse{Initialized: true}},
		{Name: "vault-2", Err: errors.New("dial tcp: connection refused\nmore")}}
	done := openView()
	done.Kind, done.Phase, done.TokenReady, done.Reason = ceremony.GenerateRoot, ceremony.Completed, true, "a root token was made"
	done.Replicas = []ceremony.ReplicaProgress{{Name: "vault-0", Known: true, Progress: 3, Threshold: 3}}
	aborted := openView()
	aborted.Phase, aborted.Reason = ceremony.Aborted, "by alice: wrong list"
	noted := openView()
	noted.Notes = []string{"vault-0 restarted: its progress was reset; the shares given so far are given again"}
	for _, tc := range []struct {
		name      string
		msg       console.CeremonyMsg
		vault     []health.VaultStatus
		want, not []string
	}{
		{"none, admin", console.CeremonyMsg{Me: console.Participant{Name: "alice", Admin: true}}, vaults,
			[]string{"No Vault ceremony", "u to unseal", "Vault now: vault-0 sealed, vault-1 unsealed, vault-2 not reached (dial tcp: connection refused)."}, nil},
		{"none, viewer", console.CeremonyMsg{Me: console.Participant{Name: "victor"}}, nil,
			[]string{"An admin opens one"}, []string{"u to unseal", "Vault now"}},
		{"open, custodian due", console.CeremonyMsg{View: openView(), Me: console.Participant{Name: "bob", Custodian: true}}, vaults,
			[]string{"sealed ■□□ 1 of 3", "vault-1", "connection refused", "bob", "← you", "ceremony submit 1a2b3c4d 3fa9-01bc-77de-0a12"}, []string{"Vault now"}},
		{"open, owner", console.CeremonyMsg{View: openView(), Me: console.Participant{Name: "alice", Admin: true}}, nil,
			[]string{"x aborts it", "03:14:00"}, []string{"← you"}},
		{"a restart noticed", console.CeremonyMsg{View: noted, Me: console.Participant{Name: "victor"}}, nil,
			[]string{"▲ vault-0 restarted"}, nil},
		{"root token for its owner", console.CeremonyMsg{View: done, Me: console.Participant{Name: "alice", Admin: true}}, vaults,
			[]string{"Generate-root ceremony 1a2b3c4d · completed", "root token made ✔", "ceremony token 1a2b3c4d > root.token"}, nil},
		{"ended, admin", console.CeremonyMsg{View: aborted, Me: console.Participant{Name: "eve", Admin: true}}, vaults,
			[]string{"· aborted (by alice: wrong list)", "u opens a new unseal ceremony", "Vault now: vault-0 sealed"}, []string{"x aborts"}},
		{"root token, someone else", console.CeremonyMsg{View: done, Me: console.Participant{Name: "bob", Custodian: true}}, nil,
			nil, []string{"ceremony token"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text := strings.Join(console.CeremonyLines(theme.New(false, true), tc.msg, tc.vault, 200), "\n")
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("missing %q in:\n%s", w, text)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(text, n) {
					t.Errorf("%q should not be in:\n%s", n, text)
				}
			}
		})
	}
}
