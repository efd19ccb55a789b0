package ceremony

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/clubcedille/cedille-tui/internal/audit"
	"github.com/clubcedille/cedille-tui/internal/vaultops"
)

// Submit gives one custodian's share. The ceremony takes the share: its bytes are wiped in place when
// no longer needed (at once when refused). A custodian not named at the opening, or who has submitted
// already, is refused (with when they did). The submission is audited before anything is sent; when
// the Sink fails, nothing is. For an unseal the share goes at once to every sealed replica, with any
// held share a replica has not taken (it restarted, it was unreachable); a share no replica takes is
// refused with the progress Vault reports. A refused share does not count: the custodian may submit again.
func (c *Ceremony) Submit(ctx context.Context, who Actor, share vaultops.Secret) error {
	c.op.Lock()
	defer c.op.Unlock()
	c.mu.Lock()
	err := c.admitLocked(who, share)
	c.mu.Unlock()
	if err != nil {
		share.Wipe()
		return err
	}
	if c.Kind == GenerateRoot {
		return c.submitRoot(ctx, who, share)
	}
	return c.submitUnseal(ctx, who, share)
}

// admitLocked checks the submission and audits it; c.mu is held.
func (c *Ceremony) admitLocked(who Actor, share vaultops.Secret) error {
	cu, err := c.stepLocked(who)
	if err != nil {
		return err
	}
	if !cu.submitted.IsZero() {
		return fmt.Errorf("%s already submitted a share to ceremony %s, at %s UTC", who.Name, c.ID,
			cu.submitted.UTC().Format("15:04:05"))
	}
	if share.Empty() {
		return errors.New("the share is empty")
	}
	if cu.joined.IsZero() {
		if err := c.joinLocked(cu, who); err != nil {
			return fmt.Errorf("refused, nothing was sent to Vault: the audit trail cannot be written: %w", err)
		}
	}
	if err := c.record(audit.CeremonySubmitted, who, ""); err != nil {
		return fmt.Errorf("refused, nothing was sent to Vault: the audit trail cannot be written: %w", err)
	}
	return nil
}

// outcome is one replica's answer to a step.
type outcome struct {
	p   vaultops.Progress
	err error
}

func (c *Ceremony) submitUnseal(ctx context.Context, who Actor, share vaultops.Secret) error {
	c.mu.Lock()
	var targets []*replica
	var before []vaultops.Progress
	for _, r := range c.replicas {
		if !r.known || r.p.Sealed {
			targets = append(targets, r)
			before = append(before, r.p)
		}
	}
	shares := append(append([]vaultops.Secret(nil), c.held...), share)
	c.mu.Unlock()

	out := giveAll(ctx, targets, shares)

	c.mu.Lock()
	defer c.mu.Unlock()
	defer c.notifyLocked()
	accepted, reset := 0, false
	var refusals []string
	for i, r := range targets {
		c.applyLocked(r, out[i])
		if out[i].err == nil {
			accepted++
			continue
		}
		refusals = append(refusals, out[i].err.Error())
		if out[i].p.Threshold > 0 && out[i].p.Sealed && out[i].p.Progress < before[i].Progress && !out[i].p.Restarted {
			reset = true
		}
	}
	switch {
	case accepted > 0 || len(targets) == 0:
		c.custodianLocked(who.Name).submitted = c.now()
		c.held = append(c.held, share)
		return c.completeIfUnsealedLocked(who)
	case reset:
		share.Wipe()
		c.wipeHeldLocked()
		for _, cu := range c.custodians {
			cu.submitted = time.Time{}
		}
		msg := "Vault dropped the shares given so far: the last one completed a combination that is not its key (one of the shares is not this Vault's); every custodian submits again"
		c.notes = append(c.notes, msg)
		return errors.Join(fmt.Errorf("%s: %s", msg, strings.Join(refusals, "; ")), c.recordFailedLocked(who, msg))
	default:
		share.Wipe()
		msg := "the share was refused: " + strings.Join(refusals, "; ")
		return errors.Join(errors.New(msg), c.recordFailedLocked(who, msg))
	}
}

// recordFailedLocked audits a refused share (the refusal's words: Vault's never hold the share).
func (c *Ceremony) recordFailedLocked(who Actor, why string) error {
	if err := c.record(audit.ActionFailed, who, why); err != nil {
		return fmt.Errorf("and the audit trail cannot be written: %w", err)
	}
	return nil
}

// completeIfUnsealedLocked ends the ceremony once every replica is unsealed.
func (c *Ceremony) completeIfUnsealedLocked(who Actor) error {
	for _, r := range c.replicas {
		if !r.known || r.p.Sealed {
			return nil
		}
	}
	c.endLocked(Completed, "every replica is unsealed")
	if err := c.record(audit.CeremonyCompleted, who, c.reason); err != nil {
		return fmt.Errorf("Vault is unsealed, but the audit trail cannot be written: %w", err)
	}
	return nil
}

