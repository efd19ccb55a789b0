package audit

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// BrokenError says where a chain breaks: the first broken record's line (counted from 1) and what is
// wrong with it.
type BrokenError struct {
	Line int
	What string // edited, deleted, reordered or torn
	Why  string
}

func (e *BrokenError) Error() string { return fmt.Sprintf("line %d: %s — %s", e.Line, e.What, e.Why) }

// The kinds of BrokenError.What.
const (
	Edited    = "edited"
	Deleted   = "deleted"
	Reordered = "reordered"
	Torn      = "torn"
)

// line is what Verify keeps of one line: its chain fields and its hash, not its text.
type line struct {
	ok      bool
	bad     string // why it is not a record
	newline bool
	seq     uint64
	prev    string
	hash    string
}

// Verify reads a trail and checks its chain. It returns the number of records that hold and, when the
// chain breaks, a *BrokenError naming the first broken record by its line:
//   - torn: the last line has no newline (a write cut short);
//   - edited: a line that is not a record; a line whose hash is not the prev the next line records while
//     that next line is in place (the line was changed); a line whose prev is wrong though its number is
//     right and the line after it chains to it (its prev was changed); a number that is wrong though the
//     line chains to the one before (its seq was changed);
//   - deleted: a line holding a later record than its number while no later line holds the missing one;
//   - reordered: a line holding a record that a later line's number belongs to, or an earlier one.
//
// An edit of the last record's content, and records cut off at the end, leave a valid chain: compare
// the last line's hash with a head kept elsewhere (Log.Head) to see them. Verify keeps some 100 bytes
// per line, never a line's text.
func Verify(r io.Reader) (n int, err error) {
	h, err := VerifyHead(r)
	return int(h.Seq), err
}

// VerifyHead is Verify returning the head of the chain's intact part: the number of records that hold
// and the last one's hash (Genesis when none does), to compare with a head kept elsewhere.
func VerifyHead(r io.Reader) (Head, error) {
	var lines []line
	br := bufio.NewReader(r)
	for {
		raw, err := br.ReadBytes('\n')
		if len(raw) > 0 {
			lines = append(lines, readLine(raw))
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Head{Hash: Genesis}, fmt.Errorf("cannot read the audit log: %w", err)
		}
	}
	holding, b := len(lines), check(lines)
	if b != nil {
		holding = b.Line - 1
	}
	h := Head{Seq: uint64(holding), Hash: Genesis}
	if holding > 0 {
		h.Hash = lines[holding-1].hash
	}
	if b != nil {
		return h, b
	}
	return h, nil
}

func readLine(raw []byte) line {
	l := line{newline: bytes.HasSuffix(raw, []byte("\n"))}
	text := bytes.TrimSuffix(raw, []byte("\n"))
	l.hash = lineHash(text)
	e, err := parseEntry(text)
	if err != nil {
		l.bad = err.Error()
		return l
	}
	l.ok, l.seq, l.prev = true, e.Seq, e.Prev
	return l
}

// check returns the first break in a chain's lines, or nil.
func check(lines []line) *BrokenError {
	at := func(i int, what, why string, args ...any) *BrokenError {
		return &BrokenError{Line: i + 1, What: what, Why: fmt.Sprintf(why, args...)}
	}
	for i, l := range lines {
		want := Genesis
		if i > 0 {
			want = lines[i-1].hash
		}
		num := uint64(i + 1)
		switch {
		case !l.newline && i == len(lines)-1:
			return at(i, Torn, "the last record is cut short (no newline: a write interrupted by a crash)")
		case !l.ok:
			return at(i, Edited, "not a record (%s)", l.bad)
		case l.seq != num && l.prev == want:
			return at(i, Edited, "its seq is %d, not %d, though it chains to the line before", l.seq, num)
		case l.seq > num:
			if j := findSeq(lines[i+1:], num); j >= 0 {
				return at(i, Reordered, "it holds record %d; record %d is at line %d", l.seq, num, i+2+j)
			}
			if l.seq == num+1 {
				return at(i, Deleted, "record %d is missing (this line holds record %d)", num, l.seq)
			}
			return at(i, Deleted, "records %d to %d are missing (this line holds record %d)", num, l.seq-1, l.seq)
		case l.seq < num:
			return at(i, Reordered, "it holds record %d, which belongs at line %d", l.seq, l.seq)
		case l.prev != want && i == 0:
			return at(i, Edited, "its prev is not the genesis value")
		case l.prev != want:
			// Either the line before was changed (its hash is no longer what this line records) or this
			// line's prev was. The line after tells: it chains to this line only if this one is intact.
			if i+1 < len(lines) && lines[i+1].ok && lines[i+1].prev != l.hash {
				return at(i, Edited, "its prev is not line %d's hash, and line %d does not chain to it either", i, i+2)
			}
			return at(i-1, Edited, "its hash is not the prev that line %d records", i+1)
		}
	}
	return nil
}

// findSeq returns the index of the first line holding record seq, or -1.
func findSeq(lines []line, seq uint64) int {
	for j, l := range lines {
		if l.ok && l.seq == seq {
			return j
		}
	}
	return -1
}
