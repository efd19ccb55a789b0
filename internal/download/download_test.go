package download

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func destIn(t *testing.T) string { return filepath.Join(t.TempDir(), "talos.iso") }

// recorder keeps every Progress call; Get calls it on the test's goroutine, the lock is for -race's
// sake when a test reads it from a handler.
type recorder struct {
	mu    sync.Mutex
	calls []Progress
}

func (r *recorder) record(p Progress) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, p)
}

func (r *recorder) all() []Progress {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Progress(nil), r.calls...)
}

// checkInstalled asserts the end state of a good download: the file, its .sha256, no part or sidecar.
func checkInstalled(t *testing.T, res Result, dest string, body []byte) {
	t.Helper()
	if res.Path != dest || res.Size != int64(len(body)) || res.SHA256 != sumHex(body) {
		t.Errorf("result = %+v, want path %s, size %d, sha256 %s", res, dest, len(body), sumHex(body))
	}
	got, err := os.ReadFile(dest)
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("dest: %d bytes (err %v), want the %d bytes served", len(got), err, len(body))
	}
	sum, err := os.ReadFile(dest + ".sha256")
	if want := sumHex(body) + "  talos.iso\n"; err != nil || string(sum) != want {
		t.Errorf(".sha256 = %q (err %v), want %q", sum, err, want)
	}
	if fi, err := os.Stat(dest + ".sha256"); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf(".sha256 mode: %v (err %v), want 0644", fi.Mode(), err)
	}
	for _, leftover := range []string{".part", ".part.json", ".sha256.tmp"} {
		if _, err := os.Stat(dest + leftover); !os.IsNotExist(err) {
			t.Errorf("%s left behind (stat err %v)", leftover, err)
		}
	}
}

// checkProgress asserts that Done never goes back within a phase and that the last call reports the
// whole file.
func checkProgress(t *testing.T, calls []Progress, size int64) {
	t.Helper()
	if len(calls) == 0 {
		t.Fatal("Progress never called")
	}
	for i := 1; i < len(calls); i++ {
		if calls[i].Verifying == calls[i-1].Verifying && calls[i].Done < calls[i-1].Done {
			t.Errorf("Done went back: call %d %d, call %d %d", i-1, calls[i-1].Done, i, calls[i].Done)
		}
	}
	last := calls[len(calls)-1]
	if last.Done != size || last.Total != size || last.ETA != 0 {
		t.Errorf("last progress = %+v, want Done == Total == %d, ETA 0", last, size)
	}
}

// cutFirst makes a first Get that the origin cuts after k bytes, and checks what it leaves.
func cutFirst(t *testing.T, o *origin, url, dest string, k int) {
	t.Helper()
	o.set(func(o *origin) { o.cutAt = k })
	_, err := Get(t.Context(), Request{URL: url, Dest: dest})
	var ne *NetError
	if !errors.As(err, &ne) || !ne.Broken || ne.Have != int64(k) || !ne.Resumable {
		t.Fatalf("cut Get: err = %#v, want a resumable *NetError with %d bytes", err, k)
	}
	if want := fmt.Sprintf("the download resumes from %d bytes", k); !strings.Contains(err.Error(), want) {
		t.Errorf("cut Get: %q does not say %q", err, want)
	}
	if fi, err := os.Stat(dest + ".part"); err != nil || fi.Size() != int64(k) {
		t.Fatalf(".part after the cut: %v (err %v), want %d bytes", fi, err, k)
	}
}

func TestGetPlain(t *testing.T) {
	o, srv := newOrigin(t, 1)
	o.set(func(o *origin) { o.delay = time.Millisecond }) // a few hundred ms in all, so that Progress is called several times
	dest := destIn(t)
	var rec recorder
	start := time.Now()
	res, err := Get(t.Context(), Request{URL: srv.URL + "/talos.iso", Dest: dest, Progress: rec.record})
	elapsed := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	checkInstalled(t, res, dest, o.body)
	if res.Resumed || res.AlreadyComplete {
		t.Errorf("result = %+v, want a plain download", res)
	}
	calls := rec.all()
	checkProgress(t, calls, int64(len(o.body)))
	if len(calls) < 3 {
		t.Errorf("Progress called %d times over %s, want several", len(calls), elapsed)
	}
	if max := int(elapsed/progressEvery) + 2; len(calls) > max {
		t.Errorf("Progress called %d times over %s, want at most %d", len(calls), elapsed, max)
	}
	for _, p := range calls {
		if p.Resumed || p.Verifying {
			t.Errorf("progress %+v: a fresh download is neither resumed nor verifying", p)
		}
	}
}

