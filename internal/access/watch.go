package access

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"time"
)

// Watcher follows the access file: Open reads it once (the file in force at start) and Run reads it
// again every interval, telling what changed since that first read.
type Watcher struct {
	path    string
	last    []byte
	lastErr error
}

// Open reads the access file at path, as Load does, and returns it with a Watcher that starts from
// exactly the bytes read.
func Open(path string) (*Watcher, *File, error) {
	data, err := read(path)
	if err != nil {
		return nil, nil, err
	}
	f, err := parseRead(path, data)
	if err != nil {
		return nil, nil, err
	}
	return &Watcher{path: path, last: data}, f, nil
}

// Run reads the file every interval and calls changed when what it reads changes: the new File, or the
// error that keeps the last good one in force (a malformed edit, an unreadable file). A removed file is
// an empty File (nobody in), as Load has it. It returns when ctx ends; changed runs on Run's goroutine.
func (w *Watcher) Run(ctx context.Context, interval time.Duration, changed func(*File, error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		w.poll(changed)
	}
}

// poll reads the file once and calls changed if what it reads differs from the last read.
func (w *Watcher) poll(changed func(*File, error)) {
	data, err := read(w.path)
	if bytes.Equal(data, w.last) && errText(err) == errText(w.lastErr) {
		return
	}
	w.last, w.lastErr = data, err
	if err != nil {
		changed(nil, err)
		return
	}
	changed(parseRead(w.path, data))
}

// read is the file's bytes; a missing file reads as empty.
func read(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return data, err
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// parseRead is the File of what read returned: nil data is a missing file (nobody in, as Load says).
func parseRead(path string, data []byte) (*File, error) {
	if data == nil {
		return &File{source: path, notes: []string{path + ": no such file: nobody can log in"}}, nil
	}
	return Parse(data, path)
}
