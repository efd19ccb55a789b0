//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
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
	hub := labtest.StartWith(t, lab.Options{Components: []string{lab.KubeAPIServer}, Era2: true})
	spoke := labtest.StartWith(t, lab.Options{Components: []string{lab.KubeAPIServer}, Era2: true})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

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
	writeCluster(ctx, t, srv.State(), fleetHub, 3, 3)
	writeCluster(ctx, t, srv.State(), fleetSpoke, 3, 3)
	hubKube := crashLooping(ctx, t, hub, "web", "web-1")
	spokeKube := crashLooping(ctx, t, spoke, "web", "web-1")

	home := t.TempDir()
	state := filepath.Join(home, "state")
	s := newTmux(t, 100, 30, []string{"TERM=xterm-256color", "HOME=" + home, "XDG_STATE_HOME=" + state, "USER=olive",
		"OMNI_ENDPOINT=grpc://" + addr.String()}, "console")
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

	if _, err := spokeKube.CoreV1().Pods("web").Get(ctx, "web-1", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the spoke's pod after delete-pod: %v", err)
	}
	if _, err := hubKube.CoreV1().Pods("web").Get(ctx, "web-1", metav1.GetOptions{}); err != nil {
		t.Errorf("the hub's pod of the same name was touched: %v", err)
	}
	var acting []omnisim.KubeconfigIssue
	for _, i := range srv.Issued() {
		if i.User != fleet.DefaultUser {
			acting = append(acting, i)
		}
	}
	if len(acting) != 1 || acting[0].Cluster != fleetSpoke || acting[0].User != "cedille:olive" ||
		!slices.Equal(acting[0].Groups, []string{"cedille:admin", fleet.DefaultGroup}) || acting[0].TTL != fleet.ActTTL {
		t.Errorf("kubeconfigs issued to act: %+v", acting)
	}
	records := readTrail(t, filepath.Join(state, "cedille-tui", "audit.jsonl"))
	done := slices.IndexFunc(records, func(e audit.Entry) bool { return e.Event == audit.ActionDone && e.Action == "delete-pod" })
	if done < 0 || records[done].Cluster != fleetSpoke || records[done].User != "olive" || records[done].Target != "pod/web/web-1" {
		t.Errorf("the audit trail: %+v", records)
	}
	s.keys("q")
	if st := s.exited(10 * time.Second); st != "0" {
		t.Fatalf("exit status %s", st)
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
