package download

import (
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestFormatProgress(t *testing.T) {
	const mib = 1 << 20
	mid := Progress{Done: 1832 * mib / 10, Total: 300 * mib, Rate: 12.4 * mib, ETA: 9 * time.Second}
	text := "61% 183.2 MiB/300.0 MiB 12.4 MiB/s ETA 9s"
	bar := func(filled, n int) string {
		return "[" + strings.Repeat("█", filled) + strings.Repeat("░", n-filled) + "] "
	}
	cases := []struct {
		name  string
		p     Progress
		width int
		want  string
	}{
		{"80: bar at its widest", mid, 80, bar(18, 30) + text},
		{"50: the bar takes what is left", mid, 50, bar(3, 6) + text},
		{"41: no room for a bar", mid, 41, text},
		{"40: rate dropped", mid, 40, "61% 183.2 MiB/300.0 MiB ETA 9s"},
		{"30: rate dropped", mid, 30, "61% 183.2 MiB/300.0 MiB ETA 9s"},
		{"20: total dropped", mid, 20, "61% 183.2 MiB ETA 9s"},
		{"10: size dropped", mid, 10, "61% ETA 9s"},
		{"3: the percentage alone", mid, 3, "61%"},
		{"2: cut", mid, 2, "61"},
		{"0: nothing", mid, 0, ""},
		{"unknown total", Progress{Done: 1832 * mib / 10, Total: -1, Rate: 12.4 * mib, ETA: -1}, 80, "183.2 MiB 12.4 MiB/s"},
		{"unknown total, narrow", Progress{Done: 1832 * mib / 10, Total: -1, Rate: 12.4 * mib, ETA: -1}, 12, "183.2 MiB"},
		{"start: no rate, no ETA", Progress{Total: 300 * mib, ETA: -1}, 40, bar(0, 21) + "0% 0 B/300.0 MiB"},
		{"done", Progress{Done: 300 * mib, Total: 300 * mib, Rate: 12.4 * mib}, 80,
			bar(30, 30) + "100% 300.0 MiB/300.0 MiB 12.4 MiB/s ETA 0s"},
		{"empty file", Progress{Total: 0}, 20, "100% 0 B/0 B ETA 0s"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := FormatProgress(c.p, c.width)
			if got != c.want {
				t.Errorf("FormatProgress(%+v, %d)\n got %q\nwant %q", c.p, c.width, got, c.want)
			}
			if n := utf8.RuneCountInString(got); n > max(c.width, 0) {
				t.Errorf("%d cells in a width of %d", n, c.width)
			}
		})
	}
}

// fakeClock is advanced by the test; the meter reads it.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func TestMeter(t *testing.T) {
	clock := &fakeClock{t: time.Date(2025, 8, 13, 10, 0, 0, 0, time.UTC)}
	var calls []Progress
	var at []time.Time
	m := newMeter(func(p Progress) { calls, at = append(calls, p), append(at, clock.t) }, clock.now)

	// 10 MB at a steady 10 MB/s, read 100 kB every 10 ms.
	m.begin(0, 10_000_000, false, false)
	for range 100 {
		clock.t = clock.t.Add(10 * time.Millisecond)
		m.add(100_000)
	}
	m.end()

	if len(calls) < 10 || len(calls) > 12 {
		t.Errorf("%d calls over 1 s, want about 10 plus the last", len(calls))
	}
	for i := 1; i < len(at)-1; i++ {
		if d := at[i].Sub(at[i-1]); d < progressEvery {
			t.Errorf("calls %d and %d only %s apart", i-1, i, d)
		}
	}
	if first := calls[0]; first.Rate != 0 || first.ETA != -1 {
		t.Errorf("first call %+v: nothing measured yet, want Rate 0 and ETA -1", first)
	}
	for _, p := range calls[1:] {
		if math.Abs(p.Rate-10e6) > 1e4 {
			t.Errorf("%+v: rate %.0f, want 10 MB/s", p, p.Rate)
		}
		if want := time.Duration(float64(p.Total-p.Done) / 10e6 * float64(time.Second)); (p.ETA - want).Abs() > 10*time.Millisecond {
			t.Errorf("%+v: ETA %s, want %s", p, p.ETA, want)
		}
	}
	if last := calls[len(calls)-1]; last.Done != 10_000_000 || last.Total != 10_000_000 || last.ETA != 0 {
		t.Errorf("last call %+v, want everything done", last)
	}

	// The link drops to 1 MB/s: the smoothed rate falls towards it without jumping there.
	calls = nil
	m.begin(0, -1, true, false)
	for range 20 {
		clock.t = clock.t.Add(100 * time.Millisecond)
		m.add(1_000_000)
	}
	for range 5 {
		clock.t = clock.t.Add(100 * time.Millisecond)
		m.add(100_000)
	}
	if r := calls[len(calls)-1].Rate; r < 1.5e6 || r > 9e6 {
		t.Errorf("rate 0.5 s after a drop from 10 to 1 MB/s: %.0f, want between", r)
	}
	for _, p := range calls {
		if p.ETA != -1 || !p.Resumed {
			t.Errorf("%+v: with no total the ETA is unknown; resumed stays set", p)
		}
	}
	m.end()
	if last := calls[len(calls)-1]; last.Total != last.Done {
		t.Errorf("last call %+v: an unknown total becomes the size", last)
	}

	newMeter(nil, nil).add(1) // no callback: nothing to do, not even reading the clock
}