func TestGetResumesAfterCut(t *testing.T) {
	o, srv := newOrigin(t, 2)
	dest, url := destIn(t), srv.URL+"/talos.iso"
	k := 3<<20 + 777
	cutFirst(t, o, url, dest, k)

	var rec recorder
	res, err := Get(t.Context(), Request{URL: url, Dest: dest, Progress: rec.record})
	if err != nil {
		t.Fatal(err)
	}
	checkInstalled(t, res, dest, o.body)
	if !res.Resumed {
		t.Error("Result.Resumed = false after a resume")
	}
	gets, _, ranges, ifRanges := o.snapshot()
	if gets != 2 || ranges[1] != fmt.Sprintf("bytes=%d-", k) || ifRanges[1] != `"v1"` {
		t.Errorf("requests: %d GETs, Range %q, If-Range %q; want the second with Range bytes=%d- and If-Range \"v1\"",
			gets, ranges, ifRanges, k)
	}
	// First the kept bytes are hashed (Verifying), then the rest downloaded: Done rises throughout.
	calls := rec.all()
	checkProgress(t, calls, int64(len(o.body)))
	if first := calls[0]; !first.Verifying || !first.Resumed || first.Total != int64(len(o.body)) {
		t.Errorf("first progress %+v, want the kept part being verified against the whole size", first)
	}
	for i, p := range calls {
		if !p.Resumed || i > 0 && p.Done < calls[i-1].Done {
			t.Errorf("progress %d %+v: want Resumed, Done never going back", i, p)
		}
	}
}

// TestGetRestarts covers the answers that void a resume: the server ignoring Range, the remote file
// replaced (If-Range fails, and ServeContent sends the new file whole), and a 206 from another offset.
func TestGetRestarts(t *testing.T) {
	k := 2<<20 + 5
	resume := fmt.Sprintf("bytes=%d-", k)
	cases := []struct {
		name   string
		change func(o *origin) // after the cut
		// the Range header of each GET after the cut
		wantRanges []string
	}{
		{name: "server ignores Range", change: func(o *origin) { o.ignoreRange = true },
			wantRanges: []string{resume}},
		{name: "remote file changed", change: func(o *origin) { o.setBody(randomBody(40), "v2") },
			wantRanges: []string{resume}},
		{name: "206 from the wrong offset", change: func(o *origin) { o.wrongRange = true },
			wantRanges: []string{resume, ""}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o, srv := newOrigin(t, uint64(10+i))
			dest, url := destIn(t), srv.URL+"/talos.iso"
			cutFirst(t, o, url, dest, k)
			o.set(c.change)
			res, err := Get(t.Context(), Request{URL: url, Dest: dest})
			if err != nil {
				t.Fatal(err)
			}
			checkInstalled(t, res, dest, o.body)
			if res.Resumed {
				t.Error("Result.Resumed = true after a restart from zero")
			}
			if _, _, ranges, ifRanges := o.snapshot(); !slices.Equal(ranges[1:], c.wantRanges) || ifRanges[1] != `"v1"` {
				t.Errorf("after the cut: Range %q, If-Range %q; want Range %q, If-Range \"v1\"", ranges[1:], ifRanges[1:],
					c.wantRanges)
			}
		})
	}
}

// TestGetPartAlreadyWhole is a run cut between the last byte and the rename: the resume gets a 416.
func TestGetPartAlreadyWhole(t *testing.T) {
	cases := []struct {
		name      string
		extra     []byte // appended to the whole body in the part
		wantGets  int
		wantResum bool
	}{
		{name: "part holds the whole file", wantGets: 1, wantResum: true},
		{name: "part longer than the file", extra: []byte("junk"), wantGets: 2},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o, srv := newOrigin(t, uint64(20+i))
			dest, url := destIn(t), srv.URL+"/talos.iso"
			writePart(t, dest, append(bytes.Clone(o.body), c.extra...),
				partMeta{URL: url, ETag: `"v1"`, Size: int64(len(o.body))})
			res, err := Get(t.Context(), Request{URL: url, Dest: dest, ExpectSHA256: sumHex(o.body)})
			if err != nil {
				t.Fatal(err)
			}
			checkInstalled(t, res, dest, o.body)
			gets, _, ranges, _ := o.snapshot()
			if gets != c.wantGets || res.Resumed != c.wantResum {
				t.Errorf("%d GETs (Range %q), Resumed %v; want %d GETs, Resumed %v", gets, ranges, res.Resumed,
					c.wantGets, c.wantResum)
			}
		})
	}
}

