// Command cedille-tui installs the Cedille platform with a guided wizard and then stays as its day-2
// console. This package only turns flags into wiring; the work is in internal/.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/textpages"
)

func main() {
	// Only the code this run uses counts in its memory, 4 KiB at a time, not the 2 MiB around every byte
	// the start-up touched (see textpages). Failing changes nothing but that memory, so it is not fatal.
	_, _ = textpages.MapSmall()
	// SIGINT or SIGTERM cancels every command's context (a full-screen program ends with it); a second
	// signal ends the process at once.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	context.AfterFunc(ctx, stop)
	code := execute(ctx, os.Args[1:], streams{in: os.Stdin, out: os.Stdout, err: os.Stderr},
		platform.OSLookup, os.Environ())
	stop()
	os.Exit(code)
}
