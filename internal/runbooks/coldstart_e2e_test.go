//go:build e2e

package runbooks

import (
	"context"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/hack/lab"
	"github.com/clubcedille/cedille-tui/hack/lab/labtest"
	"github.com/clubcedille/cedille-tui/internal/access"
	"github.com/clubcedille/cedille-tui/internal/actions"
	"github.com/clubcedille/cedille-tui/internal/audit"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/runbook"
	"github.com/clubcedille/cedille-tui/internal/vaultops"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
)

// TestColdStartOnTheLabsAPIServer runs `cold-start` through the engine against the lab's real
// kube-apiserver (RBAC on, the operators bound to deploy/'s cedille-console-operator role) and the lab's
// real Vault, writing as impersonated console users, the power loss made for real. No kubelet and no
// controller runs in the lab: the test is the kubelets (lab-a's and lab-b's stop posting; lab-a's posts
// again when the test "powers it on"), Mayastor (pool-lab-a Unknown, then Online), the pods' controllers
// (a deleted pod made again, Running and Ready) and Argo CD's. The fault: pods waiting on a mount — db-0
// (a CNPG Cluster's) on a Multi-Attach error, its volume held by a VolumeAttachment on lab-b, which
// stays off (taint out of service, as node-lost leaves it); web-0 on "failed to stat", its Mayastor volume
// on the pool not Online; files-0, whose claim is Pending — FailedMount and Multi-Attach Warning events,
// a crash-looping pg-1, an Application OutOfSync, Vault sealed.
//   - a viewer's run reaches the first action and the dispatcher refuses it; the viewer aborts;
//   - the operator's precheck names everything not back; a second operator is locked out;
//   - the postchecks wait for lab-a Ready and the pool Online as the test brings them back;
//   - the stale VolumeAttachment: one changed between its preview and its write is refused; one on a
//     Ready node is refused by the action's guard rail; csi-db is deleted;
//   - db-0 and web-0 are deleted, one at a time, as pods (db-0's owner untouched); files-0, whose volume
//     cannot attach, is not among them and is not deleted;
//   - the process dies; the run resumes; the pods postcheck waits for them Running and Ready, naming
//     files-0 and the crash loop; Vault is unsealed while its postcheck sends the person to vault-sealed;
//     the Application synced; the incident report holds the systems affected and the three times;
//   - once the rest is repaired, the precheck says the platform is back and changes nothing.
func TestColdStartOnTheLabsAPIServer(t *testing.T) {
	l := labtest.Start(t, lab.KubeAPIServer, lab.Vault)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	begun := time.Now()
	kc, dc := adminClients(t, l.RESTConfig())
	vault := newLabVault(ctx, t, l.VaultAddr())
	connect, keys := vault.connect, vault.keys
	pools, apps := coldSetUp(ctx, t, kc, dc)
	lostBindDeployedRoles(ctx, t, kc)

	bed := newTestbed(t, l.RESTConfig())
	world := runbook.World{Kube: kc, Dynamic: dc, Vault: vault.replicas}
	vic := actions.Actor{Name: "vic", Role: access.Viewer, Session: "s-vic"}
	olive := actions.Actor{Name: "olive", Role: access.Operator, Session: "s-olive"}
	otto := actions.Actor{Name: "otto", Role: access.Operator, Session: "s-otto"}
	waitAllowed(ctx, t, bed.clients, olive, "delete", "storage.k8s.io", "volumeattachments")
	staleVA := actions.Target{Kind: actions.KindVolumeAttachment, Name: "csi-db"}
	db0 := actions.Target{Kind: actions.KindPod, Namespace: "shop", Name: "db-0"}
	web0 := actions.Target{Kind: actions.KindPod, Namespace: "shop", Name: "web-0"}
	files0 := actions.Target{Kind: actions.KindPod, Namespace: "shop", Name: "files-0"}
	start := func(who actions.Actor) (*runbook.Session, error) {
		return bed.start(bed.engine(), ColdStart(), runbook.Target{}, who, world)
	}
	wait := func(s *runbook.Session, step string, onLine func(string)) []string {
		t.Helper()
		if st, ok := s.Current(); !ok || st.ID != step {
			t.Fatalf("at step %v, want %s", st.ID, step)
		}
		var lines []string
		if err := s.Wait(ctx, func(p runbook.Progress) {
			lines = append(lines, p.Line)
			if onLine != nil {
				onLine(p.Line)
			}
		}); err != nil {
			t.Fatalf("%s: %v (read %q)", step, err, lines)
		}
		return lines
	}

	// A viewer's run: the precheck applies, the machines are on; the first action is refused.
	sv, err := start(vic)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := sv.Check(ctx); err != nil || !v.Applies {
		t.Fatalf("the viewer's precheck: %+v %v", v, err)
	}
	if err := sv.Tick("looked"); err != nil {
		t.Fatal(err)
	}
	coldPowerOn(ctx, t, kc, pools)
	wait(sv, "nodes", nil)
	wait(sv, "storage", nil)
	if _, err := sv.Objects(ctx); err != nil {
		t.Fatal(err)
	}
	var refused *actions.RefusedError
	if _, err := sv.Preview(ctx, staleVA); !errors.As(err, &refused) || !strings.Contains(err.Error(), "delete-volumeattachment needs operator; you are viewer") {
		t.Fatalf("the viewer's preview: %v", err)
	}
	if err := sv.Abort("a viewer cannot act; handing it to an operator"); err != nil {
		t.Fatal(err)
	}
	viewerEntries, err := bed.entries(sv.Run().ID)
	if err != nil {
		t.Fatal(err)
	}
	refusalsRecorded(t, viewerEntries, "delete-volumeattachment needs operator; you are viewer")
	// The power goes again: lab-a off, its pool Unknown.
	lostKubeletStops(ctx, t, kc, "lab-a")
	setPoolState(ctx, t, pools, "pool-lab-a", "Unknown")

	// The operator's run: the precheck names what is not back.
	s, err := start(olive)
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.Check(ctx)
	if err != nil || !v.Applies {
		t.Fatalf("precheck: %+v %v", v, err)
	}
	details := strings.Join(v.Details, "\n")
	for _, want := range []string{"1 of 3 nodes not Ready (lab-a)", "1 DiskPool not Online", "3 pods stuck on a mount", "1 Multi-Attach error",
		"1 stale VolumeAttachment", "1 pod crash-looping", "Vault not unsealed", "1 of 1 Application not Synced and Healthy"} {
		if !strings.Contains(v.Why, want) {
			t.Errorf("the verdict does not say %q: %s", want, v.Why)
		}
	}
	for _, want := range []string{"lab-a: kubelet stopped posting status", "DiskPool mayastor/pool-lab-a (Unknown)",
		"stuck on a mount: shop/db-0: waiting on its volumes for", "FailedAttachVolume: Multi-Attach error for volume \"pv-db\"",
		"owned by Cluster db (postgresql.cnpg.io): the pod is deleted, never its owner",
		"its volume cannot attach yet: VolumeAttachment csi-db still holds volume pv-db on node lab-b",
		"stuck on a mount: shop/web-0: waiting on its volumes for", "failed to stat",
		"volume pv-web is Mayastor's, and DiskPools are not Online: mayastor/pool-lab-a (Unknown)",
		"shop/files-0", "claim files is Pending, not Bound",
		"stale: csi-db (volume pv-db on node lab-b, not Ready, out of service; wanted by shop/db-0 on lab-c)",
		"crash loop: shop/pg-1: CrashLoopBackOff", "Vault vault-0: sealed, 0 of 3 shares (shamir)", "Application argocd/shop (OutOfSync, Degraded)"} {
		if !strings.Contains(details, want) {
			t.Errorf("the precheck does not say %q:\n%s", want, details)
		}
	}
	if v.Facts[factStuckOnMount] != "shop/db-0 shop/files-0 shop/web-0" || v.Facts[factNodesDown] != "lab-a" {
		t.Errorf("facts %v", v.Facts)
	}
	if _, err := start(otto); err == nil || !strings.Contains(err.Error(), "in progress by olive") {
		t.Fatalf("a second run: %v", err)
	}

	// The machines: lab-a is powered on while the postcheck waits; its pool comes back Online.
	if err := s.Tick("BIOS set to power on after power loss on lab-a, VM started; lab-b stays off (node-lost)"); err != nil {
		t.Fatal(err)
	}
	lines := wait(s, "nodes", func(line string) {
		if strings.Contains(line, "lab-a not") {
			coldPowerOn(ctx, t, kc, nil)
		}
	})
	if lines[0] != "1 of 3 nodes Ready; lab-a not; lab-b out of service (node-lost); control plane: the API server answers" ||
		lines[len(lines)-1] != "2 of 3 nodes Ready; lab-b out of service (node-lost); control plane: the API server answers" {
		t.Fatalf("nodes read %q", lines)
	}
	lines = wait(s, "storage", func(line string) {
		if strings.Contains(line, "(Unknown) not") {
			setPoolState(ctx, t, pools, "pool-lab-a", "Online")
		}
	})
	if lines[0] != "0 of 1 DiskPool Online (mayastor/pool-lab-a (Unknown) not)" || lines[len(lines)-1] != "1 of 1 DiskPool Online" {
		t.Fatalf("storage read %q", lines)
	}

	// The stale attachment: refused when changed since the preview; one on a Ready node refused.
	if objs, err := s.Objects(ctx); err != nil || len(objs) != 1 || objs[0].Object != staleVA.String() {
		t.Fatalf("stale attachments %+v %v", objs, err)
	}
	p, err := s.Preview(ctx, staleVA)
	if err != nil || !strings.Contains(strings.Join(p.Notes, "\n"), "holds PersistentVolume pv-db attached to node lab-b") {
		t.Fatalf("preview %+v %v", p, err)
	}
	if _, err := kc.StorageV1().VolumeAttachments().Patch(ctx, "csi-db", types.MergePatchType, []byte(`{"metadata":{"labels":{"touched":"yes"}}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Act(ctx, staleVA, actions.Confirmation{Typed: "csi-db", Expect: p.Expect}); !errors.Is(err, actions.ErrChanged) {
		t.Fatalf("a delete bound to a stale preview: %v", err)
	}
	olivesActor := runbook.DispatchAs(bed.d, actions.As(olive))(s.Run().ID)
	if _, err := olivesActor.Preview(ctx, "delete-volumeattachment", actions.Target{Kind: actions.KindVolumeAttachment, Name: "csi-cache"}); !errors.Is(err, actions.ErrAttachmentInUse) ||
		!strings.Contains(err.Error(), "node lab-c is Ready") {
		t.Fatalf("an attachment on a Ready node: %v", err)
	}
	if _, err := olivesActor.Do(ctx, "delete-volumeattachment", actions.Target{Kind: actions.KindVolumeAttachment, Name: "csi-cache"},
		actions.Confirmation{Typed: "csi-cache", Expect: coldAttachmentSeen(ctx, t, kc, "csi-cache")}); !errors.Is(err, actions.ErrAttachmentInUse) {
		t.Fatalf("the delete of an attachment on a Ready node: %v", err)
	}
	if p, err = s.Preview(ctx, staleVA); err != nil {
		t.Fatal(err)
	}
	if res, err := s.Act(ctx, staleVA, actions.Confirmation{Typed: "csi-db", Expect: p.Expect}); err != nil || res.As != "cedille:olive" {
		t.Fatalf("delete csi-db: %+v %v", res, err)
	}
	if _, err := kc.StorageV1().VolumeAttachments().Get(ctx, "csi-db", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("csi-db after its delete: %v", err)
	}
	if _, err := kc.StorageV1().VolumeAttachments().Get(ctx, "csi-cache", metav1.GetOptions{}); err != nil {
		t.Fatalf("csi-cache after the refusal: %v", err)
	}

	// The pods stuck on a mount: those whose volume can attach, one at a time; files-0 is not among them.
	objs, err := s.Objects(ctx)
	if err != nil || len(objs) != 2 || objs[0].Object != db0.String() || objs[1].Object != web0.String() {
		t.Fatalf("pods to delete %+v %v", objs, err)
	}
	if _, err := s.Preview(ctx, files0); err == nil || !strings.Contains(err.Error(), "is not one of step restart-pods's objects") {
		t.Fatalf("files-0, whose volume cannot attach: %v", err)
	}
	for _, pod := range []actions.Target{db0, web0} {
		p, err := s.Preview(ctx, pod)
		if err != nil {
			t.Fatal(err)
		}
		if pod == db0 && !strings.Contains(strings.Join(p.Notes, "\n"), "owned by Cluster db") {
			t.Errorf("db-0's preview does not name its owner: %v", p.Notes)
		}
		if _, err := s.Act(ctx, pod, actions.Confirmation{Typed: pod.Name, Expect: p.Expect}); err != nil {
			t.Fatalf("delete %s: %v", pod, err)
		}
		if got, err := kc.CoreV1().Pods("shop").Get(ctx, pod.Name, metav1.GetOptions{}); err != nil || got.DeletionTimestamp == nil {
			t.Fatalf("%s after its delete: %v", pod, err)
		}
	}
	if got, err := kc.CoreV1().Pods("shop").Get(ctx, "files-0", metav1.GetOptions{}); err != nil || got.DeletionTimestamp != nil {
		t.Fatalf("files-0 was deleted: %v", err)
	}

	// The process dies; the run resumes at the pods postcheck. The kubelet and the controllers make the
	// pods again once the postcheck has seen them terminating.
	if s, err = start(olive); err != nil {
		t.Fatal(err)
	}
	lines = wait(s, "pods", func(line string) {
		if strings.Contains(line, "(terminating)") {
			for _, name := range []string{"db-0", "web-0"} {
				coldPodRestarted(ctx, t, kc, name)
			}
		}
	})
	if !strings.HasPrefix(lines[0], "0 of 2 pods back, Running and Ready; not yet: shop/db-0 (terminating), shop/web-0 (terminating)") {
		t.Errorf("pods first read %q", lines[0])
	}
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "2 of 2 pods back, Running and Ready; left on a mount, their volume cannot attach: shop/files-0: claim files is Pending, not Bound; still crash-looping with the storage back: shop/pg-1") {
		t.Errorf("pods last read %q", last)
	}

	// Vault: sealed until the custodians give their shares.
	lines = wait(s, "vault", func(line string) {
		if strings.Contains(line, "not unsealed") {
			u := vaultops.NewUnsealer("vault-0", connect())
			for i := range 3 {
				if _, err := u.Submit(ctx, vaultops.NewSecret(keys.Shares[i].Reveal())); err != nil {
					t.Error(err)
				}
			}
		}
	})
	if lines[0] != "1 of 1 Vault server not unsealed: vault-0: sealed, 0 of 3 shares (shamir) — unseal them: runbook vault-sealed (over SSH: :ceremony)" ||
		lines[len(lines)-1] != "1 Vault server unsealed" {
		t.Fatalf("vault read %q", lines)
	}

	// Argo CD syncs the Application.
	lines = wait(s, "synced", func(line string) {
		if strings.Contains(line, "argocd/shop (OutOfSync") {
			coldAppSynced(ctx, t, apps)
		}
	})
	if lines[len(lines)-1] != "1 of 1 Application Synced and Healthy; no cert-manager Certificate: not checked" {
		t.Fatalf("synced read %q", lines)
	}

	// The run is done; its report tells the systems affected and the times.
	run := s.Run()
	if run.Outcome != "done" {
		t.Fatalf("outcome %q", run.Outcome)
	}
	times := runbook.TimesOf(run)
	if times.Failure() <= 0 || times.Response() <= 0 || times.Repair() <= 0 || times.Failure() != times.Response()+times.Repair() {
		t.Fatalf("times %+v", times)
	}
	report, err := os.ReadFile(run.Report)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Cold start after a power loss", "## Systems affected", "- the platform", "nodes not Ready (lab-a) (found by step survey)",
		"- volumeattachment/csi-db (step stale-attachments, as cedille:olive)", "- pod/shop/db-0 (step restart-pods, as cedille:olive)",
		"- pod/shop/web-0 (step restart-pods, as cedille:olive)", "| olive | run of cold-start started: resumed at step 7 |",
		"delete-volumeattachment volumeattachment/csi-db refused: volumeattachment/csi-db was modified",
		"delete-volumeattachment volumeattachment/csi-cache refused: volumeattachment/csi-cache stays: node lab-c is Ready",
		"| olive | step power: done by hand: BIOS set to power on after power loss on lab-a",
		"| olive | step nodes: 2 of 3 nodes Ready; lab-b out of service (node-lost)",
		"left on a mount, their volume cannot attach: shop/files-0", "| olive | step vault: 1 Vault server unsealed |",
		"## Failure, response and repair"} {
		if !strings.Contains(string(report), want) {
			t.Errorf("the report lacks %q:\n%s", want, report)
		}
	}
	if m := regexp.MustCompile(`\| failure \| response \| repair \|\n\|---\|---\|---\|\n\| (\S+) \| (\S+) \| (\S+) \|`).FindStringSubmatch(string(report)); m == nil ||
		m[1] == "—" || m[2] == "—" || m[3] == "—" {
		t.Errorf("the report's times: %q", m)
	}
	entries, err := bed.entries(run.ID)
	if err != nil {
		t.Fatal(err)
	}
	refusalsRecorded(t, entries, "volumeattachment/csi-db was modified", "node lab-c is Ready")
	for _, path := range []string{bed.trailPath, run.Report} {
		b, err := readFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for i, sh := range append(keys.Shares, keys.RootToken) {
			if strings.Contains(b, sh.Reveal()[:16]) {
				t.Errorf("secret %d is in %s", i, path)
			}
		}
	}
	f, err := os.Open(bed.trailPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := audit.Verify(f); err != nil {
		t.Fatal(err)
	}

	// The rest repaired — files-0's claim bound, pg-1 Ready — the platform is back: nothing applies.
	coldRestRepaired(ctx, t, kc)
	s, err = start(olive)
	if err != nil {
		t.Fatal(err)
	}
	before := coldObjectsVersion(ctx, t, kc)
	if v, err := s.Check(ctx); err != nil || v.Applies ||
		v.Why != "the platform is back: 2 of 3 nodes Ready; lab-b out of service (node-lost), 5 pods, none stuck on a mount or crash-looping, 1 DiskPool Online, Vault unsealed (1 server), 1 Application Synced and Healthy" {
		t.Fatalf("a platform back: %+v %v", v, err)
	}
	if out := s.Run().Outcome; !strings.HasPrefix(out, "not applicable: the platform is back") {
		t.Fatalf("outcome %q", out)
	}
	if after := coldObjectsVersion(ctx, t, kc); after != before {
		t.Fatalf("a run that did not apply changed the cluster: %s → %s", before, after)
	}
	t.Logf("cold-start on the lab: %s", time.Since(begun).Round(time.Millisecond))
}

// coldSetUp makes the platform before the power loss, checks that cold-start does not apply to it, then
// makes the power loss: see TestColdStartOnTheLabsAPIServer. It returns the DiskPools and the
// Applications.
func coldSetUp(ctx context.Context, t *testing.T, kc kubernetes.Interface, dc dynamic.Interface) (dynamic.ResourceInterface, dynamic.ResourceInterface) {
	t.Helper()
	for _, ns := range []string{"shop", "mayastor", "argocd"} {
		if _, err := kc.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// No controller manager: the default ServiceAccount is made here, as its controller would.
	if _, err := kc.CoreV1().ServiceAccounts("shop").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"lab-a", "lab-b", "lab-c"} {
		if _, err := kc.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		lostKubeletPosts(ctx, t, kc, name)
	}
	pools := dc.Resource(platform.DiskPool.GVR).Namespace("mayastor")
	if _, err := pools.Create(ctx, &unstructured.Unstructured{Object: map[string]any{"apiVersion": "openebs.io/v1beta1", "kind": "DiskPool",
		"metadata": map[string]any{"name": "pool-lab-a", "namespace": "mayastor"},
		"spec":     map[string]any{"node": "lab-a", "disks": []any{"/dev/disk/by-id/wwn-0x5000c500a1b2c3d4"}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	setPoolState(ctx, t, pools, "pool-lab-a", "Online")
	apps := dc.Resource(actions.ApplicationsResource()).Namespace("argocd")
	if _, err := apps.Create(ctx, &unstructured.Unstructured{Object: map[string]any{"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
		"metadata": map[string]any{"name": "shop", "namespace": "argocd"},
		"spec": map[string]any{"project": "default", "source": map[string]any{"repoURL": "https://github.com/ClubCedille/k8s-shared", "path": "apps/shop"},
			"destination": map[string]any{"server": "https://kubernetes.default.svc", "namespace": "shop"}},
		"status": map[string]any{"sync": map[string]any{"status": "Synced"}, "health": map[string]any{"status": "Healthy"}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// Before the power loss (Vault aside, which the test reads only in the run): nothing to do.
	e := &runbook.Engine{Store: mustStore(t), Incidents: ""}
	s, err := e.Start(ColdStart(), runbook.Target{}, actions.Actor{Name: "olive", Role: access.Operator}, runbook.World{Kube: kc, Dynamic: dc}, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := s.Check(ctx); err != nil || v.Applies || !strings.HasPrefix(v.Why, "the platform is back: 3 nodes Ready, 0 pods") {
		t.Fatalf("before the power loss: %+v %v", v, err)
	}

	// The claims and their volumes: data (pv-db) and web (pv-web, Mayastor's) Bound, files Pending.
	for _, c := range []struct{ claim, pv, driver string }{{"db", "pv-db", "csi.lab.example"}, {"web", "pv-web", mayastorDriver}, {"cache", "pv-cache", "csi.lab.example"}} {
		pv, err := kc.CoreV1().PersistentVolumes().Create(ctx, &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: c.pv},
			Spec: corev1.PersistentVolumeSpec{Capacity: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")},
				AccessModes:            []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				PersistentVolumeSource: corev1.PersistentVolumeSource{CSI: &corev1.CSIPersistentVolumeSource{Driver: c.driver, VolumeHandle: c.pv}},
				ClaimRef:               &corev1.ObjectReference{Namespace: "shop", Name: c.claim}}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		pv.Status.Phase = corev1.VolumeBound
		if _, err := kc.CoreV1().PersistentVolumes().UpdateStatus(ctx, pv, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		coldClaim(ctx, t, kc, c.claim, c.pv)
	}
	coldClaim(ctx, t, kc, "files", "")
	// Attachments: pv-db held on lab-b (it stays off), pv-cache on lab-c (its pod runs there).
	for _, va := range []struct{ name, pv, node string }{{"csi-db", "pv-db", "lab-b"}, {"csi-cache", "pv-cache", "lab-c"}} {
		pv := va.pv
		got, err := kc.StorageV1().VolumeAttachments().Create(ctx, &storagev1.VolumeAttachment{ObjectMeta: metav1.ObjectMeta{Name: va.name},
			Spec: storagev1.VolumeAttachmentSpec{Attacher: "csi.lab.example", NodeName: va.node, Source: storagev1.VolumeAttachmentSource{PersistentVolumeName: &pv}}},
			metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got.Status.Attached = true
		if _, err := kc.StorageV1().VolumeAttachments().UpdateStatus(ctx, got, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	// The power loss: lab-a and lab-b stop posting; lab-b stays off, confirmed so and tainted out of
	// service (node-lost); pool-lab-a Unknown; the Application degraded.
	lostKubeletStops(ctx, t, kc, "lab-a")
	lostKubeletStops(ctx, t, kc, "lab-b")
	lostEditNode(ctx, t, kc, "lab-b", func(*corev1.Node) {}, func(n *corev1.Node) { n.Spec.Taints = append(n.Spec.Taints, actions.OutOfService()) })
	setPoolState(ctx, t, pools, "pool-lab-a", "Unknown")
	u, err := apps.Get(ctx, "shop", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_ = unstructured.SetNestedField(u.Object, "OutOfSync", "status", "sync", "status")
	_ = unstructured.SetNestedField(u.Object, "Degraded", "status", "health", "status")
	if _, err := apps.Update(ctx, u, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The pods as the kubelets report them after the restart, on lab-c: three waiting on a mount, a crash
	// loop, one Running; and the Warning events about their volumes.
	yes := true
	cnpgCluster := metav1.OwnerReference{APIVersion: "postgresql.cnpg.io/v1", Kind: "Cluster", Name: "db", UID: "cnpg-db", Controller: &yes}
	statefulSet := metav1.OwnerReference{APIVersion: "apps/v1", Kind: "StatefulSet", Name: "web", UID: "sts-web", Controller: &yes}
	coldPod(ctx, t, kc, "db-0", "db", coldCreating, cnpgCluster)
	coldPod(ctx, t, kc, "web-0", "web", coldCreating, statefulSet)
	coldPod(ctx, t, kc, "files-0", "files", coldCreating, statefulSet)
	coldPod(ctx, t, kc, "pg-1", "", coldCrashing, cnpgCluster)
	coldPod(ctx, t, kc, "cache-0", "cache", coldRunning, statefulSet)
	coldEvent(ctx, t, kc, "db-0", "FailedAttachVolume", `Multi-Attach error for volume "pv-db" Volume is already exclusively attached to one node and can't be attached to another`)
	coldEvent(ctx, t, kc, "web-0", "FailedMount", `MountVolume.MountDevice failed for volume "pv-web" : rpc error: code = Internal desc = failed to stat /var/lib/kubelet/plugins/kubernetes.io/csi/io.openebs.csi-mayastor/globalmount`)
	coldEvent(ctx, t, kc, "files-0", "FailedMount", `Unable to attach or mount volumes: unmounted volumes=[data]: timed out waiting for the condition`)
	return pools, apps
}

func mustStore(t *testing.T) *runbook.Store {
	t.Helper()
	st, err := runbook.OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func coldClaim(ctx context.Context, t *testing.T, kc kubernetes.Interface, name, pv string) {
	t.Helper()
	c, err := kc.CoreV1().PersistentVolumeClaims("shop").Create(ctx, &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PersistentVolumeClaimSpec{AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}, VolumeName: pv,
			Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c.Status.Phase = corev1.ClaimPending
	if pv != "" {
		c.Status.Phase = corev1.ClaimBound
	}
	if _, err := kc.CoreV1().PersistentVolumeClaims("shop").UpdateStatus(ctx, c, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// The states of a pod as its kubelet reports them.
const (
	coldCreating = "creating" // scheduled ten minutes ago, its container still ContainerCreating
	coldCrashing = "crashing" // CrashLoopBackOff
	coldRunning  = "running"  // Running and Ready
)

// coldPod makes pod shop/name on lab-c, mounting claim (none when ""), owned by owner, in state.
func coldPod(ctx context.Context, t *testing.T, kc kubernetes.Interface, name, claim, state string, owner metav1.OwnerReference) {
	t.Helper()
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop", OwnerReferences: []metav1.OwnerReference{owner}},
		Spec: corev1.PodSpec{NodeName: "lab-c", Containers: []corev1.Container{{Name: "app", Image: "example.invalid/app"}}}}
	if claim != "" {
		p.Spec.Volumes = []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claim}}}}
	}
	p, err := kc.CoreV1().Pods("shop").Create(ctx, p, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	coldPodState(ctx, t, kc, p, state)
}

func coldPodState(ctx context.Context, t *testing.T, kc kubernetes.Interface, p *corev1.Pod, state string) {
	t.Helper()
	scheduled := metav1.NewTime(time.Now().Add(-10 * time.Minute))
	p.Status = corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: scheduled}}}
	switch state {
	case coldCreating:
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", Image: "example.invalid/app",
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}}}
	case coldCrashing:
		p.Status.Phase = corev1.PodRunning
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", Image: "example.invalid/app", RestartCount: 7,
			State:                corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off 5m0s restarting failed container"}},
			LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "Error", ExitCode: 1}}}}
	case coldRunning:
		p.Status.Phase = corev1.PodRunning
		p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: scheduled})
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", Image: "example.invalid/app", Ready: true,
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: scheduled}}}}
	}
	if _, err := kc.CoreV1().Pods("shop").UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// coldEvent is the Warning a kubelet (or the attach-detach controller) records about pod's volumes.
