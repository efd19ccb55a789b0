//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/ui"
	"github.com/clubcedille/cedille-tui/internal/ui/app"
	"github.com/clubcedille/cedille-tui/internal/ui/uitest"
	"github.com/clubcedille/cedille-tui/internal/watch"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
)

// TestLayersStatusAndConsole writes, through the lab's real kube-apiserver, the objects every kube-read
// layer judges — Mayastor DiskPools, PVC and StorageClass; Kuma Meshes, DataplaneInsights and the control
// plane; ArgoCD Applications; vault-config-operator CRs; vclusters with their Secrets; cert-manager
// Certificates; Contour HTTPProxies and Gateway API Gateways — with the statuses their controllers would
// write (UpdateStatus where the CRD has a status subresource, the whole object where it has none), and
// checks the findings through `status -o json` and through the console model. Then it heals objects one
// by one and checks that the console follows live and that `status` follows: exit 2, then exit 1 once
// nothing is Down (unless something the test did not write, such as the cluster layer or the in-cluster
// Vault finding, is Down: that is logged).
//
// The cluster layer is not asserted on (its rules are in flux); it only enters the overall status.
func TestLayersStatusAndConsole(t *testing.T) {
	ctx := context.Background()
	c := kubeClient(t)
	lw := newLayerWriter(t, c)

	// The lab installs DiskPool, Mesh, DataplaneInsight, Application and Certificate; the kinds it does not
	// (yet) install are installed here from the project's own minimal definitions and removed at the end.
	lw.kind(layerResDiskPool, nil)
	lw.kind(layerResMesh, nil)
	lw.kind(layerResDPInsight, nil)
	lw.kind(layerResApplication, nil)
	lw.kind(layerResCertificate, nil)
	for _, crd := range layerExtraCRDs() {
		lw.kind(crd.Name, crd)
	}

	// One kwok node runs the control plane's and the vclusters' pods (the lab has no scheduler: the pods
	// name it), so their Deployment and StatefulSets get real ready counts from the controllers.
	createNode(t, c, layersNode)
	waitNodeReady(t, c, layersNode)
	for _, ns := range []string{"mayastor", "vault", "kuma-system", "calidum-rotae", "argocd", "vcluster-prod",
		"vcluster-staging", "raconteurs-grav", "projectcontour"} {
		lw.namespace(ns)
	}

	start := time.Now()
	now := start.UTC().Truncate(time.Second)
	lw.writeStorage()
	lw.writeMesh(now)
	lw.writeGitOps(now)
	lw.writeSecrets(now)
	lw.writeVClusters()
	lw.writeCertificates(now)
	lw.writeIngress(now)
	lw.waitWorkloadsReady()
	t.Logf("objects written, control plane and vclusters ready (kwok) in %s", time.Since(start).Round(time.Millisecond))

	// Phase 1: every layer has something Down or Degraded.
	want := layersPhase1(now)
	rep, code := checkLayersStatus(t, "initial", want)
	if rep.Overall != health.Down || code != 2 {
		t.Fatalf("initial: a Faulted pool, an offline dataplane, a Degraded App, an invalid HTTPProxy and an unprogrammed Gateway are Down: overall %v, exit %d", rep.Overall, code)
	}

	// The console, on its own hub over the same API server.
	kube, err := platform.ConnectKube(platform.KubeOptions{Kubeconfig: shared.lab.KubeconfigPath()}, platform.MapLookup(nil))
	if err != nil {
		t.Fatal(err)
	}
	hctx, cancel := context.WithCancel(ctx)
	defer cancel()
	hub := watch.NewHub(watch.HubOptions{Platform: "lab", MinInterval: 50 * time.Millisecond}, watch.NewKubeSource(kube))
	go hub.Run(hctx)
	ch, unsub := hub.Subscribe()
	defer unsub()
	drv := uitest.New(t, ui.NewConsole(ui.ConsoleOptions{Snapshots: ch, Color: false}), 200, 60)
	drv.Deadline = time.Minute // a live cluster: the guard is generous

	scr := drv.Until("every layer's status on the overview", func(s string) bool {
		return overviewMatches(s, want) && strings.Contains(plainScreen(s), "DiskPool/mayastor/e2e-hdd-worker-3 — Faulted")
	})
	if !strings.Contains(scr, "lab") {
		t.Errorf("header lacks the platform name:\n%s", scr)
	}
	for _, layer := range layerOrder {
		layerJump(drv, string(layer))
		drv.Until("the "+string(layer)+" page with every finding", func(s string) bool {
			return layerPageMatches(s, want[layer])
		})
	}

	// Phase 2, live: the Degraded pool comes back Online (the StorageClass then has Online pools on two
	// nodes, enough for repl 2), and the Degraded App gets synced and healthy.
	layerJump(drv, "storage")
	lw.replaceStatus(layerResDiskPool, "mayastor", "e2e-hdd-worker-2", diskPoolStatus("Online", 3000588304384, 536870912000))
	want = layersPhase2(now)
	drv.Until("the pool Online and the StorageClass OK on the storage page", func(s string) bool {
		return layerPageMatches(s, want[health.LayerStorage])
	})
	layerJump(drv, "gitops")
	lw.replaceStatus(layerResApplication, "argocd", "e2e-garagehq", appStatus(now, "Synced", "Healthy", "", "Succeeded", ""))
	drv.Until("the App Synced and Healthy on the gitops page", func(s string) bool {
		return layerPageMatches(s, want[health.LayerGitOps])
	})
	layerJump(drv, "overview")
	drv.Until("the overview after the repairs", func(s string) bool {
		return overviewMatches(s, want) && strings.Contains(plainScreen(s), "Application/argocd/e2e-kuma: OutOfSync")
	})
	if rep, code := checkLayersStatus(t, "after the pool and App repairs", want); rep.Overall != health.Down || code != 2 {
		t.Fatalf("still a Faulted pool, an offline dataplane, an invalid HTTPProxy and a Gateway down: overall %v, exit %d", rep.Overall, code)
	}

	// Phase 3: everything Down recovers; mayastor stops being the default class. Degraded remains.
	lw.replaceStatus(layerResDiskPool, "mayastor", "e2e-hdd-worker-3", diskPoolStatus("Online", 2000398934016, 0))
	lw.replaceStatus(layerResDPInsight, "calidum-rotae", "e2e-discord-provider-5f7b9c4d8-m4n8p",
		dataplaneInsightStatus(
			kumaSubscription("9d1b4f0e-2c53-4d6a-9a51-2f0c7f3e5a11", now.Add(-3*time.Hour), now.Add(-12*time.Minute)),
			kumaSubscription("0b6c2e7a-8f41-4c9e-b3d2-5a7e9f1c4d60", time.Now().Add(-time.Minute), time.Time{})))
	lw.replaceStatus(layerResHTTPProxy, "calidum-rotae", "e2e-calidum-rotae", httpProxyStatus(now, true))
	lw.replaceStatus(layerResGateway, "projectcontour", "e2e-internal", gatewayStatus(now, true, "10.0.21.240"))
	sc, err := c.StorageV1().StorageClasses().Get(ctx, "mayastor", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	delete(sc.Annotations, "storageclass.kubernetes.io/is-default-class")
	if _, err := c.StorageV1().StorageClasses().Update(ctx, sc, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	want = layersPhase3(now)
	drv.Until("the overview with nothing Down in the layers written", func(s string) bool {
		return overviewMatches(s, want)
	})
	layerJump(drv, "storage")
	drv.Until("the StorageClass no longer default on the storage page", func(s string) bool {
		return layerPageMatches(s, want[health.LayerStorage])
	})
	// Nothing written is Down any more: the exit code is 1 unless something this test did not write (the
	// cluster layer, or a finding logged above) is Down.
	rep, code = checkLayersStatus(t, "after every recovery", want)
	others := notWritten(rep, want)
	switch {
	case others < health.Down && rep.Overall == health.Degraded && code == 1:
	case others < health.Down:
		t.Errorf("after every recovery: overall %v, exit %d; want Degraded, exit 1 (what this test did not write is at worst %v)", rep.Overall, code, others)
	default:
		t.Logf("after every recovery: something this test did not write is %v, so overall %v and exit %d (not 1)", others, rep.Overall, code)
	}
	if !drv.Key("q") {
		t.Error("q must quit")
	}
}

// The objects' resources, as health.Objects.Unavailable keys them.
const (
	layerResDiskPool      = "diskpools.openebs.io"
	layerResMesh          = "meshes.kuma.io"
	layerResDPInsight     = "dataplaneinsights.kuma.io"
	layerResApplication   = "applications.argoproj.io"
	layerResCertificate   = "certificates.cert-manager.io"
	layerResHTTPProxy     = "httpproxies.projectcontour.io"
	layerResGatewayClass  = "gatewayclasses.gateway.networking.k8s.io"
	layerResGateway       = "gateways.gateway.networking.k8s.io"
	layerResVaultPolicy   = "policies.redhatcop.redhat.io"
	layerResVaultAuthRole = "kubernetesauthengineroles.redhatcop.redhat.io"
	layerResVaultMount    = "secretenginemounts.redhatcop.redhat.io"

	layersNode     = "e2e-layers-node"
	kumaCPInstance = "kuma-control-plane-6b8d9c7f4-q7x2m"
)

// layerOrder is the order the console pages are checked in.
var layerOrder = []health.Layer{health.LayerStorage, health.LayerMesh, health.LayerGitOps, health.LayerSecrets,
	health.LayerVClusters, health.LayerCertificates, health.LayerIngress}

// ---------------------------------------------------------------------------------------------------
// Expectations, from the rules in internal/health.

// layerWant is one finding the rules must produce: status, reason fragments and, optionally, a hint
// fragment.
type layerWant struct {
	object string
	status health.Status
	reason []string
	hint   string
}

type layerWants map[health.Layer][]layerWant

func (w layerWants) clone() layerWants {
	out := layerWants{}
	for l, ws := range w {
		out[l] = append([]layerWant(nil), ws...)
	}
	return out
}

// set replaces the expectation on the same object.
func (w layerWants) set(l health.Layer, f layerWant) {
	for i := range w[l] {
		if w[l][i].object == f.object {
			w[l][i] = f
			return
		}
	}
	panic("no expectation on " + f.object)
}

func (w layerWants) status(l health.Layer) health.Status {
	st := health.OK
	for _, f := range w[l] {
		st = health.Worst(st, f.status)
	}
	return st
}

func layersPhase1(now time.Time) layerWants {
	overdue := now.Add(-25 * 24 * time.Hour).Format(time.DateOnly)
	return layerWants{
		health.LayerStorage: {
			{object: "DiskPool/mayastor/e2e-hdd-worker-1", status: health.OK, reason: []string{"Online, 13% of 2.7 TiB used"}},
			{object: "DiskPool/mayastor/e2e-hdd-worker-2", status: health.Degraded, reason: []string{"Degraded, 17% of 2.7 TiB used"},
				hint: "runbook: pool-degraded"},
			{object: "DiskPool/mayastor/e2e-hdd-worker-3", status: health.Down, reason: []string{"Faulted: the pool cannot serve its replicas"},
				hint: "on worker-3 (/dev/disk/by-id/ata-ST2000VN004-2E4164_E2E0W3"},
			{object: "PVC/vault/data-vault-0", status: health.Degraded, reason: []string{"Pending for ", "class mayastor"}},
			{object: "StorageClass/mayastor", status: health.Degraded,
				reason: []string{"repl 2 but only 1 node(s) with an Online pool: new volumes cannot be placed"}},
		},
		health.LayerMesh: {
			{object: "Mesh/default", status: health.OK, reason: []string{"mTLS on (backend ca-1)"}},
			{object: "Mesh/e2e-sandbox", status: health.Degraded, reason: []string{"mTLS off"}},
			{object: "Dataplane/calidum-rotae/e2e-calidum-rotae-7c9d5b8f6-x2x4k", status: health.OK,
				reason: []string{"online: connected to " + kumaCPInstance + " for 2h", "in mesh default (DataplaneInsight)"}},
			{object: "Dataplane/calidum-rotae/e2e-discord-provider-5f7b9c4d8-m4n8p", status: health.Down,
				reason: []string{"offline: disconnected from " + kumaCPInstance + " ", "m ago in mesh default (DataplaneInsight)"}},
			{object: "Deployment/kuma-system/kuma-control-plane", status: health.OK, reason: []string{"1/1 ready"}},
		},
		health.LayerGitOps: {
			{object: "Application/argocd/e2e-vault", status: health.OK, reason: []string{"Synced, Healthy"}},
			{object: "Application/argocd/e2e-kuma", status: health.Degraded, reason: []string{"OutOfSync, Healthy"},
				hint: "argocd app diff argocd/e2e-kuma"},
			{object: "Application/argocd/e2e-garagehq", status: health.Down, reason: []string{"OutOfSync",
				"Degraded: VaultStaticSecret storage-config/garagehq-credentials: Failed to sync the secret",
				"last sync Failed: one or more synchronization tasks completed unsuccessfully"}},
		},
		health.LayerSecrets: {
			{object: "SecretEngineMount/vault/e2e-github", status: health.OK, reason: []string{"reconciled"}},
			{object: "Policy/vault/e2e-secret-reader", status: health.OK, reason: []string{"reconciled"}},
			{object: "KubernetesAuthEngineRole/vault/e2e-secret-reader", status: health.Degraded,
				reason: []string{"reconcile failed: ", `Errors: * invalid role name "config-admin"`}, hint: "vault-bootstrap"},
		},
		health.LayerVClusters: {
			{object: "VCluster/vcluster-prod/vcluster-prod", status: health.OK,
				reason: []string{"1/1 ready, kubeconfig Secret present, registered in ArgoCD"}},
			{object: "VCluster/vcluster-staging/vcluster-staging", status: health.Degraded, reason: []string{"not registered in ArgoCD"},
				hint: "create ArgoCD cluster Secret cluster-vcluster-staging (server https://vcluster-staging.vcluster-staging.svc)"},
		},
		health.LayerCertificates: {
			{object: "Certificate/raconteurs-grav/e2e-grav-tls", status: health.OK, reason: []string{"Ready, expires in 89 days"}},
			{object: "Certificate/raconteurs-grav/e2e-grav-www-tls", status: health.Degraded,
				reason: []string{"Ready, renewal overdue since " + overdue + ", expires in 4 days"},
				hint:   "issuer ClusterIssuer/letsencrypt-http; runbook: cert-renewal"},
		},
		health.LayerIngress: {
			{object: "HTTPProxy/raconteurs-grav/e2e-grav", status: health.OK, reason: []string{"valid, raconteurs.etsmtl.club"}},
			{object: "HTTPProxy/calidum-rotae/e2e-calidum-rotae", status: health.Down, reason: []string{"invalid: SecretNotValid: Spec.VirtualHost.TLS Secret"}},
			{object: "GatewayClass/e2e-contour", status: health.OK, reason: []string{"Accepted (controller projectcontour.io/gateway-controller)"}},
			{object: "Gateway/projectcontour/e2e-public", status: health.OK, reason: []string{"Accepted, Programmed, 142.137.247.73"}},
			{object: "Gateway/projectcontour/e2e-internal", status: health.Down, reason: []string{
				"Accepted=False: ListenersNotValid (", "Programmed=False: Invalid ("}},
		},
	}
}

func layersPhase2(now time.Time) layerWants {
	w := layersPhase1(now).clone()
	w.set(health.LayerStorage, layerWant{object: "DiskPool/mayastor/e2e-hdd-worker-2", status: health.OK,
		reason: []string{"Online, 17% of 2.7 TiB used"}})
	w.set(health.LayerStorage, layerWant{object: "StorageClass/mayastor", status: health.OK,
		reason: []string{"default class, io.openebs.csi-mayastor, repl 2, nvmf, Online pools on 2 node(s)"}})
	w.set(health.LayerGitOps, layerWant{object: "Application/argocd/e2e-garagehq", status: health.OK, reason: []string{"Synced, Healthy"}})
	return w
}

func layersPhase3(now time.Time) layerWants {
	w := layersPhase2(now).clone()
	w.set(health.LayerStorage, layerWant{object: "DiskPool/mayastor/e2e-hdd-worker-3", status: health.OK,
		reason: []string{"Online, 0% of 1.8 TiB used"}})
	w.set(health.LayerStorage, layerWant{object: "StorageClass/mayastor", status: health.Degraded,
		reason: []string{"not the default class: claims without storageClassName stay Pending"}, hint: "is-default-class"})
	w.set(health.LayerMesh, layerWant{object: "Dataplane/calidum-rotae/e2e-discord-provider-5f7b9c4d8-m4n8p", status: health.OK,
		reason: []string{"online: connected to " + kumaCPInstance + " for ", "in mesh default (DataplaneInsight)"}})
	w.set(health.LayerIngress, layerWant{object: "HTTPProxy/calidum-rotae/e2e-calidum-rotae", status: health.OK,
		reason: []string{"valid, calidum-rotae.prodv2.cedille.club"}})
	w.set(health.LayerIngress, layerWant{object: "Gateway/projectcontour/e2e-internal", status: health.OK,
		reason: []string{"Accepted, Programmed, 10.0.21.240"}})
	return w
}

// objectForm is the documented `object` form: Kind/name or Kind/namespace/name.
var objectForm = regexp.MustCompile(`^[A-Z][A-Za-z]*/[a-z0-9][a-z0-9.-]*(/[a-z0-9][a-z0-9.-]*)?$`)

// checkLayersStatus runs `status -o json` and checks every expected finding, each layer's status (the
// worst of its findings: those expected, and any other the layer reports, which is logged), the overall
// status and the exit code. It returns the report and the exit code.
func checkLayersStatus(t *testing.T, phase string, want layerWants) (health.Report, int) {
	t.Helper()
	began := time.Now()
	r := runCLI(t, only("KUBECONFIG"), "status", "-o", "json", "--timeout", "30s")
	t.Logf("%s: status -o json answered in %s, exit %d", phase, time.Since(began).Round(time.Millisecond), r.code)
	var rep health.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%s: status -o json: %v\nstdout:\n%s\nstderr:\n%s", phase, err, r.stdout, r.stderr)
	}
	for _, bad := range []string{"panic", "goroutine"} {
		if strings.Contains(r.stderr, bad) {
			t.Fatalf("%s: status crashed:\n%s", phase, r.stderr)
		}
	}
	for _, layer := range layerOrder {
		l, ok := rep.Layer(layer)
		if !ok {
			t.Errorf("%s: layer %s missing from the report", phase, layer)
			continue
		}
		mine := map[string]bool{}
		expected := want.status(layer)
		for _, w := range want[layer] {
			mine[w.object] = true
			f, ok := findFinding(rep, layer, w.object)
			if !ok {
				t.Errorf("%s: %s: no finding for %s; findings: %+v", phase, layer, w.object, l.Findings)
				continue
			}
			if msg := w.mismatch(f); msg != "" {
				t.Errorf("%s: %s: %s", phase, layer, msg)
			}
		}
		for _, f := range l.Findings {
			if !objectForm.MatchString(f.Object) {
				t.Errorf("%s: %s: object %q is not Kind/name or Kind/namespace/name", phase, layer, f.Object)
			}
			if !mine[f.Object] {
				t.Logf("%s: %s also reports %s %s: %s", phase, layer, f.Object, f.Status, f.Reason)
				expected = health.Worst(expected, f.Status)
			}
		}
		if l.Status != expected {
			t.Errorf("%s: layer %s is %v, want %v (the worst of its findings)", phase, layer, l.Status, expected)
		}
	}
	overall := health.OK
	for _, l := range rep.Layers {
		overall = health.Worst(overall, l.Status)
	}
	if rep.Overall != overall {
		t.Errorf("%s: overall %v, but the worst layer is %v", phase, rep.Overall, overall)
	}
	if r.code != rep.Overall.ExitCode() {
		t.Errorf("%s: exit %d, but overall %v (exit %d)\nstderr: %s", phase, r.code, rep.Overall, rep.Overall.ExitCode(), r.stderr)
	}
	return rep, r.code
}

// notWritten is the worst status of the findings the test did not write: the cluster layer's, and any
// other a layer reports.
func notWritten(rep health.Report, want layerWants) health.Status {
	st := health.OK
	for _, l := range rep.Layers {
		mine := map[string]bool{}
		for _, w := range want[l.Name] {
			mine[w.object] = true
		}
		for _, f := range l.Findings {
			if !mine[f.Object] {
				st = health.Worst(st, f.Status)
			}
		}
		if len(l.Findings) == 0 {
			st = health.Worst(st, l.Status)
		}
	}
	return st
}

// mismatch says how a finding differs from the expectation ("" when it matches).
func (w layerWant) mismatch(f health.Finding) string {
	var bad []string
	if f.Status != w.status {
		bad = append(bad, fmt.Sprintf("status %v, want %v", f.Status, w.status))
	}
	for _, r := range w.reason {
		if !strings.Contains(f.Reason, r) {
			bad = append(bad, fmt.Sprintf("reason lacks %q", r))
		}
	}
	if w.hint != "" && !strings.Contains(f.Hint, w.hint) {
		bad = append(bad, fmt.Sprintf("hint lacks %q", w.hint))
	}
	if f.Status == health.OK && f.Hint != "" && w.hint == "" {
		bad = append(bad, "an OK finding with nothing to do carries a hint")
	}
	if len(bad) == 0 {
		return ""
	}
	return fmt.Sprintf("%s: %s\n  got %v %q (hint %q)", w.object, strings.Join(bad, "; "), f.Status, f.Reason, f.Hint)
}

// ---------------------------------------------------------------------------------------------------
// The console's screens.

var ansiSeq = regexp.MustCompile(`\x1b\[[0-9;:?]*[A-Za-z]`)

func plainScreen(s string) string { return ansiSeq.ReplaceAllString(s, "") }

// overviewMatches: every layer written shows its expected status on its overview row (symbol, layer,
// status, counts, worst).
func overviewMatches(screen string, want layerWants) bool {
	rows := map[string]string{}
	for _, line := range strings.Split(plainScreen(screen), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 {
			continue
		}
		if st, err := health.ParseStatus(f[2]); err == nil && f[0] == st.Symbol() {
			rows[f[1]] = f[2] + " " + f[0]
		}
	}
	for _, layer := range layerOrder {
		st := want.status(layer)
		if rows[string(layer)] != st.String()+" "+st.Symbol() {
			return false
		}
	}
	return true
}

// layerPageMatches: every expected finding has its row (symbol, status, object, reason) with its status
// and first reason fragment, and the page's summary line shows the layer's status.
func layerPageMatches(screen string, want []layerWant) bool {
	rows := map[string]string{}
	lines := strings.Split(plainScreen(screen), "\n")
	for _, line := range lines {
		if f := strings.Fields(line); len(f) >= 3 {
			rows[f[2]] = line
		}
	}
	worst := health.OK
	for _, w := range want {
		worst = health.Worst(worst, w.status)
		line, ok := rows[w.object]
		if !ok || strings.Fields(line)[1] != w.status.String() || !strings.Contains(line, w.reason[0]) {
			return false
		}
	}
	for _, line := range lines {
		if strings.HasPrefix(strings.TrimSpace(line), worst.Symbol()+" "+worst.String()+"  ") {
			return true
		}
	}
	return false
}

// layerJump types `:target` and enter.
func layerJump(d *uitest.Driver[*app.Model], target string) {
	d.T.Helper()
	d.Key(":")
	for _, r := range target {
		d.Key(string(r))
	}
	d.Key("enter")
}

// ---------------------------------------------------------------------------------------------------
// Writing the objects.

// layerKind is a custom resource as the lab's apiserver serves it.
type layerKind struct {
	gvr        schema.GroupVersionResource
	kind       string
	hasStatus  bool // a status subresource: status is written with UpdateStatus
	namespaced bool
}

type layerWriter struct {
	t     *testing.T
	c     kubernetes.Interface
	dyn   dynamic.Interface
	ext   apiextensionsclient.Interface
	kinds map[string]layerKind
	// namespaces are those created here, deleted at the end.
	namespaces []string
}

func newLayerWriter(t *testing.T, c kubernetes.Interface) *layerWriter {
	cfg := shared.lab.RESTConfig()
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ext, err := apiextensionsclient.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &layerWriter{t: t, c: c, dyn: dyn, ext: ext, kinds: map[string]layerKind{}}
}

// kind reads a served CRD, or installs def when the CRD is absent (def nil: it must be there), and
// records its storage version and whether it has a status subresource; the CRD is removed at the end
// only if it was installed here. It waits until discovery serves the resource, as `status` reads it.
func (w *layerWriter) kind(name string, def *apiextensionsv1.CustomResourceDefinition) {
	t, ctx := w.t, context.Background()
	t.Helper()
	api := w.ext.ApiextensionsV1().CustomResourceDefinitions()
	crd, err := api.Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) && def != nil {
		if crd, err = api.Create(ctx, def, metav1.CreateOptions{}); err != nil {
			t.Fatalf("install CRD %s: %v", name, err)
		}
		t.Cleanup(func() {
			if err := api.Delete(context.Background(), name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
				t.Errorf("delete CRD %s: %v", name, err)
			}
			eventually(t, 60*time.Second, "CRD "+name+" gone", func() bool {
				_, err := api.Get(context.Background(), name, metav1.GetOptions{})
				return apierrors.IsNotFound(err)
			})
		})
		eventually(t, 30*time.Second, "CRD "+name+" Established", func() bool {
			cur, err := api.Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false
			}
			for _, c := range cur.Status.Conditions {
				if c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue {
					return true
				}
			}
			return false
		})
	}
	if err != nil {
		t.Fatalf("CRD %s (the lab installs hack/lab/crds): %v", name, err)
	}
	k := layerKind{kind: crd.Spec.Names.Kind, namespaced: crd.Spec.Scope == apiextensionsv1.NamespaceScoped}
	for _, v := range crd.Spec.Versions {
		if v.Storage {
			k.gvr = schema.GroupVersionResource{Group: crd.Spec.Group, Version: v.Name, Resource: crd.Spec.Names.Plural}
			k.hasStatus = v.Subresources != nil && v.Subresources.Status != nil
		}
	}
	w.kinds[name] = k
	gv := k.gvr.GroupVersion().String()
	eventually(t, 30*time.Second, "discovery to serve "+name, func() bool {
		l, err := w.c.Discovery().ServerResourcesForGroupVersion(gv)
		if err != nil {
			return false
		}
		for _, r := range l.APIResources {
			if r.Name == k.gvr.Resource {
				return true
			}
		}
		return false
	})
}

