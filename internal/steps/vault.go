package steps

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/vaultops"
	vault "github.com/hashicorp/vault/api"
)

// The Vault part of the install (PLATFORM.md §3): vault-init runs the key ceremony, vault-unseal brings
// every replica up, vault-bootstrap makes the configuration the platform once made by hand. Keys never
// enter the plan or the state file: the root token passes from init to bootstrap in Env.Keys, in memory.

// vaultConn is the cluster and Vault's replicas for one Check or Run.
type vaultConn struct {
	kube *platform.Kube
	reps []*vaultops.Replica
}

func (c *vaultConn) Close() {
	for _, r := range c.reps {
		r.Close()
	}
}

// openVault connects to the cluster (when the plan has its kubeconfig) and finds Vault's replicas.
func openVault(ctx context.Context, e *Env, p plan.Plan) (*vaultConn, error) {
	return openVaultVia(ctx, e.vault(), p)
}

// openVaultVia connects to the cluster through acc (when it can) and finds Vault's replicas.
func openVaultVia(ctx context.Context, acc VaultAccess, p plan.Plan) (*vaultConn, error) {
	c := &vaultConn{}
	k, kerr := acc.Kube(ctx, p)
	if kerr == nil {
		c.kube = k
	}
	reps, err := acc.Replicas(ctx, p, c.kube)
	if err != nil {
		if kerr != nil && acc.InCluster() {
			return nil, kerr
		}
		return nil, err
	}
	c.reps = reps
	return c, nil
}

// firstWhere is the first replica that answers and that skip does not pass over: skip (nil: take any)
// says why a replica is passed over ("" to take it), and its error stops the search. The error says why
// each replica was passed over.
func (c *vaultConn) firstWhere(ctx context.Context, skip func(*vault.SealStatusResponse) (string, error)) (*vaultops.Replica, *vault.SealStatusResponse, error) {
	var errs []error
	for _, r := range c.reps {
		if r.Err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", r.Name, r.Err))
			continue
		}
		st, err := vaultops.SealStatus(ctx, r.Vault)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", r.Name, err))
			continue
		}
		if skip == nil {
			return r, st, nil
		}
		why, err := skip(st)
		if err != nil {
			return nil, nil, err
		}
		if why == "" {
			return r, st, nil
		}
		errs = append(errs, fmt.Errorf("%s is %s", r.Name, why))
	}
	return nil, nil, errors.Join(errs...)
}

// first is the first replica that answers.
func (c *vaultConn) first(ctx context.Context) (*vaultops.Replica, *vault.SealStatusResponse, error) {
	r, st, err := c.firstWhere(ctx, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("no Vault replica answers: %w", err)
	}
	return r, st, nil
}

// sealKind names the shares an init gives.
func sealKind(recovery bool) string {
	if recovery {
		return "recovery"
	}
	return "unseal"
}

// VaultInitStep initializes Vault once: the split, optionally each share encrypted to its custodian's
// PGP key, then the ceremony (each share shown once to its custodian and confirmed) or, unattended,
// the encrypted shares written to the files the answers name.
type VaultInitStep struct{}

func (VaultInitStep) ID() ID        { return VaultInit }
func (VaultInitStep) Title() string { return "Vault init" }
func (VaultInitStep) Fields() []string {
	return []string{"vault.shares", "vault.threshold", "vault.custodians", "vault.rootToken"}
}

func (VaultInitStep) Describe(p plan.Plan) []string {
	v := p.Vault.WithDefaults()
	out := []string{"find Vault's servers (the pods of StatefulSet vault in namespace vault, or VAULT_ADDR)",
		fmt.Sprintf("if Vault is not initialized: split its key into %d shares, %d of them needed (recovery shares on an auto-unseal seal)",
			v.Shares, v.Threshold)}
	return append(out, custodyLines(v)...)
}

// custodyLines say where an init's shares and root token go.
func custodyLines(v plan.Vault) []string {
	var out []string
	if v.Encrypted() {
		out = append(out, "encrypt each share to its custodian's PGP key (Vault does it: no plaintext share leaves Vault)")
		for i, c := range v.Custodians {
			line := fmt.Sprintf("  share %d → %s (%s)", i+1, v.CustodianName(i), c.PGPKey)
			if c.ShareFile != "" {
				line += ", exported to " + c.ShareFile
			}
			out = append(out, line)
		}
	} else {
		out = append(out, "the ceremony: one custodian at a time, their share shown once on a cleared screen and typed back to confirm")
	}
	if v.RootToken.File != "" {
		out = append(out, "the root token, encrypted to "+v.RootToken.PGPKey+", exported to "+v.RootToken.File)
	}
	return append(out, "nothing is written to disk but PGP-encrypted exports; the root token stays in memory for the bootstrap")
}

