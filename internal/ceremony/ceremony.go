// Package ceremony is the engine of a Vault key ceremony held by several custodians at once, each
// from their own session: unseal the sealed replicas, or generate a new root token. It knows nothing
// of SSH or screens; the console's server drives it and its screens draw View.
//
// An admin opens a ceremony. It gets an id (8 hex digits, what `ceremony submit ID` names) and a nonce
// fingerprint of 4 groups of 4 hex digits ("3fa9-01bc-77de-0a12"), both from crypto/rand, which every
// participant sees and compares out of band (a call, a chat) before giving a share: a custodian who sees
// another fingerprint is not in the ceremony they were told of. Each custodian named when it was opened
// submits once; a second submission is refused with the time of the first.
//
// Shares. Submit takes the share it is given: the ceremony owns its bytes and wipes them in place
// (vaultops.Secret.Wipe) when it no longer needs them — at once when the share is refused, and
// otherwise when every replica is unsealed, or the ceremony is aborted or expires. For an unseal, a
// share is sent at once to every sealed replica (concurrently) and then kept, in memory only, until
// every replica is unsealed — not merely until each sealed replica has taken it. The trade-off, chosen
// on purpose: Vault keeps unseal progress in memory, so a replica that restarts half-way (a pod
// rescheduled during a cold start, an OOM) loses the shares it took; holding them lets the ceremony give
// them again (Refresh notices the restart and says so: "vault-1 restarted: its progress was reset; the
// shares given so far are given again") instead of calling every custodian back at 3 a.m. The cost: for
// the ceremony's duration the process holds up to a threshold of shares at once, which is enough to
// unseal. That window is bounded — by the last replica unsealing, by the owner's abort and by the
// timeout — the shares are never written anywhere, and every share passes through this process anyway,
// so a process already compromised during the ceremony sees them either way; what the choice adds is
// exposure to a memory dump taken later in the same window. Go strings made for the Vault client's
// request (it takes a string) are not wiped; they are garbage like any other. For generate-root a
// share is wiped as soon as Vault has taken it (Vault keeps that attempt's progress).
//
// Progress. Progress gives each replica's progress k of n as Vault reports it, for everyone to see; a
// wrong share is refused with the progress Vault then reports (kept, or back to zero when it completed a
// wrong combination — then every share held is wiped and every custodian submits again). Watch gives a
// channel told of every change, for the screens.
//
// Audit, fail closed. Every step writes an audit.Record through the Sink — who and when, never what
// (the Record has no field for a share) — BEFORE it acts: when the Sink fails, the step is refused and
// nothing is sent to Vault. Ending a ceremony (Abort, Expire, completion) is the exception: it always
// ends and wipes, the safe direction, and returns the Sink's error for the server to report.
//
// Auto-unseal. A Vault with an auto-unseal seal (a KMS) was initialized with recovery shares, which
// cannot unseal it: Open refuses an unseal ceremony there (ErrRecoveryShares) with that explanation —
// the KMS is the blocker — and offers generate-root, which recovery shares do authorize.
//
// Example:
//
//	reps, err := ceremony.Replicas(ctx, vaultReplicas) // reads each one's seal type
//	c, err := ceremony.Open(ceremony.Unseal, admin, reps, []string{"bob", "carol", "dave"}, 30*time.Minute,
//		ceremony.Options{Sink: auditLog})
//	// every session shows c.ID and c.Fingerprint; a custodian's session:
//	err = c.Submit(ctx, bob, vaultops.NewSecret(typed)) // the ceremony wipes it
//	// the server, every few seconds: c.Refresh(ctx); c.Expire(time.Now())
package ceremony

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/clubcedille/cedille-tui/internal/access"
	"github.com/clubcedille/cedille-tui/internal/audit"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/vaultops"
)

// Kind is what a ceremony does.
type Kind int

// The kinds of ceremony.
const (
	Unseal       Kind = iota + 1 // give unseal shares to the sealed replicas
	GenerateRoot                 // make a new root token from a threshold of shares (unseal or recovery)
)