func (w *layerWriter) resource(key, ns string) dynamic.ResourceInterface {
	k, ok := w.kinds[key]
	if !ok {
		w.t.Fatalf("kind %s not prepared", key)
	}
	if k.namespaced {
		return w.dyn.Resource(k.gvr).Namespace(ns)
	}
	return w.dyn.Resource(k.gvr)
}

// create writes a custom resource the way its controller leaves it: with a status subresource, create
// then UpdateStatus (the create drops status); without one, status is part of the object.
func (w *layerWriter) create(key, ns, name string, labels map[string]string, body map[string]any) {
	t, ctx := w.t, context.Background()
	t.Helper()
	k := w.kinds[key]
	obj := &unstructured.Unstructured{Object: map[string]any{}}
	for f, v := range body {
		obj.Object[f] = v
	}
	obj.SetAPIVersion(k.gvr.GroupVersion().String())
	obj.SetKind(k.kind)
	obj.SetName(name)
	if k.namespaced {
		obj.SetNamespace(ns)
	}
	obj.SetLabels(labels)
	status, hasStatus := body["status"]
	res := w.resource(key, ns)
	got, err := res.Create(ctx, obj, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create %s %s/%s: %v", k.kind, ns, name, err)
	}
	t.Cleanup(func() {
		if err := res.Delete(context.Background(), name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("delete %s %s/%s: %v", k.kind, ns, name, err)
		}
	})
	switch {
	case !hasStatus:
	case k.hasStatus:
		if st, _ := got.Object["status"].(map[string]any); len(st) > 0 {
			t.Fatalf("%s has a status subresource, yet create kept the status: %v", k.kind, st)
		}
		got.Object["status"] = status
		if _, err := res.UpdateStatus(ctx, got, metav1.UpdateOptions{}); err != nil {
			t.Fatalf("status of %s %s/%s: %v", k.kind, ns, name, err)
		}
	default:
		if _, ok := got.Object["status"]; !ok {
			t.Fatalf("%s has no status subresource, yet create dropped the status", k.kind)
		}
	}
}

