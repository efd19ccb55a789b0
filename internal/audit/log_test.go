package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestOpenContinuesTheChain: a new file is made 0600; records carry the clock's time in UTC and numbers
// from 1; a reopened file continues its chain, with a last line longer than Open's read-back chunk.
func TestOpenContinuesTheChain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	clock := fixedClock()
	long := strings.Repeat("the operator said why ", 400) // a reason of 8 800 bytes
	for round, reasons := range [][]string{{"first", long}, {"second", "third"}} {
		l, err := Open(path, WithClock(clock))
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		for _, r := range reasons {
			if err := l.Append(Record{Event: Disconnect, Session: "s1", User: "alice", Reason: r}); err != nil {
				t.Fatal(err)
			}
		}
		_ = l.Close()
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v (%v), want 0600", st.Mode().Perm(), err)
	}
	data, _ := os.ReadFile(path)
	if n, err := Verify(bytes.NewReader(data)); n != 4 || err != nil {
		t.Fatalf("Verify: %d, %v; want 4 records", n, err)
	}
	var times []string
	for i, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var e Entry
		if err := json.Unmarshal([]byte(line), &e); err != nil || e.Seq != uint64(i+1) {
			t.Fatalf("line %d: seq %d (%v)", i+1, e.Seq, err)
		}
		times = append(times, e.Time)
	}
	want := []string{"2026-11-21T08:04:06.000Z", "2026-11-21T08:04:07.000Z", "2026-11-21T08:04:08.000Z", "2026-11-21T08:04:09.000Z"}
	if fmt.Sprint(times) != fmt.Sprint(want) {
		t.Errorf("times %v, want %v", times, want)
	}
}

// TestOpenTightensTheMode: an existing trail readable by others becomes 0600.
func TestOpenTightensTheMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", st.Mode().Perm())
	}
}

// TestOpenRefuses: a torn last line, a last line that is not a record, a trail another Log holds: each
// refused with what to do; the torn one's advice, followed, lets the trail open and verify.
func TestOpenRefuses(t *testing.T) {
	lines := chain(t, 3)
	tests := []struct {
		name string
		text string
		says []string
	}{
		{"torn in record 3", joinLines(lines[:2]) + lines[2][:25],
			[]string{"torn record at line 3", "was never acknowledged", "audit verify", fmt.Sprintf("truncate -s %d ", len(joinLines(lines[:2])))}},
		{"torn in record 1", lines[0][:10], []string{"torn record at line 1", "truncate -s 0 "}},
		{"torn: no newline after the last brace", strings.TrimSuffix(joinLines(lines), "\n"), []string{"torn record at line 3"}},
		{"last line not a record", joinLines(append(lines[:2:2], "hello")), []string{"its last line is not a record", "audit verify"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "audit.jsonl")
			if err := os.WriteFile(path, []byte(tt.text), 0o600); err != nil {
				t.Fatal(err)
			}
			l, err := Open(path)
			if err == nil {
				_ = l.Close()
				t.Fatal("Open accepted it")
			}
			for _, s := range tt.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("%q does not say %q", err, s)
				}
			}
		})
	}

	t.Run("the torn line cut as told", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "audit.jsonl")
		_ = os.WriteFile(path, []byte(joinLines(lines[:2])+lines[2][:25]), 0o600)
		_, err := Open(path)
		var size int64
		if _, scanErr := fmt.Sscanf(err.Error()[strings.Index(err.Error(), "truncate -s ")+len("truncate -s "):], "%d", &size); scanErr != nil {
			t.Fatalf("no size in %q", err)
		}
		if err := os.Truncate(path, size); err != nil {
			t.Fatal(err)
		}
		l, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Append(Record{Event: Connect}); err != nil {
			t.Fatal(err)
		}
		_ = l.Close()
		data, _ := os.ReadFile(path)
		if n, err := Verify(bytes.NewReader(data)); n != 3 || err != nil {
			t.Fatalf("Verify: %d, %v", n, err)
		}
	})

	t.Run("held by another Log", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "audit.jsonl")
		l, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		if l2, err := Open(path); err == nil || !strings.Contains(err.Error(), "in use by another process") {
			if l2 != nil {
				_ = l2.Close()
			}
			t.Fatalf("second Open: %v", err)
		}
	})
}

// failingFile is a trail in memory whose writes or syncs fail on demand.
type failingFile struct {
	data                 []byte
	failWrite, failSync  bool
	partial              int // bytes a failing write still writes
	truncated, syncCalls int
}

func (f *failingFile) Write(p []byte) (int, error) {
	if f.failWrite {
		n := min(f.partial, len(p))
		f.data = append(f.data, p[:n]...)
		return n, errors.New("no space left on device")
	}
	f.data = append(f.data, p...)
	return len(p), nil
}

func (f *failingFile) Sync() error {
	f.syncCalls++
	if f.failSync {
		return errors.New("input/output error")
	}
	return nil
}

func (f *failingFile) Truncate(size int64) error { f.truncated++; f.data = f.data[:size]; return nil }
func (f *failingFile) Close() error              { return nil }