func writePart(t *testing.T, dest string, b []byte, m partMeta) {
	t.Helper()
	js, _ := json.Marshal(m)
	if err := os.WriteFile(dest+".part", b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dest+".part.json", js, 0o644); err != nil {
		t.Fatal(err)
	}
}

// checkKeptPart asserts the state a checksum mismatch leaves: the whole part, no file under Dest.
func checkKeptPart(t *testing.T, err error, dest string, size int, from string) {
	t.Helper()
	var ce *ChecksumError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want a *ChecksumError", err)
	}
	if ce.Path != dest || ce.From != from {
		t.Errorf("ChecksumError = %+v, want Path %s, From %q", ce, dest, from)
	}
	for _, s := range []string{ce.Want, ce.Got, dest + ".part", "delete it to start over"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("%q does not say %q", err, s)
		}
	}
	if fi, err := os.Stat(dest + ".part"); err != nil || fi.Size() != int64(size) {
		t.Errorf(".part: %v (err %v), want kept with %d bytes", fi, err, size)
	}
	for _, absent := range []string{"", ".sha256"} {
		if _, err := os.Stat(dest + absent); !os.IsNotExist(err) {
			t.Errorf("talos.iso%s exists after a checksum mismatch (err %v)", absent, err)
		}
	}
}

func TestGetExpectMismatch(t *testing.T) {
	o, srv := newOrigin(t, 3)
	dest := destIn(t)
	pinned := sumHex([]byte("another ISO"))
	_, err := Get(t.Context(), Request{URL: srv.URL + "/talos.iso", Dest: dest, ExpectSHA256: pinned})
	checkKeptPart(t, err, dest, len(o.body), "the pinned digest")
	if ce := err.(*ChecksumError); ce.Want != pinned || ce.Got != sumHex(o.body) {
		t.Errorf("ChecksumError = %+v, want Want the pin, Got the body's digest", ce)
	}
}

func TestGetServerDigest(t *testing.T) {
	b64 := func(b []byte) string { s := sha256.Sum256(b); return base64.StdEncoding.EncodeToString(s[:]) }
	cases := []struct {
		name, header string
		value        func(body []byte) string
		wantErr      bool
	}{
		{"Repr-Digest right", "Repr-Digest", func(b []byte) string { return "sha-256=:" + b64(b) + ":" }, false},
		{"Repr-Digest among others", "Repr-Digest", func(b []byte) string {
			return "sha-512=:AAAA:, sha-256=:" + b64(b) + ":"
		}, false},
		{"Repr-Digest wrong", "Repr-Digest", func(b []byte) string { return "sha-256=:" + b64(b[1:]) + ":" }, true},
		{"legacy Digest right", "Digest", func(b []byte) string { return "SHA-256=" + b64(b) }, false},
		{"legacy Digest wrong", "Digest", func(b []byte) string { return "md5=abc, sha-256=" + b64(nil) }, true},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o, srv := newOrigin(t, uint64(30+i))
			o.set(func(o *origin) { o.header.Set(c.header, c.value(o.body)) })
			dest := destIn(t)
			res, err := Get(t.Context(), Request{URL: srv.URL + "/talos.iso", Dest: dest})
			if c.wantErr {
				checkKeptPart(t, err, dest, len(o.body), "the server's digest")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkInstalled(t, res, dest, o.body)
		})
	}
}