func coldEvent(ctx context.Context, t *testing.T, kc kubernetes.Interface, pod, reason, message string) {
	t.Helper()
	p, err := kc.CoreV1().Pods("shop").Get(ctx, pod, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	now := metav1.Now()
	if _, err := kc.CoreV1().Events("shop").Create(ctx, &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: pod + "." + strings.ToLower(reason)},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: "shop", Name: pod, UID: p.UID, APIVersion: "v1"},
		Type:           corev1.EventTypeWarning, Reason: reason, Message: message, Count: 3, FirstTimestamp: now, LastTimestamp: now,
		Source: corev1.EventSource{Component: "kubelet", Host: "lab-c"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// coldPowerOn is lab-a's machine on again: its kubelet posts Ready; Mayastor's pool there Online (pools
// nil: left as it is).
func coldPowerOn(ctx context.Context, t *testing.T, kc kubernetes.Interface, pools dynamic.ResourceInterface) {
	t.Helper()
	lostKubeletPosts(ctx, t, kc, "lab-a")
	if pools != nil {
		setPoolState(ctx, t, pools, "pool-lab-a", "Online")
	}
}

// coldAttachmentSeen is the attachment's UID and resourceVersion, as a preview would have seen them.
func coldAttachmentSeen(ctx context.Context, t *testing.T, kc kubernetes.Interface, name string) actions.Precondition {
	t.Helper()
	va, err := kc.StorageV1().VolumeAttachments().Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return actions.Precondition{UID: va.UID, ResourceVersion: va.ResourceVersion}
}

// coldPodRestarted is the kubelet confirming the deleted pod gone and its controller making it again
// under the same name (a StatefulSet's, a CNPG Cluster's), its volume attached: Running and Ready.
func coldPodRestarted(ctx context.Context, t *testing.T, kc kubernetes.Interface, name string) {
	t.Helper()
	old, err := kc.CoreV1().Pods("shop").Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	zero := int64(0)
	if err := kc.CoreV1().Pods("shop").Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
		t.Fatal(err)
	}
	lostPoll(ctx, t, name+" gone", func() (bool, error) {
		_, err := kc.CoreV1().Pods("shop").Get(ctx, name, metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop", OwnerReferences: old.OwnerReferences}, Spec: corev1.PodSpec{
		NodeName: "lab-c", Containers: []corev1.Container{{Name: "app", Image: "example.invalid/app"}}, Volumes: old.Spec.Volumes}}
	if p, err = kc.CoreV1().Pods("shop").Create(ctx, p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	coldPodState(ctx, t, kc, p, coldRunning)
}

func coldAppSynced(ctx context.Context, t *testing.T, apps dynamic.ResourceInterface) {
	t.Helper()
	u, err := apps.Get(ctx, "shop", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_ = unstructured.SetNestedField(u.Object, "Synced", "status", "sync", "status")
	_ = unstructured.SetNestedField(u.Object, "Healthy", "status", "health", "status")
	if _, err := apps.Update(ctx, u, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// coldRestRepaired is what the club repairs by other means: files-0's claim bound (its pod then starts),
// pg-1's database back (it runs again).
func coldRestRepaired(ctx context.Context, t *testing.T, kc kubernetes.Interface) {
	t.Helper()
	c, err := kc.CoreV1().PersistentVolumeClaims("shop").Get(ctx, "files", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c.Status.Phase = corev1.ClaimBound
	if _, err := kc.CoreV1().PersistentVolumeClaims("shop").UpdateStatus(ctx, c, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"files-0", "pg-1"} {
		p, err := kc.CoreV1().Pods("shop").Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		coldPodState(ctx, t, kc, p, coldRunning)
	}
}

// coldObjectsVersion is what a run could change, as it stands: every pod's and attachment's name and
// resourceVersion.
func coldObjectsVersion(ctx context.Context, t *testing.T, kc kubernetes.Interface) string {
	t.Helper()
	pods, err := kc.CoreV1().Pods("shop").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	vas, err := kc.StorageV1().VolumeAttachments().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, p := range pods.Items {
		b.WriteString("pod " + p.Name + "@" + p.ResourceVersion + " ")
	}
	for _, va := range vas.Items {
		b.WriteString("va " + va.Name + "@" + va.ResourceVersion + " ")
	}
	return b.String()
}
