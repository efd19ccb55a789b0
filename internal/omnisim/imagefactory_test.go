package omnisim

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestImageFactory(t *testing.T) {
	t.Parallel()

	schematic, err := Schematic{}.ID()
	if err != nil {
		t.Fatal(err)
	}

	f, err := NewImageFactory("https://factory.test.invalid")
	if err != nil {
		t.Fatal(err)
	}

	f.Size, f.Rate = 1<<20, -1
	f.Known = func(id string) bool { return id == schematic }
	c := &http.Client{Transport: f}
	path := "/image/" + schematic + "/v1.8.0/metal-amd64.iso"
	u := "https://factory.test.invalid" + path

	get := func(t *testing.T, method string, h map[string]string) (*http.Response, []byte) {
		t.Helper()

		req, _ := http.NewRequest(method, u, nil)
		for k, v := range h {
			req.Header.Set(k, v)
		}

		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()

		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}

		return resp, b
	}

	resp, body := get(t, http.MethodGet, nil)
	if resp.StatusCode != 200 || len(body) != 1<<20 || resp.ContentLength != 1<<20 {
		t.Fatalf("GET: %s, %d bytes, Content-Length %d", resp.Status, len(body), resp.ContentLength)
	}

	sum := sha256.Sum256(body)
	if want := "sha-256=:" + base64.StdEncoding.EncodeToString(sum[:]) + ":"; resp.Header.Get("Repr-Digest") != want {
		t.Errorf("Repr-Digest %q, want %q", resp.Header.Get("Repr-Digest"), want)
	}

	if f.ImageSHA256(path) == "" || !bytes.Equal(body[16*2048+1:16*2048+6], []byte("CD001")) {
		t.Error("the image has no digest or no ISO 9660 volume descriptor")
	}

	_, again := get(t, http.MethodGet, nil)
	if !bytes.Equal(body, again) {
		t.Error("the same path served different bytes")
	}

	etag := resp.Header.Get("ETag")
	if etag == "" || resp.Header.Get("Last-Modified") == "" {
		t.Fatalf("no validators: %v", resp.Header)
	}

	resp, part := get(t, http.MethodGet, map[string]string{"Range": "bytes=1000-", "If-Range": etag})
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(part, body[1000:]) ||
		!strings.HasPrefix(resp.Header.Get("Content-Range"), "bytes 1000-") {
		t.Errorf("Range: %s %q, %d bytes", resp.Status, resp.Header.Get("Content-Range"), len(part))
	}

	resp, whole := get(t, http.MethodGet, map[string]string{"Range": "bytes=1000-", "If-Range": `"other"`})
	if resp.StatusCode != 200 || len(whole) != len(body) {
		t.Errorf("a stale If-Range must get the whole file: %s, %d bytes", resp.Status, len(whole))
	}

	resp, none := get(t, http.MethodHead, nil)
	if resp.StatusCode != 200 || resp.ContentLength != 1<<20 || len(none) != 0 {
		t.Errorf("HEAD: %s, Content-Length %d, %d bytes", resp.Status, resp.ContentLength, len(none))
	}

	if f.Gets() != 4 {
		t.Errorf("%d GETs counted, want 4", f.Gets())
	}

	for _, bad := range []string{
		"/image/" + strings.Repeat("0", 64) + "/v1.8.0/metal-amd64.iso", // a schematic nobody created
		"/image/" + schematic + "/v1.8.0/metal-riscv.iso",
		"/image/" + schematic + "/1.8.0/metal-amd64.iso",
		"/pxe/" + schematic,
	} {
		resp, err := c.Get("https://factory.test.invalid" + bad)
		if err != nil {
			t.Fatal(err)
		}

		resp.Body.Close()

		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %s, want 404", bad, resp.Status)
		}
	}

	if _, err := c.Get("https://elsewhere.invalid" + path); err == nil || !strings.Contains(err.Error(), "no such host") {
		t.Errorf("another host: %v, want no such host", err)
	}
}

func TestImageFactoryThrottlesAndCancels(t *testing.T) {
	t.Parallel()

	schematic, _ := Schematic{}.ID()
	f := &ImageFactory{Size: 1 << 20, Rate: 4 << 20}
	c := &http.Client{Transport: f}
	u := "https://any.invalid/image/" + schematic + "/v1.8.0/metal-amd64.iso"

	start := time.Now()

	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}

	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()

	if err != nil || n != 1<<20 {
		t.Fatalf("%d bytes, %v", n, err)
	}

	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("1 MiB at 4 MiB/s took %s, want about 250ms", d)
	}

	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)

	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}

	buf := make([]byte, 1024)
	if _, err := io.ReadFull(resp.Body, buf); err != nil {
		t.Fatal(err)
	}

	cancel()

	if _, err := io.Copy(io.Discard, resp.Body); !errors.Is(err, context.Canceled) {
		t.Errorf("after cancel the body ends with %v, want context.Canceled", err)
	}

	resp.Body.Close()
}
