package audit

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fixedClock returns a clock that advances one second per reading from a fixed instant.
func fixedClock() func() time.Time {
	t := time.Date(2026, 11, 21, 3, 4, 5, 0, time.FixedZone("EST", -5*3600))
	return func() time.Time { t = t.Add(time.Second); return t }
}

// chain writes n records to a new trail and returns its lines, without their newlines.
func chain(t testing.TB, n int) []string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l, err := Open(path, WithClock(fixedClock()))
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		err := l.Append(Record{Event: ActionDone, Session: fmt.Sprintf("s%d", i%3), User: "alice", Role: "operator",
			Remote: "192.0.2.7:51234", Action: "cordon", Target: fmt.Sprintf("node/worker-%d", i)})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}

// flipHex returns another hex digit than d.
func flipHex(d string) string {
	if d == "0" {
		return "1"
	}
	return "0"
}

func joinLines(lines []string) string { return strings.Join(lines, "\n") + "\n" }

// TestVerify edits, deletes, reorders and truncates records of a six-record chain and checks the first
// broken record Verify names, and what it says is wrong.
func TestVerify(t *testing.T) {
	tests := []struct {
		name   string
		change func(l []string) string // the file's new text
		line   int                     // 0: the chain holds
		what   string
		n      int // records Verify counts as holding
	}{
		{"intact", func(l []string) string { return joinLines(l) }, 0, "", 6},
		{"empty file", func(l []string) string { return "" }, 0, "", 0},
		{"record 3 edited", func(l []string) string {
			l[2] = strings.Replace(l[2], `"user":"alice"`, `"user":"mallory"`, 1)
			return joinLines(l)
		}, 3, Edited, 2},
		{"record 1 edited", func(l []string) string {
			l[0] = strings.Replace(l[0], "worker-0", "worker-9", 1)
			return joinLines(l)
		}, 1, Edited, 0},
		{"record 5 edited, the one before the last", func(l []string) string {
			l[4] = strings.Replace(l[4], "cordon", "uncordon", 1)
			return joinLines(l)
		}, 5, Edited, 4},
		{"record 3's prev edited", func(l []string) string {
			i := strings.Index(l[2], `"prev":"`) + len(`"prev":"`)
			l[2] = l[2][:i] + flipHex(l[2][i:i+1]) + l[2][i+1:]
			return joinLines(l)
		}, 3, Edited, 2},
		{"record 1's prev edited", func(l []string) string {
			l[0] = strings.Replace(l[0], Genesis, strings.Repeat("1", 64), 1)
			return joinLines(l)
		}, 1, Edited, 0},
		{"record 4's seq edited", func(l []string) string {
			l[3] = strings.Replace(l[3], `"seq":4`, `"seq":7`, 1)
			return joinLines(l)
		}, 4, Edited, 3},
		{"record 4 made invalid JSON", func(l []string) string { l[3] = l[3][:40]; return joinLines(l) }, 4, Edited, 3},
		{"a blank line inserted after record 2", func(l []string) string {
			return joinLines(append(l[:2:2], append([]string{""}, l[2:]...)...))
		}, 3, Edited, 2},
		{"record 1 deleted", func(l []string) string { return joinLines(l[1:]) }, 1, Deleted, 0},
		{"record 3 deleted", func(l []string) string { return joinLines(append(l[:2:2], l[3:]...)) }, 3, Deleted, 2},
		{"records 3 and 4 deleted", func(l []string) string { return joinLines(append(l[:2:2], l[4:]...)) }, 3, Deleted, 2},
		{"records 2 and 3 swapped", func(l []string) string { l[1], l[2] = l[2], l[1]; return joinLines(l) }, 2, Reordered, 1},
		{"records 1 and 2 swapped", func(l []string) string { l[0], l[1] = l[1], l[0]; return joinLines(l) }, 1, Reordered, 0},
		{"record 5 moved before record 2", func(l []string) string {
			return joinLines([]string{l[0], l[4], l[1], l[2], l[3], l[5]})
		}, 2, Reordered, 1},
		{"record 3 written twice", func(l []string) string {
			return joinLines(append(l[:3:3], append([]string{l[2]}, l[3:]...)...))
		}, 4, Reordered, 3},
		{"torn in the middle of record 6", func(l []string) string { return joinLines(l[:5]) + l[5][:30] }, 6, Torn, 5},
		{"torn after record 6's last brace", func(l []string) string { return strings.TrimSuffix(joinLines(l), "\n") }, 6, Torn, 5},
		{"cut in the middle of record 4, the rest lost", func(l []string) string { return joinLines(l[:3]) + l[3][:50] }, 4, Torn, 3},
		// What a keyless chain cannot see on its own — the last record edited, the last records cut off
		// whole — is what Log.Head kept elsewhere is for (TestHeadSeesTheEnd).
		{"the last record edited: not seen by the chain", func(l []string) string {
			l[5] = strings.Replace(l[5], "alice", "mallo", 1)
			return joinLines(l)
		}, 0, "", 6},
		{"the last record cut off whole: not seen by the chain", func(l []string) string { return joinLines(l[:5]) }, 0, "", 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := tt.change(chain(t, 6))
			n, err := Verify(strings.NewReader(text))
			if n != tt.n {
				t.Errorf("n = %d, want %d", n, tt.n)
			}
			if tt.line == 0 {
				if err != nil {
					t.Fatalf("Verify: %v, want the chain to hold", err)
				}
				return
			}
			var b *BrokenError
			if !errors.As(err, &b) {
				t.Fatalf("Verify: %v, want a broken record at line %d", err, tt.line)
			}
			if b.Line != tt.line || b.What != tt.what {
				t.Errorf("Verify: %v; want line %d %s", err, tt.line, tt.what)
			}
			if !strings.HasPrefix(err.Error(), fmt.Sprintf("line %d: %s — ", tt.line, tt.what)) {
				t.Errorf("message %q does not start with the line and what is wrong", err)
			}
		})
	}
}

