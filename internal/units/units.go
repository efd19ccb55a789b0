// Package units formats byte counts for people: decimal units the way disk vendors and downloads label
// sizes, binary units the way memory and filesystems do.
package units

import "fmt"

// Decimal writes n in decimal units with one decimal: "512 B", "183.2 MB", "3.0 TB".
func Decimal(n uint64) string {
	if n < 1000 {
		return fmt.Sprintf("%d B", n)
	}
	names := []string{"kB", "MB", "GB", "TB", "PB", "EB"}
	v := float64(n) / 1000
	i := 0
	for v >= 999.95 && i < len(names)-1 { // 999.95 would print as "1000.0"
		v /= 1000
		i++
	}
	return fmt.Sprintf("%.1f %s", v, names[i])
}

// Binary writes n in binary units with one decimal: "512 B", "931.5 GiB".
func Binary(n uint64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	names := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	v := float64(n) / 1024
	i := 0
	for v >= 1023.95 && i < len(names)-1 {
		v /= 1024
		i++
	}
	return fmt.Sprintf("%.1f %s", v, names[i])
}