// replaceStatus writes a new status as the object's controller would: UpdateStatus with a status
// subresource, an update of the whole object without one.
func (w *layerWriter) replaceStatus(key, ns, name string, status map[string]any) {
	t := w.t
	t.Helper()
	k, res := w.kinds[key], w.resource(key, ns)
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur, err := res.Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		cur.Object["status"] = status
		if k.hasStatus {
			_, err = res.UpdateStatus(context.Background(), cur, metav1.UpdateOptions{})
		} else {
			_, err = res.Update(context.Background(), cur, metav1.UpdateOptions{})
		}
		return err
	})
	if err != nil {
		t.Fatalf("status of %s %s/%s: %v", k.kind, ns, name, err)
	}
}

// namespace creates a namespace if it is not there (deleted at the end, once empty, if created here) and
// waits for its default ServiceAccount, without which the controllers cannot create pods.
func (w *layerWriter) namespace(name string) {
	t, ctx := w.t, context.Background()
	t.Helper()
	api := w.c.CoreV1().Namespaces()
	_, err := api.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	switch {
	case apierrors.IsAlreadyExists(err):
	case err != nil:
		t.Fatalf("namespace %s: %v", name, err)
	default:
		if len(w.namespaces) == 0 {
			// One cleanup for all: the namespace controller takes seconds per namespace, in parallel.
			t.Cleanup(func() {
				for _, ns := range w.namespaces {
					if err := api.Delete(context.Background(), ns, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
						t.Errorf("delete namespace %s: %v", ns, err)
					}
				}
				eventually(t, 90*time.Second, "namespaces "+strings.Join(w.namespaces, ", ")+" gone", func() bool {
					for _, ns := range w.namespaces {
						if _, err := api.Get(context.Background(), ns, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
							return false
						}
					}
					return true
				})
			})
		}
		w.namespaces = append(w.namespaces, name)
	}
	eventually(t, 30*time.Second, "ServiceAccount "+name+"/default", func() bool {
		_, err := w.c.CoreV1().ServiceAccounts(name).Get(ctx, "default", metav1.GetOptions{})
		return err == nil
	})
}

