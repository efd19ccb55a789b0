package runbooks

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/runbook"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	k8stesting "k8s.io/client-go/testing"
)

// certificate is Certificate shop/web-tls, Ready as given, expiring at notAfter (renewal 30 days
// before), with more conditions.
func certificate(ready string, notAfter time.Time, more ...any) *unstructured.Unstructured {
	conds := append([]any{map[string]any{"type": "Ready", "status": ready, "reason": "Ready"}}, more...)
	return &unstructured.Unstructured{Object: map[string]any{"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
		"metadata": map[string]any{"name": "web-tls", "namespace": "shop"},
		"spec":     map[string]any{"issuerRef": map[string]any{"name": "letsencrypt", "kind": "ClusterIssuer"}},
		"status": map[string]any{"conditions": conds, "notAfter": notAfter.Format(time.RFC3339),
			"renewalTime": notAfter.Add(-30 * 24 * time.Hour).Format(time.RFC3339)}}}
}

func TestJudgeCert(t *testing.T) {
	now := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	target := runbook.Target{Kind: "Certificate", Namespace: "shop", Name: "web-tls"}
	pending := []link{
		{kind: "CertificateRequest", name: "web-tls-2", why: "Ready False: Pending"},
		{kind: "Order", name: "web-tls-2-1", why: "state pending"},
		{kind: "Challenge", name: "web-tls-2-1-0", why: "state pending (HTTP-01 for web.example.org): Waiting for HTTP-01 challenge propagation"},
	}
	issuing := map[string]any{"type": "Issuing", "status": "True", "reason": "ManuallyTriggered", "lastTransitionTime": "2026-12-07T02:00:00Z"}
	for _, tc := range []struct {
		name    string
		f       certFacts
		applies bool
		why     []string
		details []string
		notWhy  string
	}{
		{name: "absent", f: certFacts{}, why: []string{"does not exist"}},
		{name: "healthy", f: certFacts{crt: certificate("True", now.Add(60*24*time.Hour)), issuerOK: true},
			why: []string{"Ready, expires in 60 days: not due for renewal"}},
		{name: "due, chain pending", f: certFacts{crt: certificate("True", now.Add(3*24*time.Hour)), issuer: "ClusterIssuer/letsencrypt", issuerOK: true,
			issuerWhy: "Ready True", chain: pending}, applies: true,
			why:     []string{"renewal overdue", "first not ready: CertificateRequest web-tls-2: Ready False: Pending; under it Order web-tls-2-1: state pending; under it Challenge web-tls-2-1-0"},
			details: []string{"notAfter: 2026-12-10 03:00 UTC", "issuer ClusterIssuer/letsencrypt: Ready True", "not ready: Challenge web-tls-2-1-0"}},
		{name: "issuer not ready", f: certFacts{crt: certificate("False", now.Add(24*time.Hour)), issuer: "ClusterIssuer/letsencrypt",
			issuerWhy: "Ready False: ErrRegisterACMEAccount (account key lost)", chain: pending},
			why: []string{"its issuer ClusterIssuer/letsencrypt is the blocker (Ready False: ErrRegisterACMEAccount (account key lost)): renewing would fail the same way"}},
		{name: "renewal in progress", f: certFacts{crt: certificate("True", now.Add(24*time.Hour), issuing), issuer: "ClusterIssuer/letsencrypt", issuerOK: true},
			applies: true, details: []string{"a renewal is in progress already (Issuing since 2026-12-07 02:00 UTC, ManuallyTriggered)"}, notWhy: "first not ready"},
	} {
		tc.f.target = target
		v := judgeCert(tc.f, now)
		if v.Applies != tc.applies {
			t.Errorf("%s: applies %v, want %v (%s)", tc.name, v.Applies, tc.applies, v.Why)
		}
		for _, w := range tc.why {
			if !strings.Contains(v.Why, w) {
				t.Errorf("%s: why %q lacks %q", tc.name, v.Why, w)
			}
		}
		if tc.notWhy != "" && strings.Contains(v.Why, tc.notWhy) {
			t.Errorf("%s: why %q says %q", tc.name, v.Why, tc.notWhy)
		}
		details := strings.Join(v.Details, "\n")
		for _, w := range tc.details {
			if !strings.Contains(details, w) {
				t.Errorf("%s: details lack %q:\n%s", tc.name, w, details)
			}
		}
	}
}

func TestFirstNotReady(t *testing.T) {
	r := func(kind string, ready bool) link { return link{kind: kind, name: "x", ready: ready, why: "w"} }
	for _, tc := range []struct {
		chain []link
		want  string
	}{
		{nil, ""},
		{[]link{r("CertificateRequest", true)}, ""},
		{[]link{r("CertificateRequest", false), r("Order", true)}, "CertificateRequest x: w"},
		{[]link{r("CertificateRequest", true), r("Order", false), r("Challenge", false)}, "Order x: w; under it Challenge x: w"},
	} {
		if got := firstNotReady(tc.chain); got != tc.want {
			t.Errorf("firstNotReady(%v) = %q, want %q", tc.chain, got, tc.want)
		}
	}
}

