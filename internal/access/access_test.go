package access

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// testKey is the i-th of a fixed set of ed25519 keys: its public key and its authorized_keys line
// (type, base64, comment "user<i>@laptop").
func testKey(t *testing.T, i int) (ssh.PublicKey, string) {
	t.Helper()
	seed := make([]byte, ed25519.SeedSize)
	seed[0] = byte(i)
	pub, err := ssh.NewPublicKey(ed25519.NewKeyFromSeed(seed).Public())
	if err != nil {
		t.Fatal(err)
	}
	return pub, keyLine(pub, "user"+string(rune('0'+i))+"@laptop")
}

func keyLine(k ssh.PublicKey, comment string) string {
	return k.Type() + " " + base64.StdEncoding.EncodeToString(k.Marshal()) + " " + comment
}

func mustParse(t *testing.T, src string) *File {
	t.Helper()
	f, err := Parse([]byte(src), "access.yaml")
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, src)
	}
	return f
}

func date(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestRole(t *testing.T) {
	for _, tc := range []struct {
		have, need Role
		want       bool
	}{
		{Viewer, Viewer, true}, {Viewer, Operator, false}, {Viewer, Admin, false},
		{Operator, Viewer, true}, {Operator, Operator, true}, {Operator, Admin, false},
		{Admin, Viewer, true}, {Admin, Operator, true}, {Admin, Admin, true},
		{0, Viewer, false}, {Admin, 0, false}, {Role(4), Viewer, false}, {Admin, Role(4), false},
	} {
		if got := tc.have.Allows(tc.need); got != tc.want {
			t.Errorf("%v.Allows(%v) = %v, want %v", tc.have, tc.need, got, tc.want)
		}
	}
	for _, tc := range []struct {
		in      string
		want    Role
		wantErr string
	}{
		{"viewer", Viewer, ""}, {"operator", Operator, ""}, {"admin", Admin, ""},
		{"Admin", 0, `role "Admin" is spelled "admin": the roles are viewer, operator or admin`},
		{"root", 0, `unknown role "root": the roles are viewer, operator or admin`},
		{"", 0, `unknown role ""`},
	} {
		got, err := ParseRole(tc.in)
		if got != tc.want || (err == nil) != (tc.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("ParseRole(%q) = %v, %v; want %v, %q", tc.in, got, err, tc.want, tc.wantErr)
		}
		if tc.wantErr == "" {
			if got.String() != tc.in {
				t.Errorf("%v.String() = %q", got, got.String())
			}
			b, err := got.MarshalText()
			var back Role
			if err != nil || back.UnmarshalText(b) != nil || back != got {
				t.Errorf("text round trip of %v: %q, %v, %v", got, b, err, back)
			}
		}
	}
	if Role(0).String() != "none" {
		t.Errorf("zero role prints %q", Role(0).String())
	}
	if _, err := Role(0).MarshalText(); err == nil {
		t.Error("zero role marshalled")
	}
}

func TestParseValid(t *testing.T) {
	k1, l1 := testKey(t, 1)
	k2, l2 := testKey(t, 2)
	bare := k2.Type() + " " + base64.StdEncoding.EncodeToString(k2.Marshal())
	type want struct {
		name      string
		role      Role
		custodian bool
		expires   string
		keys      []ssh.PublicKey
	}
	for _, tc := range []struct {
		name  string
		src   string
		want  []want
		notes string
	}{
		{name: "the issue's example", src: "users:\n  - name: alice\n    keys: [\"" + l1 + "\"]\n    role: admin          # viewer | operator | admin\n    custodian: true\n    expires: 2027-06-30  # optional\n",
			want: []want{{"alice", Admin, true, "2027-06-30T00:00:00Z", []ssh.PublicKey{k1}}}},
		{name: "role left out is viewer; a key without comment; block list", src: "users:\n  - name: bob\n    keys:\n      - " + bare + "\n      - " + l1 + "\n",
			want: []want{{"bob", Viewer, false, "", []ssh.PublicKey{k2, k1}}}},
		{name: "a key line with a long trailing comment", src: "users:\n- name: carol.d-2\n  role: operator\n  custodian: false\n  keys: ['" + keyLine(k1, "carol at the club laptop (2026)") + "']\n",
			want: []want{{"carol.d-2", Operator, false, "", []ssh.PublicKey{k1}}}},
		{name: "two users", src: "users:\n  - {name: a, keys: [\"" + l1 + "\"], role: viewer}\n  - {name: b, keys: [\"" + l2 + "\"], role: operator, custodian: true}\n",
			want: []want{{"a", Viewer, false, "", []ssh.PublicKey{k1}}, {"b", Operator, true, "", []ssh.PublicKey{k2}}}},
		{name: "empty file", src: "", notes: "access.yaml: empty: nobody can log in"},
		{name: "only comments", src: "# nobody yet\n", notes: "access.yaml: empty: nobody can log in"},
		{name: "users with nothing", src: "users:\n", notes: "access.yaml: no users: nobody can log in"},
		{name: "users an empty list", src: "users: []\n", notes: "access.yaml: no users: nobody can log in"},
		{name: "an empty map", src: "{}\n", notes: "access.yaml: no users: nobody can log in"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := mustParse(t, tc.src)
			users := f.Users()
			if len(users) != len(tc.want) {
				t.Fatalf("%d users, want %d: %+v", len(users), len(tc.want), users)
			}
			for i, w := range tc.want {
				u := users[i]
				var exp time.Time
				if w.expires != "" {
					exp = date(w.expires)
				}
				if u.Name != w.name || u.Role != w.role || u.Custodian != w.custodian || !u.Expires.Equal(exp) {
					t.Errorf("user %d = %+v, want %+v", i, u, w)
				}
				if len(u.Keys) != len(w.keys) {
					t.Fatalf("user %d has %d keys, want %d", i, len(u.Keys), len(w.keys))
				}
				for j, k := range w.keys {
					if string(u.Keys[j].Marshal()) != string(k.Marshal()) {
						t.Errorf("user %d key %d differs", i, j)
					}
				}
			}
			if got := strings.Join(f.Notes(), "\n"); got != tc.notes {
				t.Errorf("notes %q, want %q", got, tc.notes)
			}
			if len(tc.want) == 0 {
				if _, err := f.Lookup(k1, date("2026-01-01T00:00:00Z")); !errors.Is(err, ErrUnknownKey) {
					t.Errorf("a file without users let a key in: %v", err)
				}
			}
		})
	}
}