// cleanupTyped deletes a built-in object at the end.
func (w *layerWriter) cleanupTyped(what string, del func(context.Context) error) {
	w.t.Cleanup(func() {
		if err := del(context.Background()); err != nil && !apierrors.IsNotFound(err) {
			w.t.Errorf("delete %s: %v", what, err)
		}
	})
}

// --- storage: era-1 Mayastor (PLATFORM.md §1.1, §2.3).

func diskPoolStatus(poolStatus string, capacity, used int64) map[string]any {
	return map[string]any{"cr_state": "Created", "pool_status": poolStatus,
		"capacity": capacity, "used": used, "available": capacity - used}
}

func (w *layerWriter) writeStorage() {
	t, ctx := w.t, context.Background()
	t.Helper()
	pools := []struct {
		name, node, disk string
		status           map[string]any
	}{
		{"e2e-hdd-worker-1", "worker-1", "/dev/disk/by-id/ata-WDC_WD30EFRX-68EUZN0_WD-E2E0W1", diskPoolStatus("Online", 3000588304384, 412316860416)},
		{"e2e-hdd-worker-2", "worker-2", "/dev/disk/by-id/ata-WDC_WD30EFRX-68EUZN0_WD-E2E0W2", diskPoolStatus("Degraded", 3000588304384, 536870912000)},
		{"e2e-hdd-worker-3", "worker-3", "/dev/disk/by-id/ata-ST2000VN004-2E4164_E2E0W3", diskPoolStatus("Faulted", 2000398934016, 322122547200)},
	}
	for _, p := range pools {
		w.create(layerResDiskPool, "mayastor", p.name, nil, map[string]any{
			"spec":   map[string]any{"node": p.node, "disks": []any{p.disk}},
			"status": p.status,
		})
	}

	sc := &storagev1.StorageClass{
		ObjectMeta: metav1.ObjectMeta{Name: "mayastor",
			Annotations: map[string]string{"storageclass.kubernetes.io/is-default-class": "true"}},
		Provisioner: "io.openebs.csi-mayastor",
		Parameters:  map[string]string{"protocol": "nvmf", "repl": "2", "ioTimeout": "30", "stsAffinityGroup": "true"},
	}
	if _, err := w.c.StorageV1().StorageClasses().Create(ctx, sc, metav1.CreateOptions{}); err != nil {
		t.Fatalf("StorageClass mayastor: %v", err)
	}
	w.cleanupTyped("StorageClass mayastor", func(ctx context.Context) error {
		return w.c.StorageV1().StorageClasses().Delete(ctx, "mayastor", metav1.DeleteOptions{})
	})

	// Vault's data claim without a class (era 1: the default class, mayastor). The lab runs no volume
	// binder, so it stays Pending, as with a stuck provisioner.
	pvc := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: "data-vault-0", Namespace: "vault",
			Labels: map[string]string{"app.kubernetes.io/instance": "vault", "app.kubernetes.io/name": "vault", "component": "server"}},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("10Gi")}},
		},
	}
	if _, err := w.c.CoreV1().PersistentVolumeClaims("vault").Create(ctx, pvc, metav1.CreateOptions{}); err != nil {
		t.Fatalf("PVC: %v", err)
	}
	w.cleanupTyped("PVC vault/data-vault-0", func(ctx context.Context) error {
		// The lab runs no pvc-protection controller to lift the admission's finalizer.
		patch := []byte(`{"metadata":{"finalizers":null}}`)
		if _, err := w.c.CoreV1().PersistentVolumeClaims("vault").Patch(ctx, "data-vault-0", types.MergePatchType, patch,
			metav1.PatchOptions{}); err != nil {
			return err
		}
		return w.c.CoreV1().PersistentVolumeClaims("vault").Delete(ctx, "data-vault-0", metav1.DeleteOptions{})
	})
	eventually(t, 30*time.Second, "the claim Pending", func() bool {
		got, err := w.c.CoreV1().PersistentVolumeClaims("vault").Get(ctx, "data-vault-0", metav1.GetOptions{})
		return err == nil && got.Status.Phase == corev1.ClaimPending
	})
}

