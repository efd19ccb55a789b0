// Package download fetches one large file over HTTP — the Talos ISO from Omni's image factory — so that a
// flaky network costs a retry, not the whole transfer. The bytes land in DEST.part; a sidecar
// (DEST.part.json) records which remote file they are a prefix of, so the next call asks only for the rest,
// with a Range request that If-Range voids if the file has changed. The file is renamed into place only once
// its SHA-256 matches the pinned digest and the server's, and DEST.sha256 (sha256sum format) is written
// beside it, so that a later call recognises a finished download by re-hashing it, not by fetching it again.
package download

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"time"
)

// Request says what to download and where.
type Request struct {
	// URL is the file to download (http or https).
	URL string
	// Dest is the final file's path. The download goes to Dest+".part" until it is verified; the
	// directory is created if missing.
	Dest string
	// HTTPClient makes the requests. nil means a client with connect, TLS and response-header timeouts
	// but no overall timeout: 300 MB on a slow link can take an hour, and StallTimeout catches a dead link.
	HTTPClient *http.Client
	// ExpectSHA256 is the hex digest the file must have ("" = none). The operator's saved preset pins it,
	// so that a machine added later boots the same ISO.
	ExpectSHA256 string
	// Progress, when set, is called on Get's goroutine at most about 10 times a second, and once at the end
	// with Done == Total.
	Progress func(Progress)
	// StallTimeout abandons the transfer when no byte arrives for that long (0 = 1 minute): a dead
	// connection can otherwise block a read for many minutes. The error says a retry resumes.
	StallTimeout time.Duration
}

// Progress is a snapshot of a download.
type Progress struct {
	// Done counts the bytes of the file on disk, a resumed download's earlier bytes included.
	Done int64
	// Total is the file's size, -1 while unknown (no Content-Length).
	Total int64
	// Rate is bytes per second, smoothed over a few seconds; 0 until measured.
	Rate float64
	// ETA is the time left at Rate, -1 when unknown.
	ETA time.Duration
	// Resumed: the bytes of an earlier, interrupted download are kept.
	Resumed bool
	// Verifying: the bytes are being read back from disk to compute their digest (the part being
	// resumed, or a finished file being re-checked), not downloaded.
	Verifying bool
}

// Result describes the verified file.
type Result struct {
	Path   string
	Size   int64
	SHA256 string // hex
	// Resumed: part of the file came from an earlier, interrupted call.
	Resumed bool
	// AlreadyComplete: Dest was already there, matching its .sha256; nothing was downloaded.
	AlreadyComplete bool
}

const defaultStall = time.Minute

// Get downloads r.URL to r.Dest, resuming an interrupted earlier call, and verifies the file before it
// takes its final name. The errors are *HTTPError, *NetError, *FileError, *ChecksumError, or the
// context's error wrapped with what was kept. No error discards downloaded bytes: calling Get again
// resumes where the server allows it (a checksum error repeats until the part is deleted).
func Get(ctx context.Context, r Request) (Result, error) {
	d, err := newDownloader(r)
	if err != nil {
		return Result{}, err
	}
	if r.HTTPClient == nil {
		defer d.client.CloseIdleConnections()
	}
	if res, ok, err := d.alreadyComplete(ctx); ok || err != nil {
		return res, err
	}
	return d.download(ctx)
}

// downloader is one Get call.
type downloader struct {
	url    *url.URL
	dest   string
	expect string
	client *http.Client
	stall  time.Duration
	meter  *meter
}

func newDownloader(r Request) (*downloader, error) {
	u, err := url.Parse(r.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("download URL %q is not an http(s) URL", r.URL)
	}
	if r.Dest == "" {
		return nil, fmt.Errorf("download of %s: no destination file", u.Redacted())
	}
	expect := strings.ToLower(strings.TrimSpace(r.ExpectSHA256))
	if expect != "" && !isHexSHA256(expect) {
		return nil, fmt.Errorf("expected SHA-256 %q is not 64 hex digits", r.ExpectSHA256)
	}
	d := &downloader{url: u, dest: filepath.Clean(r.Dest), expect: expect, client: r.HTTPClient,
		stall: r.StallTimeout, meter: newMeter(r.Progress, time.Now)}
	if d.client == nil {
		d.client = defaultClient()
	}
	if d.stall <= 0 {
		d.stall = defaultStall
	}
	return d, nil
}

// defaultClient has a timeout for every wait but the transfer itself. The response-header timeout is
// generous because the image factory builds an image on its first request before it answers.
func defaultClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ResponseHeaderTimeout = 3 * time.Minute
	t.TLSHandshakeTimeout = 30 * time.Second
	return &http.Client{Transport: t}
}

func (d *downloader) partPath() string { return d.dest + ".part" }
func (d *downloader) metaPath() string { return d.dest + ".part.json" }
func (d *downloader) sumPath() string  { return d.dest + ".sha256" }