func (VaultInitStep) Check(ctx context.Context, e *Env, p plan.Plan) (Outcome, error) {
	c, err := openVault(ctx, e, p)
	if err != nil {
		return Outcome{Detail: err.Error()}, nil
	}
	defer c.Close()
	r, st, err := c.first(ctx)
	if err != nil {
		return Outcome{Detail: err.Error()}, nil
	}
	if !st.Initialized {
		return Outcome{Detail: fmt.Sprintf("Vault is not initialized (%s, %s seal)", r.Name, st.Type)}, nil
	}
	return Outcome{Holds: true, Detail: fmt.Sprintf("Vault is initialized (%s seal, %d of %d %s shares)",
		st.Type, st.T, st.N, sealKind(vaultops.AutoUnseal(st)))}, nil
}

func (s VaultInitStep) Run(ctx context.Context, e *Env, p *plan.Plan, emit func(Event)) (Result, error) {
	say := func(f string, a ...any) { emit(Event{Step: VaultInit, Message: fmt.Sprintf(f, a...)}) }
	if ps := p.ValidateVault(e.Ask == nil).Only("vault.shares", "vault.threshold", "vault.custodians", "vault.rootToken"); len(ps) > 0 {
		return Result{}, ps
	}
	v := p.Vault.WithDefaults()
	pk, err := readInitKeys(v, "vault.")
	if err != nil {
		return Result{}, err
	}
	c, err := openVault(ctx, e, *p)
	if err != nil {
		return Result{}, err
	}
	defer c.Close()
	r, st, err := c.first(ctx)
	if err != nil {
		return Result{}, err
	}
	if st.Initialized {
		say("Vault is already initialized (%s): nothing to do, no new keys", r.Name)
		return VaultInitResult(*p), nil
	}
	if err := initAndHandOver(ctx, e, r, st, v, pk, say); err != nil {
		return Result{}, err
	}
	return VaultInitResult(*p), nil
}

// initAndHandOver initializes Vault through replica r (whose seal status is st), writes the encrypted
// exports the plan names, then runs the ceremony (unattended: none, the exports are the hand-over). The
// keys are wiped before it returns; the root token stays in Env.Keys for the bootstrap.
func initAndHandOver(ctx context.Context, e *Env, r *vaultops.Replica, st *vault.SealStatusResponse, v plan.Vault, pk initKeys,
	say func(string, ...any)) error {
	keys, err := initialize(ctx, e, r, st, v, pk.opts, say)
	if err != nil {
		return err
	}
	defer keys.Wipe()
	// The exports first: a ceremony cut short still leaves every encrypted share on disk.
	armored, err := exportKeys(v, keys, pk, say)
	if err != nil {
		return err
	}
	if e.Ask == nil {
		say("unattended: %d shares written encrypted to their custodians; no plaintext share left Vault", len(keys.Shares))
		return nil
	}
	return ceremony(ctx, e, v, keys, armored, pk.fingerprints, say)
}

// initKeys are the public keys an init encrypts to, read and checked before Vault is touched.
type initKeys struct {
	opts         vaultops.InitOptions // the split, and the custodians' keys in share order
	fingerprints []string             // each custodian's key's fingerprint, "" for a share not encrypted
	root         []byte               // the key the root token's export is encrypted to, or nil
}

// readInitKeys reads the custodians' and the root token's public keys, then checks the split and the
// export files: every refusal comes before the init, naming the plan's fields under prefix ("vault.").
func readInitKeys(v plan.Vault, prefix string) (initKeys, error) {
	k := initKeys{opts: vaultops.InitOptions{Shares: v.Shares, Threshold: v.Threshold}, fingerprints: make([]string, len(v.Custodians))}
	for i, c := range v.Custodians {
		if c.PGPKey == "" {
			continue
		}
		b, err := ReadPublicKey(fmt.Sprintf("%scustodians[%d].pgpKey", prefix, i), c.PGPKey)
		if err != nil {
			return initKeys{}, err
		}
		k.opts.PGPKeys = append(k.opts.PGPKeys, b)
		k.fingerprints[i], _ = vaultops.PGPFingerprint(b)
	}
	if v.RootToken.PGPKey != "" {
		var err error
		if k.root, err = ReadPublicKey(prefix+"rootToken.pgpKey", v.RootToken.PGPKey); err != nil {
			return initKeys{}, err
		}
	}
	if err := k.opts.Validate(); err != nil {
		return initKeys{}, err
	}
	if err := checkExportsAt(v, prefix); err != nil {
		return initKeys{}, err
	}
	return k, nil
}

