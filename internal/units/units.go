// Package units formats byte counts for people, in one convention everywhere: IEC binary units (KiB,
// MiB, GiB, TiB), as Kubernetes quantities and the console's node and storage pages use. A disk the
// vendor labels "240 GB" is 223.6 GiB on every screen, the wizard's included.
package units

import "fmt"

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
