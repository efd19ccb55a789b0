package ui

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/clubcedille/cedille-tui/internal/audit"
	"github.com/clubcedille/cedille-tui/internal/ui/console"
)

// AuditShown is how many of the trail's newest records the audit page lists.
const AuditShown = 500

// AuditFile is an audit source reading the trail at path: its whole chain verified, its newest n records
// kept. A trail not written yet reads as empty.
func AuditFile(path string, n int) console.AuditSource {
	return func(ctx context.Context) (console.AuditTrail, error) {
		f, err := os.Open(path)
		if errors.Is(err, fs.ErrNotExist) {
			return console.AuditTrail{}, nil
		}
		if err != nil {
			return console.AuditTrail{}, err
		}
		defer f.Close()
		return ReadAuditTrail(ctx, f, n)
	}
}

// ReadAuditTrail verifies a trail's chain (audit.VerifyHead), then reads it again keeping its newest n
// lines as records. A line that is not a record is kept as one whose event says so (the chain's line
// names it too).
func ReadAuditTrail(ctx context.Context, r io.ReadSeeker, n int) (console.AuditTrail, error) {
	var tr console.AuditTrail
	_, err := audit.VerifyHead(r)
	var broken *audit.BrokenError
	switch {
	case errors.As(err, &broken):
		tr.Broken = broken
	case err != nil:
		return tr, err
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return tr, fmt.Errorf("cannot read the audit log again: %w", err)
	}
	var kept [][]byte
	br := bufio.NewReader(r)
	for {
		if err := ctx.Err(); err != nil {
			return tr, err
		}
		raw, err := br.ReadBytes('\n')
		if len(raw) > 0 {
			tr.Total++
			kept = append(kept, raw)
			if n > 0 && len(kept) >= 2*n {
				kept = append(kept[:0], kept[len(kept)-n:]...)
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return tr, fmt.Errorf("cannot read the audit log: %w", err)
		}
	}
	if n > 0 && len(kept) > n {
		kept = kept[len(kept)-n:]
	}
	first := tr.Total - len(kept) + 1
	for i, raw := range kept {
		var e audit.Entry
		if json.Unmarshal(raw, &e) != nil {
			e = audit.Entry{Seq: uint64(first + i), Record: audit.Record{Event: "(not a record)"}}
		}
		tr.Entries = append(tr.Entries, e)
	}
	return tr, nil
}
