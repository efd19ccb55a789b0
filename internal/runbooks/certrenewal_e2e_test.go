//go:build e2e

package runbooks

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/hack/lab"
	"github.com/clubcedille/cedille-tui/hack/lab/labtest"
	"github.com/clubcedille/cedille-tui/internal/access"
	"github.com/clubcedille/cedille-tui/internal/actions"
	"github.com/clubcedille/cedille-tui/internal/audit"
	"github.com/clubcedille/cedille-tui/internal/runbook"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
)

// TestCertRenewalOnTheLabsAPIServer runs `cert-renewal` through the engine against the lab's real
// kube-apiserver, as impersonated console users bound by deploy/'s own operator role. The lab serves the
// Certificate CRD; the test installs minimal CRDs for CertificateRequest, Issuer, ClusterIssuer and
// ACME's Order and Challenge, and plays cert-manager (no controller runs). The fault is made for real:
// Certificate shop/web-tls expires in 3 days (renewal overdue), its CertificateRequest's Order waits on
// an HTTP-01 Challenge pending, its ClusterIssuer is Ready, and cert-manager is still retrying (Issuing).
//   - the precheck says the runbook does not apply to Certificate shop/ok-tls, Ready for 60 more days;
//   - a viewer's run reaches the renewal and the dispatcher refuses it;
//   - an operator's precheck names the chain's first link not ready down to the Challenge and why, the
//     issuer Ready, the expiry; a second operator is locked out while it runs;
//   - renew-certificate is refused (audited) while cert-manager's renewal is in progress;
//   - once it gave up, a write bound to a preview the Certificate changed since is refused; previewed
//     again, it sets Issuing=True (ManuallyTriggered) through the status subresource, as cedille:olive;
//   - cert-manager's part: a new CertificateRequest, pending (the postcheck's line names it), then
//     issued: Ready with a new notAfter, Issuing removed; the postcheck sees it, checked against the
//     real state;
//   - the audit trail verifies and holds the refusals; the incident report is written.
func TestCertRenewalOnTheLabsAPIServer(t *testing.T) {
	began := time.Now()
	l := labtest.Start(t, lab.KubeAPIServer)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	kc, dc := adminClients(t, l.RESTConfig())
	installChainCRDs(ctx, t, l.RESTConfig(), dc)
	applyOperatorRole(ctx, t, dc)
	if _, err := kc.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	ts := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }
	day := 24 * time.Hour
	cond := func(typ, status, reason, msg string) any {
		return map[string]any{"type": typ, "status": status, "reason": reason, "message": msg, "lastTransitionTime": ts(-time.Hour)}
	}
	create := func(r schema.GroupVersionResource, ns string, obj, status map[string]any) *unstructured.Unstructured {
		t.Helper()
		u := &unstructured.Unstructured{Object: obj}
		res := dc.Resource(r).Namespace(ns)
		made, err := res.Create(ctx, u, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if status != nil {
			made.Object["status"] = status
			if made, err = res.UpdateStatus(ctx, made, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		return made
	}
	owner := func(u *unstructured.Unstructured) []any {
		return []any{map[string]any{"apiVersion": u.GetAPIVersion(), "kind": u.GetKind(), "name": u.GetName(), "uid": string(u.GetUID()), "controller": true}}
	}
	certificate := func(name string, status map[string]any) *unstructured.Unstructured {
		return create(actions.CertificatesResource(), "shop", map[string]any{"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
			"metadata": map[string]any{"name": name, "namespace": "shop"},
			"spec": map[string]any{"secretName": name, "dnsNames": []any{"shop.example.org"},
				"issuerRef": map[string]any{"name": "letsencrypt", "kind": "ClusterIssuer", "group": "cert-manager.io"}}}, status)
	}
	request := func(crt *unstructured.Unstructured, name, revision string, ready any) *unstructured.Unstructured {
		return create(certResource(certManager, "certificaterequests"), "shop", map[string]any{"apiVersion": "cert-manager.io/v1", "kind": "CertificateRequest",
			"metadata": map[string]any{"name": name, "namespace": "shop", "ownerReferences": owner(crt),
				"annotations": map[string]any{certRevisionAnnotation: revision}},
			"spec": map[string]any{"request": "LS0t", "issuerRef": map[string]any{"name": "letsencrypt", "kind": "ClusterIssuer"}}},
			map[string]any{"conditions": []any{cond("Approved", "True", "cert-manager.io", "approved"), ready}})
	}

	create(certResource(certManager, "clusterissuers"), "", map[string]any{"apiVersion": "cert-manager.io/v1", "kind": "ClusterIssuer",
		"metadata": map[string]any{"name": "letsencrypt"}, "spec": map[string]any{"acme": map[string]any{"server": "https://acme.example.org/directory"}}},
		map[string]any{"conditions": []any{cond("Ready", "True", "ACMEAccountRegistered", "The ACME account was registered with the ACME server")}})
	certificate("ok-tls", map[string]any{"notBefore": ts(-30 * day), "notAfter": ts(60 * day), "renewalTime": ts(30 * day), "revision": int64(1),
		"conditions": []any{cond("Ready", "True", "Ready", "Certificate is up to date and has not expired")}})
	oldNotAfter := ts(3 * day)
	crt := certificate("web-tls", map[string]any{"notBefore": ts(-87 * day), "notAfter": oldNotAfter, "renewalTime": ts(-27 * day), "revision": int64(1),
		"conditions": []any{cond("Ready", "True", "Ready", "Certificate is up to date and has not expired"),
			cond("Issuing", "True", "Renewing", "Renewing certificate as renewal was scheduled at "+ts(-27*day))}})
	cr := request(crt, "web-tls-2", "2", cond("Ready", "False", "Pending", "Waiting on certificate issuance from order shop/web-tls-2-1: \"pending\""))
	order := create(certResource(acmeCertManager, "orders"), "shop", map[string]any{"apiVersion": "acme.cert-manager.io/v1", "kind": "Order",
		"metadata": map[string]any{"name": "web-tls-2-1", "namespace": "shop", "ownerReferences": owner(cr)},
		"spec":     map[string]any{"request": "LS0t", "dnsNames": []any{"shop.example.org"}}},
		map[string]any{"state": "pending", "url": "https://acme.example.org/order/1"})
	create(certResource(acmeCertManager, "challenges"), "shop", map[string]any{"apiVersion": "acme.cert-manager.io/v1", "kind": "Challenge",
		"metadata": map[string]any{"name": "web-tls-2-1-0", "namespace": "shop", "ownerReferences": owner(order)},
		"spec":     map[string]any{"type": "HTTP-01", "dnsName": "shop.example.org", "token": "tok"}},
		map[string]any{"state": "pending", "presented": true, "processing": true,
			"reason": "Waiting for HTTP-01 challenge propagation: failed to perform self check GET request 'http://shop.example.org/.well-known/acme-challenge/tok': connection refused"})

	bed := newTestbed(t, l.RESTConfig())
	world := runbook.World{Kube: kc, Dynamic: dc}
	rb := CertRenewal()
	target := runbook.Target{Kind: "Certificate", Namespace: "shop", Name: "web-tls"}
	webTLS := actions.Target{Kind: actions.KindCertificate, Namespace: "shop", Name: "web-tls"}
	vic := actions.Actor{Name: "vic", Role: access.Viewer, Session: "s-vic"}
	olive := actions.Actor{Name: "olive", Role: access.Operator, Session: "s-olive"}
	otto := actions.Actor{Name: "otto", Role: access.Operator, Session: "s-otto"}
	waitAllowed(ctx, t, bed.clients, olive, "patch", "cert-manager.io", "certificates/status")
	certs := dc.Resource(actions.CertificatesResource()).Namespace("shop")

	// A healthy certificate: the runbook does not apply, nothing changes.
	s, err := bed.start(bed.engine(), rb, runbook.Target{Kind: "Certificate", Namespace: "shop", Name: "ok-tls"}, olive, world)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := s.Check(ctx); err != nil || v.Applies || !strings.Contains(v.Why, "not due for renewal") {
		t.Fatalf("a healthy certificate's precheck: %+v %v", v, err)
	}

	// A viewer: the precheck reads, the renewal is refused by the dispatcher.
	sv, err := bed.start(bed.engine(), rb, target, vic, world)
	if err != nil {
		t.Fatal(err)
	}
	viewerRefused(ctx, t, sv, webTLS, "renew-certificate needs operator; you are viewer")

	// The operator's run: the chain, the issuer, the expiry; a second operator is locked out.
	s, err = bed.start(bed.engine(), rb, target, olive, world)
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.Check(ctx)
	if err != nil || !v.Applies {
		t.Fatalf("precheck: %+v %v", v, err)
	}
	t.Logf("precheck: %s\n  %s", v.Why, strings.Join(v.Details, "\n  "))
	for _, want := range []string{"renewal overdue", "first not ready: CertificateRequest web-tls-2: Ready False: Pending",
		"under it Order web-tls-2-1: state pending", "under it Challenge web-tls-2-1-0: state pending (HTTP-01 for shop.example.org, presented true): Waiting for HTTP-01 challenge propagation"} {
		if !strings.Contains(v.Why, want) {
			t.Errorf("the precheck's why lacks %q:\n%s", want, v.Why)
		}
	}
	details := strings.Join(v.Details, "\n")
	for _, want := range []string{"issuer ClusterIssuer/letsencrypt: Ready True: ACMEAccountRegistered", "notAfter: ", "renewalTime: ",
		"a renewal is in progress already"} {
		if !strings.Contains(details, want) {
			t.Errorf("the precheck's details lack %q:\n%s", want, details)
		}
	}
	if _, err := bed.start(bed.engine(), rb, target, otto, world); err == nil || !strings.Contains(err.Error(), "in progress by olive") {
		t.Fatalf("a second run on the same certificate: %v", err)
	}
	if err := s.Tick("the HTTPProxy now routes /.well-known/acme-challenge/ to the solver"); err != nil {
		t.Fatal(err)
	}
	if objs, err := s.Objects(ctx); err != nil || len(objs) != 1 || objs[0].Object != webTLS.String() {
		t.Fatalf("objects %+v %v", objs, err)
	}

	// cert-manager still renews: the preview says so, the write is refused and audited.
	if _, err := s.Preview(ctx, webTLS); !errors.Is(err, actions.ErrRenewalInProgress) {
		t.Fatalf("a preview while a renewal is in progress: %v", err)
	}
	if _, err := s.Act(ctx, webTLS, actions.Confirmation{}); !errors.As(err, new(*actions.RefusedError)) || !errors.Is(err, actions.ErrRenewalInProgress) {
		t.Fatalf("a renewal while one is in progress: %v", err)
	}
	// cert-manager gives up this attempt: Issuing goes, the failure is recorded.
	u, err := certs.Get(ctx, "web-tls", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_ = unstructured.SetNestedSlice(u.Object, []any{cond("Ready", "True", "Ready", "Certificate is up to date and has not expired")}, "status", "conditions")
	_ = unstructured.SetNestedField(u.Object, ts(-time.Minute), "status", "lastFailureTime")
	if _, err := certs.UpdateStatus(ctx, u, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}

	// A preview the Certificate changed since: refused. Previewed again: renewed.
	p, err := s.Preview(ctx, webTLS)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Changes) != 1 || p.Changes[0].Path != "status.conditions" || !strings.Contains(p.Changes[0].After, `"reason":"ManuallyTriggered"`) {
		t.Fatalf("preview %+v", p)
	}
	if _, err := certs.Patch(ctx, "web-tls", types.MergePatchType, []byte(`{"metadata":{"labels":{"edited":"yes"}}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Act(ctx, webTLS, actions.Confirmation{Expect: p.Expect}); !errors.Is(err, actions.ErrChanged) {
		t.Fatalf("a write bound to a stale preview: %v", err)
	}
	if issuingOf(ctx, t, certs) != "" {
		t.Fatal("the refused renewal set Issuing")
	}
	if p, err = s.Preview(ctx, webTLS); err != nil {
		t.Fatal(err)
	}
	res, err := s.Act(ctx, webTLS, actions.Confirmation{Expect: p.Expect})
	if err != nil || res.As != "cedille:olive" {
		t.Fatalf("renew: %+v %v", res, err)
	}
	if got := issuingOf(ctx, t, certs); got != "True ManuallyTriggered" {
		t.Fatalf("Issuing after the renewal: %q", got)
	}

	// cert-manager's part: a new CertificateRequest, pending until the postcheck has named it, then issued.
	newNotAfter := ts(90 * day)
	seen := make(chan struct{})
	var once sync.Once
	controller := make(chan error, 1)
	go func() {
		controller <- func() error {
			crt, err := certs.Get(ctx, "web-tls", metav1.GetOptions{})
			if err != nil {
				return err
			}
			cr3 := request(crt, "web-tls-3", "3", cond("Ready", "False", "Pending", "Waiting on certificate issuance from order shop/web-tls-3-1: \"pending\""))
			select {
			case <-seen:
			case <-ctx.Done():
				return ctx.Err()
			}
			cr3.Object["status"] = map[string]any{"conditions": []any{cond("Approved", "True", "cert-manager.io", "approved"), cond("Ready", "True", "Issued", "Certificate fetched from issuer successfully")}}
			if _, err := dc.Resource(certResource(certManager, "certificaterequests")).Namespace("shop").UpdateStatus(ctx, cr3, metav1.UpdateOptions{}); err != nil {
				return err
			}
			if crt, err = certs.Get(ctx, "web-tls", metav1.GetOptions{}); err != nil {
				return err
			}
			crt.Object["status"] = map[string]any{"notBefore": ts(0), "notAfter": newNotAfter, "renewalTime": ts(60 * day), "revision": int64(3),
				"conditions": []any{cond("Ready", "True", "Ready", "Certificate is up to date and has not expired")}}
			_, err = certs.UpdateStatus(ctx, crt, metav1.UpdateOptions{})
			return err
		}()
	}()
	var lines []string
	err = s.Wait(ctx, func(p runbook.Progress) {
		lines = append(lines, p.Line)
		if strings.Contains(p.Line, "first not ready: CertificateRequest web-tls-3: Ready False: Pending") {
			once.Do(func() { close(seen) })
		}
	})
	if err != nil {
		t.Fatalf("postcheck: %v (read %q)", err, lines)
	}
	if err := <-controller; err != nil {
		t.Fatal(err)
	}
	t.Logf("postcheck:\n  %s", strings.Join(lines, "\n  "))
	if !strings.Contains(strings.Join(lines, "\n"), "issuing (ManuallyTriggered)") {
		t.Errorf("the postcheck never said it was issuing: %q", lines)
	}
	last := lines[len(lines)-1]
	if !strings.Contains(last, "Ready, expires in 89 days") || !strings.Contains(last, newNotAfter) || !strings.Contains(last, "was "+oldNotAfter) {
		t.Errorf("the postcheck's last line: %q", last)
	}
	// The real state: Ready, a later notAfter, no Issuing.
	u, err = certs.Get(ctx, "web-tls", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	notAfter, _, _ := unstructured.NestedString(u.Object, "status", "notAfter")
	before, _ := time.Parse(time.RFC3339, oldNotAfter)
	after, err := time.Parse(time.RFC3339, notAfter)
	if err != nil || !after.After(before) || issuingOf(ctx, t, certs) != "" {
		t.Fatalf("after the run: notAfter %s (was %s), Issuing %q", notAfter, oldNotAfter, issuingOf(ctx, t, certs))
	}
	run := s.Run()
	if run.Outcome != "done" {
		t.Fatalf("outcome %q", run.Outcome)
	}

	// The trail verifies and holds the refusals; the report is written.
	f, err := os.Open(bed.trailPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := audit.Verify(f); err != nil {
		t.Fatal(err)
	}
	entries, err := bed.entries(run.ID)
	if err != nil {
		t.Fatal(err)
	}
	refusalsRecorded(t, entries, "a renewal is in progress already", "changed since you looked")
	report, err := os.ReadFile(run.Report)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"A certificate not Ready or due for renewal — Certificate/shop/web-tls", "renew-certificate certificate/shop/web-tls done"} {
		if !strings.Contains(string(report), want) {
			t.Errorf("the report lacks %q:\n%s", want, report)
		}
	}
	t.Logf("cert-renewal on the lab: %s", time.Since(began).Round(time.Millisecond))
}

// issuingOf is the Certificate's Issuing condition as "STATUS REASON", or "" when it has none.
func issuingOf(ctx context.Context, t *testing.T, certs dynamic.ResourceInterface) string {
	t.Helper()
	u, err := certs.Get(ctx, "web-tls", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == actions.CertIssuing {
			return m["status"].(string) + " " + m["reason"].(string)
		}
	}
	return ""
}

// installChainCRDs installs minimal CRDs for cert-manager's CertificateRequest, Issuer and ClusterIssuer
// and ACME's Order and Challenge (a structural schema keeping every field, a status subresource), and
// waits until each is Established and served.
func installChainCRDs(ctx context.Context, t *testing.T, cfg *rest.Config, dc dynamic.Interface) {
	t.Helper()
	cs, err := apiextensionsclient.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	keep := true
	schema := &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{Type: "object",
		Properties: map[string]apiextensionsv1.JSONSchemaProps{
			"spec":   {Type: "object", XPreserveUnknownFields: &keep},
			"status": {Type: "object", XPreserveUnknownFields: &keep},
		}}}
	for _, c := range []struct {
		group, kind, plural string
		scope               apiextensionsv1.ResourceScope
	}{
		{certManager, "CertificateRequest", "certificaterequests", apiextensionsv1.NamespaceScoped},
		{certManager, "Issuer", "issuers", apiextensionsv1.NamespaceScoped},
		{certManager, "ClusterIssuer", "clusterissuers", apiextensionsv1.ClusterScoped},
		{acmeCertManager, "Order", "orders", apiextensionsv1.NamespaceScoped},
		{acmeCertManager, "Challenge", "challenges", apiextensionsv1.NamespaceScoped},
	} {
		crd := &apiextensionsv1.CustomResourceDefinition{ObjectMeta: metav1.ObjectMeta{Name: c.plural + "." + c.group},
			Spec: apiextensionsv1.CustomResourceDefinitionSpec{Group: c.group, Scope: c.scope,
				Names: apiextensionsv1.CustomResourceDefinitionNames{Kind: c.kind, ListKind: c.kind + "List", Plural: c.plural, Singular: strings.ToLower(c.kind)},
				Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{Name: "v1", Served: true, Storage: true, Schema: schema,
					Subresources: &apiextensionsv1.CustomResourceSubresources{Status: &apiextensionsv1.CustomResourceSubresourceStatus{}}}}}}
		if _, err := cs.ApiextensionsV1().CustomResourceDefinitions().Create(ctx, crd, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		err := wait.PollUntilContextCancel(ctx, 50*time.Millisecond, true, func(ctx context.Context) (bool, error) {
			got, err := cs.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, crd.Name, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			for _, cond := range got.Status.Conditions {
				if cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue {
					// Established: and served, as a client lists it.
					_, err := dc.Resource(certResource(c.group, c.plural)).List(ctx, metav1.ListOptions{})
					return err == nil, nil
				}
			}
			return false, nil
		})
		if err != nil {
			t.Fatalf("CRD %s not Established: %v", crd.Name, err)
		}
	}
}