func TestGetAlreadyComplete(t *testing.T) {
	cases := []struct {
		name string
		pin  bool
		// between the two Gets
		change    func(t *testing.T, o *origin, dest string)
		wantGets  int
		wantHeads int
		wantDone  bool
	}{
		{name: "unpinned: one HEAD, no GET", wantGets: 1, wantHeads: 1, wantDone: true},
		{name: "pinned: no request at all", pin: true, wantGets: 1, wantDone: true},
		{name: "damaged file: downloaded again", pin: true, wantGets: 2, change: func(t *testing.T, o *origin, dest string) {
			b, _ := os.ReadFile(dest)
			b[len(b)/2] ^= 0xff
			os.WriteFile(dest, b, 0o644)
		}},
		{name: "remote replaced: downloaded again", wantGets: 2, wantHeads: 1, change: func(t *testing.T, o *origin, dest string) {
			o.set(func(o *origin) { o.setBody(randomBody(99), "v2") })
		}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o, srv := newOrigin(t, uint64(50+i))
			dest, url := destIn(t), srv.URL+"/talos.iso"
			req := Request{URL: url, Dest: dest}
			if c.pin {
				req.ExpectSHA256 = sumHex(o.body)
			}
			if _, err := Get(t.Context(), req); err != nil {
				t.Fatal(err)
			}
			if c.change != nil {
				c.change(t, o, dest)
			}
			var rec recorder
			req.Progress = rec.record
			res, err := Get(t.Context(), req)
			if err != nil {
				t.Fatal(err)
			}
			checkInstalled(t, res, dest, o.body)
			gets, heads, _, _ := o.snapshot()
			if gets != c.wantGets || heads != c.wantHeads || res.AlreadyComplete != c.wantDone {
				t.Errorf("%d GETs, %d HEADs, AlreadyComplete %v; want %d, %d, %v",
					gets, heads, res.AlreadyComplete, c.wantGets, c.wantHeads, c.wantDone)
			}
			calls := rec.all()
			checkProgress(t, calls, int64(len(o.body)))
			if c.wantDone && !calls[0].Verifying {
				t.Errorf("the re-check's progress %+v does not say Verifying", calls[0])
			}
		})
	}
}

func TestGetPinChanged(t *testing.T) {
	o, srv := newOrigin(t, 4)
	dest, url := destIn(t), srv.URL+"/talos.iso"
	if _, err := Get(t.Context(), Request{URL: url, Dest: dest}); err != nil {
		t.Fatal(err)
	}
	// The preset now pins another image: the file on disk is not it, whatever its .sha256 says.
	_, err := Get(t.Context(), Request{URL: url, Dest: dest, ExpectSHA256: strings.Repeat("ab", 32)})
	var ce *ChecksumError
	if gets, _, _, _ := o.snapshot(); gets != 2 || !errors.As(err, &ce) {
		t.Errorf("%d GETs, err %v; want a second download failing with a *ChecksumError", gets, err)
	}
}

func TestGetErrors(t *testing.T) {
	status := func(code int) *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, http.StatusText(code), code)
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	host := strings.TrimPrefix(closed.URL, "http://")

	cases := []struct {
		name  string
		url   string
		setup func(t *testing.T, dest string) string // returns the URL, when it depends on a first Get
		want  []string
		as    any
	}{
		{name: "404", url: status(404).URL + "/image/abc/v1.11.5/metal-amd64.iso", as: new(*HTTPError),
			want: []string{"404 Not Found", "/image/abc/v1.11.5/metal-amd64.iso",
				"the image factory has no such image: check the Talos version and schematic"}},
		{name: "500", url: status(500).URL + "/x.iso", as: new(*HTTPError),
			want: []string{"500 Internal Server Error", "/x.iso", "retry later"}},
		{name: "connection refused", url: closed.URL + "/talos.iso", as: new(*NetError),
			want: []string{"cannot reach " + host + ": connect: connection refused; nothing was downloaded yet"}},
		{name: "connection refused with a part", as: new(*NetError), setup: func(t *testing.T, dest string) string {
			o, srv := newOrigin(t, 5)
			cutFirst(t, o, srv.URL+"/talos.iso", dest, 1234567)
			srv.Close()
			return srv.URL + "/talos.iso"
		}, want: []string{"cannot reach 127.0.0.1:", "the download resumes from 1234567 bytes (1.2 MiB) when you retry"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dest, url := destIn(t), c.url
			if c.setup != nil {
				url = c.setup(t, dest)
			}
			_, err := Get(t.Context(), Request{URL: url, Dest: dest})
			if err == nil || !errors.As(err, c.as) {
				t.Fatalf("err = %#v, want a %T", err, c.as)
			}
			for _, s := range c.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("%q does not say %q", err, s)
				}
			}
			if _, err := os.Stat(dest); !os.IsNotExist(err) {
				t.Errorf("dest exists after a failure (err %v)", err)
			}
		})
	}
}