// --- mesh: Kuma 2.4.3 standalone (PLATFORM.md §1.1).

func kumaSubscription(id string, connect, disconnect time.Time) map[string]any {
	s := map[string]any{
		"id": id, "controlPlaneInstanceId": kumaCPInstance,
		"connectTime": connect.Format(time.RFC3339Nano),
		"status": map[string]any{
			"lastUpdateTime": connect.Add(30 * time.Second).Format(time.RFC3339Nano),
			"total":          map[string]any{"responsesSent": "12", "responsesAcknowledged": "12"},
			"cds":            map[string]any{"responsesSent": "3", "responsesAcknowledged": "3"},
		},
		"version": map[string]any{
			"kumaDp": map[string]any{"version": "2.4.3", "gitTag": "2.4.3", "buildDate": "2023-10-02T13:00:00Z"},
			"envoy":  map[string]any{"version": "1.27.1", "build": "hash/1.27.1/RELEASE", "kumaDpCompatible": true},
		},
		"generation": int64(4),
	}
	if !disconnect.IsZero() {
		s["disconnectTime"] = disconnect.Format(time.RFC3339Nano)
	}
	return s
}

func dataplaneInsightStatus(subs ...map[string]any) map[string]any {
	list := make([]any, 0, len(subs))
	for _, s := range subs {
		list = append(list, s)
	}
	return map[string]any{"subscriptions": list}
}

