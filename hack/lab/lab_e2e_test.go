//go:build e2e

package lab

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/httpstream"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/transport/spdy"
)

// TestLab starts the whole lab from a fresh state dir, exercises each server, stops and restarts
// the apiserver, stops everything, then starts it again warm on the same data.
func TestLab(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	state := filepath.Join(t.TempDir(), "state")
	opts := Options{StateDir: state, Logf: t.Logf}

	start := time.Now()
	l, err := Up(ctx, opts)
	if err != nil {
		t.Fatalf("Up: %v", err) // names `make lab-build` when binaries are missing
	}
	t.Logf("cold Up (PKI, CRD install): %s", time.Since(start).Round(time.Millisecond))
	t.Cleanup(func() {
		if err := l.Down(); err != nil {
			t.Errorf("cleanup Down: %v", err)
		}
	})
	logRSS(t, l)
	recorded := l.PIDs()

	root, _ := FindRepoRoot(".")
	wantOmni := omniSourcePresent(root)
	for _, c := range AllComponents() {
		if c == OmniState && !wantOmni {
			t.Logf("hack/lab/omnistate is not in the tree yet: the lab runs without it")
			continue
		}
		if recorded[c] == 0 {
			t.Errorf("%s is not running after Up", c)
		}
	}

	cs, err := kubernetes.NewForConfig(l.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}

	t.Run("env file", func(t *testing.T) {
		b, err := os.ReadFile(l.EnvFile())
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"KUBECONFIG", "VAULT_ADDR", "CEDILLE_LAB_BIN", "CEDILLE_LAB_STATE"} {
			if !strings.Contains(string(b), "export "+k+"=") {
				t.Errorf("lab.env lacks %s:\n%s", k, b)
			}
		}
		if wantOmni && !strings.Contains(string(b), "export OMNI_ENDPOINT=grpc://127.0.0.1:") {
			t.Errorf("lab.env lacks OMNI_ENDPOINT:\n%s", b)
		}
		for _, f := range []string{l.KubeconfigPath(), l.EnvFile(), filepath.Join(state, "lab.json"), filepath.Join(state, "pki", "admin.key")} {
			fi, err := os.Stat(f)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("%s mode %v, want 0600", f, fi.Mode().Perm())
			}
		}
	})

	t.Run("token context", func(t *testing.T) {
		tcs, err := kubernetes.NewForConfig(l.TokenRESTConfig())
		if err != nil {
			t.Fatal(err)
		}
		r, err := tcs.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if u := r.Status.UserInfo; u.Username != "admin-token" || !slices.Contains(u.Groups, "system:masters") {
			t.Errorf("token user = %+v", u)
		}
		r, err = cs.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if u := r.Status.UserInfo; u.Username != "admin" || !slices.Contains(u.Groups, "system:masters") {
			t.Errorf("cert user = %+v", u)
		}
	})

	t.Run("CRDs", func(t *testing.T) { testCRDs(ctx, t, l) })

	t.Run("kwok makes a node Ready", func(t *testing.T) {
		node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "worker-1", Labels: map[string]string{"type": "kwok"}}}
		if _, err := cs.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 60*time.Second, "node worker-1 Ready", func() bool {
			n, err := cs.CoreV1().Nodes().Get(ctx, "worker-1", metav1.GetOptions{})
			if err != nil {
				return false
			}
			for _, c := range n.Status.Conditions {
				if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
					return true
				}
			}
			return false
		})
		// kube-controller-manager made the default ServiceAccount, so a pod can be created; kwok
		// runs it on the fake node.
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "default"},
			Spec:       corev1.PodSpec{NodeName: "worker-1", Containers: []corev1.Container{{Name: "c", Image: "example.invalid/none"}}},
		}
		if _, err := cs.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 60*time.Second, "pod p Running", func() bool {
			p, err := cs.CoreV1().Pods("default").Get(ctx, "p", metav1.GetOptions{})
			return err == nil && p.Status.Phase == corev1.PodRunning
		})
	})

	t.Run("vault is uninitialized", func(t *testing.T) {
		code, body := vaultHealth(t, l.VaultAddr())
		if code != http.StatusNotImplemented {
			t.Fatalf("sys/health = %d %s, want 501", code, body)
		}
		var h struct{ Initialized, Sealed bool }
		if err := json.Unmarshal([]byte(body), &h); err != nil {
			t.Fatal(err)
		}
		if h.Initialized || !h.Sealed {
			t.Errorf("sys/health = %s, want initialized=false sealed=true", body)
		}
	})

	if wantOmni {
		t.Run("omnistate answers", func(t *testing.T) {
			ep := l.OmniEndpoint()
			addr, ok := strings.CutPrefix(ep, "grpc://127.0.0.1:")
			if !ok {
				t.Fatalf("OMNI_ENDPOINT = %q", ep)
			}
			conn, err := net.DialTimeout("tcp", "127.0.0.1:"+addr, 2*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			conn.Close()
		})
	}

	t.Run("stop and start the apiserver", func(t *testing.T) {
		before := l.APIServerURL()
		oldPID := l.PIDs()[KubeAPIServer]
		if err := l.Stop(KubeAPIServer); err != nil {
			t.Fatal(err)
		}
		if running(oldPID, 0) {
			t.Errorf("old apiserver pid %d still running", oldPID)
		}
		if _, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx); err == nil {
			t.Fatal("/readyz answered with the apiserver stopped")
		}
		if err := l.Start(KubeAPIServer); err != nil {
			t.Fatal(err)
		}
		if after := l.APIServerURL(); after != before {
			t.Errorf("apiserver moved from %s to %s", before, after)
		}
		if body, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx); err != nil || string(body) != "ok" {
			t.Fatalf("/readyz after Start = %q, %v", body, err)
		}
		if _, err := cs.CoreV1().Nodes().Get(ctx, "worker-1", metav1.GetOptions{}); err != nil {
			t.Errorf("node lost across the restart: %v", err)
		}
		if err := l.Start(KubeAPIServer); err == nil {
			t.Error("Start of a running component succeeded")
		}
	})

	t.Run("Up again reuses the running lab", func(t *testing.T) {
		start := time.Now()
		again, err := Up(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		if !again.Reused() {
			t.Error("Up on a running lab did not reuse it")
		}
		t.Logf("Up on a running lab: %s", time.Since(start).Round(time.Millisecond))
		if !maps.Equal(again.PIDs(), l.PIDs()) {
			t.Errorf("reused PIDs %v != %v", again.PIDs(), l.PIDs())
		}
	})

	t.Run("Attach", func(t *testing.T) {
		a, err := Attach(state)
		if err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(a.PIDs(), l.PIDs()) {
			t.Errorf("attached PIDs %v != %v", a.PIDs(), l.PIDs())
		}
		if a.Env()["KUBECONFIG"] != l.KubeconfigPath() {
			t.Errorf("attached env %v", a.Env())
		}
	})

	final := l.PIDs()
	if err := l.Down(); err != nil {
		t.Fatal(err)
	}
	assertStopped(t, final)
	assertStopped(t, recorded)
	if _, err := os.Stat(l.EnvFile()); err == nil {
		t.Error("lab.env left after Down")
	}

	// Warm: same state dir, data and PKI kept, CRDs already in etcd.
	start = time.Now()
	warm, err := Up(ctx, opts)
	if err != nil {
		t.Fatalf("warm Up: %v", err)
	}
	t.Logf("warm Up (after Down, same state): %s", time.Since(start).Round(time.Millisecond))
	if warm.Reused() {
		t.Error("warm Up after Down claims reuse")
	}
	wcs, err := kubernetes.NewForConfig(warm.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wcs.CoreV1().Nodes().Get(ctx, "worker-1", metav1.GetOptions{}); err != nil {
		t.Errorf("node lost across Down/Up: %v", err)
	}
	logRSS(t, warm)
	wpids := warm.PIDs()
	if err := warm.Down(); err != nil {
		t.Fatal(err)
	}
	assertStopped(t, wpids)
}

func testCRDs(ctx context.Context, t *testing.T, l *Lab) {
	ax, err := apiextensionsclient.NewForConfig(l.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	want, err := CRDs()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range want {
		if _, err := ax.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, c.Name, metav1.GetOptions{}); err != nil {
			t.Errorf("CRD %s: %v", c.Name, err)
		}
	}
	dyn, err := dynamic.NewForConfig(l.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}

	// DiskPool: status only through the status subresource.
	pools := dyn.Resource(schema.GroupVersionResource{Group: "openebs.io", Version: "v1beta1", Resource: "diskpools"}).Namespace("default")
	dp := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "openebs.io/v1beta1", "kind": "DiskPool",
		"metadata": map[string]any{"name": "pool-worker-1"},
		"spec":     map[string]any{"node": "worker-1", "disks": []any{"/dev/disk/by-id/ata-TEST"}},
		"status":   map[string]any{"cr_state": "Created", "pool_status": "Online", "capacity": int64(10), "used": int64(1), "available": int64(9)},
	}}
	got, err := pools.Create(ctx, dp, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, found, _ := unstructured.NestedMap(got.Object, "status"); found {
		t.Error("DiskPool create kept status: the status subresource is missing")
	}
	got.Object["status"] = dp.Object["status"]
	if got, err = pools.UpdateStatus(ctx, got, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if s, _, _ := unstructured.NestedString(got.Object, "status", "pool_status"); s != "Online" {
		t.Errorf("DiskPool pool_status = %q", s)
	}

	// DataplaneInsight: data in a top-level status, written with a plain create (no subresource).
	dpi := dyn.Resource(schema.GroupVersionResource{Group: "kuma.io", Version: "v1alpha1", Resource: "dataplaneinsights"}).Namespace("default")
	in := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "kuma.io/v1alpha1", "kind": "DataplaneInsight",
		"metadata": map[string]any{"name": "web-1"}, "mesh": "default",
		"status": map[string]any{"subscriptions": []any{map[string]any{"id": "x", "connectTime": "2023-11-20T17:00:00Z"}}},
	}}
	got, err = dpi.Create(ctx, in, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if subs, _, _ := unstructured.NestedSlice(got.Object, "status", "subscriptions"); len(subs) != 1 {
		t.Errorf("DataplaneInsight status not kept on create: %v", got.Object)
	}

	// Application: status written with a plain update, as the Argo CD controller does.
	apps := dyn.Resource(schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "applications"}).Namespace("default")
	app := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
		"metadata": map[string]any{"name": "vault"},
		"spec":     map[string]any{"project": "default", "destination": map[string]any{"namespace": "vault", "project": "misplaced"}},
		"status":   map[string]any{"sync": map[string]any{"status": "Synced"}, "health": map[string]any{"status": "Healthy"}},
	}}
	got, err = apps.Create(ctx, app, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s, _, _ := unstructured.NestedString(got.Object, "status", "health", "status"); s != "Healthy" {
		t.Errorf("Application status not kept: %v", got.Object)
	}
	if s, _, _ := unstructured.NestedString(got.Object, "spec", "destination", "project"); s != "misplaced" {
		t.Error("Application spec pruned an unknown field")
	}
}

