package access

import (
	"bytes"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
	"golang.org/x/crypto/ssh"
)

// MaxSize is the largest access file read: a club's list of people is a few kilobytes.
const MaxSize = 1 << 20

// User is one person in the access file.
type User struct {
	// Name is the person's handle: lower-case letters, digits, '.', '_' and '-', starting with a letter,
	// at most 64 characters. It names them in the audit trail and in Kubernetes (user cedille:<name>).
	Name string
	// Role is what they may do; viewer when the file gives none.
	Role Role
	// Custodian tells whether they may submit a Vault key share in a ceremony: a capability, not a rank.
	Custodian bool
	// Expires is the last day of access (midnight UTC of that date), the zero time for never: the user
	// is let in through the whole of that day in UTC and refused from the next day's midnight UTC.
	Expires time.Time
	// Keys are the public keys that identify them, in the file's order; no key belongs to two users.
	Keys []ssh.PublicKey
}

// ValidAt tells whether the user's access has not expired at now (see Expires).
func (u User) ValidAt(now time.Time) bool {
	return u.Expires.IsZero() || now.Before(u.Expires.AddDate(0, 0, 1))
}

// HasKey tells whether key is one of the user's, compared by the key's wire bytes (never the comment).
func (u User) HasKey(key ssh.PublicKey) bool {
	want := key.Marshal()
	return slices.ContainsFunc(u.Keys, func(k ssh.PublicKey) bool { return bytes.Equal(k.Marshal(), want) })
}

func (u User) clone() User {
	u.Keys = slices.Clone(u.Keys)
	return u
}

// File is a parsed access file. A nil or empty File lets nobody in. A File is never modified after
// Parse, so sessions may share one.
type File struct {
	source string
	users  []User
	byName map[string]int // user name → index in users
	byKey  map[string]int // key wire bytes → index in users
	notes  []string
}

// Source is the file name the File was read from, as given to Parse or Load.
func (f *File) Source() string {
	if f == nil {
		return ""
	}
	return f.source
}

// Users are the file's users in the file's order (copies).
func (f *File) Users() []User {
	if f == nil {
		return nil
	}
	out := make([]User, len(f.users))
	for i, u := range f.users {
		out[i] = u.clone()
	}
	return out
}

// User finds a user by name, expired or not.
func (f *File) User(name string) (User, bool) {
	if f == nil {
		return User{}, false
	}
	i, ok := f.byName[name]
	if !ok {
		return User{}, false
	}
	return f.users[i].clone(), true
}

// Notes are what the server should say at start or on reload about a file that is valid but lets
// nobody in ("access.yaml: no users: nobody can log in").
func (f *File) Notes() []string {
	if f == nil {
		return []string{"no access file: nobody can log in"}
	}
	return slices.Clone(f.notes)
}

// ErrUnknownKey and ErrExpired are the reasons Lookup refuses a key (match with errors.Is).
var (
	ErrUnknownKey = errors.New("key not in the access file")
	ErrExpired    = errors.New("access expired")
)

// RefusedError is Lookup's refusal: which key (by fingerprint), whose it was if anybody's, and why.
type RefusedError struct {
	Fingerprint string // SHA256 fingerprint of the key presented
	User        string // the key's owner when known (an expired user), else ""
	Source      string // the access file
	Reason      error  // ErrUnknownKey or ErrExpired
	Expires     time.Time
}

func (e *RefusedError) Error() string {
	if errors.Is(e.Reason, ErrExpired) {
		return fmt.Sprintf("key %s is %s's, whose access expired at the end of %s (UTC) in %s",
			e.Fingerprint, e.User, e.Expires.Format(time.DateOnly), e.Source)
	}
	return fmt.Sprintf("key %s is not in the access file %s", e.Fingerprint, e.Source)
}

// Unwrap gives the reason, for errors.Is.
func (e *RefusedError) Unwrap() error { return e.Reason }

// Fingerprint is a key's SHA256 fingerprint as ssh-keygen -l prints it ("SHA256:…"): what messages,
// the audit trail and session keys carry, never the key itself.
func Fingerprint(key ssh.PublicKey) string { return ssh.FingerprintSHA256(key) }