func (w *layerWriter) writeMesh(now time.Time) {
	t, ctx := w.t, context.Background()
	t.Helper()
	w.create(layerResMesh, "", "default", nil, map[string]any{"spec": map[string]any{
		"mtls": map[string]any{"enabledBackend": "ca-1", "backends": []any{map[string]any{"name": "ca-1", "type": "builtin"}}},
	}})
	w.create(layerResMesh, "", "e2e-sandbox", nil, map[string]any{"spec": map[string]any{}})

	w.create(layerResDPInsight, "calidum-rotae", "e2e-calidum-rotae-7c9d5b8f6-x2x4k", nil, map[string]any{
		"mesh":   "default",
		"status": dataplaneInsightStatus(kumaSubscription("5a0c7e41-93b2-4f8d-a6e3-1c2d4b5f6a70", now.Add(-2*time.Hour), time.Time{})),
	})
	w.create(layerResDPInsight, "calidum-rotae", "e2e-discord-provider-5f7b9c4d8-m4n8p", nil, map[string]any{
		"mesh": "default",
		"status": dataplaneInsightStatus(
			kumaSubscription("9d1b4f0e-2c53-4d6a-9a51-2f0c7f3e5a11", now.Add(-3*time.Hour), now.Add(-12*time.Minute))),
	})

	labels := map[string]string{"app": "kuma-control-plane", "app.kubernetes.io/name": "kuma", "app.kubernetes.io/instance": "kuma"}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "kuma-control-plane", Namespace: "kuma-system", Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: layerPtr(int32(1)),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "kuma-control-plane"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: layerPodSpec(corev1.Container{Name: "control-plane", Image: "docker.io/kumahq/kuma-cp:2.4.3",
					Args: []string{"run", "--log-level=info", "--config-file=/etc/kuma.io/kuma-control-plane/config.yaml"},
					Env: []corev1.EnvVar{{Name: "KUMA_MODE", Value: "standalone"}, {Name: "KUMA_EXPERIMENTAL_GATEWAY_API", Value: "true"},
						{Name: "KUMA_DEFAULTS_SKIP_MESH_CREATION", Value: "false"}}}),
			},
		},
	}
	if _, err := w.c.AppsV1().Deployments("kuma-system").Create(ctx, d, metav1.CreateOptions{}); err != nil {
		t.Fatalf("Deployment kuma-control-plane: %v", err)
	}
	w.cleanupTyped("Deployment kuma-system/kuma-control-plane", func(ctx context.Context) error {
		return w.c.AppsV1().Deployments("kuma-system").Delete(ctx, "kuma-control-plane", metav1.DeleteOptions{})
	})
}

// layerPodSpec runs on the kwok node (no scheduler in the lab) without a token (nothing reads it).
func layerPodSpec(c corev1.Container) corev1.PodSpec {
	return corev1.PodSpec{NodeName: layersNode, AutomountServiceAccountToken: layerPtr(false), Containers: []corev1.Container{c}}
}

func layerPtr[T any](v T) *T { return &v }

// --- gitops: ArgoCD Applications in argocd (no status subresource).

func appStatus(now time.Time, sync, health, healthMsg, phase, opMsg string) map[string]any {
	st := map[string]any{
		"sync": map[string]any{"status": sync, "revision": "77c3942a5e0d1b6f8c2d4e9a0b1c3d5e7f9a2b4c",
			"comparedTo": map[string]any{"destination": map[string]any{"server": "https://kubernetes.default.svc"}}},
		"health":       map[string]any{"status": health},
		"reconciledAt": now.Format(time.RFC3339),
		"sourceType":   "Kustomize",
	}
	if healthMsg != "" {
		st["health"].(map[string]any)["message"] = healthMsg
	}
	if phase != "" {
		op := map[string]any{"phase": phase, "startedAt": now.Add(-5 * time.Minute).Format(time.RFC3339),
			"finishedAt": now.Add(-4 * time.Minute).Format(time.RFC3339),
			"operation":  map[string]any{"sync": map[string]any{"revision": "77c3942a5e0d1b6f8c2d4e9a0b1c3d5e7f9a2b4c"}, "retry": map[string]any{}}}
		if opMsg != "" {
			op["message"] = opMsg
		} else {
			op["message"] = "successfully synced (all tasks run)"
		}
		st["operationState"] = op
	}
	return st
}

func (w *layerWriter) writeGitOps(now time.Time) {
	w.t.Helper()
	app := func(name, ns, repo, path string, status map[string]any) map[string]any {
		return map[string]any{
			"spec": map[string]any{
				"project":     "default",
				"destination": map[string]any{"server": "https://kubernetes.default.svc", "namespace": ns},
				"source":      map[string]any{"repoURL": repo, "path": path, "targetRevision": "HEAD"},
				"syncPolicy":  map[string]any{"automated": map[string]any{"selfHeal": true, "prune": true}},
			},
			"status": status,
		}
	}
	w.create(layerResApplication, "argocd", "e2e-vault", nil, app("e2e-vault", "vault",
		"https://github.com/ClubCedille/k8s-foundation.git", "common/vault/overlays/k8s-poc",
		appStatus(now, "Synced", "Healthy", "", "Succeeded", "")))
	w.create(layerResApplication, "argocd", "e2e-kuma", nil, app("e2e-kuma", "kuma-system",
		"https://github.com/ClubCedille/Plateforme-Cedille", "system/kuma/kuma-resources",
		appStatus(now, "OutOfSync", "Healthy", "", "", "")))
	w.create(layerResApplication, "argocd", "e2e-garagehq", nil, app("e2e-garagehq", "storage-config",
		"https://github.com/ClubCedille/k8s-foundation.git", "common/garage/resources",
		appStatus(now, "OutOfSync", "Degraded", "VaultStaticSecret storage-config/garagehq-credentials: Failed to sync the secret",
			"Failed", "one or more synchronization tasks completed unsuccessfully")))
}

// --- secrets: vault-config-operator CRs in vault (condition ReconcileSuccessful).

func reconcileStatus(now time.Time, ok bool, msg string) map[string]any {
	c := map[string]any{"type": "ReconcileSuccessful", "status": "True", "reason": "LastReconcileCycleSucceded",
		"lastTransitionTime": now.Add(-time.Hour).Format(time.RFC3339), "observedGeneration": int64(1)}
	if !ok {
		c["status"], c["reason"], c["message"] = "False", "LastReconcileCycleFailed", msg
	}
	return map[string]any{"conditions": []any{c}}
}

func (w *layerWriter) writeSecrets(now time.Time) {
	w.t.Helper()
	auth := map[string]any{"path": "kubernetes", "role": "config-admin"}
	w.create(layerResVaultMount, "vault", "e2e-github", nil, map[string]any{
		"spec":   map[string]any{"authentication": auth, "type": "vault-plugin-secrets-github", "path": "github"},
		"status": reconcileStatus(now, true, ""),
	})
	w.create(layerResVaultPolicy, "vault", "e2e-secret-reader", nil, map[string]any{
		"spec": map[string]any{"authentication": auth,
			"policy": "path \"kv/data/{{identity.entity.aliases.auth_kubernetes.metadata.service_account_namespace}}/*\" {\n  capabilities = [\"read\"]\n}\n"},
		"status": reconcileStatus(now, true, ""),
	})
	w.create(layerResVaultAuthRole, "vault", "e2e-secret-reader", nil, map[string]any{
		"spec": map[string]any{"authentication": auth, "path": "kubernetes", "audience": "vault", "policies": []any{"secret-reader"},
			"targetServiceAccounts": []any{"*"}, "targetNamespaces": map[string]any{"targetNamespaces": []any{"*"}}},
		"status": reconcileStatus(now, false,
			"Put \"http://vault.vault.svc.cluster.local:8200/v1/auth/kubernetes/login\": Code: 400. Errors:\n\n* invalid role name \"config-admin\""),
	})
}

