// Package units formats quantities for people, in one convention everywhere. Bytes are in IEC binary
// units (KiB, MiB, GiB, TiB), as Kubernetes quantities and the console's node and storage pages use: a
// disk the vendor labels "240 GB" is 223.6 GiB on every screen, the wizard's included. Durations (ages,
// ETAs) are their most significant unit, with the next one while the first is a single digit: 45s,
// 3m12s, 12m, 3h5m, 19h, 2d4h, 38d.
package units

import (
	"fmt"
	"time"
)

// Binary writes n in binary units with one decimal: "512 B", "223.6 GiB", "2.7 TiB".
func Binary(n uint64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	names := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	v := float64(n) / 1024
	i := 0
	for v >= 1023.95 && i < len(names)-1 { // 1023.95 would print as "1024.0"
		v /= 1024
		i++
	}
	return fmt.Sprintf("%.1f %s", v, names[i])
}

// MiB writes a size given in mebibytes (as Omni reports memory) like Binary: "15.6 GiB".
func MiB(n uint64) string { return Binary(n << 20) }

// Year is a Duration's largest unit: 365 days.
const Year = 365 * 24 * time.Hour

// Duration writes d, truncated to the second, in its most significant unit and, while that one is a
// single digit, the next (left out when zero): "0s", "45s", "3m12s", "3m", "12m", "3h5m", "19h", "2d4h",
// "38d", "3y38d", "12y". Precision goes where it matters and the text stays within five cells below ten
// years, so it fits a table's AGE column. Ages, ETAs and lifetimes all read so; a negative duration is
// "0s".
func Duration(d time.Duration) string {
	steps := []struct {
		unit time.Duration
		name string
	}{{Year, "y"}, {24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}}
	for i, s := range steps[:len(steps)-1] {
		if d < s.unit {
			continue
		}
		out := fmt.Sprintf("%d%s", d/s.unit, s.name)
		next := steps[i+1]
		if n := d % s.unit / next.unit; n > 0 && d < 10*s.unit {
			out += fmt.Sprintf("%d%s", n, next.name)
		}
		return out
	}
	return fmt.Sprintf("%ds", max(d, 0)/time.Second)
}

// Count writes n things, what being the singular of a noun whose plural takes an s: "1 disk", "6 disks",
// "0 problems".
func Count(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