// Lookup finds the user whose key key is, at time now. It refuses with a *RefusedError when the key
// is nobody's or its user has expired. Only call it with a key the client has proved it holds (the
// verified-key callback), never with a key merely offered.
func (f *File) Lookup(key ssh.PublicKey, now time.Time) (User, error) {
	if key == nil {
		return User{}, &RefusedError{Fingerprint: "(no key)", Source: f.Source(), Reason: ErrUnknownKey}
	}
	fp := Fingerprint(key)
	if f == nil {
		return User{}, &RefusedError{Fingerprint: fp, Source: "(none)", Reason: ErrUnknownKey}
	}
	i, ok := f.byKey[string(key.Marshal())]
	if !ok {
		return User{}, &RefusedError{Fingerprint: fp, Source: f.source, Reason: ErrUnknownKey}
	}
	u := f.users[i]
	if !u.ValidAt(now) {
		return User{}, &RefusedError{Fingerprint: fp, User: u.Name, Source: f.source, Reason: ErrExpired, Expires: u.Expires}
	}
	return u.clone(), nil
}

// Load reads and parses the access file at path. A missing file is not an error: it gives an empty
// File that lets nobody in, with a note saying so (the server may start before the file is written,
// and never opens up for lack of it). A file that cannot be read, or is malformed, is an error: at
// start the server refuses to run; on reload it keeps the last good File.
func Load(path string) (*File, error) {
	fh, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return parseRead(path, nil)
	}
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return Parse(data, path)
}

// Problem is one thing wrong in an access file, at a line (0 when the file as a whole is wrong).
type Problem struct {
	File    string
	Line    int
	Message string
}

func (p Problem) String() string {
	if p.Line == 0 {
		return p.File + ": " + p.Message
	}
	return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Message)
}

// Problems are every problem Parse found, in line order: the error it returns for a malformed file.
// Its message has one "file:line: message" per line.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Parse reads an access file's contents; source names it in messages. It is strict: unknown fields,
// a wrong type, a bad role, name, date or key, a user or key listed twice are all refused, every one
// reported as "file:line: message" in a Problems error. An empty file, or one without users, is valid
// and lets nobody in (see Notes).
//
// A key is one line of an authorized_keys or id_*.pub file: "type base64 [comment]". The comment is
// ignored; keys are compared by their wire bytes. Options (from=, command=, …) are refused, since the
// console would not apply them; so are certificates, DSA keys and RSA keys under 2048 bits.
func Parse(data []byte, source string) (*File, error) {
	p := &parser{source: source}
	f := &File{source: source, byName: map[string]int{}, byKey: map[string]int{}}
	if len(data) > MaxSize {
		p.add(0, "larger than %d bytes: is this the access file?", MaxSize)
		return nil, p.problems
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			f.notes = []string{source + ": empty: nobody can log in"}
			return f, nil
		}
		p.yamlError(data, err)
		return nil, p.problems
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		p.add(extra.Line, "a second YAML document (after ---): the access file is one document with a users: list")
	case !errors.Is(err, io.EOF):
		p.yamlError(data, err)
	}
	p.noAliases(&doc)
	if len(p.problems) > 0 {
		return nil, p.sorted()
	}
	p.file(f, doc.Content[0])
	if len(p.problems) > 0 {
		return nil, p.sorted()
	}
	if len(f.users) == 0 {
		f.notes = []string{source + ": no users: nobody can log in"}
	}
	return f, nil
}

type parser struct {
	source   string
	problems Problems
	keyOwner map[string]keyPlace // key wire bytes → where it was first listed
	nameLine map[string]int      // user name → line of its entry
}

func (p *parser) add(line int, format string, args ...any) {
	p.problems = append(p.problems, Problem{File: p.source, Line: line, Message: fmt.Sprintf(format, args...)})
}

func (p *parser) sorted() Problems {
	sort.SliceStable(p.problems, func(i, j int) bool { return p.problems[i].Line < p.problems[j].Line })
	return p.problems
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlError turns the YAML library's syntax error into a problem at its line. A tab in a line's
// indentation is named at its own line (the library reports the line before it).
func (p *parser) yamlError(data []byte, err error) {
	for i, line := range strings.Split(string(data), "\n") {
		indent := line[:len(line)-len(strings.TrimLeft(line, " \t"))]
		if strings.Contains(indent, "\t") {
			p.add(i+1, "a tab in the indentation: YAML is indented with spaces only")
			return
		}
	}
	msg := err.Error()
	hint := " (YAML: indent with spaces; keep each user's fields aligned under its \"- name:\")"
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		p.add(line, "%s%s", m[2], hint)
		return
	}
	p.add(0, "%s%s", strings.TrimPrefix(msg, "yaml: "), hint)
}

// noAliases refuses YAML aliases (*name): each user's entry is written out in full.
func (p *parser) noAliases(n *yaml.Node) {
	if n.Kind == yaml.AliasNode {
		p.add(n.Line, "alias *%s: write each user's entry in full, without anchors and aliases", n.Value)
		return
	}
	for _, c := range n.Content {
		p.noAliases(c)
	}
}

