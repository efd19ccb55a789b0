package main

import (
	"bytes"
	"encoding/json"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/runbook"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

type cliResult struct {
	code           int
	stdout, stderr string
}

// runCLI runs the command line in process, with only the given environment (HOME, XDG_STATE_HOME and
// XDG_CONFIG_HOME default to empty temporary directories) and stdin empty.
func runCLI(t *testing.T, env map[string]string, args ...string) cliResult {
	t.Helper()
	vars := map[string]string{"HOME": t.TempDir(), "XDG_STATE_HOME": t.TempDir(), "XDG_CONFIG_HOME": t.TempDir()}
	for k, v := range env {
		vars[k] = v
	}
	var out, errOut bytes.Buffer
	code := execute(t.Context(), args, streams{in: strings.NewReader(""), out: &out, err: &errOut},
		platform.MapLookup(vars), nil)
	return cliResult{code: code, stdout: out.String(), stderr: errOut.String()}
}

// closedPortKubeconfig is a kubeconfig whose API server is a loopback port nothing listens on.
func closedPortKubeconfig(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	p := filepath.Join(t.TempDir(), "kubeconfig")
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["lab"] = &clientcmdapi.Cluster{Server: "https://" + addr, InsecureSkipTLSVerify: true}
	cfg.AuthInfos["admin"] = &clientcmdapi.AuthInfo{Token: "not-a-real-token"}
	cfg.Contexts["lab-admin"] = &clientcmdapi.Context{Cluster: "lab", AuthInfo: "admin"}
	cfg.CurrentContext = "lab-admin"
	if err := clientcmd.WriteToFile(*cfg, p); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestConnectionErrorsSaidOnceWithOneExitCode: whatever keeps the platform from being read — nothing
// configured, a missing --kubeconfig or KUBECONFIG file, a server that does not answer — every command
// says each connection's problem once, on stderr, and exits 2.
func TestConnectionErrorsSaidOnceWithOneExitCode(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.kubeconfig")
	tests := []struct {
		name  string
		env   map[string]string
		args  []string
		says  []string // each appears exactly once on stderr
		never []string
	}{
		{"console, nothing configured", nil, []string{"console"},
			[]string{"set KUBECONFIG or pass --kubeconfig", "set OMNI_ENDPOINT", "set VAULT_ADDR", "cedille-tui demo"}, nil},
		{"console, missing --kubeconfig", nil, []string{"console", "--kubeconfig", missing},
			[]string{"--kubeconfig " + missing + " does not exist", "cedille-tui demo"}, nil},
		{"console, KUBECONFIG naming a missing file", map[string]string{"KUBECONFIG": missing}, []string{"console"},
			[]string{"KUBECONFIG names " + missing + ", which does not exist"}, []string{"set KUBECONFIG"}},
		{"status, missing --kubeconfig", nil, []string{"status", "--kubeconfig", missing},
			[]string{"--kubeconfig " + missing + " does not exist"}, nil},
		{"status, KUBECONFIG naming a missing file", map[string]string{"KUBECONFIG": missing}, []string{"status", "-o", "json"},
			[]string{"KUBECONFIG names " + missing + ", which does not exist"}, []string{"set KUBECONFIG"}},
		{"status, nothing configured", nil, []string{"status"},
			[]string{"set KUBECONFIG or pass --kubeconfig", "set OMNI_ENDPOINT", "set VAULT_ADDR"}, nil},
		{"status, an API server that does not answer", nil, []string{"status", "--timeout", "5s", "--kubeconfig", closedPortKubeconfig(t)},
			[]string{"unreachable"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, tt.env, tt.args...)
			if r.code != 2 {
				t.Errorf("exit %d, want 2\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
			for _, s := range tt.says {
				if n := strings.Count(r.stderr, s); n != 1 {
					t.Errorf("stderr says %q %d times, want once:\n%s", s, n, r.stderr)
				}
			}
			for _, s := range tt.never {
				if strings.Contains(r.stderr, s) {
					t.Errorf("stderr says %q:\n%s", s, r.stderr)
				}
			}
			for _, line := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
				if strings.Count(r.stderr, line) != 1 {
					t.Errorf("stderr repeats %q:\n%s", line, r.stderr)
				}
			}
		})
	}
}

// TestStatusReportWithoutAConnection: with nothing configured, or nothing reachable, status still prints
// its report — a JSON document with overall Down (exit 2) for scripts — and the table says each
// connection's problem once, never the console's promise to reconnect.
func TestStatusReportWithoutAConnection(t *testing.T) {
	unreachable := closedPortKubeconfig(t)
	tests := []struct {
		name string
		args []string
	}{
		{"nothing configured", nil},
		{"an API server that does not answer", []string{"--timeout", "5s", "--kubeconfig", unreachable}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, nil, append([]string{"status", "-o", "json"}, tt.args...)...)
			var rep health.Report
			if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
				t.Fatalf("stdout is not a JSON report: %v\n%q", err, r.stdout)
			}
			if rep.Overall != health.Down || r.code != 2 || len(rep.Layers) == 0 {
				t.Fatalf("overall %v with %d layers, exit %d; want Down with layers, exit 2\n%s", rep.Overall, len(rep.Layers), r.code, r.stdout)
			}
			for _, l := range rep.Layers {
				if l.Status != health.Down || len(l.Findings) == 0 || !strings.HasPrefix(l.Findings[0].Object, "API/") {
					t.Errorf("layer %s: %+v, want Down with the connection as its finding", l.Name, l)
				}
			}
			if strings.Contains(r.stdout, "reconnects") {
				t.Errorf("one-shot status promises to reconnect:\n%s", r.stdout)
			}

			tb := runCLI(t, nil, append([]string{"status"}, tt.args...)...)
			if tb.code != 2 || !strings.Contains(tb.stdout, "✖ Down") {
				t.Fatalf("table: exit %d\n%s", tb.code, tb.stdout)
			}
			for _, line := range strings.Split(strings.TrimSpace(tb.stderr), "\n") {
				reason := strings.TrimPrefix(line, "cedille-tui: ")
				if strings.Contains(tb.stdout, reason) {
					t.Errorf("the table repeats the connection's error %q:\n%s", reason, tb.stdout)
				}
			}
			if strings.Contains(tb.stdout, "reconnects") {
				t.Errorf("one-shot status promises to reconnect:\n%s", tb.stdout)
			}
		})
	}
}