func TestGetCancelKeepsPart(t *testing.T) {
	o, srv := newOrigin(t, 6)
	o.set(func(o *origin) { o.delay = time.Millisecond })
	dest, url := destIn(t), srv.URL+"/talos.iso"
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	_, err := Get(ctx, Request{URL: url, Dest: dest, Progress: func(p Progress) {
		if p.Done >= 1<<20 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "the download resumes from") {
		t.Fatalf("err = %v, want context.Canceled saying the download resumes", err)
	}
	fi, err := os.Stat(dest + ".part")
	if err != nil || fi.Size() < 1<<20 || fi.Size() >= int64(len(o.body)) {
		t.Fatalf(".part after cancel: %v (err %v), want kept with part of the file", fi, err)
	}

	o.set(func(o *origin) { o.delay = 0 })
	res, err := Get(t.Context(), Request{URL: url, Dest: dest})
	if err != nil {
		t.Fatal(err)
	}
	checkInstalled(t, res, dest, o.body)
	if _, _, ranges, _ := o.snapshot(); !res.Resumed || ranges[1] != fmt.Sprintf("bytes=%d-", fi.Size()) {
		t.Errorf("Resumed %v, Range %q; want a resume from %d", res.Resumed, ranges, fi.Size())
	}
}

// TestGetStall is a connection that stays open but carries nothing: the watchdog gives up, keeping the part.
func TestGetStall(t *testing.T) {
	body := randomBody(7)
	half := len(body) / 2
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		w.Write(body[:half])
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	defer srv.Close()
	dest := destIn(t)
	_, err := Get(t.Context(), Request{URL: srv.URL + "/talos.iso", Dest: dest, StallTimeout: 200 * time.Millisecond})
	var ne *NetError
	if !errors.As(err, &ne) || ne.Have != int64(half) || !strings.Contains(err.Error(), "no data received for 200ms") {
		t.Fatalf("err = %v, want a *NetError after %d bytes saying no data came", err, half)
	}
	if fi, err := os.Stat(dest + ".part"); err != nil || fi.Size() != int64(half) {
		t.Errorf(".part: %v (err %v), want %d bytes kept", fi, err, half)
	}
}

func TestGetDiskFull(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full on this system")
	}
	_, srv := newOrigin(t, 8)
	dest := destIn(t)
	// Writes to /dev/full fail with ENOSPC, as on a full disk.
	if err := os.Symlink("/dev/full", dest+".part"); err != nil {
		t.Fatal(err)
	}
	_, err := Get(t.Context(), Request{URL: srv.URL + "/talos.iso", Dest: dest})
	var fe *FileError
	if !errors.As(err, &fe) || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("err = %v, want a *FileError wrapping ENOSPC", err)
	}
	want := "cannot write " + dest + ".part: no space left on device; free some space"
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("%q does not start with %q", err, want)
	}
}

func TestGetPermissionDenied(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root is not refused")
	}
	_, srv := newOrigin(t, 9)
	dir := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(dir, "talos.iso")
	_, err := Get(t.Context(), Request{URL: srv.URL + "/talos.iso", Dest: dest})
	if !errors.Is(err, os.ErrPermission) || !strings.Contains(err.Error(), dest+".part") ||
		!strings.Contains(err.Error(), "check the directory's permissions") {
		t.Errorf("err = %v, want a permission error naming %s.part", err, dest)
	}
}

func TestGetBadRequest(t *testing.T) {
	cases := []struct {
		name string
		req  Request
		want string
	}{
		{"no URL", Request{Dest: "x.iso"}, "is not an http(s) URL"},
		{"ftp URL", Request{URL: "ftp://factory/x.iso", Dest: "x.iso"}, "is not an http(s) URL"},
		{"no destination", Request{URL: "https://factory.talos.dev/x.iso"}, "no destination file"},
		{"bad pin", Request{URL: "https://factory.talos.dev/x.iso", Dest: "x.iso", ExpectSHA256: "abc"}, "not 64 hex digits"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := Get(t.Context(), c.req); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want it to say %q", err, c.want)
			}
		})
	}
}
