package wizard

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/steps"
)

// printer prints the runner's updates as the unattended printer does: "[step] state: detail", events as
// "[step] message".
func printer(out *syncBuffer) func(steps.Update) {
	return func(u steps.Update) {
		switch {
		case u.Event != nil && u.Event.Message != "":
			fmt.Fprintf(out, "[%s] %s\n", u.Step, u.Event.Message)
		case u.Event != nil:
		case u.Detail != "":
			fmt.Fprintf(out, "[%s] %s: %s\n", u.Step, u.State, u.Detail)
		default:
			fmt.Fprintf(out, "[%s] %s\n", u.Step, u.State)
		}
	}
}

// TestAccessibleUnreachable: with Omni unreachable, each problem is said once, plainly, on a line of its
// own: the connection error where preflight's check finds it (the other steps that meet it, and the
// failed run, refer to it), the cluster template's nested multi-error one line per problem, no blank
// line; the run stops at preflight with an error that does not say the problem again.
func TestAccessibleUnreachable(t *testing.T) {
	endpoint, om := unreachableOmni(t)
	var out syncBuffer
	all := []steps.Step{steps.PreflightStep{}, steps.ISOStep{}, steps.MachinesStep{}, steps.DisksStep{}, steps.ClusterStep{},
		steps.GitOpsStep{}, steps.StorageStep{}, steps.VaultInitStep{}, steps.VaultUnsealStep{}, steps.VaultBootstrapStep{},
		steps.VClustersStep{}, steps.HandoffStep{}}
	_, err := RunAccessible(context.Background(), AccessibleOptions{Steps: all,
		Env: &steps.Env{Omni: om, ConfigDir: t.TempDir()}, Store: steps.NewStore(t.TempDir()),
		In: strings.NewReader(""), Out: &out, Report: printer(&out)})
	text := out.String()
	if err == nil {
		t.Fatalf("the run went on with Omni unreachable:\n%s", text)
	}
	if strings.Contains(err.Error(), "connection refused") || !strings.Contains(err.Error(), "preflight") {
		t.Errorf("the returned error (the command prints it last) %q: want where the install stopped, not the problem again", err)
	}
	if n := strings.Count(text, "connection refused"); n != 1 {
		t.Errorf("the connection error is said %d times, want once:\n%s", n, text)
	}
	for i, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "*") || strings.Contains(line, "occurred:") {
			t.Errorf("line %d is not a plain problem line: %q", i+1, line)
		}
	}
	for _, want := range []string{
		"[preflight] pending: omni: " + endpoint + " unreachable: ",
		"[machines] pending: same problem as preflight, above",
		`[cluster] pending: error validating cluster "cedille-cluster": error validating Kubernetes version: version is required`,
		`[cluster] pending: error validating cluster "cedille-cluster": error validating Talos version: version is required`,
		"[vault-unseal] pending: same problem as storage, above",
		"[preflight] failed: the problem its check found, above",
		"The plan is saved: run `cedille-tui install --accessible` again to retry from this step.",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the output lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "[preflight] checking") {
		t.Errorf("a checking line before every outcome:\n%s", text)
	}
}

// unreachableOmni is a client of an Omni endpoint where nothing listens (connection refused).
func unreachableOmni(t *testing.T) (string, *platform.Omni) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	endpoint := "grpc://" + l.Addr().String()
	l.Close()
	om, err := platform.ConnectOmni(platform.OmniOptions{Endpoint: endpoint})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { om.Close() })
	return endpoint, om
}

// TestAccessibleInventoryUnreachable: a step whose questions need Omni's machines says once, plainly, why
// they could not be read.
func TestAccessibleInventoryUnreachable(t *testing.T) {
	_, om := unreachableOmni(t)
	var out syncBuffer
	_, err := RunAccessible(context.Background(), AccessibleOptions{Steps: realSteps(), Only: map[steps.ID]bool{steps.ISO: true},
		Env: &steps.Env{Omni: om, ConfigDir: t.TempDir()}, Store: steps.NewStore(t.TempDir()),
		In: strings.NewReader(""), Out: &out, Report: printer(&out)})
	text := out.String()
	if err == nil {
		t.Fatalf("the ISO's questions were answered from no input:\n%s", text)
	}
	if !strings.Contains(text, "Omni's machines could not be read.\n  omni: ") || strings.Count(text, "connection refused") != 1 {
		t.Errorf("why the machines could not be read, once:\n%s", text)
	}
	for i, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if strings.TrimSpace(line) == "" {
			t.Errorf("line %d is blank:\n%s", i+1, text)
		}
	}
}

// TestProblemLines: an error's text as problems, one line each — errors.Join's lines, plan.Problems, and
// hashicorp/go-multierror's nested lists (Omni's template validation) with the context of each problem.
func TestProblemLines(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string
	}{
		{"one line", "omni: unreachable", []string{"omni: unreachable"}},
		{"empty", "", nil},
		{"errors.Join", "a: refused\nb: refused", []string{"a: refused", "b: refused"}},
		{"blank lines and indentation", "\n  a\n\n\tb  \n", []string{"a", "b"}},
		{"a flat multierror", "2 errors occurred:\n\t* version is required\n\t* name is required\n\n",
			[]string{"version is required", "name is required"}},
		{"a nested multierror", "1 error occurred:\n\t* error validating cluster \"c\": 2 errors occurred:\n\t* error validating Kubernetes version: 1 error occurred:\n\t* version is required\n\n\n\t* error validating Talos version: 1 error occurred:\n\t* version is required\n\n\n\n\n\n",
			[]string{`error validating cluster "c": error validating Kubernetes version: version is required`,
				`error validating cluster "c": error validating Talos version: version is required`}},
		{"a multierror after a prefix", "template: 1 error occurred:\n\t* bad\n\n", []string{"template: bad"}},
		{"the same problem twice", "a\na", []string{"a"}},
		{"a list cut short", "3 errors occurred:\n\t* a", []string{"a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := problemLines(tt.text)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
				t.Errorf("problemLines(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}
