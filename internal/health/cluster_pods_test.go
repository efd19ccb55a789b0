package health

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// cpPod is a control-plane static pod as Talos mirrors it: kube-system, labels tier=control-plane and
// k8s-app, one container named after the component, image registry.k8s.io/<component>:<version>.
func cpPod(name, version string, phase corev1.PodPhase, ready bool) *corev1.Pod {
	component := name
	if i := strings.LastIndex(name, "-controlplane"); i > 0 {
		component = name[:i]
	}
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "kube-system",
		Labels: map[string]string{"tier": "control-plane", "k8s-app": component}}}
	p.Spec.NodeName = "controlplane-1"
	p.Spec.Containers = []corev1.Container{{Name: component, Image: "registry.k8s.io/" + component + ":" + version}}
	p.Status.Phase = phase
	st := corev1.ConditionFalse
	if ready {
		st = corev1.ConditionTrue
	}
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: st}}
	p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: component, Ready: ready}}
	if phase == corev1.PodRunning {
		p.Status.ContainerStatuses[0].State.Running = &corev1.ContainerStateRunning{}
	}
	return p
}

// restarted records n restarts, the last one finished at t.
func restarted(p *corev1.Pod, n int32, t time.Time, reason string, code int32) *corev1.Pod {
	p.Status.ContainerStatuses[0].RestartCount = n
	p.Status.ContainerStatuses[0].LastTerminationState.Terminated = &corev1.ContainerStateTerminated{
		Reason: reason, ExitCode: code, FinishedAt: metav1.NewTime(t)}
	return p
}

// waiting puts the pod's container in a waiting state.
func waiting(p *corev1.Pod, reason, msg string) *corev1.Pod {
	p.Status.ContainerStatuses[0].State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: msg}}
	return p
}

func TestControlPlanePod(t *testing.T) {
	now := time.Date(2025, 8, 13, 10, 0, 0, 0, time.UTC)
	const api = "kube-apiserver-controlplane-1"
	failed := cpPod("kube-scheduler-controlplane-2", "v1.27.3", corev1.PodFailed, false)
	failed.Status.Reason, failed.Status.Message = "Evicted", "The node was low on resource: memory."
	notReady := cpPod(api, "v1.27.3", corev1.PodRunning, false)
	notReady.Status.Conditions[0].Reason = "ContainersNotReady"
	tests := []struct {
		name      string
		p         *corev1.Pod
		want      Status
		reasonHas string
		hintHas   string
	}{
		{"running and ready", cpPod(api, "v1.27.3", corev1.PodRunning, true), OK, "Running, Ready, v1.27.3", ""},
		{"old restarts are only noted", restarted(cpPod(api, "v1.27.3", corev1.PodRunning, true), 7, now.Add(-72*time.Hour), "Error", 1),
			OK, "Running, Ready, v1.27.3, 7 restarts", ""},
		{"flapping", restarted(cpPod("kube-controller-manager-controlplane-1", "v1.27.3", corev1.PodRunning, true), 12,
			now.Add(-4*time.Minute), "Error", 255), Degraded, "Ready but restarted 12 times, last 4m ago (Error exit 255)", "--previous"},
		{"few recent restarts are fine", restarted(cpPod(api, "v1.27.3", corev1.PodRunning, true), 2, now.Add(-time.Minute), "OOMKilled", 137),
			OK, "2 restarts", ""},
		{"crash loop", waiting(restarted(cpPod(api, "v1.27.3", corev1.PodRunning, false), 31, now.Add(-time.Minute), "Error", 1),
			"CrashLoopBackOff", "back-off 5m0s restarting failed container"),
			Down, "CrashLoopBackOff (kube-apiserver), 31 restarts", "check etcd first"},
		{"image pull", waiting(cpPod(api, "v1.28.0", corev1.PodPending, false), "ImagePullBackOff", ""),
			Down, "ImagePullBackOff (kube-apiserver)", "cannot pull the image"},
		{"config error", waiting(cpPod(api, "v1.27.3", corev1.PodPending, false), "CreateContainerConfigError", ""),
			Down, "CreateContainerConfigError", "machine config"},
		{"failed", failed, Down, "Failed: Evicted (The node was low on resource: memory.)", "talosctl -n controlplane-1 logs kubelet"},
		{"unknown phase", cpPod(api, "v1.27.3", corev1.PodUnknown, false), Unknown, "node controlplane-1 does not report", RunbookNodeLost},
		{"no phase", cpPod(api, "v1.27.3", "", false), Unknown, "phase unknown", ""},
		{"starting", waiting(cpPod(api, "v1.27.3", corev1.PodPending, false), "ContainerCreating", ""),
			Degraded, "Pending: ContainerCreating", "wait"},
		{"running, not ready", notReady, Degraded, "Running but not Ready: ContainersNotReady", "kubectl -n kube-system logs " + api},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := ControlPlanePod(tt.p, now)
			if f.Status != tt.want || !strings.Contains(f.Reason, tt.reasonHas) {
				t.Fatalf("got %v %q, want %v ~%q", f.Status, f.Reason, tt.want, tt.reasonHas)
			}
			if !strings.Contains(f.Hint, tt.hintHas) || (f.Status != OK) == (f.Hint == "") {
				t.Errorf("hint %q, want ~%q (and a hint exactly when not OK)", f.Hint, tt.hintHas)
			}
			if f.Object != "Pod/kube-system/"+tt.p.Name {
				t.Errorf("object %q", f.Object)
			}
		})
	}
}

func TestImageTag(t *testing.T) {
	for image, want := range map[string]string{
		"registry.k8s.io/kube-apiserver:v1.27.3":                  "v1.27.3",
		"registry.k8s.io/kube-apiserver:v1.27.3@sha256:0123abcd":  "v1.27.3",
		"registry.k8s.io/kube-apiserver@sha256:0123abcd":          "",
		"localhost:5000/kube-apiserver":                           "",
		"localhost:5000/kube-apiserver:v1.30.0":                   "v1.30.0",
		"kube-apiserver":                                          "",
		"ghcr.io/siderolabs/kubelet:v1.27.3":                      "v1.27.3",
		"registry.example.org:443/mirror/k8s/kube-apiserver:v1.8": "v1.8",
	} {
		if got := imageTag(image); got != want {
			t.Errorf("imageTag(%q) = %q, want %q", image, got, want)
		}
	}
}
