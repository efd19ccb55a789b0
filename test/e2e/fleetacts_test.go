//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/hack/lab"
	"github.com/clubcedille/cedille-tui/hack/lab/labtest"
	"github.com/clubcedille/cedille-tui/internal/audit"
	"github.com/clubcedille/cedille-tui/internal/fleet"
	"github.com/clubcedille/cedille-tui/internal/omnisim"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// TestFleetConsoleActs: the console pointed at Omni with two clusters (two real kube-apiservers of the
// lab) opens on the fleet; a person opens the spoke, finds its crash-looping pod and deletes it — the
// confirmation naming the spoke — as themselves: Omni issues a kubeconfig for user cedille:<them> in
// group cedille:admin (and the fleet's read group), the pod goes from the spoke's API server and not
// from the hub's, where a pod of the same name lives, and the audit trail records who did it on which
// cluster.
func TestFleetConsoleActs(t *testing.T) {
	f := fleetOfTwo(t)
	home := t.TempDir()
	state := filepath.Join(home, "state")
	s := newTmux(t, 100, 30, []string{"TERM=xterm-256color", "HOME=" + home, "XDG_STATE_HOME=" + state, "USER=olive",
		"OMNI_ENDPOINT=" + f.endpoint}, "console")
	deleteSpokePod(s)
	f.deletedOnTheSpoke(t, "cedille:admin")
	checkFleetRecord(t, filepath.Join(state, "cedille-tui", "audit.jsonl"), "olive")
	s.keys("q")
	if st := s.exited(10 * time.Second); st != "0" {
		t.Fatalf("exit status %s", st)
	}
}

// TestServeFleetOverOpenSSH: `serve` pointed at Omni with two clusters serves the fleet: the real
// OpenSSH client, logged in with the key the access file gives role operator, gets the fleet view,
// opens the spoke and deletes its crash-looping pod as that person — Omni issues user cedille:olive in
// group cedille:operator; nothing is impersonated — and the trail records it on the spoke. `ssh HOST
// status` prints the fleet's rows; once the server stops, `audit verify` holds.
func TestServeFleetOverOpenSSH(t *testing.T) {
	if _, err := exec.LookPath("ssh"); err != nil {
		t.Fatal("the OpenSSH client is needed for this test: run `make deps`")
	}
	f := fleetOfTwo(t)
	dir := t.TempDir()
	key := filepath.Join(dir, "id_ed25519")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "olive@laptop", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	pub, err := os.ReadFile(key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	accessFile := filepath.Join(dir, "access.yaml")
	if err := os.WriteFile(accessFile, fmt.Appendf(nil, "users:\n  - name: olive\n    keys: [%q]\n    role: operator\n",
		strings.TrimSpace(string(pub))), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	host, port, _ := net.SplitHostPort(addr)
	config := filepath.Join(dir, "ssh_config")
	if err := os.WriteFile(config, fmt.Appendf(nil, "Host fleet\n  HostName %s\n  Port %s\n  User olive\n  IdentityFile %s\n"+
		"  IdentitiesOnly yes\n  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n  LogLevel ERROR\n", host, port, key), 0o600); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(dir, "state")
	trail := filepath.Join(dir, "audit.jsonl")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	srv := exec.CommandContext(ctx, shared.binary, "serve", "--listen", addr, "--access", accessFile, "--audit-log", trail,
		"--host-key", filepath.Join(dir, "host_key"))
	srv.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + dir, "XDG_STATE_HOME=" + state, "OMNI_ENDPOINT=" + f.endpoint}
	srv.Cancel = func() error { return srv.Process.Signal(syscall.SIGTERM) }
	out, err := srv.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	srv.Stderr = &stderr
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	// serve says where it serves once it listens; its output is read to the end before Wait.
	serving := make(chan struct{})
	exited := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(out)
		said := false
		for sc.Scan() {
			if !said && strings.Contains(sc.Text(), "serving the console of") && strings.Contains(sc.Text(), addr) {
				said = true
				close(serving)
			}
		}
		exited <- srv.Wait()
	}()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		_ = srv.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("serve on SIGTERM: %v\n%s", err, stderr.String())
			}
		case <-time.After(60 * time.Second):
			t.Fatal("serve did not stop on SIGTERM")
		}
	}
	t.Cleanup(stop)
	select {
	case <-serving:
	case err := <-exited:
		stopped = true
		t.Fatalf("serve ended before serving: %v\n%s", err, stderr.String())
	case <-ctx.Done():
		t.Fatal("serve never said it serves")
	}

	env := []string{"PATH=/usr/bin:/bin", "HOME=" + dir, "TERM=xterm-256color"}
	status := exec.CommandContext(ctx, "ssh", "-F", config, "fleet", "status")
	status.Env = env
	rows, err := status.CombinedOutput()
	if err != nil || !strings.Contains(string(rows), fleetHub) || !strings.Contains(string(rows), fleetSpoke) {
		t.Errorf("ssh fleet status: %v\n%s", err, rows)
	}

	s := &tmuxSession{t: t, socket: fmt.Sprintf("cedille-e2e-%d", os.Getpid()), name: "serve-fleet", status: filepath.Join(dir, "status")}
	cmdline := strings.Join(append(append([]string{"env", "-i"}, env...), "ssh", "-F", config, "fleet"), " ")
	cmdline += "; echo $? > " + s.status + "; sleep 60"
	s.tmux("new-session", "-d", "-s", s.name, "-x", "100", "-y", "30", cmdline)
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", s.socket, "kill-session", "-t", s.name).Run() })
	deleteSpokePod(s)
	f.deletedOnTheSpoke(t, "cedille:operator")
	s.keys("q")
	if st := s.exited(20 * time.Second); st != "0" {
		t.Fatalf("ssh after q: exit status %s\n%s", st, s.screen())
	}
	stop()
	verify := exec.Command(shared.binary, "audit", "verify", trail)
	verify.Env = env
	if v, err := verify.CombinedOutput(); err != nil || !strings.Contains(string(v), "the chain holds") {
		t.Fatalf("audit verify: %v\n%s", err, v)
	}
	checkFleetRecord(t, trail, "olive")
}

