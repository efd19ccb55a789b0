package omnisim

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Defaults of an ImageFactory.
const (
	// DefaultImageSize is the size of a served image: big enough for a progress bar to move for a couple
	// of seconds at DefaultImageRate, small enough to keep in memory.
	DefaultImageSize = 6 << 20
	// DefaultImageRate is the simulated download speed, in bytes per second.
	DefaultImageRate = 3 << 20
)

// ImageFactory is a simulated Talos image factory, served as an http.RoundTripper (no socket): put it in
// the *http.Client that downloads the ISO. It answers GET and HEAD of
// /image/<schematic ID>/<Talos version>/metal-<arch>[-secureboot].iso with a deterministic pseudo-ISO
// (the same bytes for the same path, every time), with an ETag, Last-Modified, a Repr-Digest (RFC 9530) and
// Range/If-Range support (http.ServeContent), throttled to Rate; anything else is a 404 like the real
// factory's. Requests to another host than Host fail as an unknown host would.
type ImageFactory struct {
	// Host is the factory's host (BaseURL's); "" serves any host.
	Host string
	// Size is the size of an image (DefaultImageSize when 0).
	Size int
	// Rate throttles the body, in bytes per second: DefaultImageRate when 0, unthrottled when negative.
	Rate int
	// Known, when set, tells which schematic IDs exist (e.g. Server.HasSchematic): others get a 404, as
	// the real factory answers for a schematic nobody created. nil accepts any well-formed ID.
	Known func(id string) bool
	// ModTime is the images' Last-Modified; zero means a fixed date.
	ModTime time.Time

	mu     sync.Mutex
	images map[string]*image
	gets   int
}

type image struct {
	body   []byte
	etag   string
	digest string
}

// NewImageFactory returns a factory answering for baseURL's host (e.g. "https://factory.demo.invalid").
func NewImageFactory(baseURL string) (*ImageFactory, error) {
	u, err := url.Parse(baseURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("image factory base URL %q is not a URL", baseURL)
	}

	return &ImageFactory{Host: u.Host}, nil
}

var imagePath = regexp.MustCompile(`^/image/([0-9a-f]{64})/(v\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)/(metal-(?:amd64|arm64)(?:-secureboot)?\.iso)$`)

// Gets counts the GET requests that were served an image (whole or partial).
func (f *ImageFactory) Gets() int {
	f.mu.Lock()
	defer f.mu.Unlock()

	return f.gets
}

// ImageSHA256 is the hex SHA-256 of the image at path (as served; "" when the path names no image).
func (f *ImageFactory) ImageSHA256(path string) string {
	img, ok := f.image(path)
	if !ok {
		return ""
	}

	sum := sha256.Sum256(img.body)

	return hex.EncodeToString(sum[:])
}

func (f *ImageFactory) image(path string) (*image, bool) {
	m := imagePath.FindStringSubmatch(path)
	if m == nil || (f.Known != nil && !f.Known(m[1])) {
		return nil, false
	}

	f.mu.Lock()
	defer f.mu.Unlock()

	if img, ok := f.images[path]; ok {
		return img, true
	}

	size := f.Size
	if size <= 0 {
		size = DefaultImageSize
	}

	body := pseudoISO(m[1], m[2], m[3], size)
	sum := sha256.Sum256(body)
	img := &image{body: body, etag: `"` + hex.EncodeToString(sum[:8]) + `"`,
		digest: "sha-256=:" + base64.StdEncoding.EncodeToString(sum[:]) + ":"}

	if f.images == nil {
		f.images = map[string]*image{}
	}

	f.images[path] = img

	return img, true
}

// pseudoISO is size deterministic bytes: a counter-mode SHA-256 stream seeded by the path, with an ISO 9660
// primary volume descriptor at 32 KiB so that `file` would call it an ISO.
func pseudoISO(schematic, version, name string, size int) []byte {
	seed := sha256.Sum256([]byte(schematic + "/" + version + "/" + name))
	body := make([]byte, size)

	var block [40]byte

	copy(block[:32], seed[:])

	for off, n := 0, uint64(0); off < size; n++ {
		binary.BigEndian.PutUint64(block[32:], n)
		sum := sha256.Sum256(block[:])
		off += copy(body[off:], sum[:])
	}

	const pvd = 16 * 2048
	if size >= pvd+2048 {
		copy(body[pvd:], append([]byte{1}, "CD001\x01\x00"...))
		label := fmt.Sprintf("%-32s", "TALOS_"+strings.NewReplacer(".", "_", "-", "_").Replace(strings.ToUpper(version)))
		copy(body[pvd+8:], fmt.Sprintf("%-32s", "LINUX"))
		copy(body[pvd+40:], label)
	}

	return body
}