func vaultHealth(t *testing.T, addr string) (int, string) {
	t.Helper()
	resp, err := http.Get(addr + "/v1/sys/health")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func assertStopped(t *testing.T, pids map[string]int) {
	t.Helper()
	for c, pid := range pids {
		if running(pid, 0) {
			t.Errorf("%s (pid %d) still running after Down", c, pid)
		}
	}
}

func logRSS(t *testing.T, l *Lab) {
	var total int64
	var parts []string
	for _, s := range l.Status() {
		total += s.RSSKiB
		parts = append(parts, s.Component+"="+strconv.FormatInt(s.RSSKiB/1024, 10)+"MiB")
	}
	t.Logf("RSS: %s (total %d MiB)", strings.Join(parts, " "), total/1024)
}

// TestVaultPortForward reaches the lab's Vault through pods/portforward to kwok-simulated Vault
// replicas, with client-go's port forwarder as kubectl port-forward uses it: the apiserver sends the
// stream to kwok (the nodes' "kubelet", over HTTPS), which dials the lab's Vault.
func TestVaultPortForward(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	l, err := Up(ctx, Options{
		StateDir: filepath.Join(t.TempDir(), "state"), Logf: t.Logf,
		Components: []string{KubeControllerManager, Kwok, Vault},
	})
	if err != nil {
		t.Fatalf("Up: %v", err)
	}
	t.Logf("Up: %s", time.Since(start).Round(time.Millisecond))
	t.Cleanup(func() {
		if err := l.Down(); err != nil {
			t.Errorf("cleanup Down: %v", err)
		}
	})

	start = time.Now()
	pods, err := l.CreateVaultReplicas(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("CreateVaultReplicas(3): %s", time.Since(start).Round(time.Millisecond))
	for i, p := range pods {
		if want := "vault-" + strconv.Itoa(i); p.Name != want || p.Namespace != VaultNamespace {
			t.Errorf("pod %d = %s/%s, want %s/%s", i, p.Namespace, p.Name, VaultNamespace, want)
		}
		if p.Labels["app.kubernetes.io/name"] != "vault" || p.Spec.NodeName != VaultNodeName {
			t.Errorf("pod %s: labels %v node %q", p.Name, p.Labels, p.Spec.NodeName)
		}
		if ref := metav1.GetControllerOf(&p); ref == nil || ref.Kind != "StatefulSet" || ref.Name != VaultStatefulSet {
			t.Errorf("pod %s controller = %v, want StatefulSet %s", p.Name, ref, VaultStatefulSet)
		}
		if c := p.Spec.Containers; len(c) != 1 || len(c[0].Ports) != 1 || c[0].Ports[0].ContainerPort != VaultPodPort {
			t.Errorf("pod %s containers %+v", p.Name, c)
		}
	}
	cs, err := kubernetes.NewForConfig(l.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	node, err := cs.CoreV1().Nodes().Get(ctx, VaultNodeName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("node %s: addresses %v, kubelet port %d", node.Name, node.Status.Addresses, node.Status.DaemonEndpoints.KubeletEndpoint.Port)

	for _, tc := range []struct {
		name, pod string
		websocket bool
	}{
		{"SPDY vault-0", "vault-0", false},
		{"websocket vault-0", "vault-0", true},
		{"SPDY vault-2", "vault-2", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			local := forwardPod(t, l.RESTConfig(), VaultNamespace, tc.pod, VaultPodPort, tc.websocket)
			if !strings.HasPrefix(local, "127.0.0.1:") {
				t.Errorf("forwarder listens on %s, want 127.0.0.1 only", local)
			}
			code, body := vaultHealth(t, "http://"+local)
			if code != http.StatusNotImplemented {
				t.Fatalf("sys/health through the port-forward = %d %s, want 501", code, body)
			}
			var h struct{ Initialized, Sealed bool }
			if err := json.Unmarshal([]byte(body), &h); err != nil {
				t.Fatal(err)
			}
			if h.Initialized || !h.Sealed {
				t.Errorf("sys/health = %s, want initialized=false sealed=true", body)
			}
		})
	}

	t.Run("a port with no forward is refused", func(t *testing.T) {
		local := forwardPod(t, l.RESTConfig(), VaultNamespace, "vault-0", 8201, false)
		resp, err := (&http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: nil}}).Get("http://" + local + "/v1/sys/health")
		if err == nil {
			resp.Body.Close()
			t.Fatalf("port 8201 answered %s; kwok forwards only %d", resp.Status, VaultPodPort)
		}
	})

	// Why port-forward and not pods/proxy: the apiserver proxies pods/proxy to the pod IP itself and
	// refuses any that is not global unicast, so a pod standing for a server on 127.0.0.1 is
	// unreachable that way. (A pod without a node, so kwok leaves its status alone.)
	t.Run("pods/proxy refuses a loopback pod IP", func(t *testing.T) {
		p := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "loopback-proxy", Namespace: VaultNamespace},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "example.invalid/none",
				Ports: []corev1.ContainerPort{{ContainerPort: VaultPodPort}}}}, ServiceAccountName: "vault"},
		}
		p, err := cs.CoreV1().Pods(VaultNamespace).Create(ctx, p, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		p.Status.Phase = corev1.PodRunning
		p.Status.PodIP, p.Status.PodIPs = "127.0.0.1", []corev1.PodIP{{IP: "127.0.0.1"}}
		if _, err := cs.CoreV1().Pods(VaultNamespace).UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		body, err := cs.CoreV1().Pods(VaultNamespace).ProxyGet("http", p.Name, strconv.Itoa(VaultPodPort), "/v1/sys/health", nil).DoRaw(ctx)
		// The proxy error's Status is in the body; the client error only keeps the code.
		if !apierrors.IsBadRequest(err) || !strings.Contains(string(body), `"message":"address not allowed"`) {
			t.Errorf("pods/proxy to a 127.0.0.1 pod = %v %s, want 400 address not allowed", err, body)
		}
	})

	// Warm restart on the same state: the objects are kept, CreateVaultReplicas only scales, and
	// port-forward reaches the restarted Vault (its port, and kwok's, rendered anew at Up).
	t.Run("after Down and Up", func(t *testing.T) {
		opts := Options{StateDir: l.StateDir(), Logf: t.Logf, Components: l.Components()}
		if err := l.Down(); err != nil {
			t.Fatal(err)
		}
		warm, err := Up(ctx, opts)
		if err != nil {
			t.Fatalf("warm Up: %v", err)
		}
		t.Cleanup(func() {
			if err := warm.Down(); err != nil {
				t.Errorf("cleanup Down: %v", err)
			}
		})
		// As if kwok had had another port before: CreateVaultReplicas puts the node right.
		wcs, err := kubernetes.NewForConfig(warm.RESTConfig())
		if err != nil {
			t.Fatal(err)
		}
		n, err := wcs.CoreV1().Nodes().Get(ctx, VaultNodeName, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		n.Status.DaemonEndpoints.KubeletEndpoint.Port = 1
		if _, err := wcs.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		pods, err := warm.CreateVaultReplicas(ctx, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(pods) != 2 {
			t.Errorf("%d pods after scaling to 2", len(pods))
		}
		code, body := vaultHealth(t, "http://"+forwardPod(t, warm.RESTConfig(), VaultNamespace, "vault-1", VaultPodPort, false))
		if code != http.StatusNotImplemented {
			t.Fatalf("sys/health through the port-forward = %d %s, want 501", code, body)
		}
	})
}

// forwardPod port-forwards an ephemeral port on 127.0.0.1 to port of pod ns/name as kubectl
// port-forward does (SPDY, or the websocket tunnel kubectl tries first), until the test ends, and
// returns the local address.
func forwardPod(t *testing.T, cfg *rest.Config, ns, name string, port int, websocket bool) string {
	t.Helper()
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	u := cs.CoreV1().RESTClient().Post().Resource("pods").Namespace(ns).Name(name).SubResource("portforward").URL()
	var dialer httpstream.Dialer
	if websocket {
		if dialer, err = portforward.NewSPDYOverWebsocketDialer(u, cfg); err != nil {
			t.Fatal(err)
		}
	} else {
		transport, upgrader, err := spdy.RoundTripperFor(cfg)
		if err != nil {
			t.Fatal(err)
		}
		dialer = spdy.NewDialer(upgrader, &http.Client{Transport: transport}, http.MethodPost, u)
	}
	stop, ready := make(chan struct{}), make(chan struct{})
	out := &testWriter{t: t, prefix: "port-forward " + name + ": "}
	fw, err := portforward.NewOnAddresses(dialer, []string{"127.0.0.1"}, []string{"0:" + strconv.Itoa(port)}, stop, ready, out, out)
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- fw.ForwardPorts() }()
	t.Cleanup(func() {
		close(stop)
		if err := <-errc; err != nil {
			t.Logf("port-forward %s ended: %v", name, err)
		}
		out.close()
	})
	select {
	case <-ready:
	case err := <-errc:
		errc <- err // for the cleanup
		t.Fatalf("port-forward %s/%s: %v", ns, name, err)
	case <-time.After(30 * time.Second):
		t.Fatalf("port-forward %s/%s not ready after 30s", ns, name)
	}
	ports, err := fw.GetPorts()
	if err != nil || len(ports) != 1 {
		t.Fatalf("GetPorts = %v, %v", ports, err)
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(int(ports[0].Local)))
}

// testWriter logs what it is written (the forwarder's output and errors) until closed: the
// forwarder's connection goroutines may still write after ForwardPorts returns.
type testWriter struct {
	mu     sync.Mutex
	t      *testing.T
	prefix string
	closed bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.closed {
		w.t.Log(w.prefix + strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

func (w *testWriter) close() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
}
