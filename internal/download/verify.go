package download

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// finish checks the digests, then makes the file durable under its final name. On a mismatch the part and
// its sidecar stay as they are: the next call finds the same bytes and says the same thing, rather than
// silently downloading again over what the operator may want to inspect.
func (d *downloader) finish(p *part) (Result, error) {
	got := hex.EncodeToString(p.h.Sum(nil))
	if d.expect != "" && got != d.expect {
		return Result{}, &ChecksumError{Want: d.expect, Got: got, From: "the pinned digest", Path: d.dest}
	}
	if p.meta.SHA256 != "" && got != p.meta.SHA256 {
		return Result{}, &ChecksumError{Want: p.meta.SHA256, Got: got, From: "the server's digest", Path: d.dest}
	}
	if err := p.f.Sync(); err != nil {
		return Result{}, &FileError{Op: "write", Path: p.path, Err: err}
	}
	if err := p.f.Close(); err != nil {
		return Result{}, &FileError{Op: "write", Path: p.path, Err: err}
	}
	p.f = nil
	if err := os.Rename(p.path, d.dest); err != nil {
		return Result{}, &FileError{Op: "rename", Path: d.dest, Err: err}
	}
	syncDir(filepath.Dir(d.dest))
	os.Remove(p.metaPath) // a sidecar without its part is ignored, so failing here is harmless
	if err := writeSumFile(d.sumPath(), got, filepath.Base(d.dest)); err != nil {
		return Result{}, err
	}
	d.meter.end()
	return Result{Path: d.dest, Size: p.size, SHA256: got, Resumed: p.resumed}, nil
}

// alreadyComplete recognises a finished earlier download: Dest with a .sha256 naming it, the pinned
// digest (if any) the same, and Dest's bytes hashing to it. Without a pin, a HEAD also checks that the
// server still serves a file of that size and digest; when the server cannot say, the local digest
// stands. The re-hash costs a second or two and catches a file damaged since, which would otherwise
// only show as a machine failing to boot.
func (d *downloader) alreadyComplete(ctx context.Context) (Result, bool, error) {
	sum, ok := readSumFile(d.sumPath(), filepath.Base(d.dest))
	if !ok || d.expect != "" && sum != d.expect {
		return Result{}, false, nil
	}
	fi, err := os.Stat(d.dest)
	if err != nil || !fi.Mode().IsRegular() {
		return Result{}, false, nil
	}
	if d.expect == "" {
		if r, ok := d.head(ctx); ok && (r.size != fi.Size() || r.sha256 != "" && r.sha256 != sum) {
			return Result{}, false, nil
		}
	}
	got, err := d.hashFile(ctx, d.dest, fi.Size())
	if err != nil || got != sum {
		// An unreadable or damaged file is downloaded again; only the caller's cancellation is an error.
		if ctx.Err() != nil {
			return Result{}, false, fmt.Errorf("re-checking %s stopped: %w", d.dest, ctx.Err())
		}
		return Result{}, false, nil
	}
	d.meter.end()
	return Result{Path: d.dest, Size: fi.Size(), SHA256: got, AlreadyComplete: true}, true, nil
}

// hashFile reads a file back with progress (Verifying) and returns its hex SHA-256.
func (d *downloader) hashFile(ctx context.Context, path string, size int64) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	d.meter.begin(0, size, false, true)
	if _, err := io.Copy(h, &ctxReader{ctx: ctx, r: f, m: d.meter}); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// serverDigest is the SHA-256 the server states for the whole file, in hex, from Repr-Digest (RFC 9530)
// or the older Digest (RFC 3230); "" when it states none or states it malformed. Content-Digest is not
// used: on a 206 it covers only the range sent.
func serverDigest(h http.Header) string {
	for _, v := range h.Values("Repr-Digest") {
		if s := digestMember(v, true); s != "" {
			return s
		}
	}
	for _, v := range h.Values("Digest") {
		if s := digestMember(v, false); s != "" {
			return s
		}
	}
	return ""
}

// digestMember finds the sha-256 member of a digest header: `sha-256=:BASE64:` in a structured-field
// dictionary (colons: a byte sequence), or the legacy `SHA-256=BASE64`.
func digestMember(v string, structured bool) string {
	for _, member := range strings.Split(v, ",") {
		alg, val, ok := strings.Cut(strings.TrimSpace(member), "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(alg), "sha-256") {
			continue
		}
		val, _, _ = strings.Cut(strings.TrimSpace(val), ";") // structured-field parameters
		if structured {
			if len(val) < 2 || val[0] != ':' || val[len(val)-1] != ':' {
				continue
			}
			val = val[1 : len(val)-1]
		}
		b, err := base64.StdEncoding.DecodeString(val)
		if err == nil && len(b) == sha256.Size {
			return hex.EncodeToString(b)
		}
	}
	return ""
}

// readSumFile reads a one-file sha256sum listing and returns its digest if it names name. The binary-mode
// marker ("*name") is accepted, as sha256sum -b writes it.
func readSumFile(path, name string) (string, bool) {
	f, err := os.Open(path)
	if err != nil {
		return "", false
	}
	defer f.Close()
	line, err := bufio.NewReader(io.LimitReader(f, 4096)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", false
	}
	sum, rest, ok := strings.Cut(strings.TrimRight(line, "\r\n"), " ")
	sum = strings.ToLower(sum)
	if !ok || !isHexSHA256(sum) || len(rest) < 2 || (rest[0] != ' ' && rest[0] != '*') || rest[1:] != name {
		return "", false
	}
	return sum, true
}

// writeSumFile writes "<hex>  <name>\n", which `sha256sum -c` checks, through a temporary file so that a
// crash never leaves a truncated listing that would fail a good ISO.
func writeSumFile(path, sum, name string) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(sum+"  "+name+"\n"), 0o644); err != nil {
		return &FileError{Op: "write", Path: tmp, Err: err}
	}
	if err := os.Chmod(tmp, 0o644); err != nil { // whatever the umask: other tools read it
		return &FileError{Op: "write", Path: tmp, Err: err}
	}
	if err := os.Rename(tmp, path); err != nil {
		return &FileError{Op: "rename", Path: path, Err: err}
	}
	return nil
}

// syncDir makes a rename durable. It is best effort: not every platform can sync a directory, and the
// file itself is already synced.
func syncDir(dir string) {
	if f, err := os.Open(dir); err == nil {
		f.Sync()
		f.Close()
	}
}

func isHexSHA256(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}
