package units

import "testing"

func TestUnits(t *testing.T) {
	cases := []struct {
		n        uint64
		dec, bin string
	}{
		{0, "0 B", "0 B"},
		{999, "999 B", "999 B"},
		{1000, "1.0 kB", "1000 B"},
		{1024, "1.0 kB", "1.0 KiB"},
		{999_949, "999.9 kB", "976.5 KiB"},
		{999_950, "1.0 MB", "976.5 KiB"},
		{16_008_609_792, "16.0 GB", "14.9 GiB"},
		{250_059_350_016, "250.1 GB", "232.9 GiB"},
		{3_000_592_982_016, "3.0 TB", "2.7 TiB"},
		{1<<40 - 1, "1.1 TB", "1.0 TiB"},
	}
	for _, c := range cases {
		if got := Decimal(c.n); got != c.dec {
			t.Errorf("Decimal(%d) = %q, want %q", c.n, got, c.dec)
		}
		if got := Binary(c.n); got != c.bin {
			t.Errorf("Binary(%d) = %q, want %q", c.n, got, c.bin)
		}
	}
}