// initialize initializes Vault through replica r (whose seal status is st) and keeps the root token in
// memory for the bootstrap; the caller wipes the keys.
func initialize(ctx context.Context, e *Env, r *vaultops.Replica, st *vault.SealStatusResponse, v plan.Vault,
	opts vaultops.InitOptions, say func(string, ...any)) (*vaultops.Keys, error) {
	recovery := vaultops.AutoUnseal(st)
	if recovery {
		say("%s has an auto-unseal seal (%s): it unseals itself; the shares are recovery shares (they authorize "+
			"generate-root and seal migration; they do not unseal)", r.Name, st.Type)
	}
	say("initializing Vault through %s: %d %s shares, %d needed", r.Name, v.Shares, sealKind(recovery), v.Threshold)
	keys, err := vaultops.Init(ctx, r.Vault, opts)
	if err != nil {
		return nil, err
	}
	if e.Keys != nil {
		e.Keys.RootToken = vaultops.NewSecret(keys.RootToken.Reveal())
	}
	say("Vault initialized; the root token is kept in memory for the bootstrap")
	return keys, nil
}

// exportKeys armors each encrypted share (returned, in share order, for the ceremony) and writes the
// exports the plan names: the shares to their custodians' files, the root token encrypted to its key.
func exportKeys(v plan.Vault, keys *vaultops.Keys, pk initKeys, say func(string, ...any)) ([]vaultops.Secret, error) {
	armored := make([]vaultops.Secret, len(keys.Shares))
	for i, sh := range keys.Shares {
		if !keys.Encrypted {
			continue
		}
		var err error
		if armored[i], err = vaultops.ArmorShare(sh); err != nil {
			return nil, fmt.Errorf("share %d: %w", i+1, err)
		}
		if f := v.Custodians[i].ShareFile; f != "" {
			if err := vaultops.WriteExport(f, armored[i]); err != nil {
				return nil, err
			}
			say("share %d (%s) encrypted to key %s, written to %s", i+1, v.CustodianName(i), short(pk.fingerprints[i]), f)
		}
	}
	if v.RootToken.File != "" {
		enc, err := vaultops.EncryptTo(pk.root, keys.RootToken)
		if err != nil {
			return nil, fmt.Errorf("encrypt the root token: %w", err)
		}
		if err := vaultops.WriteExport(v.RootToken.File, enc); err != nil {
			return nil, err
		}
		enc.Wipe()
		say("root token encrypted to %s, written to %s", v.RootToken.PGPKey, v.RootToken.File)
	}
	return armored, nil
}

