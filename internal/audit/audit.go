// Package audit keeps the SSH console's audit trail: an append-only JSON Lines file in which every
// record carries the SHA-256 of the line before it, so that an edited, deleted, reordered or torn record
// is found by Verify, which names the first broken one by its line number.
//
// One record is one line, written and fsynced before Append returns:
//
//	{"seq":1,"time":"2026-11-21T03:04:05.000Z","prev":"0000…0000","event":"connect","session":"7f3a9c01",
//	 "user":"alice","fingerprint":"SHA256:…","role":"admin","remote":"192.0.2.7:51234"}
//
// The chain: prev is the lower-case hex SHA-256 of the previous line's exact bytes, without its newline;
// the first record's prev is Genesis (64 zeros). seq is the record's number, counted from 1, and so also
// its line number. seq lets Verify tell a deleted record (a number skipped) from a reordered one (a
// number found later) and from an edited one (the number right, the hash not). A hash chain without a
// key cannot stop someone who rewrites the file from the edited record to its end, nor show that the
// last records were cut off: for that, keep the head (Log.Head) somewhere else and compare it with
// VerifyHead's.
//
// Never a secret. A Record has typed fields only — the event, who, from where, and for actions and
// ceremonies a name, a target, a reason and an id — and no field for a share, a token or a map of
// arbitrary values: a caller cannot copy an action's payload into the trail by accident, only the
// attributes it names. Free text still exists (a reason typed by a person, an object's name), so Append
// also masks, in every field but the key fingerprint, any word shaped like a Vault token, an unseal or
// recovery share, a JWT or a long hex or base64 key (see Redact): a share pasted into an abort reason is
// written as [redacted].
//
// Fail closed. Append returns nil only once the record is on disk. On an error the record is not in the
// file (a partly written line is cut off again), and the Log refuses every later Append: the caller
// must then refuse every mutating action, since it could not be audited.
//
// Example:
//
//	log, err := audit.Open(path)
//	if err != nil {
//		return err // a torn tail or an unreadable file: the message says what to do
//	}
//	defer log.Close()
//	err = log.Append(audit.Record{Event: audit.ActionAttempted, Session: id, User: "alice",
//		Fingerprint: fp, Role: "operator", Remote: addr, Action: "cordon", Target: "node/worker-2"})
//	if err != nil {
//		return refuse("the audit trail cannot be written: " + err.Error())
//	}
//
// and `cedille-tui audit verify FILE` (or Verify) checks a file.
package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// Event is what a record says happened.
type Event string

// The events of the console's trail.
const (
	Connect           Event = "connect"            // a session started (after authentication)
	AuthRefused       Event = "auth_refused"       // a login refused: an unknown key, an expired one; Reason says which
	Disconnect        Event = "disconnect"         // a session ended; Reason says why (quit, idle, key removed, lifetime)
	ActionAttempted   Event = "action_attempted"   // an action asked for, before it runs; Action, Target
	ActionRefused     Event = "action_refused"     // an action refused; Reason says why (the role it needs)
	ActionDone        Event = "action_done"        // an action finished
	ActionFailed      Event = "action_failed"      // an action that ran and failed; Reason is its error
	CeremonyOpened    Event = "ceremony_opened"    // an admin opened a ceremony; Ceremony, Action (unseal, generate-root)
	CeremonyJoined    Event = "ceremony_joined"    // a custodian joined
	CeremonySubmitted Event = "ceremony_submitted" // a custodian submitted a share: who and when, never what
	CeremonyCompleted Event = "ceremony_completed" // the ceremony reached its end
	CeremonyAborted   Event = "ceremony_aborted"   // aborted by its owner or timed out; Reason
	AccessReloaded    Event = "access_reloaded"    // the access file was read again; Reason holds its error when kept the last good one
	RunbookStarted    Event = "runbook_started"    // a runbook run started or resumed; Run, Action (the runbook), Target
	RunbookStep       Event = "runbook_step"       // a step of a run ended; Action (the step), Reason (its verdict or outcome)
	RunbookLocked     Event = "runbook_locked"     // a run refused: another holds its object; Reason says who and since when
	RunbookEnded      Event = "runbook_ended"      // a run ended: done, not applicable, aborted (Reason)
)

