//go:build unix

package audit

import (
	"os"
	"syscall"
)

// lock takes an exclusive, non-blocking lock on the file, released when it is closed: two servers
// appending to one trail would fork its chain.
func lock(f *os.File) error { return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) }