// ceremony hands each share, then the root token, to its holder: shown once, typed back, cleared.
func ceremony(ctx context.Context, e *Env, v plan.Vault, keys *vaultops.Keys, armored []vaultops.Secret,
	keyFPs []string, say func(string, ...any)) error {
	n := len(keys.Shares)
	kind := sealKind(keys.Recovery)
	for i, sh := range keys.Shares {
		pr := Prompt{Kind: PromptCustody, Title: fmt.Sprintf("Vault %s share %d of %d", kind, i+1, n),
			Holder: v.CustodianName(i), Secret: sh, Fingerprint: sh.Fingerprint(), Confirm: 6,
			Lines: []string{fmt.Sprintf("%d of the %d shares are needed to %s Vault. Keep this one where only %s can reach it "+
				"(a password manager, paper in a safe); a Vault without enough shares is data lost for good.",
				keys.Threshold, n, map[bool]string{true: "recover", false: "unseal"}[keys.Recovery], v.CustodianName(i))}}
		if keys.Encrypted {
			pr.Secret, pr.Fingerprint = armored[i], armored[i].Fingerprint()
			pr.Lines = append(pr.Lines, "It is encrypted to the PGP key "+short(keyFPs[i])+": only its holder can open it (gpg --decrypt).")
			if f := v.Custodians[i].ShareFile; f != "" {
				pr.Lines = append(pr.Lines, "It is also in "+f+".")
			}
		}
		a, err := e.ask(context.WithoutCancel(ctx), pr)
		if err != nil || !a.Yes {
			return fmt.Errorf("the ceremony stopped at share %d of %d (%v): Vault is initialized, and the shares not handed over "+
				"cannot be shown again; if fewer than %d custodians hold a share, Vault must be re-created (its storage wiped) "+
				"and initialized again", i+1, n, errOr(err, "not confirmed"), keys.Threshold)
		}
		say("share %d of %d handed to %s (fingerprint %s), confirmed", i+1, n, v.CustodianName(i), pr.Fingerprint)
	}
	root := Prompt{Kind: PromptCustody, Title: "Vault root token", Holder: "the operator", Secret: keys.RootToken,
		Fingerprint: keys.RootToken.Fingerprint(), Confirm: 6,
		Lines: []string{"The root token can do anything in Vault. The bootstrap uses it from memory next; at its end you " +
			"are offered to revoke it. A new one can always be made with a threshold of the shares " +
			"(vault operator generate-root)."}}
	if keys.RootEncrypted {
		root.Lines = append(root.Lines, "It is PGP-encrypted.")
	}
	if a, err := e.ask(context.WithoutCancel(ctx), root); err != nil || !a.Yes {
		return fmt.Errorf("the root token was not confirmed (%v): every share was handed over; the bootstrap can still use "+
			"the token from memory in this session, or a new one from generate-root", errOr(err, "not confirmed"))
	}
	say("ceremony done: %d shares and the root token handed over, each confirmed; nothing was written to disk", n)
	return nil
}

func errOr(err error, s string) string {
	if err != nil {
		return err.Error()
	}
	return s
}

// short is a fingerprint's last 16 digits, as gpg shows a key ID.
func short(fp string) string {
	if len(fp) > 16 {
		return fp[len(fp)-16:]
	}
	return fp
}

// ReadPublicKey reads a custodian's public key file, naming the field in its errors (plan.Problems).
func ReadPublicKey(field, path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, plan.Problems{{Path: field, Message: fmt.Sprintf("cannot read %s: %v", path, errors.Unwrap(err))}}
	}
	if _, err := vaultops.PGPFingerprint(b); err != nil {
		return nil, plan.Problems{{Path: field, Message: fmt.Sprintf("%s: %v", path, err)}}
	}
	return b, nil
}

// checkExports refuses, before anything happens, export files that exist or repeat.
func checkExports(v plan.Vault) error { return checkExportsAt(v, "vault.") }

// checkExportsAt is checkExports naming the plan's fields under prefix.
func checkExportsAt(v plan.Vault, prefix string) error {
	seen := map[string]bool{}
	var ps plan.Problems
	check := func(field, path string) {
		if path == "" {
			return
		}
		if seen[path] {
			ps = append(ps, plan.Problem{Path: field, Message: path + " is named twice"})
			return
		}
		seen[path] = true
		if err := vaultops.CheckExportTarget(path); err != nil {
			ps = append(ps, plan.Problem{Path: field, Message: err.Error()})
		}
	}
	for i, c := range v.Custodians {
		check(fmt.Sprintf("%scustodians[%d].shareFile", prefix, i), c.ShareFile)
	}
	check(prefix+"rootToken.file", v.RootToken.File)
	return ps.Err()
}

// VaultUnsealStep unseals every replica, the leader-to-be (vault-0) first: each share typed once goes
// to every replica that needs it. A refused share keeps the progress; a replica that restarts sealed is
// noticed and given its shares again.
type VaultUnsealStep struct{}

func (VaultUnsealStep) ID() ID           { return VaultUnseal }
func (VaultUnsealStep) Title() string    { return "Vault unseal" }
func (VaultUnsealStep) Fields() []string { return []string{"vault.unsealShareFiles"} }

func (VaultUnsealStep) Describe(p plan.Plan) []string {
	out := []string{"read each replica's seal status (vault-0 first, then the followers)",
		"ask for the shares one at a time (masked); each accepted share goes to every sealed replica",
		"show Vault's own progress per replica; a refused share keeps the progress; a replica that restarts sealed gets its shares again"}
	if n := len(p.Vault.UnsealShareFiles); n > 0 {
		out = append(out, fmt.Sprintf("unattended: read the shares from %d files (plaintext: remove them afterwards)", n))
	}
	return out
}

