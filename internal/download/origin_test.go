package download

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// origin plays the image factory: one file served with ETag, Last-Modified and Range support
// (http.ServeContent), plus the faults a club network and odd servers produce.
type origin struct {
	mu      sync.Mutex
	body    []byte
	etag    string
	modTime time.Time
	// cutAt > 0 cuts the next GET's connection after that many bytes (then resets to 0).
	cutAt int
	// ignoreRange answers every GET with 200 and the whole file.
	ignoreRange bool
	// wrongRange answers a Range request with a 206 for bytes 0-99.
	wrongRange bool
	// header is added to every answer (Repr-Digest…).
	header http.Header
	// delay is slept after each 32 KB written, so that a transfer lasts long enough to be observed.
	delay time.Duration

	gets, heads int
	ranges      []string // the Range header of each GET ("" for none)
	ifRanges    []string
}

func newOrigin(t *testing.T, seed uint64) (*origin, *httptest.Server) {
	t.Helper()
	o := &origin{header: http.Header{}}
	o.set(func(o *origin) { o.setBody(randomBody(seed), "v1") })
	srv := httptest.NewServer(o)
	t.Cleanup(srv.Close)
	return o, srv
}

// randomBody is a 5–20 MB file; a fixed seed keeps failures reproducible.
func randomBody(seed uint64) []byte {
	src := rand.NewChaCha8([32]byte{byte(seed)})
	b := make([]byte, 5<<20+rand.New(src).IntN(15<<20))
	src.Read(b)
	return b
}

// set changes the origin between requests.
func (o *origin) set(change func(o *origin)) {
	o.mu.Lock()
	defer o.mu.Unlock()
	change(o)
}

// setBody replaces the remote file, as a new image build would; the caller holds o.mu.
func (o *origin) setBody(b []byte, version string) {
	o.body = b
	o.etag = `"` + version + `"`
	o.modTime = time.Date(2025, 8, 13, 9, 0, len(version), 0, time.UTC)
}

func (o *origin) snapshot() (gets, heads int, ranges, ifRanges []string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.gets, o.heads, append([]string(nil), o.ranges...), append([]string(nil), o.ifRanges...)
}

func (o *origin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	body, etag, modTime, cut, ignore, wrong, delay := o.body, o.etag, o.modTime, o.cutAt, o.ignoreRange, o.wrongRange, o.delay
	if r.Method == http.MethodHead {
		o.heads++
	} else {
		o.gets++
		o.ranges = append(o.ranges, r.Header.Get("Range"))
		o.ifRanges = append(o.ifRanges, r.Header.Get("If-Range"))
		o.cutAt = 0
	}
	for k, v := range o.header {
		w.Header()[k] = v
	}
	o.mu.Unlock()

	w.Header().Set("ETag", etag)
	w.Header().Set("Content-Type", "application/octet-stream")
	switch {
	case r.Method == http.MethodGet && cut > 0:
		cutConnection(w, body, etag, cut)
	case wrong && r.Header.Get("Range") != "":
		w.Header().Set("Content-Range", fmt.Sprintf("bytes 0-99/%d", len(body)))
		w.Header().Set("Content-Length", "100")
		w.WriteHeader(http.StatusPartialContent)
		w.Write(body[:100])
	case ignore:
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		w.Write(body)
	default:
		http.ServeContent(slowWriter{w, delay}, r, "talos.iso", modTime, bytes.NewReader(body))
	}
}

// cutConnection starts a 200 for the whole body, sends n bytes of it and closes the connection, as a
// dropped Wi-Fi link would.
func cutConnection(w http.ResponseWriter, body []byte, etag string, n int) {
	conn, bw, err := w.(http.Hijacker).Hijack()
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	fmt.Fprintf(bw, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nETag: %s\r\nAccept-Ranges: bytes\r\n"+
		"Content-Type: application/octet-stream\r\n\r\n", len(body), etag)
	bw.Write(body[:n])
	bw.Flush()
}

// slowWriter sleeps after each write; without a ReadFrom, io.Copy writes in 32 KB chunks.
type slowWriter struct {
	http.ResponseWriter
	delay time.Duration
}

func (s slowWriter) Write(b []byte) (int, error) {
	n, err := s.ResponseWriter.Write(b)
	if s.delay > 0 {
		time.Sleep(s.delay)
	}
	return n, err
}

func sumHex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
