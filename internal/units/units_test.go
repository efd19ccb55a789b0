package units

import (
	"testing"
	"time"
)

func TestBinary(t *testing.T) {
	cases := []struct {
		n    uint64
		want string
	}{
		{0, "0 B"},
		{999, "999 B"},
		{1023, "1023 B"},
		{1024, "1.0 KiB"},
		{999_950, "976.5 KiB"},
		{1<<20 - 1, "1.0 MiB"}, // 1023.999 KiB would print as "1024.0 KiB"
		{16_008_609_792, "14.9 GiB"},
		{240_057_409_536, "223.6 GiB"}, // the demo's Kingston SSD: the wizard and the console say the same
		{250_059_350_016, "232.9 GiB"},
		{3_000_592_982_016, "2.7 TiB"},
		{1<<40 - 1, "1.0 TiB"},
		{1 << 60, "1.0 EiB"},
	}
	for _, c := range cases {
		if got := Binary(c.n); got != c.want {
			t.Errorf("Binary(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}

func TestMiB(t *testing.T) {
	for _, c := range []struct {
		n    uint64
		want string
	}{{0, "0 B"}, {1, "1.0 MiB"}, {16_000, "15.6 GiB"}, {65_536, "64.0 GiB"}} {
		if got := MiB(c.n); got != c.want {
			t.Errorf("MiB(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}

func TestDuration(t *testing.T) {
	const day = 24 * time.Hour
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{-time.Hour, "0s"},
		{0, "0s"},
		{999 * time.Millisecond, "0s"},
		{45 * time.Second, "45s"},
		{59*time.Second + 999*time.Millisecond, "59s"},
		{time.Minute, "1m"},
		{3*time.Minute + 12*time.Second, "3m12s"},
		{3*time.Minute + 12*time.Second + 900*time.Millisecond, "3m12s"},
		{9*time.Minute + 59*time.Second, "9m59s"},
		{10*time.Minute + 59*time.Second, "10m"},
		{59*time.Minute + 59*time.Second, "59m"},
		{time.Hour + 30*time.Second, "1h"},
		{3*time.Hour + 5*time.Minute + 59*time.Second, "3h5m"},
		{9*time.Hour + 59*time.Minute, "9h59m"},
		{19*time.Hour + 57*time.Minute, "19h"},
		{day, "1d"},
		{2*day + 4*time.Hour + 59*time.Minute, "2d4h"},
		{9*day + 23*time.Hour, "9d23h"},
		{38*day + 5*time.Hour, "38d"},
		{364*day + 23*time.Hour, "364d"},
		{Year, "1y"},
		{Year + 35*day + 5*time.Hour, "1y35d"},
		{3*Year + 38*day, "3y38d"},
		{10*Year + 38*day, "10y"},
	} {
		if got := Duration(c.d); got != c.want {
			t.Errorf("Duration(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}

func TestCount(t *testing.T) {
	for n, want := range map[int]string{0: "0 disks", 1: "1 disk", 6: "6 disks"} {
		if got := Count(n, "disk"); got != want {
			t.Errorf("Count(%d) = %q, want %q", n, got, want)
		}
	}
}