// TestHeadSeesTheEnd: the head a Log reports, compared with VerifyHead's, tells an intact file from one
// whose last record was edited or cut off.
func TestHeadSeesTheEnd(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l, err := Open(path, WithClock(fixedClock()))
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := l.Append(Record{Event: Connect, User: "bob"}); err != nil {
			t.Fatal(err)
		}
	}
	head := l.Head()
	_ = l.Close()
	data, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if head.Seq != 3 || lineHash([]byte(lines[2])) != head.Hash {
		t.Fatalf("head %+v is not record 3's hash", head)
	}
	for name, text := range map[string]string{
		"intact":              joinLines(lines),
		"last record edited":  joinLines([]string{lines[0], lines[1], strings.Replace(lines[2], "bob", "eve", 1)}),
		"last record cut off": joinLines(lines[:2]),
	} {
		got, err := VerifyHead(strings.NewReader(text))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if (got == head) != (name == "intact") {
			t.Errorf("%s: VerifyHead %+v, Log.Head %+v", name, got, head)
		}
	}
}

// TestVerifySaysWhy: the reason given tells apart the cases that share a kind.
func TestVerifySaysWhy(t *testing.T) {
	tests := []struct {
		name   string
		change func(l []string) string
		why    string
	}{
		{"content edited", func(l []string) string { l[1] = strings.Replace(l[1], "alice", "carol", 1); return joinLines(l) },
			"its hash is not the prev that line 3 records"},
		{"prev edited", func(l []string) string {
			i := strings.Index(l[1], `"prev":"`) + len(`"prev":"`)
			l[1] = l[1][:i] + flipHex(l[1][i:i+1]) + l[1][i+1:]
			return joinLines(l)
		}, "its prev is not line 1's hash, and line 3 does not chain to it either"},
		{"not JSON", func(l []string) string { l[1] = "{"; return joinLines(l) }, "not a record (not JSON)"},
		{"two deleted", func(l []string) string { return joinLines(append(l[:1:1], l[3:]...)) }, "records 2 to 3 are missing"},
		{"swapped", func(l []string) string { l[1], l[2] = l[2], l[1]; return joinLines(l) }, "it holds record 3; record 2 is at line 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Verify(strings.NewReader(tt.change(chain(t, 4))))
			if err == nil || !strings.Contains(err.Error(), tt.why) {
				t.Fatalf("Verify: %v, want it to say %q", err, tt.why)
			}
		})
	}
}