// applyLocked keeps what a replica answered and notices a restart.
func (c *Ceremony) applyLocked(r *replica, o outcome) {
	r.err = ""
	if o.err != nil {
		r.err = o.err.Error()
	}
	if o.err != nil && o.p.Threshold == 0 && !o.p.Sealed {
		return // not reached: its progress is not known anew
	}
	if o.p.Restarted {
		r.note = r.Name + " restarted: its progress was reset; the shares given so far are given again"
		c.notes = append(c.notes, r.note)
	}
	r.p, r.known = o.p, true
	r.p.Restarted = false
	r.wasUnsealed = !o.p.Sealed
}

// give sends u every share it has not taken, in order, and returns its progress. Restarted is set when
// the replica lost shares it had: its unsealer gave them again, or it was unsealed and is sealed now.
func give(ctx context.Context, r *replica, shares []vaultops.Secret) (vaultops.Progress, error) {
	u := r.Unsealer
	p, err := u.Status(ctx)
	restarted := p.Restarted || (err == nil && r.wasUnsealed && p.Sealed)
	for _, s := range shares {
		if err != nil || !p.Sealed {
			break
		}
		if u.Given(s) {
			continue
		}
		p, err = u.Submit(ctx, s)
		restarted = restarted || p.Restarted
	}
	p.Restarted = restarted
	return p, err
}

// giveAll gives the shares to every replica at once and returns their outcomes in order.
func giveAll(ctx context.Context, rs []*replica, shares []vaultops.Secret) []outcome {
	out := make([]outcome, len(rs))
	var wg sync.WaitGroup
	for i, r := range rs {
		wg.Go(func() {
			p, err := give(ctx, r, shares)
			out[i] = outcome{p, err}
		})
	}
	wg.Wait()
	return out
}

// Refresh reads every replica's progress, notices a replica that restarted (or was unreachable) and
// gives it the held shares again, and completes the ceremony once every replica is unsealed. The server
// calls it every few seconds while the ceremony is open.
func (c *Ceremony) Refresh(ctx context.Context) error {
	c.op.Lock()
	defer c.op.Unlock()
	c.mu.Lock()
	if c.phase != Running || c.Kind != Unseal {
		c.mu.Unlock()
		return nil
	}
	reps := append([]*replica(nil), c.replicas...)
	held := append([]vaultops.Secret(nil), c.held...)
	c.mu.Unlock()
	out := giveAll(ctx, reps, held)
	c.mu.Lock()
	defer c.mu.Unlock()
	defer c.notifyLocked()
	var errs []error
	for i, r := range reps {
		c.applyLocked(r, out[i])
		errs = append(errs, out[i].err)
	}
	return errors.Join(append(errs, c.completeIfUnsealedLocked(c.Owner))...)
}

func (c *Ceremony) submitRoot(ctx context.Context, who Actor, share vaultops.Secret) error {
	defer share.Wipe() // Vault keeps a generate-root attempt's progress: nothing to give again
	c.mu.Lock()
	r, root := c.replicas[0], c.root
	c.mu.Unlock()
	if root == nil {
		var err error
		if root, err = r.StartRoot(ctx); err != nil {
			c.mu.Lock()
			defer c.mu.Unlock()
			r.err = err.Error()
			c.notifyLocked()
			return fmt.Errorf("the generate-root attempt cannot start: %w", err)
		}
	}
	tok, restarted, err := root.Provide(ctx, share)
	given, required := root.Progress()
	c.mu.Lock()
	defer c.mu.Unlock()
	defer c.notifyLocked()
	c.root = root
	r.p, r.known, r.err = vaultops.Progress{Sealed: tok.Empty(), Progress: given, Threshold: required}, true, ""
	if err != nil {
		r.err = err.Error()
		if restarted {
			for _, cu := range c.custodians {
				cu.submitted = time.Time{}
			}
			c.notes = append(c.notes, "Vault dropped the shares given so far; every custodian submits again")
		}
		return errors.Join(err, c.recordFailedLocked(who, err.Error()))
	}
	c.custodianLocked(who.Name).submitted = c.now()
	if tok.Empty() {
		return nil
	}
	c.token = tok
	c.endLocked(Completed, "a root token was made; it waits for "+c.Owner.Name)
	if err := c.record(audit.CeremonyCompleted, who, c.reason); err != nil {
		return fmt.Errorf("the root token was made, but the audit trail cannot be written: %w", err)
	}
	return nil
}
