package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// file is what a Log writes to: an *os.File, or a failing one in tests.
type file interface {
	io.Writer
	Sync() error
	Truncate(size int64) error
	Close() error
}

// Log appends records to one trail file. It is safe for concurrent use by many sessions; one process
// writes a file (Open takes an exclusive lock where the system has one).
type Log struct {
	path string
	now  func() time.Time

	mu     sync.Mutex
	f      file
	size   int64 // bytes in the file that are whole records
	head   Head
	failed error // once set, every Append fails
}

// Option changes how Open sets up a Log.
type Option func(*Log)

// WithClock makes the Log read the time from now (tests, a server's own clock); the default is time.Now.
func WithClock(now func() time.Time) Option { return func(l *Log) { l.now = now } }

// Open opens the trail at path for appending, creating it (mode 0600) if missing, and continues its
// chain from its last record. A file whose last line is torn — a write cut short by a crash — is
// refused, with the line and the command that cuts it off: such a line was never acknowledged (Append
// had not returned nil), so what it describes was not done, but cutting a file that is evidence is left
// to a person, after keeping a copy. Open reads only the file's tail: run Verify for the whole chain.
func Open(path string, opts ...Option) (*Log, error) {
	l := &Log{path: path, now: time.Now}
	for _, o := range opts {
		o(l)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("cannot open the audit log: %w", err)
	}
	fail := func(err error) (*Log, error) { _ = f.Close(); return nil, err }
	if err := lock(f); err != nil {
		return fail(fmt.Errorf("audit log %s is in use by another process: %w", path, err))
	}
	st, err := f.Stat()
	if err != nil {
		return fail(fmt.Errorf("cannot read the audit log: %w", err))
	}
	if st.Mode().Perm()&0o077 != 0 {
		if err := f.Chmod(0o600); err != nil {
			return fail(fmt.Errorf("audit log %s is readable by others and cannot be made 0600: %w", path, err))
		}
	}
	head, err := readHead(f, st.Size(), path)
	if err != nil {
		return fail(err)
	}
	l.f, l.size, l.head = f, st.Size(), head
	return l, nil
}

// readHead reads the last whole line of a file of size bytes and returns the chain's head after it.
func readHead(f io.ReaderAt, size int64, path string) (Head, error) {
	if size == 0 {
		return Head{Hash: Genesis}, nil
	}
	last, lastStart, err := lastLine(f, size)
	if err != nil {
		return Head{}, fmt.Errorf("cannot read the audit log: %w", err)
	}
	if !bytes.HasSuffix(last, []byte("\n")) {
		n := uint64(1)
		if lastStart > 0 {
			prev, _, err := lastLine(f, lastStart)
			if err != nil {
				return Head{}, fmt.Errorf("cannot read the audit log: %w", err)
			}
			e, err := parseEntry(bytes.TrimSuffix(prev, []byte("\n")))
			if err != nil {
				return Head{}, fmt.Errorf("audit log %s: the record before its torn last line is not a record (%v): run cedille-tui audit verify %s", path, err, path)
			}
			n = e.Seq + 1
		}
		return Head{}, fmt.Errorf("audit log %s ends with a torn record at line %d (a write cut short by a crash; it was never acknowledged, so what it describes was not done): check the rest with `cedille-tui audit verify %s`, keep a copy of the file, then cut the partial line with `truncate -s %d %s` and start again",
			path, n, path, lastStart, path)
	}
	line := bytes.TrimSuffix(last, []byte("\n"))
	e, err := parseEntry(line)
	if err != nil {
		return Head{}, fmt.Errorf("audit log %s: its last line is not a record (%v): run cedille-tui audit verify %s", path, err, path)
	}
	return Head{Seq: e.Seq, Hash: lineHash(line)}, nil
}

// lastLine returns the last line of the first size bytes of f (with its newline, if any) and where it starts.
func lastLine(f io.ReaderAt, size int64) ([]byte, int64, error) {
	const chunk = 4096
	var tail []byte // the file's bytes [start, size)
	start := size
	for start > 0 {
		from := max(start-chunk, 0)
		buf := make([]byte, start-from)
		if _, err := f.ReadAt(buf, from); err != nil && !errors.Is(err, io.EOF) {
			return nil, 0, err
		}
		tail, start = append(buf, tail...), from
		body := bytes.TrimSuffix(tail, []byte("\n")) // the last line's own newline
		if i := bytes.LastIndexByte(body, '\n'); i >= 0 {
			return tail[i+1:], start + int64(i) + 1, nil
		}
	}
	return tail, 0, nil
}

// parseEntry reads one line as a stored record, checking the chain's fields are there.
func parseEntry(line []byte) (Entry, error) {
	var e Entry
	if err := json.Unmarshal(line, &e); err != nil {
		return Entry{}, errors.New("not JSON")
	}
	if e.Seq == 0 {
		return Entry{}, errors.New("no seq")
	}
	if len(e.Prev) != 64 {
		return Entry{}, errors.New("no prev hash")
	}
	return e, nil
}

// Append writes rec as the next record and syncs it to disk. nil means the record is written; an error
// means it is not — and that the caller must refuse the action it was to record. After a failed write
// or sync the Log refuses every later Append (the disk's state is not known any more): mutating actions
// stay refused until the server opens the file again. A record with an unknown event or a malformed
// fingerprint is refused without harm to the Log.
func (l *Log) Append(rec Record) error {
	if err := rec.validate(); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.failed != nil {
		return fmt.Errorf("the audit log %s cannot be written since an earlier failure (%w): restart to resume", l.path, l.failed)
	}
	e := Entry{Seq: l.head.Seq + 1, Time: l.now().UTC().Format(TimeFormat), Prev: l.head.Hash, Record: rec.redacted()}
	line, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("cannot encode the audit record: %w", err)
	}
	n, err := l.f.Write(append(line, '\n'))
	if err == nil {
		err = l.f.Sync()
	}
	if err != nil {
		l.failed = err
		if n > 0 {
			// Cut off what was written, so the file holds no record the caller was told is not there.
			if terr := l.f.Truncate(l.size); terr == nil {
				_ = l.f.Sync()
			}
		}
		return fmt.Errorf("cannot write the audit log %s: %w", l.path, err)
	}
	l.size += int64(n)
	l.head = Head{Seq: e.Seq, Hash: lineHash(line)}
	return nil
}

// Head returns the chain's head: the last record's number and hash. Kept somewhere else (printed at
// start and at exit, sent to a log collector), it shows later whether the file's last records were cut off or edited.
func (l *Log) Head() Head {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.head
}

// Close closes the file; later Appends fail.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.failed == nil {
		l.failed = errors.New("closed")
	}
	return l.f.Close()
}

// Entries reads a trail's records, keeping those keep accepts (all when keep is nil), in order. A line
// that is not a record is an error naming it; the chain is not checked (Verify does that).
func Entries(r io.Reader, keep func(Entry) bool) ([]Entry, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	var out []Entry
	for n := 1; sc.Scan(); n++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		e, err := parseEntry(sc.Bytes())
		if err != nil {
			return out, fmt.Errorf("line %d: %w", n, err)
		}
		if keep == nil || keep(e) {
			out = append(out, e)
		}
	}
	return out, sc.Err()
}