var kindNames = map[yaml.Kind]string{
	yaml.DocumentNode: "document", yaml.SequenceNode: "list", yaml.MappingNode: "map",
	yaml.ScalarNode: "single value", yaml.AliasNode: "alias",
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

// fields reads a map's fields, refusing unknown and repeated ones; what names the map in messages.
func (p *parser) fields(n *yaml.Node, what string, known ...string) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	lines := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case k.Kind != yaml.ScalarNode:
			p.add(k.Line, "%s: a field's name must be a word, not a %s", what, kindNames[k.Kind])
		case !slices.Contains(known, k.Value):
			p.add(k.Line, "%s: unknown field %q: the fields are %s", what, k.Value, strings.Join(known, ", "))
		case lines[k.Value] != 0:
			p.add(k.Line, "%s: field %q given twice (first at line %d): keep one", what, k.Value, lines[k.Value])
		default:
			lines[k.Value] = k.Line
			out[k.Value] = v
		}
	}
	return out
}

func (p *parser) file(f *File, root *yaml.Node) {
	if isNull(root) {
		f.notes = []string{p.source + ": empty: nobody can log in"}
		return
	}
	if root.Kind != yaml.MappingNode {
		p.add(root.Line, "the access file is a map with a users: list, not a %s: start it with \"users:\" and put each user under it as \"  - name: …\"", kindNames[root.Kind])
		return
	}
	users, ok := p.fields(root, "access file", "users")["users"]
	if !ok || isNull(users) {
		return
	}
	if users.Kind != yaml.SequenceNode {
		p.add(users.Line, "users: a list of users (\"- name: …\" items), not a %s", kindNames[users.Kind])
		return
	}
	p.keyOwner = map[string]keyPlace{}
	p.nameLine = map[string]int{}
	for i, n := range users.Content {
		u, ok := p.user(i+1, n)
		if !ok {
			continue
		}
		idx := len(f.users)
		f.users = append(f.users, u)
		f.byName[u.Name] = idx
		for _, k := range u.Keys {
			f.byKey[string(k.Marshal())] = idx
		}
	}
}

// keyPlace is where a key was first seen: whose, which of their keys, which line.
type keyPlace struct {
	user string
	nth  int
	line int
}

var validName = regexp.MustCompile(`^[a-z][a-z0-9._-]{0,63}$`)

