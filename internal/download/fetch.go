package download

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/clubcedille/cedille-tui/internal/version"
)

// download transfers what the part lacks, then verifies and installs the file.
func (d *downloader) download(parent context.Context) (Result, error) {
	if err := os.MkdirAll(filepath.Dir(d.dest), 0o755); err != nil {
		return Result{}, &FileError{Op: "create the directory", Path: filepath.Dir(d.dest), Err: err}
	}
	p, err := openPart(d.partPath(), d.metaPath())
	if err != nil {
		return Result{}, err
	}
	defer p.close()
	// The watchdog cancels this context with a stallError; the caller's cancellation comes from parent.
	ctx, stop := context.WithCancelCause(parent)
	defer stop(nil)
	resp, err := d.open(ctx, p)
	if err != nil {
		return Result{}, d.failed(ctx, err, p)
	}
	if resp != nil {
		defer resp.Body.Close()
		d.meter.begin(p.size, p.meta.Size, p.resumed, false)
		if err := d.stream(ctx, stop, resp.Body, p); err != nil {
			return Result{}, d.failed(ctx, err, p)
		}
	}
	if p.meta.Size >= 0 && p.size != p.meta.Size {
		return Result{}, d.failed(ctx, &NetError{Host: d.url.Host, Broken: true,
			Err: fmt.Errorf("the server sent %d of %d bytes", p.size, p.meta.Size)}, p)
	}
	return d.finish(p)
}

// answer is what a response to the request means for the part.
type answer int

const (
	// contradicts: the answer does not fit the request; ask again from byte 0.
	contradicts answer = iota
	// bodyFollows: the body holds the bytes the part lacks, from p.size on.
	bodyFollows
	// partWhole: the part already holds the whole file.
	partWhole
)

// open asks for the bytes the part lacks and returns the response whose body holds them, or nil when
// the part is already whole. 206 brings the rest; 200 the whole file (the server ignored Range, or
// If-Range found the file changed); 416 may mean the last run was cut between the last byte and the
// rename. An answer that contradicts the request gets one more try without Range.
func (d *downloader) open(ctx context.Context, p *part) (*http.Response, error) {
	from, validator := p.resumePoint(d.url.String())
	for {
		resp, err := d.get(ctx, http.MethodGet, from, validator)
		if err != nil {
			return nil, &NetError{Host: d.url.Host, Err: err}
		}
		a, err := d.accept(ctx, resp, p, from)
		if a == bodyFollows && err == nil {
			return resp, nil
		}
		resp.Body.Close()
		if err != nil || a == partWhole {
			return nil, err
		}
		if from == 0 {
			return nil, fmt.Errorf("GET %s: the server answered %q (Content-Range %q) to a request for the whole file",
				d.url.Redacted(), resp.Status, resp.Header.Get("Content-Range"))
		}
		from, validator = 0, ""
	}
}

// accept applies one answer to the part.
func (d *downloader) accept(ctx context.Context, resp *http.Response, p *part, from int64) (answer, error) {
	switch resp.StatusCode {
	case http.StatusOK:
		return bodyFollows, p.restart(metaFrom(d.url.String(), resp, resp.ContentLength))
	case http.StatusPartialContent:
		start, total, ok := parseContentRange(resp.Header.Get("Content-Range"))
		if !ok || start != from {
			return contradicts, nil
		}
		if total < 0 && resp.ContentLength >= 0 {
			total = from + resp.ContentLength
		}
		if err := p.saveMeta(resumedMeta(p.meta, resp, total)); err != nil {
			return bodyFollows, err
		}
		return bodyFollows, p.resume(ctx, from, d.meter)
	case http.StatusRequestedRangeNotSatisfiable:
		if from == 0 || !d.partIsWhole(ctx, resp, p, from) {
			return contradicts, nil
		}
		return partWhole, p.resume(ctx, from, d.meter)
	}
	return contradicts, &HTTPError{URL: d.url.Redacted(), StatusCode: resp.StatusCode, Status: resp.Status}
}

// resumedMeta is the sidecar after a 206: the same file, with whatever this answer adds.
func resumedMeta(m partMeta, resp *http.Response, total int64) partMeta {
	m.Size = total
	if s := serverDigest(resp.Header); s != "" {
		m.SHA256 = s
	}
	return m
}

