package units

import "testing"

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
