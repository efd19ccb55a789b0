package serve

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/clubcedille/cedille-tui/internal/access"
	"github.com/clubcedille/cedille-tui/internal/ceremony"
	"github.com/clubcedille/cedille-tui/internal/ui/console"
	"github.com/clubcedille/cedille-tui/internal/vaultops"
)

// Vault ceremonies over SSH: the console's `:ceremony` page (sessionCeremonies) and the `ceremony`
// exec command (CeremonyCommand) reach the process's one ceremony.Board as the session's user, who is
// read again from the access file at every step: a custodian removed since cannot submit, an admin
// lowered since cannot open.

// ceremonyActor is the session's user as the ceremony records them, as the access file has them now.
func (s Session) ceremonyActor() (ceremony.Actor, access.User, error) {
	u, ok := s.Current()
	if !ok {
		return ceremony.Actor{}, access.User{}, errors.New("the session has ended")
	}
	a := ceremony.Actor{Name: u.Name, Role: u.Role, Session: s.ID, Fingerprint: s.Fingerprint}
	if s.Remote != nil {
		a.Remote = s.Remote.String()
	}
	return a, u, nil
}

// custodians are the access file's custodians now, by name.
func (s *Server) custodians() []string {
	var out []string
	for _, u := range s.access().Users() {
		if u.Custodian {
			out = append(out, u.Name)
		}
	}
	return out
}

// ceremonyMsg is the board as session s sees it.
func ceremonyMsg(s Session, b *ceremony.Board) console.CeremonyMsg {
	var m console.CeremonyMsg
	if u, ok := s.Current(); ok {
		m.Me = console.Participant{Name: u.Name, Admin: u.Role == access.Admin, Custodian: u.Custodian}
	}
	if c, ok := b.Current(); ok {
		v := c.View()
		m.View = &v
	}
	return m
}

// sessionCeremonies is the board bound to one session, for its console's ceremony page.
type sessionCeremonies struct {
	s Session
	b *ceremony.Board
}

func (c sessionCeremonies) Open(ctx context.Context, kind ceremony.Kind) error {
	a, u, err := c.s.ceremonyActor()
	if err != nil {
		return err
	}
	if u.Role != access.Admin {
		return fmt.Errorf("opening a ceremony needs the admin role; you are %s", u.Role)
	}
	_, err = c.b.Open(ctx, kind, a, c.s.srv.custodians())
	return err
}

func (c sessionCeremonies) Join(_ context.Context, id string) error {
	a, cer, err := c.custodianStep(id)
	if err != nil {
		return err
	}
	return cer.Join(a)
}

func (c sessionCeremonies) Submit(ctx context.Context, id string, share vaultops.Secret) (string, error) {
	a, cer, err := c.custodianStep(id)
	if err != nil {
		share.Wipe()
		return "", err
	}
	if err := cer.Submit(ctx, a, share); err != nil {
		return "", err
	}
	return "share taken — " + progressLine(cer), nil
}

func (c sessionCeremonies) Abort(ctx context.Context, id, reason string) error {
	a, _, err := c.s.ceremonyActor()
	if err != nil {
		return err
	}
	cer, err := c.b.Get(id)
	if err != nil {
		return err
	}
	return cer.Abort(ctx, a, reason)
}

// custodianStep is the ceremony id and the session's user, refused unless the access file has them as a
// custodian now.
func (c sessionCeremonies) custodianStep(id string) (ceremony.Actor, *ceremony.Ceremony, error) {
	a, u, err := c.s.ceremonyActor()
	if err != nil {
		return a, nil, err
	}
	if !u.Custodian {
		return a, nil, fmt.Errorf("%s is not a custodian in the access file: only custodians give shares", u.Name)
	}
	cer, err := c.b.Get(id)
	return a, cer, err
}

// progressLine is every replica's progress in one line ("vault-0: 2 of 3, vault-1: unsealed").
func progressLine(c *ceremony.Ceremony) string {
	var parts []string
	for _, p := range c.Progress() {
		parts = append(parts, p.String())
	}
	return strings.Join(parts, ", ")
}

// maxShare bounds what `ceremony submit` reads from stdin: a Vault share is under 100 characters (hex or
// base64 of 33 bytes); 4 KiB leaves room for a PGP-armoured mistake to be refused as one.
const maxShare = 4096

// CeremonyCommand is the `ceremony` exec command, for a session without a terminal:
//
//	ceremony [status]                      the ceremony on the board
//	ceremony submit ID [FINGERPRINT]       a custodian's share, read from stdin (gpg -d share.asc | ssh …)
//	ceremony token ID                      the generated root token, to its owner, once, on stdout
//
// submit and token are refused with a terminal: a share typed there would be echoed, a token would be
// printed to a screen; the console's `:ceremony` page takes a share masked.
func CeremonyCommand(b *ceremony.Board) Command {
	return func(ctx context.Context, s Session) int {
		args := s.Args
		if len(args) == 0 {
			args = []string{"status"}
		}
		errOut := s.SSH.Stderr()
		fail := func(format string, a ...any) int {
			fmt.Fprintf(errOut, format+"\n", a...)
			return 1
		}
		_, _, pty := s.SSH.Pty()
		switch {
		case args[0] == "status" && len(args) == 1:
			c, ok := b.Current()
			if !ok {
				fmt.Fprintln(s, "no ceremony has been opened")
				return 0
			}
			writeStatus(s, c.View())
			return 0
		case args[0] == "submit" && (len(args) == 2 || len(args) == 3):
			if pty {
				return fail("refused: a share typed into a terminal is echoed; pipe it instead (gpg -d share.asc | ssh HOST ceremony submit %s), or type it masked in the console's :ceremony page", args[1])
			}
			return submitFromStdin(ctx, s, b, args[1:], fail)
		case args[0] == "token" && len(args) == 2:
			if pty {
				return fail("refused: the token would be printed to a screen; run it without a terminal and redirect it: ssh HOST ceremony token %s > root.token", args[1])
			}
			return giveToken(s, b, args[1], fail)
		}
		return fail("usage: ceremony [status] | ceremony submit ID [FINGERPRINT] < share | ceremony token ID > root.token")
	}
}

