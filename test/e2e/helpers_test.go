//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/ui"
	"github.com/clubcedille/cedille-tui/internal/ui/app"
	"github.com/clubcedille/cedille-tui/internal/ui/uitest"
	"github.com/clubcedille/cedille-tui/internal/watch"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// result is one run of the binary.
type result struct {
	code           int
	stdout, stderr string
}

// runCLI runs the built binary with exactly the given environment (plus PATH and HOME), for at most a
// minute.
func runCLI(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return runCLIWhile(ctx, t, env, nil, args...)
}

// runCLIWhile runs the binary as runCLI does, until ctx ends; while it runs, during (when not nil) runs
// too — a controller the binary waits for — given a channel closed once the binary exited, and
// runCLIWhile waits for it to return.
func runCLIWhile(ctx context.Context, t *testing.T, env map[string]string, during func(exited <-chan struct{}), args ...string) result {
	t.Helper()
	cmd := exec.CommandContext(ctx, shared.binary, args...)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir()}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatalf("running %v: %v", args, err)
	}
	exited := make(chan struct{})
	var err error
	go func() {
		err = cmd.Wait()
		close(exited)
	}()
	if during != nil {
		during(exited)
	}
	<-exited
	r := result{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		t.Fatalf("running %v: %v", args, err)
	}
	return r
}

// kubeConsole opens the console, 120×30, on a hub watching the lab's kube-apiserver (context
// lab-token); the hub stops at the test's end.
func kubeConsole(t *testing.T) *uitest.Driver[*app.Model] {
	t.Helper()
	kube, err := platform.ConnectKube(platform.KubeOptions{Kubeconfig: shared.lab.KubeconfigPath(), Context: "lab-token"},
		platform.MapLookup(nil))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	hub := watch.NewHub(watch.HubOptions{Platform: "lab"}, watch.NewKubeSource(kube))
	go hub.Run(ctx)
	ch, unsub := hub.Subscribe()
	t.Cleanup(unsub)
	drv := uitest.New(t, ui.NewConsole(ui.ConsoleOptions{Snapshots: ch, Color: false}), 120, 30)
	drv.Deadline = time.Minute // a live cluster: the guard is generous
	return drv
}

// only keeps the named lab variables.
func only(keys ...string) map[string]string {
	all := shared.lab.Env()
	out := map[string]string{}
	for _, k := range keys {
		if v, ok := all[k]; ok {
			out[k] = v
		}
	}
	return out
}

func kubeClient(t *testing.T) kubernetes.Interface {
	t.Helper()
	c, err := kubernetes.NewForConfig(shared.lab.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// createNode registers a Node the way a kubelet would before it reports; kwok then makes it Ready.
func createNode(t *testing.T, c kubernetes.Interface, name string) {
	t.Helper()
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
		"kubernetes.io/hostname": name, "node-role.kubernetes.io/worker": "",
	}, Annotations: map[string]string{"kwok.x-k8s.io/node": "fake"}}}
	if _, err := c.CoreV1().Nodes().Create(context.Background(), n, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create node %s: %v", name, err)
	}
	t.Cleanup(func() {
		err := c.CoreV1().Nodes().Delete(context.Background(), name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("delete node %s: %v", name, err)
		}
	})
}

// waitNodeReady waits until kwok has marked the node Ready.
func waitNodeReady(t *testing.T, c kubernetes.Interface, name string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		n, err := c.CoreV1().Nodes().Get(context.Background(), name, metav1.GetOptions{})
		if err == nil {
			for _, cond := range n.Status.Conditions {
				if cond.Type == corev1.NodeReady && cond.Status == corev1.ConditionTrue {
					return
				}
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("kwok never made node %s Ready", name)
}

// eventually polls cond until it holds or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for %s", timeout, what)
}

func lines(s string) []string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// colorSGR matches a foreground or background colour in an SGR sequence.
var colorSGR = regexp.MustCompile(`\x1b\[[0-9;:]*\b[34]8[;:]`)
