package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clubcedille/cedille-tui/internal/audit"
)

// TestAuditVerify: `audit verify FILE` exits 0 saying how many records hold when the chain does, and 1
// naming the first broken record's line and what is wrong with it when it does not, or when the file
// cannot be read.
func TestAuditVerify(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.jsonl")
	l, err := audit.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, user := range []string{"alice", "bob", "carol", "dave"} {
		if err := l.Append(audit.Record{Event: audit.Connect, Session: "s-" + user, User: user, Role: "viewer"}); err != nil {
			t.Fatal(err)
		}
	}
	head := l.Head()
	_ = l.Close()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	lines := strings.SplitAfter(string(data), "\n")
	tests := []struct {
		name   string
		file   string
		code   int
		stdout string
		stderr string
	}{
		{"intact", path, 0, path + ": 4 records, the chain holds; the last one's SHA-256 is " + head.Hash + "\n", ""},
		{"record 2 edited", write("edited.jsonl", strings.Replace(string(data), `"user":"bob"`, `"user":"eve"`, 1)), 1, "",
			"cedille-tui: " + filepath.Join(dir, "edited.jsonl") + ": line 2: edited — its hash is not the prev that line 3 records (the 1 records before it hold)\n"},
		{"record 3 deleted", write("deleted.jsonl", lines[0]+lines[1]+lines[3]), 1, "", "line 3: deleted — record 3 is missing"},
		{"records 1 and 2 swapped", write("swapped.jsonl", lines[1]+lines[0]+lines[2]+lines[3]), 1, "", "line 1: reordered"},
		{"torn", write("torn.jsonl", lines[0]+lines[1][:20]), 1, "", "line 2: torn"},
		{"missing file", filepath.Join(dir, "nope.jsonl"), 1, "", "cannot read the audit trail"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, nil, "audit", "verify", tt.file)
			if r.code != tt.code || r.stdout != tt.stdout || !strings.Contains(r.stderr, tt.stderr) || (tt.stderr == "") != (r.stderr == "") {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit %d, stdout %q, stderr with %q", r.code, r.stdout, r.stderr, tt.code, tt.stdout, tt.stderr)
			}
		})
	}
}

// TestAuditVerifyHelp: the command says what it checks and its exit codes, and wants exactly one file.
func TestAuditVerifyHelp(t *testing.T) {
	r := runCLI(t, nil, "audit", "verify", "--help")
	for _, s := range []string{"audit verify FILE", "Exit code: 0 when the chain holds", "1 when", "edited, deleted, reordered"} {
		if r.code != 0 || !strings.Contains(r.stdout, s) {
			t.Errorf("help (exit %d) does not say %q:\n%s", r.code, s, r.stdout)
		}
	}
	if r := runCLI(t, nil, "audit", "verify"); r.code != 1 || !strings.Contains(r.stderr, "accepts 1 arg") {
		t.Errorf("no file: exit %d, stderr %q", r.code, r.stderr)
	}
}