// user reads the n-th user's entry; ok is false when it has a problem.
func (p *parser) user(nth int, n *yaml.Node) (User, bool) {
	before := len(p.problems)
	label := fmt.Sprintf("user %d", nth)
	if n.Kind != yaml.MappingNode {
		p.add(n.Line, "%s is a %s: each user is a map with name, keys, role (and custodian, expires)", label, kindNames[n.Kind])
		return User{}, false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k, v := n.Content[i], n.Content[i+1]; k.Value == "name" && v.Kind == yaml.ScalarNode && validName.MatchString(v.Value) {
			label = fmt.Sprintf("user %q", v.Value)
		}
	}
	fs := p.fields(n, label, "name", "keys", "role", "custodian", "expires")
	u := User{Role: Viewer}

	switch name, ok := fs["name"]; {
	case !ok || isNull(name):
		p.add(n.Line, "%s has no name: add \"name: <handle>\"", label)
	case name.Kind != yaml.ScalarNode || name.Tag != "!!str":
		p.add(name.Line, "%s: name must be text like alice, not a %s", label, kindNames[name.Kind])
	case !validName.MatchString(name.Value):
		p.add(name.Line, "%s: name %q: use lower-case letters, digits, '.', '_' or '-', starting with a letter, at most 64 characters", label, name.Value)
	case p.nameLine[name.Value] != 0:
		p.add(name.Line, "user %q is listed twice (first at line %d): give each person one entry with all their keys", name.Value, p.nameLine[name.Value])
		return User{}, false
	default:
		u.Name = name.Value
		p.nameLine[u.Name] = n.Line
	}

	if role, ok := fs["role"]; ok {
		if role.Kind != yaml.ScalarNode || isNull(role) {
			p.add(role.Line, "%s: role must be %s (or leave the field out for viewer)", label, RoleNames)
		} else if r, err := ParseRole(role.Value); err != nil {
			p.add(role.Line, "%s: %v", label, err)
		} else {
			u.Role = r
		}
	}

	if c, ok := fs["custodian"]; ok {
		if c.Kind != yaml.ScalarNode || c.Tag != "!!bool" || c.Decode(&u.Custodian) != nil {
			p.add(c.Line, "%s: custodian must be true or false", label)
		}
	}

	if e, ok := fs["expires"]; ok {
		t, err := time.Parse(time.DateOnly, e.Value)
		if e.Kind != yaml.ScalarNode || err != nil {
			p.add(e.Line, "%s: expires must be a date like 2027-06-30 (access lasts through that day, UTC), or leave the field out", label)
		} else {
			u.Expires = t
		}
	}

	keys, ok := fs["keys"]
	switch {
	case !ok || isNull(keys) || (keys.Kind == yaml.SequenceNode && len(keys.Content) == 0):
		line := n.Line
		if ok {
			line = keys.Line
		}
		p.add(line, "%s has no keys: add keys: [\"ssh-ed25519 AAAA… you@laptop\"], the line of their ~/.ssh/id_ed25519.pub", label)
	case keys.Kind != yaml.SequenceNode:
		p.add(keys.Line, "%s: keys must be a list, even of one key: keys: [\"ssh-ed25519 AAAA… you@laptop\"]", label)
	default:
		seen := map[string]int{}
		for i, kn := range keys.Content {
			where := fmt.Sprintf("%s, key %d", label, i+1)
			if kn.Kind != yaml.ScalarNode || kn.Tag != "!!str" {
				p.add(kn.Line, "%s: a key is one line of text (\"ssh-ed25519 AAAA… you@laptop\"), not a %s", where, kindNames[kn.Kind])
				continue
			}
			k, msg := parseKey(kn.Value)
			if msg != "" {
				p.add(kn.Line, "%s: %s", where, msg)
				continue
			}
			wire := string(k.Marshal())
			if first, dup := seen[wire]; dup {
				p.add(kn.Line, "%s (%s) is the same key as key %d: list it once", where, Fingerprint(k), first)
				continue
			}
			seen[wire] = i + 1
			if u.Name != "" {
				if other, taken := p.keyOwner[wire]; taken {
					p.add(kn.Line, "%s (%s) is already user %q's key %d (line %d): a key identifies one person; remove it from one of them",
						where, Fingerprint(k), other.user, other.nth, other.line)
					continue
				}
				p.keyOwner[wire] = keyPlace{user: u.Name, nth: i + 1, line: kn.Line}
			}
			u.Keys = append(u.Keys, k)
		}
	}
	return u, len(p.problems) == before
}

// parseKey reads one public key line; msg says what is wrong with it, without repeating it.
func parseKey(line string) (ssh.PublicKey, string) {
	if slices.Contains(strings.Fields(line), ssh.KeyAlgoDSA) { //nolint:staticcheck // named to be refused
		return nil, "is a DSA key, which is no longer safe: use ssh-ed25519"
	}
	k, _, opts, rest, err := ssh.ParseAuthorizedKey([]byte(line))
	if err != nil {
		return nil, "not an SSH public key: paste the whole line of a .pub file, \"type base64 comment\" (as in ~/.ssh/id_ed25519.pub)"
	}
	if len(opts) > 0 {
		names := make([]string, len(opts))
		for i, o := range opts {
			names[i], _, _ = strings.Cut(o, "=")
		}
		return nil, fmt.Sprintf("has options (%s), which the console does not apply: keep only the key type, the key and a comment", strings.Join(names, ", "))
	}
	if len(bytes.TrimSpace(rest)) > 0 {
		return nil, "holds more than one key: give each key its own list item"
	}
	switch k.Type() {
	case ssh.CertAlgoRSAv01, ssh.CertAlgoDSAv01, ssh.CertAlgoECDSA256v01, ssh.CertAlgoECDSA384v01, ssh.CertAlgoECDSA521v01,
		ssh.CertAlgoSKECDSA256v01, ssh.CertAlgoED25519v01, ssh.CertAlgoSKED25519v01:
		return nil, "is a certificate: list the public key itself"
	case ssh.KeyAlgoRSA:
		if ck, ok := k.(ssh.CryptoPublicKey); ok {
			if bits := rsaBits(ck); bits > 0 && bits < 2048 {
				return nil, fmt.Sprintf("is a %d-bit RSA key: use ssh-ed25519, or RSA of at least 2048 bits", bits)
			}
		}
	}
	return k, ""
}

// rsaBits is an RSA key's size in bits, 0 for another kind of key.
func rsaBits(k ssh.CryptoPublicKey) int {
	if pk, ok := k.CryptoPublicKey().(*rsa.PublicKey); ok {
		return pk.N.BitLen()
	}
	return 0
}