func TestParseProblems(t *testing.T) {
	k1, l1 := testKey(t, 1)
	_, l2 := testKey(t, 2)
	b64 := func(line string) string { return strings.Fields(line)[1] }
	fp1 := Fingerprint(k1)

	smallRSA, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	rsaPub, _ := ssh.NewPublicKey(&smallRSA.PublicKey)
	dsaWire := ssh.Marshal(struct {
		Name       string
		P, Q, G, Y *big.Int
	}{ssh.KeyAlgoDSA, big.NewInt(23), big.NewInt(11), big.NewInt(4), big.NewInt(8)}) //nolint:staticcheck
	dsaLine := "ssh-dss " + base64.StdEncoding.EncodeToString(dsaWire) + " old@box"
	caSeed := make([]byte, ed25519.SeedSize)
	caSigner, _ := ssh.NewSignerFromKey(ed25519.NewKeyFromSeed(caSeed))
	cert := &ssh.Certificate{Key: k1, CertType: ssh.UserCert, ValidPrincipals: []string{"alice"}, ValidBefore: ssh.CertTimeInfinity}
	if err := cert.SignCert(rand.Reader, caSigner); err != nil {
		t.Fatal(err)
	}
	certLine := keyLine(cert, "alice-cert")

	user := func(fields string) string { return "users:\n  - name: alice\n" + fields }
	keys1 := "    keys: [\"" + l1 + "\"]\n"
	for _, tc := range []struct {
		name string
		src  string
		want []string // every line of the error, in order
	}{
		{"a bad role names the three", user(keys1 + "    role: superuser\n"),
			[]string{`access.yaml:4: user "alice": unknown role "superuser": the roles are viewer, operator or admin`}},
		{"a role in capitals", user(keys1 + "    role: Admin\n"),
			[]string{`access.yaml:4: user "alice": role "Admin" is spelled "admin": the roles are viewer, operator or admin`}},
		{"an empty role", user(keys1 + "    role:\n"),
			[]string{`access.yaml:4: user "alice": role must be viewer, operator or admin (or leave the field out for viewer)`}},
		{"a malformed key says which user and which key", "users:\n  - name: bob\n    keys:\n      - " + l1 + "\n      - ssh-ed25519 AAAAnotakey bob@phone\n",
			[]string{`access.yaml:5: user "bob", key 2: not an SSH public key: paste the whole line of a .pub file, "type base64 comment" (as in ~/.ssh/id_ed25519.pub)`}},
		{"the same key under two users names both", "users:\n  - name: alice\n    keys: [\"" + l1 + "\"]\n  - name: bob\n    keys:\n      - " + l2 + "\n      - " + keyLine(k1, "other comment") + "\n",
			[]string{`access.yaml:7: user "bob", key 2 (` + fp1 + `) is already user "alice"'s key 1 (line 3): a key identifies one person; remove it from one of them`}},
		{"the same key twice under one user", user("    keys:\n      - " + l1 + "\n      - " + keyLine(k1, "again") + "\n"),
			[]string{`access.yaml:5: user "alice", key 2 (` + fp1 + `) is the same key as key 1: list it once`}},
		{"a user listed twice", "users:\n  - name: alice\n" + keys1 + "  - name: alice\n    keys: [\"" + l2 + "\"]\n",
			[]string{`access.yaml:4: user "alice" is listed twice (first at line 2): give each person one entry with all their keys`}},
		{"a missing name", "users:\n  - keys: [\"" + l1 + "\"]\n",
			[]string{`access.yaml:2: user 1 has no name: add "name: <handle>"`}},
		{"a name that is not a handle", "users:\n  - name: \"Alice Smith\"\n" + keys1,
			[]string{`access.yaml:2: user 1: name "Alice Smith": use lower-case letters, digits, '.', '_' or '-', starting with a letter, at most 64 characters`}},
		{"a name that is a number", "users:\n  - name: 42\n" + keys1,
			[]string{`access.yaml:2: user 1: name must be text like alice, not a single value`}},
		{"missing keys", user("    role: admin\n"),
			[]string{`access.yaml:2: user "alice" has no keys: add keys: ["ssh-ed25519 AAAA… you@laptop"], the line of their ~/.ssh/id_ed25519.pub`}},
		{"an empty key list", user("    keys: []\n"),
			[]string{`access.yaml:3: user "alice" has no keys: add keys: ["ssh-ed25519 AAAA… you@laptop"], the line of their ~/.ssh/id_ed25519.pub`}},
		{"keys as one string", user("    keys: \"" + l1 + "\"\n"),
			[]string{`access.yaml:3: user "alice": keys must be a list, even of one key: keys: ["ssh-ed25519 AAAA… you@laptop"]`}},
		{"a key line with options", user("    keys: ['from=\"10.0.0.0/8\",no-pty " + l1 + "']\n"),
			[]string{`access.yaml:3: user "alice", key 1: has options (from, no-pty), which the console does not apply: keep only the key type, the key and a comment`}},
		{"two keys in one item", user("    keys:\n      - |\n        " + l1 + "\n        " + l2 + "\n"),
			[]string{`access.yaml:4: user "alice", key 1: holds more than one key: give each key its own list item`}},
		{"a certificate", user("    keys: [\"" + certLine + "\"]\n"),
			[]string{`access.yaml:3: user "alice", key 1: is a certificate: list the public key itself`}},
		{"a DSA key", user("    keys: [\"" + dsaLine + "\"]\n"),
			[]string{`access.yaml:3: user "alice", key 1: is a DSA key, which is no longer safe: use ssh-ed25519`}},
		{"a small RSA key", user("    keys: [\"" + keyLine(rsaPub, "old") + "\"]\n"),
			[]string{`access.yaml:3: user "alice", key 1: is a 1024-bit RSA key: use ssh-ed25519, or RSA of at least 2048 bits`}},
		{"a bad date", user(keys1 + "    expires: 2027-13-01\n"),
			[]string{`access.yaml:4: user "alice": expires must be a date like 2027-06-30 (access lasts through that day, UTC), or leave the field out`}},
		{"a date in words", user(keys1 + "    expires: June 30 2027\n"),
			[]string{`access.yaml:4: user "alice": expires must be a date like 2027-06-30 (access lasts through that day, UTC), or leave the field out`}},
		{"a time, not a date", user(keys1 + "    expires: 2027-06-30T12:00:00Z\n"),
			[]string{`access.yaml:4: user "alice": expires must be a date like 2027-06-30 (access lasts through that day, UTC), or leave the field out`}},
		{"custodian not a boolean", user(keys1 + "    custodian: \"yes\"\n"),
			[]string{`access.yaml:4: user "alice": custodian must be true or false`}},
		{"an unknown field in a user", user(keys1 + "    rol: admin\n"),
			[]string{`access.yaml:4: user "alice": unknown field "rol": the fields are name, keys, role, custodian, expires`}},
		{"an unknown top-level field", "users: []\nadmins: [alice]\n",
			[]string{`access.yaml:2: access file: unknown field "admins": the fields are users`}},
		{"a field twice", user(keys1 + "    role: viewer\n    role: admin\n"),
			[]string{`access.yaml:5: user "alice": field "role" given twice (first at line 4): keep one`}},
		{"a tab", "users:\n  - name: alice\n\tkeys: [\"" + l1 + "\"]\n",
			[]string{`access.yaml:3: a tab in the indentation: YAML is indented with spaces only`}},
		{"bad indentation", "users:\n  - name: alice\n      keys: [\"" + l1 + "\"]\n    role: admin\n",
			[]string{`access.yaml:3: mapping values are not allowed in this context (YAML: indent with spaces; keep each user's fields aligned under its "- name:")`}},
		{"a list instead of a map", "- name: alice\n" + "  keys: [\"" + l1 + "\"]\n",
			[]string{`access.yaml:1: the access file is a map with a users: list, not a list: start it with "users:" and put each user under it as "  - name: …"`}},
		{"users is a map", "users:\n  alice:\n    role: admin\n",
			[]string{`access.yaml:2: users: a list of users ("- name: …" items), not a map`}},
		{"a user is a string", "users:\n  - alice\n",
			[]string{`access.yaml:2: user 1 is a single value: each user is a map with name, keys, role (and custodian, expires)`}},
		{"an alias", "users:\n  - &a {name: alice, keys: [\"" + l1 + "\"]}\n  - *a\n",
			[]string{`access.yaml:3: alias *a: write each user's entry in full, without anchors and aliases`}},
		{"two documents", "users: []\n---\nusers: []\n",
			[]string{`access.yaml:2: a second YAML document (after ---): the access file is one document with a users: list`}},
		{"every problem, in line order", "users:\n  - name: alice\n    role: boss\n    expires: soon\n  - name: Bob\n    keys: [\"" + l2 + "\"]\n",
			[]string{
				`access.yaml:2: user "alice" has no keys: add keys: ["ssh-ed25519 AAAA… you@laptop"], the line of their ~/.ssh/id_ed25519.pub`,
				`access.yaml:3: user "alice": unknown role "boss": the roles are viewer, operator or admin`,
				`access.yaml:4: user "alice": expires must be a date like 2027-06-30 (access lasts through that day, UTC), or leave the field out`,
				`access.yaml:5: user 2: name "Bob": use lower-case letters, digits, '.', '_' or '-', starting with a letter, at most 64 characters`,
			}},
		{"too large", "# " + strings.Repeat("x", MaxSize) + "\n",
			[]string{`access.yaml: larger than 1048576 bytes: is this the access file?`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse([]byte(tc.src), "access.yaml")
			if err == nil {
				t.Fatalf("accepted: %+v", f.Users())
			}
			if f != nil {
				t.Error("a File came back with the error")
			}
			var ps Problems
			if !errors.As(err, &ps) {
				t.Fatalf("error %T, want Problems", err)
			}
			if got := strings.Split(err.Error(), "\n"); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("error:\n%s\nwant:\n%s", err, strings.Join(tc.want, "\n"))
			}
			for _, k := range []string{l1, l2, certLine, dsaLine} {
				if strings.Contains(err.Error(), b64(k)) {
					t.Errorf("the error repeats a key: %s", err)
				}
			}
		})
	}
}