// partIsWhole reads a 416 to a resume: the part may already hold the whole file (the last run was cut
// between the last byte and the rename). The size comes from Content-Range, else a HEAD, else the sidecar.
func (d *downloader) partIsWhole(ctx context.Context, resp *http.Response, p *part, from int64) bool {
	m := p.meta
	_, total, ok := parseContentRange(resp.Header.Get("Content-Range"))
	if s := serverDigest(resp.Header); s != "" {
		m.SHA256 = s
	}
	if !ok || total < 0 {
		if r, ok := d.head(ctx); ok {
			total = r.size
			if r.sha256 != "" {
				m.SHA256 = r.sha256
			}
		} else {
			total = m.Size
		}
	}
	if total != from {
		return false
	}
	m.Size = total
	p.meta = m
	return true
}

// get sends one request for the file from byte from on.
func (d *downloader) get(ctx context.Context, method string, from int64, validator string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, d.url.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", version.Get().UserAgent())
	// Identity only: under a content coding, Range offsets would count coded bytes, while the transport's
	// transparent gunzip hands us decoded ones.
	req.Header.Set("Accept-Encoding", "identity")
	if from > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(from, 10)+"-")
		req.Header.Set("If-Range", validator)
	}
	return d.client.Do(req)
}

// remote is what a HEAD says about the file.
type remote struct {
	size   int64
	sha256 string
}

// head asks for the file's size and digest; false when the server does not say (HEAD refused, network
// down), which callers treat as "unknown", never as a failure.
func (d *downloader) head(ctx context.Context) (remote, bool) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	resp, err := d.get(ctx, http.MethodHead, 0, "")
	if err != nil {
		return remote{}, false
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.ContentLength < 0 {
		return remote{}, false
	}
	return remote{size: resp.ContentLength, sha256: serverDigest(resp.Header)}, true
}

// stream copies the body into the part. A watchdog cancels the transfer when no byte arrives for
// d.stall: a half-dead connection can otherwise block a read for as long as the kernel keeps it.
func (d *downloader) stream(ctx context.Context, stop context.CancelCauseFunc, body io.Reader, p *part) error {
	dog := time.AfterFunc(d.stall, func() { stop(stallError{d.stall}) })
	defer dog.Stop()
	buf := make([]byte, 256<<10)
	for {
		n, err := body.Read(buf)
		if n > 0 {
			dog.Reset(d.stall)
			if werr := p.write(buf[:n]); werr != nil {
				return werr
			}
			d.meter.add(int64(n))
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return &NetError{Host: d.url.Host, Broken: true, Err: err}
		}
	}
}

// failed completes an error with where a retry would start, and tells the caller's cancellation and the
// watchdog's apart from a network failure.
func (d *downloader) failed(ctx context.Context, err error, p *part) error {
	have, resumable := p.size, p.resumable(d.url.String())
	if cause, ok := context.Cause(ctx).(stallError); ok {
		return &NetError{Host: d.url.Host, Broken: true, Err: cause, Have: have, Resumable: resumable}
	}
	if ctx.Err() != nil {
		return fmt.Errorf("download of %s stopped: %w; %s", filepath.Base(d.dest), ctx.Err(), retryHint(have, resumable))
	}
	if ne, ok := err.(*NetError); ok {
		ne.Have, ne.Resumable = have, resumable
	}
	return err
}

// parseContentRange reads "bytes START-END/TOTAL" or "bytes */TOTAL"; START is -1 in the second form and
// TOTAL -1 when it is "*".
func parseContentRange(s string) (start, total int64, ok bool) {
	rest, found := strings.CutPrefix(strings.TrimSpace(s), "bytes ")
	if !found {
		return 0, 0, false
	}
	rng, tot, found := strings.Cut(rest, "/")
	if !found {
		return 0, 0, false
	}
	total = -1
	if tot != "*" {
		t, err := strconv.ParseInt(tot, 10, 64)
		if err != nil || t < 0 {
			return 0, 0, false
		}
		total = t
	}
	if rng == "*" {
		return -1, total, true
	}
	first, _, found := strings.Cut(rng, "-")
	start, err := strconv.ParseInt(first, 10, 64)
	if !found || err != nil || start < 0 {
		return 0, 0, false
	}
	return start, total, true
}