func TestChainLinks(t *testing.T) {
	obj := func(status map[string]any, spec map[string]any) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{"metadata": map[string]any{"name": "x"}, "status": status, "spec": spec}}
	}
	cond := func(typ, status, reason string) any {
		return map[string]any{"type": typ, "status": status, "reason": reason}
	}
	for _, tc := range []struct {
		name  string
		l     link
		ready bool
		why   string
	}{
		{"request issued", requestLink(obj(map[string]any{"conditions": []any{cond("Approved", "True", "policy"), cond("Ready", "True", "Issued")}}, nil)), true, "Ready True: Issued"},
		{"request denied", requestLink(obj(map[string]any{"conditions": []any{cond("Denied", "True", "policy"), cond("Ready", "False", "Denied")}}, nil)), false, "Denied True: policy"},
		{"request new", requestLink(obj(map[string]any{}, nil)), false, "no Ready condition yet, not approved"},
		{"order valid", acmeLink("Order")(obj(map[string]any{"state": "valid"}, nil)), true, "state valid"},
		{"order errored", acmeLink("Order")(obj(map[string]any{"state": "errored", "reason": "rateLimited"}, nil)), false, "state errored: rateLimited"},
		{"challenge pending", acmeLink("Challenge")(obj(map[string]any{"state": "pending", "presented": true, "reason": "connection refused"},
			map[string]any{"type": "HTTP-01", "dnsName": "web.example.org"})), false, "state pending (HTTP-01 for web.example.org, presented true): connection refused"},
	} {
		if tc.l.ready != tc.ready || tc.l.why != tc.why {
			t.Errorf("%s: %+v, want ready %v why %q", tc.name, tc.l, tc.ready, tc.why)
		}
	}
}

// TestReadCertFacts: the chain is followed by owner, the newest request by revision, the first Challenge
// not valid; an issuer the console may not read is said so and does not block the run.
func TestReadCertFacts(t *testing.T) {
	now := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	crt := certificate("True", now.Add(2*24*time.Hour))
	crt.SetUID("uid-crt")
	obj := func(apiVersion, kind, name, owner, revision string, status map[string]any) runtime.Object {
		md := map[string]any{"name": name, "namespace": "shop", "uid": "uid-" + name,
			"ownerReferences": []any{map[string]any{"apiVersion": "v1", "kind": "X", "name": "o", "uid": owner}}}
		if revision != "" {
			md["annotations"] = map[string]any{certRevisionAnnotation: revision}
		}
		return &unstructured.Unstructured{Object: map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": md, "status": status}}
	}
	notReady := map[string]any{"conditions": []any{map[string]any{"type": "Ready", "status": "False", "reason": "Pending"}}}
	dc := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{
		certResource(certManager, "certificaterequests"): "CertificateRequestList",
		certResource(acmeCertManager, "orders"):          "OrderList",
		certResource(acmeCertManager, "challenges"):      "ChallengeList",
	}, crt,
		obj("cert-manager.io/v1", "CertificateRequest", "web-tls-1", "uid-crt", "1", notReady),
		obj("cert-manager.io/v1", "CertificateRequest", "web-tls-2", "uid-crt", "2", notReady),
		obj("cert-manager.io/v1", "CertificateRequest", "other-9", "uid-other", "9", notReady),
		obj("acme.cert-manager.io/v1", "Order", "web-tls-2-1", "uid-web-tls-2", "", map[string]any{"state": "pending"}),
		obj("acme.cert-manager.io/v1", "Challenge", "web-tls-2-1-0", "uid-web-tls-2-1", "", map[string]any{"state": "valid"}),
		obj("acme.cert-manager.io/v1", "Challenge", "web-tls-2-1-1", "uid-web-tls-2-1", "", map[string]any{"state": "pending"}))
	dc.PrependReactor("get", "clusterissuers", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: certManager, Resource: "clusterissuers"}, "letsencrypt", errors.New("no rule"))
	})
	f, err := readCertFacts(context.Background(), runbook.World{Dynamic: dc}, runbook.Target{Kind: "Certificate", Namespace: "shop", Name: "web-tls"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range f.chain {
		names = append(names, l.name)
	}
	if got := strings.Join(names, " "); got != "web-tls-2 web-tls-2-1 web-tls-2-1-1" {
		t.Errorf("chain %q", got)
	}
	if !f.issuerOK || !strings.Contains(f.issuerWhy, "could not be read") {
		t.Errorf("issuer %v %q", f.issuerOK, f.issuerWhy)
	}
	if v := judgeCert(f, now); !v.Applies || !strings.Contains(v.Why, "first not ready: CertificateRequest web-tls-2") {
		t.Errorf("verdict %+v", v)
	}
}
