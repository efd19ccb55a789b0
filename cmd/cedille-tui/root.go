package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"

	"github.com/charmbracelet/x/term"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/version"
	"github.com/spf13/cobra"
	"google.golang.org/grpc/grpclog"
	"k8s.io/klog/v2"
)

type streams struct {
	in       io.Reader
	out, err io.Writer
}

// cli is what every command shares: streams, environment and the global flags.
type cli struct {
	streams
	lookup  platform.Lookup
	environ []string

	kubeconfig string
	context    string
	logFile    string
	logger     *slog.Logger
	closeLog   func()
}

// exitCode ends the process with a code and nothing printed (status's verdicts).
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit %d", int(e)) }

func execute(ctx context.Context, args []string, s streams, lookup platform.Lookup, environ []string) int {
	c := &cli{streams: s, lookup: lookup, environ: environ, closeLog: func() {}}
	root := c.rootCmd()
	root.SetArgs(args)
	root.SetIn(s.in)
	root.SetOut(s.out)
	root.SetErr(s.err)
	err := root.ExecuteContext(ctx)
	c.closeLog()
	var code exitCode
	switch {
	case err == nil:
		return 0
	case errors.As(err, &code):
		return int(code)
	}
	// Joined errors (several connections) print one line each; anything else prints its first line only.
	for _, line := range strings.Split(strings.TrimSpace(err.Error()), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			fmt.Fprintln(s.err, "cedille-tui: "+line)
		}
	}
	var ce *platform.ConnError
	if errors.As(err, &ce) {
		return 2 // the platform could not be reached: nothing configured, unusable settings, no answer
	}
	return 1
}

func (c *cli) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "cedille-tui",
		Short: "Install the Cedille platform, then watch and repair it",
		Long: `cedille-tui installs the Cedille platform (Talos via Omni, Mayastor, Kuma, ArgoCD, Vault, vclusters)
with a guided wizard, then stays as its day-2 console: live health across the stack, on the local
terminal or over SSH, with guided disaster recovery.

Without a subcommand it opens the console on the configured platform.

Configuration follows each ecosystem:
  Kubernetes  KUBECONFIG, --kubeconfig, --context (kubectl's loading rules)
  Omni        OMNI_ENDPOINT, OMNI_SERVICE_ACCOUNT_KEY or SIDERO_SERVICE_ACCOUNT_KEY (as omnictl)
  Vault       VAULT_ADDR, VAULT_TOKEN, VAULT_CACERT, VAULT_SKIP_VERIFY (as the vault CLI)
  Display     NO_COLOR turns colour off; state is also shown by symbol (✔ ▲ ✖ ?)

No cluster at hand? Try: cedille-tui demo

Exit codes: 0 success; 1 an error (a bad flag, an answers file's problems, a failed step; for status,
something Degraded or Unknown); 2 the platform could not be reached (nothing configured, a setting that
cannot be used such as a missing kubeconfig file, a server that did not answer or refused the
credentials; for status, also something Down).`,
		Version:       version.Get().String(),
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return c.setupLogging()
		},
		RunE: func(cmd *cobra.Command, _ []string) error { return c.runConsole(cmd.Context()) },
	}
	root.SetVersionTemplate("{{.Version}}\n")
	pf := root.PersistentFlags()
	pf.StringVar(&c.kubeconfig, "kubeconfig", "", "path to the kubeconfig file (default: KUBECONFIG, then ~/.kube/config)")
	pf.StringVar(&c.context, "context", "", "the kubeconfig context to use")
	pf.StringVar(&c.logFile, "log-file", "", "write debug logs to this file (secrets are never logged)")
	root.AddCommand(c.consoleCmd(), c.demoCmd(), c.statusCmd(), c.installCmd(), c.recoverCmd(), c.serveCmd(), c.auditCmd(), c.versionCmd())
	return root
}

// setupLogging routes every library logger — client-go's klog, gRPC's, the standard log package (Helm's
// warnings, slog's default) — and the tool's own logs to --log-file, or nowhere: the terminal belongs to
// the console, and status prints only its verdict. Every command runs it before anything else.
func (c *cli) setupLogging() error {
	if c.logFile == "" {
		routeLibraryLogs(io.Discard)
		c.logger = slog.New(slog.NewTextHandler(io.Discard, nil))
		return nil
	}
	f, err := os.OpenFile(c.logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("cannot open --log-file: %w", err)
	}
	routeLibraryLogs(f)
	c.logger = slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c.closeLog = func() { klog.Flush(); _ = f.Close() }
	return nil
}

// routeLibraryLogs sends the libraries' loggers to w. klog also copies errors to stderr unless its
// stderr threshold is raised (FATAL: the process ends anyway). gRPC's warnings and errors are kept (a
// GOAWAY, a failed dial), its chatty info lines are not.
func routeLibraryLogs(w io.Writer) {
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	_ = fs.Set("logtostderr", "false")
	_ = fs.Set("stderrthreshold", "FATAL")
	klog.SetOutput(w)
	log.SetOutput(w)
	grpcLogs.Store(&w)
}

// grpcLogs is where gRPC's warnings and errors go. gRPC's logger is process-wide and may not be set
// once gRPC runs (grpclog.SetLoggerV2 is not synchronised): it is set once, before main, to write
// through grpcLogs, which each command's setup points at its --log-file. Tests run many commands, and
// their gRPC connections, in one process.
var grpcLogs atomic.Pointer[io.Writer]

func init() {
	var discard io.Writer = io.Discard
	grpcLogs.Store(&discard)
	grpclog.SetLoggerV2(grpclog.NewLoggerV2(io.Discard, grpcWriter{}, io.Discard))
}

// grpcWriter writes to the writer grpcLogs holds now.
type grpcWriter struct{}

func (grpcWriter) Write(p []byte) (int, error) { return (*grpcLogs.Load()).Write(p) }

// openPlatform opens every connection the flags and environment describe.
func (c *cli) openPlatform() *platform.Platform {
	kube := platform.KubeOptions{Kubeconfig: c.kubeconfig, Context: c.context, UserAgent: version.Get().UserAgent()}
	p := platform.Open(platform.OptionsFromEnv(kube, c.lookup), c.lookup)
	for _, err := range p.Errors() {
		c.logger.Debug("connection unavailable", "error", err.Error())
	}
	return p
}

func (c *cli) versionCmd() *cobra.Command {
	var short bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := version.Get()
			if short {
				fmt.Fprintln(c.out, v.Version)
				return nil
			}
			fmt.Fprintln(c.out, v.String())
			return nil
		},
	}
	cmd.Flags().BoolVar(&short, "short", false, "print only the version number")
	return cmd
}

// needTerminal refuses, in one line saying what to use instead, to start a full-screen program without
// a terminal on stdin (its keys) and stdout (its screen).
func (c *cli) needTerminal(what, instead string) error {
	if isTerminal(c.in) && isTerminal(c.out) {
		return nil
	}
	return fmt.Errorf("%s needs a terminal on stdin and stdout: %s", what, instead)
}

// isTerminal tells whether a stream is a terminal.
func isTerminal(stream any) bool {
	f, ok := stream.(*os.File)
	return ok && term.IsTerminal(f.Fd())
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