// --- vclusters: chart 0.16 StatefulSets, their vc-<name> Secrets, ArgoCD cluster Secrets.

func (w *layerWriter) writeVClusters() {
	t, ctx := w.t, context.Background()
	t.Helper()
	for _, name := range []string{"vcluster-prod", "vcluster-staging"} {
		labels := map[string]string{"app": "vcluster", "release": name, "chart": "vcluster-0.16.4", "heritage": "Helm"}
		sts := &appsv1.StatefulSet{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: name, Labels: labels},
			Spec: appsv1.StatefulSetSpec{
				Replicas:    layerPtr(int32(1)),
				ServiceName: name + "-headless",
				Selector:    &metav1.LabelSelector{MatchLabels: map[string]string{"app": "vcluster", "release": name}},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "vcluster", "release": name}},
					Spec: layerPodSpec(corev1.Container{Name: "vcluster", Image: "rancher/k3s:v1.23.5-k3s1",
						Command: []string{"/bin/k3s"}, Args: []string{"server", "--write-kubeconfig=/data/k3s-config/kube-config.yaml"}}),
				},
			},
		}
		if _, err := w.c.AppsV1().StatefulSets(name).Create(ctx, sts, metav1.CreateOptions{}); err != nil {
			t.Fatalf("StatefulSet %s: %v", name, err)
		}
		w.cleanupTyped("StatefulSet "+name, func(ctx context.Context) error {
			return w.c.AppsV1().StatefulSets(name).Delete(ctx, name, metav1.DeleteOptions{})
		})
		w.secret(&corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: "vc-" + name, Namespace: name, Labels: map[string]string{"app": "vcluster"}},
			StringData: map[string]string{"config": "apiVersion: v1\nkind: Config\nclusters:\n- name: my-vcluster\n  cluster:\n    server: https://localhost:8443\n"},
		})
	}
	// Only vcluster-prod is registered, the way the installer writes it.
	w.secret(&corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "cluster-vcluster-prod", Namespace: "argocd", Labels: map[string]string{
			"argocd.argoproj.io/secret-type": "cluster", "etsmtl.club/vcluster": "vcluster-prod", "etsmtl.club/vcluster-namespace": "vcluster-prod",
		}},
		StringData: map[string]string{"name": "vcluster-prod", "server": "https://vcluster-prod.vcluster-prod.svc",
			"config": `{"tlsClientConfig":{"insecure":false}}`},
	})
}

func (w *layerWriter) secret(s *corev1.Secret) {
	w.t.Helper()
	if _, err := w.c.CoreV1().Secrets(s.Namespace).Create(context.Background(), s, metav1.CreateOptions{}); err != nil {
		w.t.Fatalf("Secret %s/%s: %v", s.Namespace, s.Name, err)
	}
	w.cleanupTyped("Secret "+s.Namespace+"/"+s.Name, func(ctx context.Context) error {
		return w.c.CoreV1().Secrets(s.Namespace).Delete(ctx, s.Name, metav1.DeleteOptions{})
	})
}

// waitWorkloadsReady waits for the controllers and kwok to make the control plane and vclusters ready.
func (w *layerWriter) waitWorkloadsReady() {
	t, ctx := w.t, context.Background()
	t.Helper()
	eventually(t, 120*time.Second, "kuma-control-plane and the vclusters ready (pods run by kwok)", func() bool {
		d, err := w.c.AppsV1().Deployments("kuma-system").Get(ctx, "kuma-control-plane", metav1.GetOptions{})
		if err != nil || d.Status.ReadyReplicas != 1 {
			return false
		}
		for _, name := range []string{"vcluster-prod", "vcluster-staging"} {
			s, err := w.c.AppsV1().StatefulSets(name).Get(ctx, name, metav1.GetOptions{})
			if err != nil || s.Status.ReadyReplicas != 1 {
				return false
			}
		}
		return true
	})
}

// --- certificates: cert-manager Certificates from Let's Encrypt (90-day certificates, renewal at 60).

func certificateStatus(now, notBefore time.Time, failing bool) map[string]any {
	notAfter := notBefore.Add(90 * 24 * time.Hour)
	conds := []any{map[string]any{"type": "Ready", "status": "True", "reason": "Ready",
		"message": "Certificate is up to date and has not expired", "lastTransitionTime": notBefore.Format(time.RFC3339),
		"observedGeneration": int64(1)}}
	st := map[string]any{"notBefore": notBefore.Format(time.RFC3339), "notAfter": notAfter.Format(time.RFC3339),
		"renewalTime": notAfter.Add(-30 * 24 * time.Hour).Format(time.RFC3339), "revision": int64(1)}
	if failing {
		conds = append(conds, map[string]any{"type": "Issuing", "status": "False", "reason": "Failed",
			"message":            "The certificate request has failed to complete and will be retried: Failed to wait for order resource \"e2e-grav-www-tls-1-3405983112\" to become ready: order is in \"errored\" state: Failed to create Order: 429 urn:ietf:params:acme:error:rateLimited",
			"lastTransitionTime": now.Add(-2 * time.Hour).Format(time.RFC3339), "observedGeneration": int64(1)})
		st["lastFailureTime"] = now.Add(-2 * time.Hour).Format(time.RFC3339)
		st["failedIssuanceAttempts"] = int64(9)
	}
	st["conditions"] = conds
	return st
}

func (w *layerWriter) writeCertificates(now time.Time) {
	w.t.Helper()
	cert := func(secret string, hosts []any, status map[string]any) map[string]any {
		return map[string]any{
			"spec": map[string]any{"secretName": secret, "dnsNames": hosts,
				"issuerRef": map[string]any{"name": "letsencrypt-http", "kind": "ClusterIssuer", "group": "cert-manager.io"}},
			"status": status,
		}
	}
	w.create(layerResCertificate, "raconteurs-grav", "e2e-grav-tls", nil,
		cert("e2e-grav-tls", []any{"raconteurs.etsmtl.club"}, certificateStatus(now, now, false)))
	w.create(layerResCertificate, "raconteurs-grav", "e2e-grav-www-tls", nil,
		cert("e2e-grav-www-tls", []any{"www.raconteurs.etsmtl.club"}, certificateStatus(now, now.Add(-85*24*time.Hour), true)))
}

// --- ingress: Contour HTTPProxies, Gateway API GatewayClass and Gateways.

func httpProxyStatus(now time.Time, valid bool) map[string]any {
	cond := map[string]any{"type": "Valid", "status": "True", "reason": "Valid", "message": "Valid HTTPProxy",
		"lastTransitionTime": now.Format(time.RFC3339), "observedGeneration": int64(1)}
	st := map[string]any{"currentStatus": "valid", "description": "Valid HTTPProxy",
		"loadBalancer": map[string]any{"ingress": []any{map[string]any{"ip": "142.137.247.73"}}}}
	if !valid {
		cond["status"], cond["reason"], cond["message"] = "False", "ErrorPresent", "At least one error present, see Errors for details"
		cond["errors"] = []any{map[string]any{"type": "TLSError", "reason": "SecretNotValid",
			"message": "Spec.VirtualHost.TLS Secret \"calidum-rotae/calidum-rotae-tls\" is invalid: Secret not found"}}
		st["currentStatus"], st["description"] = "invalid", "At least one error present, see Errors for details"
	}
	st["conditions"] = []any{cond}
	return st
}