func (k Kind) String() string {
	switch k {
	case Unseal:
		return "unseal"
	case GenerateRoot:
		return "generate-root"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Phase is where a ceremony is.
type Phase int

// The phases: open until completed, aborted by its owner or expired.
const (
	Running Phase = iota
	Completed
	Aborted
	Expired
)

func (p Phase) String() string {
	return [...]string{"open", "completed", "aborted", "expired"}[p]
}

// Actor is who does a step: the access file's name and role, and the session it came from.
type Actor struct {
	Name        string
	Role        access.Role
	Session     string
	Fingerprint string // the SSH key's SHA256:… fingerprint
	Remote      string
}

// Sink records audit records (an *audit.Log). A nil error means the record is kept.
type Sink interface {
	Append(audit.Record) error
}

// Unsealer is what an unseal ceremony needs of one replica; *vaultops.Unsealer is one. Status notices a
// restart (less progress than the shares it took) and gives its shares again, saying so in Restarted;
// Given tells whether it took a share in the current attempt.
type Unsealer interface {
	Status(ctx context.Context) (vaultops.Progress, error)
	Submit(ctx context.Context, share vaultops.Secret) (vaultops.Progress, error)
	Given(share vaultops.Secret) bool
}

// RootAttempt is one generate-root attempt; RootAttemptOf adapts a *vaultops.RootGeneration.
type RootAttempt interface {
	// Provide gives one share; token is set once Vault has enough. restarted: Vault dropped the shares given.
	Provide(ctx context.Context, share vaultops.Secret) (token vaultops.Secret, restarted bool, err error)
	Progress() (given, required int)
	Cancel(ctx context.Context) error
}

// Replica is one Vault server of the ceremony.
type Replica struct {
	Name string
	// Unsealer gives it shares (Unseal).
	Unsealer Unsealer
	// AutoUnseal: its seal unseals by itself (a KMS) and its shares are recovery shares.
	AutoUnseal bool
	// StartRoot starts a generate-root attempt on it (GenerateRoot; the first replica's is used). It is
	// called at the first submission, after that step is audited.
	StartRoot func(ctx context.Context) (RootAttempt, error)
}

// Replicas reads each replica's seal status and makes the ceremony's replicas: an unsealer each, and
// generate-root on the first. A replica that cannot be reached is refused: the ceremony must see them all.
func Replicas(ctx context.Context, rs []*vaultops.Replica) ([]Replica, error) {
	out := make([]Replica, 0, len(rs))
	for _, r := range rs {
		if r.Err != nil {
			return nil, fmt.Errorf("%s: %w", r.Name, r.Err)
		}
		rep, err := ReplicaOf(ctx, r.Name, r.Vault)
		if err != nil {
			return nil, err
		}
		out = append(out, rep)
	}
	return out, nil
}

// ReplicaOf reads one server's seal status and makes its Replica.
func ReplicaOf(ctx context.Context, name string, v *platform.Vault) (Replica, error) {
	st, err := vaultops.SealStatus(ctx, v)
	if err != nil {
		return Replica{}, fmt.Errorf("%s: %w", name, err)
	}
	return Replica{Name: name, Unsealer: vaultops.NewUnsealer(name, v), AutoUnseal: vaultops.AutoUnseal(st),
		StartRoot: func(ctx context.Context) (RootAttempt, error) {
			g, err := vaultops.StartRootGeneration(ctx, v)
			if err != nil {
				return nil, err
			}
			return RootAttemptOf(g), nil
		}}, nil
}

// RootAttemptOf adapts a vaultops generate-root attempt.
func RootAttemptOf(g *vaultops.RootGeneration) RootAttempt { return rootGen{g} }

type rootGen struct{ g *vaultops.RootGeneration }

func (r rootGen) Provide(ctx context.Context, s vaultops.Secret) (vaultops.Secret, bool, error) {
	return r.g.Provide(ctx, s)
}
func (r rootGen) Progress() (int, int)             { return r.g.Progress, r.g.Required }
func (r rootGen) Cancel(ctx context.Context) error { return r.g.Cancel(ctx) }

// Options are what a ceremony needs besides its participants.
type Options struct {
	Sink Sink             // required: where every step is recorded
	Now  func() time.Time // the clock; time.Now when nil
	Rand io.Reader        // the id's and fingerprint's randomness; crypto/rand when nil
	// Changed, when set, is called (with the ceremony's lock held: it must not call back into the
	// ceremony, nor block) at every change Watch reports: a Board relays it to every session.
	Changed func()
}

// ErrRecoveryShares is returned by Open for an unseal ceremony on an auto-unseal Vault.
var ErrRecoveryShares = errors.New("recovery shares cannot unseal")

// Ceremony is one ceremony, safe for concurrent use by every session.
type Ceremony struct {
	ID          string // 8 hex digits
	Fingerprint string // 4 groups of 4 hex digits, shown to every participant
	Kind        Kind
	Owner       Actor
	Opened      time.Time
	Deadline    time.Time

	sink    Sink
	now     func() time.Time
	changed func()

	op sync.Mutex // one step talks to Vault at a time (an Unsealer is not safe for concurrent use)

	mu         sync.Mutex // guards what follows
	phase      Phase
	reason     string
	custodians []*custodian
	replicas   []*replica
	held       []vaultops.Secret // shares kept until every replica is unsealed
	root       RootAttempt
	token      vaultops.Secret
	notes      []string
	watch      signal
}

type custodian struct {
	name              string
	joined, submitted time.Time
}

type replica struct {
	Replica
	p     vaultops.Progress
	known bool // p was read from Vault
	// wasUnsealed: it was unsealed at the last reading (read only by the step holding Ceremony.op).
	wasUnsealed bool
	err         string // why the last call failed
	note        string // the last thing noticed (a restart)
}

// Open opens a ceremony. Only an admin may; custodians are the access file's custodians' names (the
// only ones who may submit). With an auto-unseal replica an unseal is refused (ErrRecoveryShares). The
// opening is audited first; when the Sink fails, nothing is opened.
func Open(kind Kind, owner Actor, replicas []Replica, custodians []string, timeout time.Duration, o Options) (*Ceremony, error) {
	if !owner.Role.Allows(access.Admin) {
		return nil, fmt.Errorf("opening a ceremony needs the admin role; %s is %s", owner.Name, owner.Role)
	}
	if o.Sink == nil {
		return nil, errors.New("a ceremony needs an audit sink")
	}
	if kind != Unseal && kind != GenerateRoot {
		return nil, fmt.Errorf("unknown ceremony kind %v", kind)
	}
	if len(replicas) == 0 {
		return nil, errors.New("a ceremony needs at least one Vault replica")
	}
	if len(custodians) == 0 {
		return nil, errors.New("nobody is a custodian in the access file: nobody could submit a share")
	}
	if timeout <= 0 {
		return nil, fmt.Errorf("timeout %v: a ceremony must end by itself", timeout)
	}
	for _, r := range replicas {
		switch {
		case kind == Unseal && r.AutoUnseal:
			return nil, fmt.Errorf("%w: %s has an auto-unseal seal, so the custodians hold recovery shares, which authorize operations but cannot decrypt Vault's key — only the seal's KMS can unseal it, and the KMS is the blocker (check it is reachable and its key usable); recovery shares can make a new root token: open a %s ceremony instead",
				ErrRecoveryShares, r.Name, GenerateRoot)
		case kind == Unseal && r.Unsealer == nil:
			return nil, fmt.Errorf("replica %s has no unsealer", r.Name)
		}
	}
	if kind == GenerateRoot && replicas[0].StartRoot == nil {
		return nil, fmt.Errorf("replica %s cannot start a generate-root attempt", replicas[0].Name)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	var b [12]byte
	if _, err := io.ReadFull(o.Rand, b[:]); err != nil {
		return nil, fmt.Errorf("no randomness for the ceremony's nonce: %w", err)
	}
	fp := hex.EncodeToString(b[4:])
	now := o.Now()
	c := &Ceremony{ID: hex.EncodeToString(b[:4]), Fingerprint: fp[0:4] + "-" + fp[4:8] + "-" + fp[8:12] + "-" + fp[12:16],
		Kind: kind, Owner: owner, Opened: now, Deadline: now.Add(timeout), sink: o.Sink, now: o.Now,
		changed: o.Changed, watch: signal{watchers: map[int]chan struct{}{}}}
	if kind == GenerateRoot {
		replicas = replicas[:1]
	}
	for _, r := range replicas {
		c.replicas = append(c.replicas, &replica{Replica: r})
	}
	for _, n := range custodians {
		c.custodians = append(c.custodians, &custodian{name: n})
	}
	if err := c.record(audit.CeremonyOpened, owner, "custodians "+strings.Join(custodians, ", ")); err != nil {
		return nil, fmt.Errorf("the ceremony is not opened: the audit trail cannot be written: %w", err)
	}
	return c, nil
}

// record writes one audit record for the ceremony.
func (c *Ceremony) record(ev audit.Event, who Actor, reason string) error {
	names := make([]string, len(c.replicas))
	for i, r := range c.replicas {
		names[i] = r.Name
	}
	return c.sink.Append(audit.Record{Event: ev, Session: who.Session, User: who.Name, Fingerprint: who.Fingerprint,
		Role: who.Role.String(), Remote: who.Remote, Action: c.Kind.String(), Target: strings.Join(names, ","),
		Reason: reason, Ceremony: c.ID})
}

// Watch returns a channel told (without blocking: one pending signal at most) of every change, and the
// function that stops it.
func (c *Ceremony) Watch() (<-chan struct{}, func()) { return c.watch.add() }

// notifyLocked tells every watcher; c.mu is held.
func (c *Ceremony) notifyLocked() {
	if c.changed != nil {
		c.changed()
	}
	c.watch.notify()
}

// ReplicaProgress is one replica's progress as everyone sees it.
type ReplicaProgress struct {
	Name                string
	Known               bool // read from Vault at least once
	Sealed              bool
	Progress, Threshold int
	Err                 string // the last call's failure
	Note                string // the last thing noticed (a restart)
}

func (p ReplicaProgress) String() string {
	s := p.Name + ": "
	switch {
	case !p.Known:
		s += "not read yet"
	case !p.Sealed:
		s += "unsealed"
	default:
		s += fmt.Sprintf("%d of %d", p.Progress, p.Threshold)
	}
	if p.Err != "" {
		s += " (" + p.Err + ")"
	}
	return s
}

// Progress is each replica's progress (for generate-root, the attempt's: Sealed means not complete).
func (c *Ceremony) Progress() []ReplicaProgress {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.progressLocked()
}

func (c *Ceremony) progressLocked() []ReplicaProgress {
	out := make([]ReplicaProgress, len(c.replicas))
	for i, r := range c.replicas {
		out[i] = ReplicaProgress{Name: r.Name, Known: r.known, Sealed: r.p.Sealed, Progress: r.p.Progress,
			Threshold: r.p.Threshold, Err: r.err, Note: r.note}
	}
	return out
}

// CustodianState is one custodian's part: when they joined and submitted (zero: not yet).
type CustodianState struct {
	Name              string
	Joined, Submitted time.Time
}

// View is everything a screen shows of the ceremony. It holds no secret.
type View struct {
	ID, Fingerprint string
	Kind            Kind
	Owner           string
	Phase           Phase
	Reason          string // why it ended (aborted, expired)
	Opened          time.Time
	Deadline        time.Time
	Custodians      []CustodianState
	Replicas        []ReplicaProgress
	Notes           []string // what was noticed, oldest first
	TokenReady      bool     // generate-root: a token waits for the owner
}

// View returns the ceremony as it is now.
func (c *Ceremony) View() View {
	c.mu.Lock()
	defer c.mu.Unlock()
	v := View{ID: c.ID, Fingerprint: c.Fingerprint, Kind: c.Kind, Owner: c.Owner.Name, Phase: c.phase,
		Reason: c.reason, Opened: c.Opened, Deadline: c.Deadline, Replicas: c.progressLocked(),
		Notes: append([]string(nil), c.notes...), TokenReady: !c.token.Empty()}
	for _, cu := range c.custodians {
		v.Custodians = append(v.Custodians, CustodianState{Name: cu.name, Joined: cu.joined, Submitted: cu.submitted})
	}
	return v
}

func (c *Ceremony) custodianLocked(name string) *custodian {
	for _, cu := range c.custodians {
		if cu.name == name {
			return cu
		}
	}
	return nil
}

// stepLocked is who's part in a step of a ceremony still open: refused when it has ended or who is not
// one of its custodians. c.mu is held.
func (c *Ceremony) stepLocked(who Actor) (*custodian, error) {
	if err := c.openLocked(); err != nil {
		return nil, err
	}
	cu := c.custodianLocked(who.Name)
	if cu == nil {
		return nil, fmt.Errorf("%s is not a custodian of ceremony %s", who.Name, c.ID)
	}
	return cu, nil
}

// openLocked refuses a step on a ceremony that has ended (or whose time is up: it then expires).
func (c *Ceremony) openLocked() error {
	if c.phase == Running && !c.now().Before(c.Deadline) {
		return fmt.Errorf("ceremony %s timed out at %s", c.ID, c.Deadline.UTC().Format(time.TimeOnly))
	}
	if c.phase != Running {
		return fmt.Errorf("ceremony %s is %s", c.ID, c.endedLocked())
	}
	return nil
}

func (c *Ceremony) endedLocked() string {
	if c.reason == "" {
		return c.phase.String()
	}
	return c.phase.String() + " (" + c.reason + ")"
}

// Join marks a custodian as present (their session shows the ceremony). Joining twice changes nothing.
func (c *Ceremony) Join(who Actor) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	cu, err := c.stepLocked(who)
	if err != nil {
		return err
	}
	if !cu.joined.IsZero() {
		return nil
	}
	if err := c.joinLocked(cu, who); err != nil {
		return fmt.Errorf("not joined: the audit trail cannot be written: %w", err)
	}
	c.notifyLocked()
	return nil
}

// joinLocked audits who joining and marks cu present; cu stays absent when the audit trail refuses.
// c.mu is held.
func (c *Ceremony) joinLocked(cu *custodian, who Actor) error {
	if err := c.record(audit.CeremonyJoined, who, ""); err != nil {
		return err
	}
	cu.joined = c.now()
	return nil
}

// endLocked ends the ceremony and wipes everything secret it holds; c.mu is held.
func (c *Ceremony) endLocked(p Phase, reason string) {
	c.phase, c.reason = p, reason
	c.wipeHeldLocked()
	if p != Completed {
		c.token.Wipe()
	}
	c.notifyLocked()
}

func (c *Ceremony) wipeHeldLocked() {
	for i := range c.held {
		c.held[i].Wipe()
	}
	c.held = nil
}

// Abort ends the ceremony: only its owner may, with a reason. The held shares are wiped and a
// generate-root attempt cancelled. It always ends; the Sink's error, if any, is returned.
func (c *Ceremony) Abort(ctx context.Context, by Actor, reason string) error {
	if by.Name != c.Owner.Name {
		return fmt.Errorf("only %s, who opened ceremony %s, may abort it", c.Owner.Name, c.ID)
	}
	if strings.TrimSpace(reason) == "" {
		return errors.New("say why the ceremony is aborted: a reason is required")
	}
	c.op.Lock()
	defer c.op.Unlock()
	c.mu.Lock()
	if c.phase != Running {
		defer c.mu.Unlock()
		return fmt.Errorf("ceremony %s is already %s", c.ID, c.endedLocked())
	}
	c.endLocked(Aborted, "by "+by.Name+": "+reason)
	root := c.root
	err := c.record(audit.CeremonyAborted, by, reason)
	c.mu.Unlock()
	if root != nil {
		err = errors.Join(err, root.Cancel(ctx))
	}
	return err
}

// Expire ends the ceremony when now is past its deadline (the server calls it from its clock); it tells
// whether it ended it. The held shares are wiped.
func (c *Ceremony) Expire(ctx context.Context, now time.Time) (bool, error) {
	c.op.Lock()
	defer c.op.Unlock()
	c.mu.Lock()
	if now.Before(c.Deadline) || c.phase != Running {
		c.mu.Unlock()
		return false, nil
	}
	c.endLocked(Expired, fmt.Sprintf("timed out after %s", c.Deadline.Sub(c.Opened)))
	root := c.root
	err := c.record(audit.CeremonyAborted, c.Owner, c.reason)
	c.mu.Unlock()
	if root != nil {
		err = errors.Join(err, root.Cancel(ctx))
	}
	return true, err
}

// Token hands the generated root token to the ceremony's owner, once; the ceremony keeps no copy.
func (c *Ceremony) Token(by Actor) (vaultops.Secret, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if by.Name != c.Owner.Name {
		return vaultops.Secret{}, fmt.Errorf("the root token goes only to %s, who opened ceremony %s", c.Owner.Name, c.ID)
	}
	if c.token.Empty() {
		return vaultops.Secret{}, errors.New("no root token waits: the ceremony has not made one, or it was taken")
	}
	t := c.token
	c.token = vaultops.Secret{}
	return t, nil
}