// TestInstallWithNothingConfiguredSuggestsTheDemo: without Omni, install says what to set and that the
// demo runs the same wizard on a simulated platform.
func TestInstallWithNothingConfiguredSuggestsTheDemo(t *testing.T) {
	for _, args := range [][]string{
		{"install", "--accessible"},
		{"install", "--answers", "../../assets/answers.example.yaml", "--only", "preflight"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			r := runCLI(t, nil, args...)
			if r.code != 2 || !strings.Contains(r.stderr, "set OMNI_ENDPOINT") || strings.Count(r.stderr, "cedille-tui demo") != 1 {
				t.Fatalf("exit %d, want 2 naming OMNI_ENDPOINT and the demo once:\n%s", r.code, r.stderr)
			}
		})
	}
}

// TestRecoverRuns: `recover --runs` lists the runs kept in the state directory, newest first: where an
// unfinished one stands, how an ended one ended and its report.
func TestRecoverRuns(t *testing.T) {
	state := t.TempDir()
	env := map[string]string{"XDG_STATE_HOME": state}
	if r := runCLI(t, env, "recover", "--runs"); r.code != 0 || !strings.Contains(r.stdout, "No run is kept here") {
		t.Fatalf("no runs: %+v", r)
	}
	st, err := runbook.OpenStore(filepath.Join(state, "cedille-tui", "runbooks"))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 7, 3, 12, 0, 0, time.UTC)
	for _, r := range []runbook.Run{
		{ID: "aaaa0001", Runbook: "node-lost", Target: "Node/worker-2", Owner: "alice", Started: at,
			Steps: []runbook.StepState{{ID: "lost", Done: true}, {ID: "cordon"}, {ID: "drain"}}},
		{ID: "aaaa0002", Runbook: "app-sync", Target: "Application/argocd/shop", Owner: "bob", Started: at.Add(time.Hour),
			Ended: at.Add(2 * time.Hour), Outcome: "done", Report: "/r.md", Steps: []runbook.StepState{{ID: "drift", Done: true}}},
	} {
		if err := st.Save(r); err != nil {
			t.Fatal(err)
		}
	}
	r := runCLI(t, env, "recover", "--runs")
	want := "2026-12-07 04:12  aaaa0002  app-sync on Application/argocd/shop, by bob: done; report /r.md\n" +
		"2026-12-07 03:12  aaaa0001  node-lost on Node/worker-2, by alice: in progress at step 2 of 3\n"
	if r.code != 0 || r.stdout != want {
		t.Fatalf("recover --runs: %d\n%s\nwant:\n%s", r.code, r.stdout, want)
	}
	if r := runCLI(t, env, "recover", "--runs", "app-sync"); r.code == 0 || !strings.Contains(r.stderr, "takes no runbook") {
		t.Fatalf("--runs with a runbook: %+v", r)
	}
}
