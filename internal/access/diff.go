package access

import (
	"cmp"
	"slices"
	"time"
)

// SessionKey identifies a live session's grant: the user it was opened as and the fingerprint of the
// key that signed.
type SessionKey struct {
	User        string
	Fingerprint string
}

// EndReason says why a live session must end after a reload.
type EndReason int

// The reasons a session ends.
const (
	KeyRemoved  EndReason = iota + 1 // the user is still there, without this key
	UserRemoved                      // no user of that name any more
	Expired                          // the user's expires date has passed
)

func (r EndReason) String() string {
	switch r {
	case KeyRemoved:
		return "key removed from the access file"
	case UserRemoved:
		return "user removed from the access file"
	case Expired:
		return "access expired"
	}
	return "unknown"
}

// Grant is what a session may do: its role and whether it may act as a custodian.
type Grant struct {
	Role      Role
	Custodian bool
}

// Ending is a session that must end, and why.
type Ending struct {
	Session SessionKey
	Reason  EndReason
}

// Change is a session whose grant changed: From what the old file gave, To what the new one gives.
type Change struct {
	Session  SessionKey
	From, To Grant
}

// Changes is what a reload means for live sessions. The lists are sorted by user, then fingerprint.
type Changes struct {
	// End lists sessions to end (within 5 s).
	End []Ending
	// Lowered lists sessions that lost something — a lower role, or custodian taken away — to apply
	// at once. A change that loses one thing and gains another is here: the loss cannot wait.
	Lowered []Change
	// Raised lists sessions that only gained — a higher role or custodian granted.
	Raised []Change
}

// Empty tells whether no live session is affected.
func (c Changes) Empty() bool { return len(c.End) == 0 && len(c.Lowered) == 0 && len(c.Raised) == 0 }

// Diff tells what replacing the access file old by new means, at time now, for every session that old
// could have let in: one per (user, key) pair of old. The server looks its live sessions up in it. A
// nil file is an empty one. Diff(f, f, now), run every second or so, finds the sessions whose user has
// just expired, without a reload.
func Diff(old, new *File, now time.Time) Changes {
	var c Changes
	for _, ou := range old.Users() {
		nu, found := new.User(ou.Name)
		from := Grant{Role: ou.Role, Custodian: ou.Custodian}
		to := Grant{Role: nu.Role, Custodian: nu.Custodian}
		for _, k := range ou.Keys {
			s := SessionKey{User: ou.Name, Fingerprint: Fingerprint(k)}
			switch {
			case !found:
				c.End = append(c.End, Ending{Session: s, Reason: UserRemoved})
			case !nu.HasKey(k):
				c.End = append(c.End, Ending{Session: s, Reason: KeyRemoved})
			case !nu.ValidAt(now):
				c.End = append(c.End, Ending{Session: s, Reason: Expired})
			case to.Role < from.Role || (from.Custodian && !to.Custodian):
				c.Lowered = append(c.Lowered, Change{Session: s, From: from, To: to})
			case from != to:
				c.Raised = append(c.Raised, Change{Session: s, From: from, To: to})
			}
		}
	}
	sortChanges(&c)
	return c
}

// sortChanges sorts each list by user, then fingerprint.
func sortChanges(c *Changes) {
	bySession := func(a, b SessionKey) int {
		return cmp.Or(cmp.Compare(a.User, b.User), cmp.Compare(a.Fingerprint, b.Fingerprint))
	}
	slices.SortFunc(c.End, func(a, b Ending) int { return bySession(a.Session, b.Session) })
	slices.SortFunc(c.Lowered, func(a, b Change) int { return bySession(a.Session, b.Session) })
	slices.SortFunc(c.Raised, func(a, b Change) int { return bySession(a.Session, b.Session) })
}
