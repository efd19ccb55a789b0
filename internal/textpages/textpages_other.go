//go:build !linux

package textpages

// MapSmall does nothing where the binary's pages are not known to be mapped in huge pages.
func MapSmall() (Result, error) { return Result{}, nil }
