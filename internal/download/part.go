package download

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"hash"
	"io"
	"net/http"
	"os"
	"strings"
)

// partMeta is the sidecar of a .part file: which remote file its bytes are a prefix of, so that a resume
// asks for the rest of the same file and not the tail of a newer one.
type partMeta struct {
	URL          string `json:"url"`
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"lastModified,omitempty"`
	// Size is the whole file's size, -1 when the server did not say.
	Size int64 `json:"size"`
	// SHA256 is the server's digest of the whole file (hex), kept because a later 206 or 416 answer
	// may not repeat it.
	SHA256 string `json:"sha256,omitempty"`
}

// metaFrom reads what identifies the remote file from an answer to a GET.
func metaFrom(rawURL string, resp *http.Response, size int64) partMeta {
	return partMeta{URL: rawURL, ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified"),
		Size: size, SHA256: serverDigest(resp.Header)}
}

// validator is the If-Range value: a strong ETag, else Last-Modified. If-Range must not carry a weak
// ETag (RFC 9110 §13.1.5), and without any validator a resume could splice two different files.
func (m partMeta) validator() string {
	if m.ETag != "" && !strings.HasPrefix(m.ETag, "W/") {
		return m.ETag
	}
	return m.LastModified
}

// part is the download in progress: the .part file, its sidecar, and the SHA-256 of the bytes in it.
type part struct {
	f        *os.File
	path     string
	metaPath string
	meta     partMeta
	// size is the file's length; once resume or restart has run, every one of those bytes is in h.
	size    int64
	h       hash.Hash
	resumed bool
}

// openPart opens (or creates) the .part file without changing it: until the server has answered, it is
// not known whether its bytes are kept.
func openPart(path, metaPath string) (*part, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, &FileError{Op: "create", Path: path, Err: err}
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, &FileError{Op: "read", Path: path, Err: err}
	}
	p := &part{f: f, path: path, metaPath: metaPath, size: fi.Size(), h: sha256.New()}
	if b, err := os.ReadFile(metaPath); err == nil && json.Unmarshal(b, &p.meta) != nil {
		p.meta = partMeta{} // a torn sidecar vouches for nothing: start over
	}
	return p, nil
}

// resumePoint is where the next request starts and the If-Range value that makes starting there safe;
// 0 when the bytes belong to another URL or nothing can prove the remote file is the same.
func (p *part) resumePoint(rawURL string) (int64, string) {
	v := p.meta.validator()
	if p.size == 0 || p.meta.URL != rawURL || v == "" {
		return 0, ""
	}
	return p.size, v
}

// resumable tells whether a retry would keep the bytes already here.
func (p *part) resumable(rawURL string) bool {
	n, _ := p.resumePoint(rawURL)
	return n > 0
}

// restart empties the part for a transfer from byte 0 of the file m describes.
func (p *part) restart(m partMeta) error {
	if p.size > 0 {
		if err := p.f.Truncate(0); err != nil {
			return &FileError{Op: "truncate", Path: p.path, Err: err}
		}
	}
	if _, err := p.f.Seek(0, io.SeekStart); err != nil {
		return &FileError{Op: "seek", Path: p.path, Err: err}
	}
	p.size, p.resumed = 0, false
	p.h.Reset()
	return p.saveMeta(m)
}

// resume hashes the first n bytes, which are kept, and leaves the file positioned after them. It runs
// only once the server has agreed to send the rest, so that hashing is not wasted on a restart. The
// progress counts against the whole file, so that a bar fills up to where the download picks up.
func (p *part) resume(ctx context.Context, n int64, m *meter) error {
	if _, err := p.f.Seek(0, io.SeekStart); err != nil {
		return &FileError{Op: "seek", Path: p.path, Err: err}
	}
	p.h.Reset()
	m.begin(0, p.meta.Size, true, true)
	if _, err := io.CopyN(p.h, &ctxReader{ctx: ctx, r: p.f, m: m}, n); err != nil {
		if ctx.Err() != nil {
			return err
		}
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF // shorter than when it was opened: changed under us
		}
		return &FileError{Op: "read", Path: p.path, Err: err}
	}
	p.size, p.resumed = n, true
	return nil
}

// write appends downloaded bytes and adds them to the hash.
func (p *part) write(b []byte) error {
	if _, err := p.f.Write(b); err != nil {
		return &FileError{Op: "write", Path: p.path, Err: err}
	}
	p.h.Write(b)
	p.size += int64(len(b))
	return nil
}

// saveMeta writes the sidecar before any byte of the transfer it describes reaches the part.
func (p *part) saveMeta(m partMeta) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if err := os.WriteFile(p.metaPath, append(b, '\n'), 0o644); err != nil {
		return &FileError{Op: "write", Path: p.metaPath, Err: err}
	}
	p.meta = m
	return nil
}

func (p *part) close() {
	if p.f != nil {
		p.f.Close()
		p.f = nil
	}
}

// ctxReader reads a local file with progress and stops when the context ends: re-reading 300 MB from a
// slow USB stick must not outlive a cancelled wizard.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
	m   *meter
}

func (c *ctxReader) Read(b []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.r.Read(b)
	c.m.add(int64(n))
	return n, err
}
