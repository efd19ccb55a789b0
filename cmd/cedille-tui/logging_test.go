package main

import (
	"bytes"
	"log"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc/grpclog"
	"k8s.io/klog/v2"
)

// logChildEnv makes the test binary act as a process whose loggers were set up by setupLogging: it logs
// through every library logger and exits (see TestMain). Its value is the --log-file ("-" for none).
const logChildEnv = "CEDILLE_TUI_TEST_LOG_CHILD"

func TestMain(m *testing.M) {
	if f, ok := os.LookupEnv(logChildEnv); ok {
		os.Exit(logThroughEveryLogger(f))
	}
	os.Exit(m.Run())
}

// logThroughEveryLogger sets the loggers up as every command does, then writes one line through each.
func logThroughEveryLogger(logFile string) int {
	c := &cli{closeLog: func() {}}
	if logFile != "-" {
		c.logFile = logFile
	}
	if err := c.setupLogging(); err != nil {
		return 3
	}
	grpclog.Errorf("grpc-error-probe: GoAway ENHANCE_YOUR_CALM too_many_pings")
	grpclog.Warningf("grpc-warning-probe")
	grpclog.Infof("grpc-info-probe")
	log.Print("stdlog-probe")
	slog.Error("slog-default-probe")
	klog.Error("klog-probe")
	c.logger.Debug("own-probe")
	c.closeLog()
	return 0
}

// TestLibraryLogsNeverReachTheTerminal: gRPC's logger (a GOAWAY is logged at error level), klog, the
// standard log package and slog's default write to --log-file, or nowhere: never on stdout or stderr,
// which the console draws on.
func TestLibraryLogsNeverReachTheTerminal(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name     string
		logFile  string
		inFile   []string
		notInLog []string
	}{
		{name: "without --log-file", logFile: "-"},
		{name: "with --log-file", logFile: filepath.Join(dir, "debug.log"),
			inFile: []string{"grpc-error-probe", "too_many_pings", "grpc-warning-probe", "stdlog-probe",
				"slog-default-probe", "klog-probe", "own-probe"},
			notInLog: []string{"grpc-info-probe"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), logChildEnv+"="+tt.logFile)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("child: %v\n%s", err, stderr.String())
			}
			if stdout.Len() > 0 || stderr.Len() > 0 {
				t.Fatalf("logs reached the terminal:\nstdout: %q\nstderr: %q", stdout.String(), stderr.String())
			}
			if tt.logFile == "-" {
				return
			}
			b, err := os.ReadFile(tt.logFile)
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range tt.inFile {
				if !strings.Contains(string(b), want) {
					t.Errorf("the log file lacks %q:\n%s", want, b)
				}
			}
			for _, bad := range tt.notInLog {
				if strings.Contains(string(b), bad) {
					t.Errorf("the log file holds %q:\n%s", bad, b)
				}
			}
		})
	}
}