func (f *ImageFactory) modTime() time.Time {
	if !f.ModTime.IsZero() {
		return f.ModTime
	}

	return time.Date(2024, 10, 1, 12, 0, 0, 0, time.UTC)
}

// ServeHTTP serves the factory without throttling (for a real listener in tests or the lab).
func (f *ImageFactory) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)

		return
	}

	img, ok := f.image(r.URL.Path)
	if !ok {
		http.NotFound(w, r)

		return
	}

	if r.Method == http.MethodGet {
		f.mu.Lock()
		f.gets++
		f.mu.Unlock()
	}

	h := w.Header()
	h.Set("ETag", img.etag)
	h.Set("Repr-Digest", img.digest)
	h.Set("Content-Type", "application/x-iso9660-image")
	http.ServeContent(w, r, "", f.modTime(), bytes.NewReader(img.body))
}

// RoundTrip serves the request in-process: the handler writes into a pipe that the response body reads,
// paced at Rate, so a download takes as long as it would on a link of that speed. Cancelling the
// request's context ends the body with the context's error.
func (f *ImageFactory) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	if f.Host != "" && !strings.EqualFold(req.URL.Host, f.Host) {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: req.URL.Hostname(), IsNotFound: true}}
	}

	if req.Body != nil {
		_ = req.Body.Close()
	}

	rate := f.Rate
	if rate == 0 {
		rate = DefaultImageRate
	}

	pr, pw := io.Pipe()
	w := &pipeResponse{header: http.Header{}, ready: make(chan struct{}), pw: pw, rate: rate, ctx: ctx}

	go func() {
		defer func() {
			w.WriteHeader(http.StatusOK)
			_ = pw.Close()
		}()
		f.ServeHTTP(w, req)
	}()

	select {
	case <-w.ready:
	case <-ctx.Done():
		_ = pr.CloseWithError(ctx.Err())

		return nil, ctx.Err()
	}

	resp := &http.Response{
		Status: fmt.Sprintf("%d %s", w.status, http.StatusText(w.status)), StatusCode: w.status,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: w.sent, Body: pr, ContentLength: -1, Request: req,
	}
	if n, err := strconv.ParseInt(w.sent.Get("Content-Length"), 10, 64); err == nil {
		resp.ContentLength = n
	}

	if req.Method == http.MethodHead {
		_ = pr.Close()
		resp.Body = http.NoBody
	}

	return resp, nil
}

// pipeResponse is the http.ResponseWriter of RoundTrip: headers go to the response once written, the body
// into the pipe, paced.
type pipeResponse struct {
	header http.Header
	sent   http.Header
	status int
	ready  chan struct{}
	once   sync.Once
	pw     *io.PipeWriter
	rate   int
	ctx    context.Context //nolint:containedctx // the request's, for the pacing waits

	start   time.Time
	written int64
}

func (w *pipeResponse) Header() http.Header { return w.header }

func (w *pipeResponse) WriteHeader(code int) {
	w.once.Do(func() {
		w.status, w.sent = code, w.header.Clone()
		w.start = time.Now()
		close(w.ready)
	})
}

func (w *pipeResponse) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)

	if w.rate < 0 {
		return w.pw.Write(b)
	}

	const chunk = 64 << 10

	n := 0
	for len(b) > 0 {
		c := min(len(b), chunk)

		m, err := w.pw.Write(b[:c])
		n += m
		w.written += int64(m)

		if err != nil {
			return n, err
		}

		b = b[c:]

		due := w.start.Add(time.Duration(float64(w.written) / float64(w.rate) * float64(time.Second)))
		if wait := time.Until(due); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-w.ctx.Done():
				t.Stop()
				_ = w.pw.CloseWithError(w.ctx.Err())

				return n, w.ctx.Err()
			case <-t.C:
			}
		}
	}

	return n, nil
}