// submitFromStdin reads one share from the session's stdin and gives it to ceremony args[0].
func submitFromStdin(ctx context.Context, s Session, b *ceremony.Board, args []string, fail func(string, ...any) int) int {
	sc := sessionCeremonies{s: s, b: b}
	_, c, err := sc.custodianStep(args[0])
	if err != nil {
		return fail("refused: %v", err)
	}
	if len(args) == 2 && !strings.EqualFold(strings.TrimSpace(args[1]), c.Fingerprint) {
		return fail("refused, nothing was read: ceremony %s's fingerprint is not %s — you are not in the ceremony you were told of; ask its owner", c.ID, args[1])
	}
	fmt.Fprintf(s.SSH.Stderr(), "ceremony %s (%s, opened by %s), fingerprint %s: reading your share from stdin, to its end (pipe it in; typed at this prompt it would show — the console's :ceremony page masks it)…\n",
		c.ID, c.Kind, c.Owner.Name, c.Fingerprint)
	share, err := readShare(s.SSH)
	if err != nil {
		return fail("refused, nothing was sent to Vault: %v", err)
	}
	note, err := sc.Submit(ctx, c.ID, share)
	if err != nil {
		return fail("refused: %v", err)
	}
	fmt.Fprintln(s, note)
	return 0
}

// readShare reads stdin to its end: one share, on one line. The buffer it is read into becomes the
// Secret (wiped with it); a refusal wipes it and never repeats it.
func readShare(r io.Reader) (vaultops.Secret, error) {
	buf := make([]byte, maxShare+1)
	n, err := io.ReadFull(r, buf)
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
	case err != nil:
		clear(buf)
		return vaultops.Secret{}, fmt.Errorf("stdin could not be read: %w", err)
	default:
		clear(buf)
		return vaultops.Secret{}, fmt.Errorf("stdin holds more than %d bytes: a share is one line of hex or base64 (decrypt it first: gpg -d share.asc | ssh …)", maxShare)
	}
	share := bytes.TrimSpace(buf[:n])
	if len(share) == 0 {
		clear(buf)
		return vaultops.Secret{}, errors.New("stdin was empty: pipe the share in (gpg -d share.asc | ssh …)")
	}
	for _, ch := range share {
		if ch <= ' ' || ch >= 0x7f {
			clear(buf)
			return vaultops.Secret{}, fmt.Errorf("stdin holds %d bytes that are not one share: one line of hex or base64 expected (is it still encrypted?)", n)
		}
	}
	out := make([]byte, len(share))
	copy(out, share)
	clear(buf)
	return vaultops.SecretOf(out), nil
}

// giveToken writes the generated root token to its owner's stdout, once.
func giveToken(s Session, b *ceremony.Board, id string, fail func(string, ...any) int) int {
	a, _, err := s.ceremonyActor()
	if err != nil {
		return fail("refused: %v", err)
	}
	c, err := b.Get(id)
	if err != nil {
		return fail("refused: %v", err)
	}
	tok, err := c.Token(a)
	if err != nil {
		return fail("refused: %v", err)
	}
	defer tok.Wipe()
	if _, err := io.WriteString(s, tok.Reveal()+"\n"); err != nil {
		return fail("the token could not be written: %v (it is gone: open a new generate-root ceremony)", err)
	}
	return 0
}

// writeStatus prints a ceremony as text: the lines its page shows, without colour.
func writeStatus(w io.Writer, v ceremony.View) {
	fmt.Fprintf(w, "%s ceremony %s: %s", v.Kind, v.ID, v.Phase)
	if v.Reason != "" {
		fmt.Fprintf(w, " (%s)", v.Reason)
	}
	fmt.Fprintf(w, "\nfingerprint %s, opened by %s at %s UTC, ends at %s UTC\n", v.Fingerprint, v.Owner,
		v.Opened.UTC().Format("15:04:05"), v.Deadline.UTC().Format("15:04:05"))
	for _, r := range v.Replicas {
		fmt.Fprintf(w, "  %s\n", r)
	}
	for _, c := range v.Custodians {
		state := "not joined"
		switch {
		case !c.Submitted.IsZero():
			state = "submitted at " + c.Submitted.UTC().Format("15:04:05")
		case !c.Joined.IsZero():
			state = "joined at " + c.Joined.UTC().Format("15:04:05")
		}
		fmt.Fprintf(w, "  custodian %s: %s\n", c.Name, state)
	}
	for _, n := range v.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
}