func (VaultUnsealStep) Check(ctx context.Context, e *Env, p plan.Plan) (Outcome, error) {
	c, err := openVault(ctx, e, p)
	if err != nil {
		return Outcome{Detail: err.Error()}, nil
	}
	defer c.Close()
	holds := true
	var parts []string
	for _, r := range c.reps {
		if r.Err != nil {
			holds = false
			parts = append(parts, r.Name+" unreachable")
			continue
		}
		st, err := vaultops.SealStatus(ctx, r.Vault)
		switch {
		case err != nil:
			holds = false
			parts = append(parts, r.Name+" unreachable")
		case !st.Initialized:
			holds = false
			parts = append(parts, r.Name+" not initialized")
		case st.Sealed:
			holds = false
			parts = append(parts, fmt.Sprintf("%s sealed %d/%d", r.Name, st.Progress, st.T))
		default:
			parts = append(parts, r.Name+" unsealed")
		}
	}
	return Outcome{Holds: holds && len(c.reps) > 0, Detail: strings.Join(parts, " · ")}, nil
}

// unsealing is one replica during the unseal.
type unsealing struct {
	rep  *vaultops.Replica
	u    *vaultops.Unsealer
	last vaultops.Progress
	err  error
	init bool
}

func (VaultUnsealStep) Run(ctx context.Context, e *Env, p *plan.Plan, emit func(Event)) (Result, error) {
	u, err := startUnseal(ctx, e, *p, emit)
	if err != nil {
		return Result{}, err
	}
	defer u.close()
	for {
		done, err := u.turn(ctx)
		if err != nil {
			return Result{}, err
		}
		if done {
			return VaultUnsealResult(), nil
		}
	}
}

// unsealRun is one run of the unseal: the replicas, the shares not used yet and the ones Vault accepted.
type unsealRun struct {
	e    *Env
	p    plan.Plan
	emit func(Event)
	say  func(string, ...any)
	c    *vaultConn
	rs   []*unsealing
	// files are the unattended run's shares not given yet; known the shares Vault accepted, kept in
	// memory for the other replicas. close wipes both.
	files, known []vaultops.Secret
	problem      string // the last refusal, told with the next question
	wait         time.Duration
	deadline     time.Time
}

// startUnseal finds the replicas and, unattended, reads the share files.
func startUnseal(ctx context.Context, e *Env, p plan.Plan, emit func(Event)) (*unsealRun, error) {
	u := &unsealRun{e: e, p: p, emit: emit, wait: e.clusterWait(),
		say: func(f string, a ...any) { emit(Event{Step: VaultUnseal, Message: fmt.Sprintf(f, a...)}) }}
	c, err := openVault(ctx, e, p)
	if err != nil {
		return nil, err
	}
	u.c = c
	u.rs = make([]*unsealing, len(c.reps))
	for i, r := range c.reps {
		u.rs[i] = &unsealing{rep: r}
		if r.Vault != nil {
			u.rs[i].u = vaultops.NewUnsealer(r.Name, r.Vault)
		}
	}
	if e.Ask == nil {
		if u.files, err = readShareFiles("vault.unsealShareFiles", p.Vault.UnsealShareFiles); err != nil {
			u.close()
			return nil, err
		}
		if len(u.files) > 0 {
			u.say("read %d shares from files: they are plaintext — remove them now (they must not persist)", len(u.files))
		}
	}
	u.deadline = e.now().Add(u.wait)
	return u, nil
}

// close wipes the shares in memory and closes the replicas' connections.
func (u *unsealRun) close() {
	for i := range u.known {
		u.known[i].Wipe()
	}
	for i := range u.files {
		u.files[i].Wipe()
	}
	u.c.Close()
}

