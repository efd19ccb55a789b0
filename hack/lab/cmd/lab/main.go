// Command lab starts and stops cedille-tui's lab of real servers on 127.0.0.1 (see package
// github.com/clubcedille/cedille-tui/hack/lab).
//
//	go run ./hack/lab/cmd/lab [--state DIR] up [--bin DIR] [--components etcd,kube-apiserver,...]
//	go run ./hack/lab/cmd/lab [--state DIR] down [--purge]
//	go run ./hack/lab/cmd/lab [--state DIR] env
//	go run ./hack/lab/cmd/lab [--state DIR] status
//
// Flags may also follow the command. `eval "$(go run ./hack/lab/cmd/lab env)"` sets KUBECONFIG,
// VAULT_ADDR, OMNI_ENDPOINT, CEDILLE_LAB_BIN and CEDILLE_LAB_STATE.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/clubcedille/cedille-tui/hack/lab"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

type flags struct {
	state, bin, components string
	purge                  bool
}

func usage(w io.Writer) {
	fmt.Fprintln(w, `usage: lab [--state DIR] up|down|env|status [flags]
  up      start the lab (or reuse the one running in --state); prints lab.env's path and the time taken
  down    stop exactly the recorded processes; --purge also deletes the state dir's contents
  env     print lab.env (export KEY=VALUE lines)
  status  print each component's pid, state, address and RSS
flags:
  --state DIR         state dir (default ${XDG_STATE_HOME:-$HOME/.local/state}/cedille-tui-lab)
  --bin DIR           server binaries (default: hack/lab/build.sh's bin dir)
  --components LIST   up: comma-separated components (default all: `+strings.Join(lab.AllComponents(), ",")+`)
  --purge             down: also delete data, PKI and logs`)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f flags
	fs := flag.NewFlagSet("lab", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { usage(stderr) }
	fs.StringVar(&f.state, "state", lab.DefaultStateDir(), "state dir")
	fs.StringVar(&f.bin, "bin", "", "server binaries dir")
	fs.StringVar(&f.components, "components", "", "comma-separated components")
	fs.BoolVar(&f.purge, "purge", false, "down: delete the state dir's contents")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		usage(stderr)
		return errors.New("lab: no command")
	}
	cmd := fs.Arg(0)
	if err := fs.Parse(fs.Args()[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("lab: unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	switch cmd {
	case "up":
		return up(ctx, f, stdout, stderr)
	case "down":
		return down(f, stdout)
	case "env":
		b, err := os.ReadFile(lab.EnvFilePath(f.state))
		if err != nil {
			return fmt.Errorf("lab: no running lab in %s (%v); run: go run ./hack/lab/cmd/lab up", f.state, err)
		}
		_, err = stdout.Write(b)
		return err
	case "status":
		return status(f, stdout)
	}
	usage(stderr)
	return fmt.Errorf("lab: unknown command %q", cmd)
}

func up(ctx context.Context, f flags, stdout, stderr io.Writer) error {
	o := lab.Options{
		StateDir: f.state,
		BinDir:   f.bin,
		Logf:     func(format string, a ...any) { fmt.Fprintf(stderr, format+"\n", a...) },
	}
	if f.components != "" {
		o.Components = strings.Split(f.components, ",")
	}
	start := time.Now()
	l, err := lab.Up(ctx, o)
	if err != nil {
		return err
	}
	verb := "started"
	if l.Reused() {
		verb = "reused"
	}
	fmt.Fprintf(stdout, "lab %s in %s (state %s)\n", verb, time.Since(start).Round(time.Millisecond), l.StateDir())
	fmt.Fprintf(stdout, "env: %s\n  eval \"$(go run ./hack/lab/cmd/lab --state %s env)\"\n", l.EnvFile(), l.StateDir())
	return nil
}

func down(f flags, stdout io.Writer) error {
	l, err := lab.Attach(f.state)
	if err != nil {
		return err
	}
	stopped, err := l.DownReport()
	for _, s := range stopped {
		fmt.Fprintf(stdout, "stopped %s (pid %d)\n", s.Component, s.PID)
	}
	if len(stopped) == 0 && err == nil {
		fmt.Fprintf(stdout, "nothing was running in %s\n", l.StateDir())
	}
	if err != nil {
		return err
	}
	if f.purge {
		if err := l.Purge(); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "purged %s\n", l.StateDir())
	}
	return nil
}

func status(f flags, stdout io.Writer) error {
	l, err := lab.Attach(f.state)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "COMPONENT\tPID\tSTATE\tADDR\tRSS")
	for _, s := range l.Status() {
		state, rss := "stopped", "-"
		if s.Running {
			state, rss = "running", fmt.Sprintf("%d MiB", s.RSSKiB/1024)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", s.Component, s.PID, state, s.Addr, rss)
	}
	return tw.Flush()
}