func TestParseContentRange(t *testing.T) {
	cases := []struct {
		in           string
		start, total int64
		ok           bool
	}{
		{"bytes 100-199/1000", 100, 1000, true},
		{"bytes 0-0/*", 0, -1, true},
		{"bytes */1000", -1, 1000, true},
		{"", 0, 0, false},
		{"items 0-1/2", 0, 0, false},
		{"bytes 100-199", 0, 0, false},
		{"bytes x-199/1000", 0, 0, false},
		{"bytes 1-2/-5", 0, 0, false},
	}
	for _, c := range cases {
		start, total, ok := parseContentRange(c.in)
		if start != c.start || total != c.total || ok != c.ok {
			t.Errorf("parseContentRange(%q) = %d, %d, %v; want %d, %d, %v", c.in, start, total, ok, c.start, c.total, c.ok)
		}
	}
}

func TestServerDigest(t *testing.T) {
	// sha256("") in base64 and hex.
	const b64 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
	const hx = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	cases := []struct {
		name   string
		header http.Header
		want   string
	}{
		{"Repr-Digest", http.Header{"Repr-Digest": {"sha-256=:" + b64 + ":"}}, hx},
		{"Repr-Digest with parameters and others", http.Header{"Repr-Digest": {"sha-512=:AAAA:, sha-256=:" + b64 + ":;x=1"}}, hx},
		{"Repr-Digest without colons is malformed", http.Header{"Repr-Digest": {"sha-256=" + b64}}, ""},
		{"legacy Digest", http.Header{"Digest": {"SHA-256=" + b64}}, hx},
		{"Repr-Digest first", http.Header{"Repr-Digest": {"sha-256=:" + b64 + ":"}, "Digest": {"SHA-256=AAAA"}}, hx},
		{"truncated digest", http.Header{"Digest": {"SHA-256=AAAA"}}, ""},
		{"other algorithms only", http.Header{"Repr-Digest": {"sha-512=:AAAA:"}}, ""},
		{"Content-Digest is not used", http.Header{"Content-Digest": {"sha-256=:" + b64 + ":"}}, ""},
		{"none", http.Header{}, ""},
	}
	for _, c := range cases {
		if got := serverDigest(c.header); got != c.want {
			t.Errorf("%s: serverDigest = %q, want %q", c.name, got, c.want)
		}
	}
}

func TestReadSumFile(t *testing.T) {
	sum := strings.Repeat("0f", 32)
	cases := []struct {
		name, content string
		ok            bool
	}{
		{"sha256sum text mode", sum + "  talos.iso\n", true},
		{"sha256sum binary mode", sum + " *talos.iso\n", true},
		{"no newline", sum + "  talos.iso", true},
		{"upper-case hex", strings.ToUpper(sum) + "  talos.iso\n", true},
		{"another file", sum + "  other.iso\n", false},
		{"short digest", sum[2:] + "  talos.iso\n", false},
		{"one space", sum + " talos.iso\n", false},
		{"empty", "", false},
	}
	dir := t.TempDir()
	for _, c := range cases {
		path := filepath.Join(dir, "talos.iso.sha256")
		if err := os.WriteFile(path, []byte(c.content), 0o644); err != nil {
			t.Fatal(err)
		}
		got, ok := readSumFile(path, "talos.iso")
		if ok != c.ok || ok && got != sum {
			t.Errorf("%s: readSumFile = %q, %v; want ok %v", c.name, got, ok, c.ok)
		}
	}
	if _, ok := readSumFile(filepath.Join(dir, "missing"), "talos.iso"); ok {
		t.Error("a missing .sha256 vouches for nothing")
	}
}