// turn reads every replica, then gives the first sealed one a share (one Vault accepted already, else the
// next file's or the custodian's), or waits for Vault; done tells every replica is unsealed.
func (u *unsealRun) turn(ctx context.Context) (done bool, err error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	unreachable := refresh(ctx, u.rs, u.say)
	u.emit(Event{Step: VaultUnseal, Items: unsealItems(u.rs)})
	if unreachable > 0 && u.e.now().After(u.deadline) {
		return false, fmt.Errorf("%d Vault replica(s) cannot be reached after %s: see the list; rerun when their pods run", unreachable, u.wait)
	}
	target, done, auto := pickTarget(u.rs)
	if done {
		u.say("every replica is unsealed")
		return true, nil
	}
	if target == nil || auto {
		return false, u.waitForVault(ctx)
	}
	// Shares accepted already (by another replica, or before a restart) go first, without asking.
	if s, ok := nextKnown(target, u.known); ok {
		u.giveKnown(ctx, target, s)
		return false, nil
	}
	share, err := u.nextShare(ctx, target)
	if err != nil || share.Empty() {
		return false, err
	}
	u.give(ctx, target, share)
	return false, nil
}

// pickTarget is the replica to give a share to: the first one reachable, initialized and sealed (vault-0
// first). done tells every replica is reachable, initialized and unsealed; auto that one unseals itself.
func pickTarget(rs []*unsealing) (target *unsealing, done, auto bool) {
	done = len(rs) > 0
	for _, r := range rs {
		if r.err != nil || !r.init {
			done = false
			continue
		}
		if r.last.Sealed {
			done = false
			if target == nil {
				target = r
			}
		}
		auto = auto || r.last.Threshold == 0
	}
	return target, done, auto
}

// waitForVault waits a moment when no replica can take a share (none is sealed and initialized, or the
// seal unseals itself), then finds the replicas again; it fails when Vault is not initialized, or after
// the wait.
func (u *unsealRun) waitForVault(ctx context.Context) error {
	if rs0 := firstReachable(u.rs); rs0 != nil && !rs0.init {
		return fmt.Errorf("Vault is not initialized (%s): run vault-init first", rs0.rep.Name)
	}
	if u.e.now().After(u.deadline) {
		return fmt.Errorf("Vault did not unseal within %s", u.wait)
	}
	if err := u.e.wait(ctx); err != nil {
		return err
	}
	if reopened, err := reopen(ctx, u.e, u.p, u.c, u.rs); err == nil {
		u.c = reopened
	}
	return nil
}

// giveKnown gives target a share Vault accepted before.
func (u *unsealRun) giveKnown(ctx context.Context, target *unsealing, s vaultops.Secret) {
	prog, err := target.u.Submit(ctx, s)
	target.last = prog
	if err != nil {
		u.problem = err.Error()
		u.say("%s", u.problem)
	}
	if !prog.Sealed {
		u.say("%s unsealed", target.rep.Name)
	}
}

// nextShare is a new share for target: unattended, the next file's; else the one its custodian types.
func (u *unsealRun) nextShare(ctx context.Context, target *unsealing) (vaultops.Secret, error) {
	if u.e.Ask == nil {
		if len(u.files) == 0 {
			return vaultops.Secret{}, fmt.Errorf("%s is still sealed (%d of %d shares) and the share files are used up: %s"+
				"add more files to vault.unsealShareFiles", target.rep.Name, target.last.Progress, target.last.Threshold,
				map[bool]string{true: u.problem + "; ", false: ""}[u.problem != ""])
		}
		share := u.files[0]
		u.files = u.files[1:]
		return share, nil
	}
	a, err := u.e.ask(ctx, Prompt{Kind: PromptShare, Title: "Unseal " + target.rep.Name,
		Lines: []string{fmt.Sprintf("%s is sealed: %d of %d shares given. Custodian: type or paste your share; it is "+
			"not shown, and it goes to every sealed replica.", target.rep.Name, target.last.Progress, target.last.Threshold)},
		Items: unsealItems(u.rs), Problem: u.problem})
	if err != nil {
		return vaultops.Secret{}, err
	}
	return a.Secret, nil
}

// give gives target a new share: kept for the other replicas once Vault accepts it, wiped when refused.
// A refusal after other shares of the attempt means Vault started over: those are forgotten too.
func (u *unsealRun) give(ctx context.Context, target *unsealing, share vaultops.Secret) {
	before := target.last.Progress
	prog, err := target.u.Submit(ctx, share)
	target.last = prog
	if prog.Restarted {
		u.say("%s restarted and came back sealed: the shares it had were sent again", target.rep.Name)
		before = prog.Progress
	}
	if err != nil {
		u.problem = err.Error()
		if before > 0 && prog.Progress == 0 && prog.Sealed {
			u.problem += fmt.Sprintf(" — the %d shares of this attempt did not combine: Vault started over; give %d shares again",
				before+1, prog.Threshold)
			u.known = forget(u.known)
		}
		u.say("%s", u.problem)
		share.Wipe()
		return
	}
	u.problem = ""
	u.known = append(u.known, share)
	if prog.Sealed {
		u.say("%s accepted a share: %d of %d", target.rep.Name, prog.Progress, prog.Threshold)
	} else {
		u.say("%s unsealed", target.rep.Name)
	}
}

