// Package access reads the SSH console's access file — who may log in with which keys, as what role
// — and tells what a reload of it means for live sessions. It is pure: no server, no watcher, no clock
// of its own (every time-dependent call takes now).
//
// The file, kept in git:
//
//	users:
//	  - name: alice
//	    keys: ["ssh-ed25519 AAAA… alice@laptop"]
//	    role: admin          # viewer | operator | admin; viewer when left out
//	    custodian: true      # may submit a Vault key share in a ceremony
//	    expires: 2027-06-30  # optional: let in through that day, UTC
//
// Parse is strict and reports every problem as "file:line: message" saying what to do. An empty or
// missing file, or one without users, is valid and lets nobody in: the server is never open.
//
//	f, err := access.Load(path) // at start: refuse to run on err; at reload: keep the last good File
//	u, err := f.Lookup(verifiedKey, time.Now())
//	if err != nil { /* refuse; err names the key by fingerprint and says why */ }
//	if !u.Role.Allows(access.Operator) { /* refuse the action, naming the role needed */ }
//	for _, e := range access.Diff(old, f, time.Now()).End { /* end sessions of e.Session */ }
package access