func TestLookup(t *testing.T) {
	k1, l1 := testKey(t, 1)
	k2, l2 := testKey(t, 2)
	k3, _ := testKey(t, 3)
	f := mustParse(t, "users:\n  - name: alice\n    role: admin\n    custodian: true\n    keys: [\""+l1+"\"]\n"+
		"  - name: bob\n    expires: 2027-06-30\n    keys: [\""+l2+"\"]\n")
	for _, tc := range []struct {
		name    string
		file    *File
		key     ssh.PublicKey
		now     string
		user    string
		role    Role
		reason  error
		message string
	}{
		{name: "a known key", file: f, key: k1, now: "2030-01-01T00:00:00Z", user: "alice", role: Admin},
		{name: "the last instant of the expiry day (UTC)", file: f, key: k2, now: "2027-06-30T23:59:59.999999999Z", user: "bob", role: Viewer},
		{name: "the expiry day, late evening west of UTC, is already the next day", file: f, key: k2, now: "2027-06-30T20:00:00-05:00",
			reason: ErrExpired, message: "key " + Fingerprint(k2) + " is bob's, whose access expired at the end of 2027-06-30 (UTC) in access.yaml"},
		{name: "the first instant after the expiry day", file: f, key: k2, now: "2027-07-01T00:00:00Z",
			reason: ErrExpired, message: "key " + Fingerprint(k2) + " is bob's, whose access expired at the end of 2027-06-30 (UTC) in access.yaml"},
		{name: "an unknown key", file: f, key: k3, now: "2026-01-01T00:00:00Z",
			reason: ErrUnknownKey, message: "key " + Fingerprint(k3) + " is not in the access file access.yaml"},
		{name: "an empty file", file: mustParse(t, ""), key: k1, now: "2026-01-01T00:00:00Z",
			reason: ErrUnknownKey, message: "key " + Fingerprint(k1) + " is not in the access file access.yaml"},
		{name: "no file", file: nil, key: k1, now: "2026-01-01T00:00:00Z",
			reason: ErrUnknownKey, message: "key " + Fingerprint(k1) + " is not in the access file (none)"},
		{name: "no key", file: f, key: nil, now: "2026-01-01T00:00:00Z",
			reason: ErrUnknownKey, message: "key (no key) is not in the access file access.yaml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, err := tc.file.Lookup(tc.key, date(tc.now))
			if tc.reason == nil {
				if err != nil || u.Name != tc.user || u.Role != tc.role {
					t.Fatalf("Lookup = %+v, %v; want %s as %v", u, err, tc.user, tc.role)
				}
				if !u.HasKey(tc.key) {
					t.Error("the user found lacks the key")
				}
				return
			}
			var refused *RefusedError
			if !errors.Is(err, tc.reason) || !errors.As(err, &refused) || err.Error() != tc.message {
				t.Fatalf("Lookup error %v, want %v: %q", err, tc.reason, tc.message)
			}
			if u.Name != "" || u.Role != 0 {
				t.Errorf("a refusal came with a user: %+v", u)
			}
		})
	}
	// The user handed out is a copy: changing it changes nothing in the File.
	u, _ := f.Lookup(k1, date("2026-01-01T00:00:00Z"))
	u.Keys[0] = k3
	if _, err := f.Lookup(k1, date("2026-01-01T00:00:00Z")); err != nil {
		t.Errorf("a caller changed the File: %v", err)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	k1, l1 := testKey(t, 1)
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(good, []byte("users:\n  - name: alice\n    keys: [\""+l1+"\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("users:\n  - name: alice\n    role: boss\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	now := date("2026-01-01T00:00:00Z")
	for _, tc := range []struct {
		name    string
		path    string
		user    string // who k1 is, "" for nobody
		notes   string
		wantErr string
	}{
		{name: "a good file", path: good, user: "alice"},
		{name: "a missing file lets nobody in", path: filepath.Join(dir, "missing.yaml"), notes: filepath.Join(dir, "missing.yaml") + ": no such file: nobody can log in"},
		{name: "a malformed file is refused with its path and line", path: bad, wantErr: bad + ":3: user \"alice\": unknown role \"boss\""},
		{name: "a directory is refused", path: dir, wantErr: "is a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Load(tc.path)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || f != nil {
					t.Fatalf("Load = %v, %v; want error %q", f, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if f.Source() != tc.path {
				t.Errorf("source %q", f.Source())
			}
			if got := strings.Join(f.Notes(), "\n"); got != tc.notes {
				t.Errorf("notes %q, want %q", got, tc.notes)
			}
			u, err := f.Lookup(k1, now)
			if u.Name != tc.user || (tc.user == "") != (err != nil) {
				t.Errorf("Lookup = %+v, %v; want %q", u, err, tc.user)
			}
		})
	}
}

func TestDiff(t *testing.T) {
	_, l1 := testKey(t, 1)
	k2, l2 := testKey(t, 2)
	k3, l3 := testKey(t, 3)
	k1, _ := testKey(t, 1)
	s := func(user string, k ssh.PublicKey) SessionKey {
		return SessionKey{User: user, Fingerprint: Fingerprint(k)}
	}
	alice := func(fields string) string {
		return "users:\n  - name: alice\n    keys: [\"" + l1 + "\", \"" + l2 + "\"]\n" + fields
	}
	bob := "  - name: bob\n    keys: [\"" + l3 + "\"]\n"
	now := "2027-06-30T12:00:00Z"
	for _, tc := range []struct {
		name     string
		old, new string // "nil" for no file
		now      string
		want     Changes
	}{
		{name: "nothing changed", old: alice("    role: admin\n") + bob, new: alice("    role: admin\n") + bob, now: now},
		{name: "a role lowered", old: alice("    role: admin\n") + bob, new: alice("    role: viewer\n") + bob, now: now,
			want: Changes{Lowered: []Change{
				{s("alice", k1), Grant{Role: Admin}, Grant{Role: Viewer}},
				{s("alice", k2), Grant{Role: Admin}, Grant{Role: Viewer}},
			}}},
		{name: "a role raised", old: alice("") + bob, new: alice("") + bob + "    role: operator\n", now: now,
			want: Changes{Raised: []Change{{s("bob", k3), Grant{Role: Viewer}, Grant{Role: Operator}}}}},
		{name: "custodian taken away is a loss", old: alice("    role: admin\n    custodian: true\n"), new: alice("    role: admin\n"), now: now,
			want: Changes{Lowered: []Change{
				{s("alice", k1), Grant{Admin, true}, Grant{Admin, false}},
				{s("alice", k2), Grant{Admin, true}, Grant{Admin, false}},
			}}},
		{name: "custodian granted is a gain", old: alice(""), new: alice("    custodian: true\n"), now: now,
			want: Changes{Raised: []Change{
				{s("alice", k1), Grant{Viewer, false}, Grant{Viewer, true}},
				{s("alice", k2), Grant{Viewer, false}, Grant{Viewer, true}},
			}}},
		{name: "a role raised with custodian taken away is a loss", old: alice("    role: viewer\n    custodian: true\n"), new: alice("    role: admin\n"), now: now,
			want: Changes{Lowered: []Change{
				{s("alice", k1), Grant{Viewer, true}, Grant{Admin, false}},
				{s("alice", k2), Grant{Viewer, true}, Grant{Admin, false}},
			}}},
		{name: "a removed key ends its sessions only", old: alice("") + bob,
			new: "users:\n  - name: alice\n    keys: [\"" + l1 + "\"]\n" + bob, now: now,
			want: Changes{End: []Ending{{s("alice", k2), KeyRemoved}}}},
		{name: "a key with a new comment is the same key", old: alice(""),
			new: "users:\n  - name: alice\n    keys: [\"" + keyLine(k2, "renamed") + "\", \"" + keyLine(k1, "") + "\"]\n", now: now},
		{name: "a removed user", old: alice("") + bob, new: "users:\n" + bob, now: now,
			want: Changes{End: []Ending{{s("alice", k1), UserRemoved}, {s("alice", k2), UserRemoved}}}},
		{name: "a key moved to another user ends the old owner's session", old: alice("") + bob,
			new: "users:\n  - name: alice\n    keys: [\"" + l1 + "\"]\n  - name: bob\n    keys: [\"" + l3 + "\", \"" + l2 + "\"]\n", now: now,
			want: Changes{End: []Ending{{s("alice", k2), KeyRemoved}}}},
		{name: "an expiry date set in the past", old: alice("") + bob, new: alice("") + bob + "    expires: 2027-06-29\n", now: now,
			want: Changes{End: []Ending{{s("bob", k3), Expired}}}},
		{name: "the same file, on the expiry day: kept", old: alice("    expires: 2027-06-30\n"), new: alice("    expires: 2027-06-30\n"), now: "2027-06-30T23:59:59Z"},
		{name: "the same file, the day after: ended", old: alice("    expires: 2027-06-30\n"), new: alice("    expires: 2027-06-30\n"), now: "2027-07-01T00:00:00Z",
			want: Changes{End: []Ending{{s("alice", k1), Expired}, {s("alice", k2), Expired}}}},
		{name: "an emptied file ends everything", old: alice("") + bob, new: "", now: now,
			want: Changes{End: []Ending{{s("alice", k1), UserRemoved}, {s("alice", k2), UserRemoved}, {s("bob", k3), UserRemoved}}}},
		{name: "no new file ends everything", old: bob, new: "nil", now: now,
			want: Changes{End: []Ending{{s("bob", k3), UserRemoved}}}},
		{name: "no old file: no sessions", old: "nil", new: alice(""), now: now},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parse := func(src string) *File {
				if src == "nil" {
					return nil
				}
				if !strings.HasPrefix(src, "users:") && src != "" {
					src = "users:\n" + src
				}
				return mustParse(t, src)
			}
			got := Diff(parse(tc.old), parse(tc.new), date(tc.now))
			// The lists are sorted by user then fingerprint: sort the wanted ones the same way.
			want := Diff(nil, nil, time.Time{})
			want.End, want.Lowered, want.Raised = tc.want.End, tc.want.Lowered, tc.want.Raised
			sortChanges(&want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Diff =\n%+v\nwant\n%+v", got, want)
			}
			if got.Empty() != (len(want.End)+len(want.Lowered)+len(want.Raised) == 0) {
				t.Errorf("Empty() = %v", got.Empty())
			}
		})
	}
}

func TestEndReasonString(t *testing.T) {
	for r, want := range map[EndReason]string{
		KeyRemoved: "key removed from the access file", UserRemoved: "user removed from the access file",
		Expired: "access expired", 0: "unknown",
	} {
		if r.String() != want {
			t.Errorf("%d: %q, want %q", r, r.String(), want)
		}
	}
}