// refresh reads every replica's progress (an unsealer notices a restart and sends its shares again);
// it returns how many cannot be reached.
func refresh(ctx context.Context, rs []*unsealing, say func(string, ...any)) int {
	n := 0
	for _, r := range rs {
		if r.u == nil {
			r.err = r.rep.Err
			n++
			continue
		}
		prog, err := r.u.Status(ctx)
		r.err = err
		if err != nil {
			n++
			continue
		}
		st, serr := vaultops.SealStatus(ctx, r.rep.Vault)
		if serr == nil {
			r.init = st.Initialized
			if vaultops.AutoUnseal(st) {
				prog.Threshold = 0 // unseals by itself
			}
		}
		if prog.Restarted {
			say("%s restarted and came back sealed: the %d shares it had were sent again", r.rep.Name, prog.Progress)
		}
		r.last = prog
	}
	return n
}

// reopen finds the replicas again (a pod was replaced, a forward broke) and points the unsealers at the
// new connections; the shares they keep stay.
func reopen(ctx context.Context, e *Env, p plan.Plan, old *vaultConn, rs []*unsealing) (*vaultConn, error) {
	need := false
	for _, r := range rs {
		need = need || r.err != nil
	}
	if !need {
		return old, nil
	}
	c, err := openVault(ctx, e, p)
	if err != nil {
		return old, err
	}
	for _, r := range rs {
		for _, n := range c.reps {
			if n.Name != r.rep.Name || n.Vault == nil {
				continue
			}
			r.rep = n
			if r.u == nil {
				r.u = vaultops.NewUnsealer(n.Name, n.Vault)
			} else {
				r.u.SetVault(n.Vault)
			}
		}
	}
	old.Close()
	return c, nil
}

func firstReachable(rs []*unsealing) *unsealing {
	for _, r := range rs {
		if r.err == nil {
			return r
		}
	}
	return nil
}

func nextKnown(r *unsealing, known []vaultops.Secret) (vaultops.Secret, bool) {
	for _, s := range known {
		if !r.u.Given(s) {
			return s, true
		}
	}
	return vaultops.Secret{}, false
}

// forget drops the shares of an attempt Vault dropped: one of them was wrong, and Vault cannot say which.
func forget(known []vaultops.Secret) []vaultops.Secret {
	for i := range known {
		known[i].Wipe()
	}
	return nil
}

func unsealItems(rs []*unsealing) []Item {
	items := make([]Item, len(rs))
	for i, r := range rs {
		it := Item{Name: r.rep.Name}
		switch {
		case r.err != nil:
			it.State, it.Detail, it.Failed = "unreachable", platform.RootCause(r.err).Error(), true
		case !r.init:
			it.State = "not initialized"
		case r.last.Threshold == 0 && r.last.Sealed:
			it.State = "sealed (auto-unseal: waiting for it)"
		case r.last.Sealed:
			it.State = fmt.Sprintf("sealed, %d of %d shares", r.last.Progress, r.last.Threshold)
		default:
			it.State, it.OK = "unsealed", true
		}
		if i == 0 && len(rs) > 1 {
			it.Detail = strings.TrimSpace("first (becomes the leader) " + it.Detail)
		}
		items[i] = it
	}
	return items
}

// readShareFiles reads the plaintext shares an unattended unseal was given, the plan's field that names
// them being field.
func readShareFiles(field string, paths []string) ([]vaultops.Secret, error) {
	out := make([]vaultops.Secret, 0, len(paths))
	for i, f := range paths {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, plan.Problems{{Path: fmt.Sprintf("%s[%d]", field, i), Message: fmt.Sprintf("cannot read %s: %v", f, errors.Unwrap(err))}}
		}
		s := vaultops.NewSecret(strings.TrimSpace(string(b)))
		clear(b)
		if s.Empty() {
			return nil, plan.Problems{{Path: fmt.Sprintf("%s[%d]", field, i), Message: f + " is empty"}}
		}
		out = append(out, s)
	}
	return out, nil
}