func gatewayStatus(now time.Time, ok bool, addr string) map[string]any {
	c := func(typ, status, reason, msg string) map[string]any {
		return map[string]any{"type": typ, "status": status, "reason": reason, "message": msg,
			"lastTransitionTime": now.Format(time.RFC3339), "observedGeneration": int64(1)}
	}
	if ok {
		return map[string]any{
			"addresses":  []any{map[string]any{"type": "IPAddress", "value": addr}},
			"conditions": []any{c("Accepted", "True", "Accepted", "Gateway is accepted"), c("Programmed", "True", "Programmed", "Gateway is programmed")},
			"listeners": []any{map[string]any{"name": "https", "attachedRoutes": int64(1), "supportedKinds": []any{map[string]any{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute"}},
				"conditions": []any{c("Accepted", "True", "Accepted", "Listener accepted"), c("Programmed", "True", "Programmed", "Listener programmed"),
					c("ResolvedRefs", "True", "ResolvedRefs", "Listener references resolved")}}},
		}
	}
	return map[string]any{
		"conditions": []any{
			c("Accepted", "False", "ListenersNotValid", "Listener https is invalid, see its conditions"),
			c("Programmed", "False", "Invalid", "Listener https is invalid, see its conditions"),
		},
		"listeners": []any{map[string]any{"name": "https", "attachedRoutes": int64(0), "supportedKinds": []any{},
			"conditions": []any{c("ResolvedRefs", "False", "InvalidCertificateRef", "Secret projectcontour/internal-tls does not exist"),
				c("Programmed", "False", "Invalid", "Invalid listener, see other listener conditions")}}},
	}
}

func (w *layerWriter) writeIngress(now time.Time) {
	w.t.Helper()
	proxy := func(fqdn, secret, svc string, port int64) map[string]any {
		return map[string]any{"spec": map[string]any{
			"virtualhost": map[string]any{"fqdn": fqdn, "tls": map[string]any{"secretName": secret}},
			"routes":      []any{map[string]any{"conditions": []any{map[string]any{"prefix": "/"}}, "services": []any{map[string]any{"name": svc, "port": port}}}},
		}}
	}
	p := proxy("raconteurs.etsmtl.club", "e2e-grav-tls", "grav", 80)
	p["status"] = httpProxyStatus(now, true)
	w.create(layerResHTTPProxy, "raconteurs-grav", "e2e-grav", nil, p)
	p = proxy("calidum-rotae.prodv2.cedille.club", "calidum-rotae-tls", "calidum-rotae-service", 3000)
	p["status"] = httpProxyStatus(now, false)
	w.create(layerResHTTPProxy, "calidum-rotae", "e2e-calidum-rotae", nil, p)

	w.create(layerResGatewayClass, "", "e2e-contour", nil, map[string]any{
		"spec": map[string]any{"controllerName": "projectcontour.io/gateway-controller"},
		"status": map[string]any{"conditions": []any{map[string]any{"type": "Accepted", "status": "True", "reason": "Accepted",
			"message": "GatewayClass has been accepted by the controller", "lastTransitionTime": now.Format(time.RFC3339), "observedGeneration": int64(1)}}},
	})
	gw := func(host, tlsSecret string, status map[string]any) map[string]any {
		return map[string]any{
			"spec": map[string]any{"gatewayClassName": "e2e-contour", "listeners": []any{map[string]any{
				"name": "https", "protocol": "HTTPS", "port": int64(443), "hostname": host,
				"tls":           map[string]any{"mode": "Terminate", "certificateRefs": []any{map[string]any{"kind": "Secret", "name": tlsSecret}}},
				"allowedRoutes": map[string]any{"namespaces": map[string]any{"from": "All"}},
			}}},
			"status": status,
		}
	}
	w.create(layerResGateway, "projectcontour", "e2e-public", nil, gw("*.etsmtl.club", "public-tls", gatewayStatus(now, true, "142.137.247.73")))
	w.create(layerResGateway, "projectcontour", "e2e-internal", nil, gw("*.internal.etsmtl.club", "internal-tls", gatewayStatus(now, false, "")))
}

// ---------------------------------------------------------------------------------------------------
// The project's own minimal CRDs for the kinds the lab does not install: Contour HTTPProxy, Gateway API
// (GatewayClass, Gateway, HTTPRoute) and three vault-config-operator kinds. As upstream, each has a status
// subresource; spec and status are kept whole.

func layerExtraCRDs() []*apiextensionsv1.CustomResourceDefinition {
	gwAnn := map[string]string{"api-approved.kubernetes.io": "https://github.com/kubernetes-sigs/gateway-api/pull/2466",
		"gateway.networking.k8s.io/bundle-version": "v1.2.1", "gateway.networking.k8s.io/channel": "standard"}
	crds := []*apiextensionsv1.CustomResourceDefinition{
		layerCRD("projectcontour.io", "HTTPProxy", "httpproxies", "httpproxy", true, nil, []string{"proxy", "proxies"}, "v1"),
		layerCRD("gateway.networking.k8s.io", "GatewayClass", "gatewayclasses", "gatewayclass", false, gwAnn, []string{"gc"}, "v1", "v1beta1"),
		layerCRD("gateway.networking.k8s.io", "Gateway", "gateways", "gateway", true, gwAnn, []string{"gtw"}, "v1", "v1beta1"),
		layerCRD("gateway.networking.k8s.io", "HTTPRoute", "httproutes", "httproute", true, gwAnn, nil, "v1", "v1beta1"),
		layerCRD("redhatcop.redhat.io", "Policy", "policies", "policy", true, nil, nil, "v1alpha1"),
		layerCRD("redhatcop.redhat.io", "KubernetesAuthEngineRole", "kubernetesauthengineroles", "kubernetesauthenginerole", true, nil, nil, "v1alpha1"),
		layerCRD("redhatcop.redhat.io", "SecretEngineMount", "secretenginemounts", "secretenginemount", true, nil, nil, "v1alpha1"),
	}
	sort.Slice(crds, func(i, j int) bool { return crds[i].Name < crds[j].Name })
	return crds
}

// layerCRD is a CRD whose first version is stored, with a status subresource and whole spec and status.
func layerCRD(group, kind, plural, singular string, namespaced bool, ann map[string]string, short []string, versions ...string) *apiextensionsv1.CustomResourceDefinition {
	keep := true
	schemaProps := &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
		Type: "object",
		Properties: map[string]apiextensionsv1.JSONSchemaProps{
			"spec":   {Type: "object", XPreserveUnknownFields: &keep},
			"status": {Type: "object", XPreserveUnknownFields: &keep},
		},
	}}
	scope := apiextensionsv1.ClusterScoped
	if namespaced {
		scope = apiextensionsv1.NamespaceScoped
	}
	crd := &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: plural + "." + group, Annotations: ann,
			Labels: map[string]string{"app.kubernetes.io/managed-by": "cedille-tui-e2e"}},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: group, Scope: scope,
			Names: apiextensionsv1.CustomResourceDefinitionNames{Kind: kind, ListKind: kind + "List", Plural: plural, Singular: singular, ShortNames: short},
		},
	}
	for i, v := range versions {
		crd.Spec.Versions = append(crd.Spec.Versions, apiextensionsv1.CustomResourceDefinitionVersion{
			Name: v, Served: true, Storage: i == 0, Schema: schemaProps,
			Subresources: &apiextensionsv1.CustomResourceSubresources{Status: &apiextensionsv1.CustomResourceSubresourceStatus{}},
		})
	}
	return crd
}
