// Command cedille-tui installs the Cedille platform with a guided wizard and then stays as its day-2
// console. This package only turns flags into wiring; the work is in internal/.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/clubcedille/cedille-tui/internal/platform"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := execute(ctx, os.Args[1:], streams{in: os.Stdin, out: os.Stdout, err: os.Stderr},
		platform.OSLookup, os.Environ())
	stop()
	os.Exit(code)
}