// twoLabFleet starts two of the lab's kube-apiservers (serving the project's era-2 CRDs) and the Omni
// simulator, which issues a kubeconfig for the first as fleetHub and the second as fleetSpoke; endpoint
// is OMNI_ENDPOINT's value for it. The clusters' Omni resources are the caller's to write.
func twoLabFleet(t *testing.T) (hub, spoke *lab.Lab, srv *omnisim.Server, endpoint string) {
	t.Helper()
	hub = labtest.StartWith(t, lab.Options{Components: []string{lab.KubeAPIServer}, Era2: true})
	spoke = labtest.StartWith(t, lab.Options{Components: []string{lab.KubeAPIServer}, Era2: true})
	srv, err := omnisim.New(omnisim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	addr, err := srv.Listen("")
	if err != nil {
		t.Fatal(err)
	}
	srv.SetClusterKubeconfig(fleetHub, tokenConfig(t, hub))
	srv.SetClusterKubeconfig(fleetSpoke, tokenConfig(t, spoke))
	return hub, spoke, srv, "grpc://" + addr.String()
}

// twoClusters is the fleet of the acting tests: the hub and a spoke, two real kube-apiservers of the
// lab listed and issued for by the Omni simulator, each with a crash-looping pod web/web-1.
type twoClusters struct {
	endpoint           string
	omni               *omnisim.Server
	hubKube, spokeKube kubernetes.Interface
}

func fleetOfTwo(t *testing.T) twoClusters {
	t.Helper()
	hub, spoke, srv, endpoint := twoLabFleet(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	writeCluster(ctx, t, srv.State(), fleetHub, 3, 3)
	writeCluster(ctx, t, srv.State(), fleetSpoke, 3, 3)
	return twoClusters{endpoint: endpoint, omni: srv,
		hubKube: crashLooping(ctx, t, hub, "web", "web-1"), spokeKube: crashLooping(ctx, t, spoke, "web", "web-1")}
}

// deleteSpokePod drives the fleet console as a person: the spoke opened by name, its crash-looping pod
// found in the workloads layer, delete-pod confirmed by typing the pod's name — the confirmation
// naming the spoke.
func deleteSpokePod(s *tmuxSession) {
	s.t.Helper()
	s.waitFor(time.Minute, "fleet · 2 clusters", fleetHub, "uction-v2") // the long name is cut in its column
	s.keys(":")
	s.press(50*time.Millisecond, strings.Split(fleetSpoke, "")...)
	s.keys("Enter")
	s.waitFor(time.Minute, fleetSpoke, "worst first")
	s.keys(":")
	s.press(50*time.Millisecond, strings.Split("workloads", "")...)
	s.keys("Enter")
	s.waitFor(time.Minute, "Pod/web/web-1", "CrashLoopBackOff")
	s.keys("/")
	s.press(50*time.Millisecond, strings.Split("web-1", "")...)
	s.press(200*time.Millisecond, "Enter", "Enter")
	s.waitFor(30*time.Second, "a actions")
	s.keys("a")
	s.waitFor(30*time.Second, "Actions on pod/web/web-1", "delete-pod")
	s.keys("Enter")
	s.waitFor(30*time.Second, "delete-pod cannot be undone on "+fleetSpoke)
	s.press(50*time.Millisecond, strings.Split("web-1", "")...)
	s.keys("Enter")
	s.waitFor(30*time.Second, "delete-pod pod/web/web-1: done (as cedille:olive)")
}

// deletedOnTheSpoke checks the pod went from the spoke and not from the hub, and that the one
// kubeconfig issued to act was the spoke's, for olive in group (and the fleet's read group).
func (f twoClusters) deletedOnTheSpoke(t *testing.T, group string) {
	t.Helper()
	ctx := context.Background()
	if _, err := f.spokeKube.CoreV1().Pods("web").Get(ctx, "web-1", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the spoke's pod after delete-pod: %v", err)
	}
	if _, err := f.hubKube.CoreV1().Pods("web").Get(ctx, "web-1", metav1.GetOptions{}); err != nil {
		t.Errorf("the hub's pod of the same name was touched: %v", err)
	}
	var acting []omnisim.KubeconfigIssue
	for _, i := range f.omni.Issued() {
		if i.User != fleet.DefaultUser {
			acting = append(acting, i)
		}
	}
	if len(acting) != 1 || acting[0].Cluster != fleetSpoke || acting[0].User != "cedille:olive" ||
		!slices.Equal(acting[0].Groups, []string{group, fleet.DefaultGroup}) || acting[0].TTL != fleet.ActTTL {
		t.Errorf("kubeconfigs issued to act: %+v", acting)
	}
}

// checkFleetRecord checks the trail at path records user's delete-pod done on the spoke.
func checkFleetRecord(t *testing.T, path, user string) {
	t.Helper()
	records := readTrail(t, path)
	done := slices.IndexFunc(records, func(e audit.Entry) bool { return e.Event == audit.ActionDone && e.Action == "delete-pod" })
	if done < 0 || records[done].Cluster != fleetSpoke || records[done].User != user || records[done].Target != "pod/web/web-1" {
		t.Errorf("the audit trail: %+v", records)
	}
}

// crashLooping makes namespace ns and a pod in it whose container crash-loops (its status written as
// the kubelet would), and gives the lab's client.
func crashLooping(ctx context.Context, t *testing.T, l *lab.Lab, namespace, name string) kubernetes.Interface {
	t.Helper()
	kc := kubernetes.NewForConfigOrDie(l.RESTConfig())
	ns(ctx, t, kc, namespace)
	// No controller-manager here makes the namespace's default service account, which admission wants.
	if _, err := kc.CoreV1().ServiceAccounts(namespace).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}},
		metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	p, err := kc.CoreV1().Pods(namespace).Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "web:1"}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	started := metav1.NewTime(time.Now().Add(-time.Hour))
	p.Status = corev1.PodStatus{Phase: corev1.PodRunning, StartTime: &started,
		Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: started}},
		ContainerStatuses: []corev1.ContainerStatus{{Name: "web", Image: "web:1", RestartCount: 12,
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off 5m0s restarting failed container"}}}}}
	if _, err := kc.CoreV1().Pods(namespace).UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	return kc
}

// readTrail reads every record of the audit trail at path.
func readTrail(t *testing.T, path string) []audit.Entry {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []audit.Entry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e audit.Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, e)
	}
	return out
}