// Events lists every event, in the order above.
func Events() []Event {
	return []Event{Connect, AuthRefused, Disconnect, ActionAttempted, ActionRefused, ActionDone, ActionFailed,
		CeremonyOpened, CeremonyJoined, CeremonySubmitted, CeremonyCompleted, CeremonyAborted, AccessReloaded,
		RunbookStarted, RunbookStep, RunbookLocked, RunbookEnded}
}

// Known tells whether e is one of the events above.
func (e Event) Known() bool {
	for _, k := range Events() {
		if e == k {
			return true
		}
	}
	return false
}

// Record is what a caller gives Append: who did what, from where. Append adds the number, the time
// (from its clock) and the previous record's hash. Fields that do not apply stay empty and are left out.
type Record struct {
	Event       Event  `json:"event"`
	Session     string `json:"session,omitempty"`     // the session's id (short, made by the server)
	User        string `json:"user,omitempty"`        // the access file's name for the key that signed
	Fingerprint string `json:"fingerprint,omitempty"` // the key's SHA256:… fingerprint (ssh-keygen -l)
	Role        string `json:"role,omitempty"`        // viewer, operator or admin
	Remote      string `json:"remote,omitempty"`      // the client's address
	Action      string `json:"action,omitempty"`      // an action's name, or a ceremony's kind
	Cluster     string `json:"cluster,omitempty"`     // the fleet's cluster acted on; "" for the console's one cluster
	Target      string `json:"target,omitempty"`      // the object acted on (kind/namespace/name)
	Reason      string `json:"reason,omitempty"`      // why refused, failed, aborted, ended
	Ceremony    string `json:"ceremony,omitempty"`    // the ceremony's id
	Run         string `json:"run,omitempty"`         // the runbook run a record belongs to (its steps' actions too)
}

// Entry is a record as stored: its number, time and the previous line's hash, then the record.
type Entry struct {
	Seq  uint64 `json:"seq"`
	Time string `json:"time"` // RFC 3339, UTC, milliseconds
	Prev string `json:"prev"` // hex SHA-256 of the previous line; Genesis for the first
	Record
}

// Genesis is the first record's prev.
const Genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// TimeFormat is the layout of Entry.Time: RFC 3339 in UTC with milliseconds, fixed width.
const TimeFormat = "2006-01-02T15:04:05.000Z"

// Head is where a chain ends: the last record's number and the hash the next record will carry.
type Head struct {
	Seq  uint64
	Hash string
}

// lineHash is the chain's hash of one line (without its newline).
func lineHash(line []byte) string {
	sum := sha256.Sum256(line)
	return hex.EncodeToString(sum[:])
}

// validate refuses a record the trail must not hold.
func (r Record) validate() error {
	if !r.Event.Known() {
		return fmt.Errorf("unknown audit event %q", r.Event)
	}
	if r.Fingerprint != "" && !isFingerprint(r.Fingerprint) {
		return fmt.Errorf("key fingerprint %q is not SHA256:<base64> (ssh.FingerprintSHA256)", Redact(r.Fingerprint))
	}
	return nil
}

// redacted returns r with every free field passed through Redact.
func (r Record) redacted() Record {
	for _, f := range []*string{&r.Session, &r.User, &r.Role, &r.Remote, &r.Action, &r.Target, &r.Reason, &r.Ceremony, &r.Run} {
		*f = Redact(*f)
	}
	return r
}

// isFingerprint tells whether s is an OpenSSH SHA-256 fingerprint: "SHA256:" and 43 unpadded base64 characters.
func isFingerprint(s string) bool {
	b, ok := strings.CutPrefix(s, "SHA256:")
	if !ok || len(b) != 43 {
		return false
	}
	for _, c := range b {
		if !isBase64(c) || c == '=' {
			return false
		}
	}
	return true
}