// TestAppendFailsClosed: a write that fails, fails half-way, or whose sync fails leaves the trail as it
// was (no partial line, no record the caller was told is missing) and every later Append fails too,
// even once the disk would take it.
func TestAppendFailsClosed(t *testing.T) {
	tests := []struct {
		name      string
		file      failingFile
		truncated bool
	}{
		{"write fails", failingFile{failWrite: true}, false},
		{"write fails half-way", failingFile{failWrite: true, partial: 17}, true},
		{"sync fails", failingFile{failSync: true}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &failingFile{}
			l := &Log{path: "mem", now: fixedClock(), f: f, head: Head{Hash: Genesis}}
			if err := l.Append(Record{Event: Connect, User: "alice"}); err != nil {
				t.Fatal(err)
			}
			before := string(f.data)
			f.failWrite, f.failSync, f.partial = tt.file.failWrite, tt.file.failSync, tt.file.partial
			if err := l.Append(Record{Event: ActionAttempted, User: "alice", Action: "cordon"}); err == nil {
				t.Fatal("Append succeeded")
			}
			if string(f.data) != before || (f.truncated > 0) != tt.truncated {
				t.Fatalf("trail after the failure: %q (truncated %d times), want %q", f.data, f.truncated, before)
			}
			f.failWrite, f.failSync = false, false
			err := l.Append(Record{Event: ActionDone, User: "alice"})
			if err == nil || !strings.Contains(err.Error(), "since an earlier failure") {
				t.Fatalf("Append after the failure: %v, want a refusal", err)
			}
			if string(f.data) != before {
				t.Fatalf("a later Append wrote %q", f.data[len(before):])
			}
		})
	}
}

// TestAppendOnAClosedDescriptor: a trail whose file was closed under it refuses the record, and the
// file keeps only what was written before.
func TestAppendOnAClosedDescriptor(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l, err := Open(path, WithClock(fixedClock()))
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Append(Record{Event: Connect, User: "alice"}); err != nil {
		t.Fatal(err)
	}
	_ = l.f.Close() // the descriptor goes away under the Log
	if err := l.Append(Record{Event: ActionAttempted, User: "alice", Action: "cordon"}); err == nil {
		t.Fatal("Append on a closed descriptor succeeded")
	}
	if err := l.Append(Record{Event: Disconnect, User: "alice"}); err == nil {
		t.Fatal("a later Append succeeded")
	}
	data, _ := os.ReadFile(path)
	if n, err := Verify(bytes.NewReader(data)); n != 1 || err != nil {
		t.Fatalf("Verify: %d, %v; want the one record", n, err)
	}
}

// TestAppendRefusesBadRecords: an unknown event or a malformed fingerprint is refused, and the Log
// goes on working.
func TestAppendRefusesBadRecords(t *testing.T) {
	f := &failingFile{}
	l := &Log{path: "mem", now: fixedClock(), f: f, head: Head{Hash: Genesis}}
	for _, r := range []Record{{Event: "exec"}, {Event: Connect, Fingerprint: "MD5:aa:bb"}, {Event: Connect, Fingerprint: "SHA256:short"}} {
		if err := l.Append(r); err == nil {
			t.Errorf("%+v accepted", r)
		}
	}
	fp := "SHA256:" + strings.Repeat("Ab3+", 10) + "xyz"
	if err := l.Append(Record{Event: Connect, Fingerprint: fp}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(f.data, []byte(fp)) || bytes.Count(f.data, []byte("\n")) != 1 {
		t.Fatalf("trail %q, want one record with the fingerprint kept", f.data)
	}
}

// TestAppendConcurrently: many sessions appending at once make one unbroken chain holding every record.
func TestAppendConcurrently(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	const sessions, each = 8, 25
	var wg sync.WaitGroup
	for s := range sessions {
		wg.Go(func() {
			for i := range each {
				if err := l.Append(Record{Event: ActionDone, Session: fmt.Sprintf("s%d", s), Target: fmt.Sprintf("pod/x/p%d", i)}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	_ = l.Close()
	data, _ := os.ReadFile(path)
	if n, err := Verify(bytes.NewReader(data)); n != sessions*each || err != nil {
		t.Fatalf("Verify: %d, %v; want %d records", n, err, sessions*each)
	}
	for s := range sessions {
		if c := bytes.Count(data, fmt.Appendf(nil, `"session":"s%d"`, s)); c != each {
			t.Errorf("session s%d has %d records, want %d", s, c, each)
		}
	}
}

// BenchmarkAppend: records written and fsynced per second, one writer.
func BenchmarkAppend(b *testing.B) {
	l, err := Open(filepath.Join(b.TempDir(), "audit.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	rec := Record{Event: ActionDone, Session: "7f3a9c01", User: "alice", Fingerprint: "SHA256:" + strings.Repeat("Ab3+", 10) + "xyz",
		Role: "operator", Remote: "192.0.2.7:51234", Action: "cordon", Target: "node/worker-2"}
	for b.Loop() {
		if err := l.Append(rec); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkAppendParallel: the same from many sessions at once (appends are serialized; this shows the cost of waiting).
func BenchmarkAppendParallel(b *testing.B) {
	l, err := Open(filepath.Join(b.TempDir(), "audit.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := l.Append(Record{Event: ActionDone, Session: "s", Action: "cordon", Target: "node/worker-2"}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

func TestEntries(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []Record{{Event: RunbookStarted, Run: "r1"}, {Event: Connect, User: "bob"}, {Event: RunbookEnded, Run: "r1"}} {
		if err := l.Append(r); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	es, err := Entries(f, func(e Entry) bool { return e.Run == "r1" })
	if err != nil || len(es) != 2 || es[0].Event != RunbookStarted || es[1].Seq != 3 {
		t.Fatalf("entries %+v, %v", es, err)
	}
	if _, err := Entries(strings.NewReader("{\"seq\":1}\nnot json\n"), nil); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Fatalf("a malformed trail: %v", err)
	}
}
