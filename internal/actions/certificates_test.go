package actions

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	k8stesting "k8s.io/client-go/testing"
)

func TestWithIssuing(t *testing.T) {
	now := time.Date(2026, 12, 7, 3, 12, 0, 0, time.UTC)
	ready := map[string]any{"type": "Ready", "status": "True"}
	for _, tc := range []struct {
		name    string
		in      []any
		want    int // conditions after
		wantErr string
	}{
		{"none", nil, 1, ""},
		{"ready kept", []any{ready}, 2, ""},
		{"issuing false replaced", []any{ready, map[string]any{"type": "Issuing", "status": "False"}}, 2, ""},
		{"in progress", []any{ready, map[string]any{"type": "Issuing", "status": "True", "reason": "Renewing", "lastTransitionTime": "2026-12-07T03:00:00Z"}}, 0,
			"a renewal is in progress already: Issuing is True (reason Renewing, since 2026-12-07T03:00:00Z)"},
	} {
		got, err := withIssuing(tc.in, 3, now)
		if tc.wantErr != "" {
			if !errors.Is(err, ErrRenewalInProgress) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: %v, want %q", tc.name, err, tc.wantErr)
			}
			continue
		}
		if err != nil || len(got) != tc.want {
			t.Fatalf("%s: %v %v", tc.name, got, err)
		}
		last := got[len(got)-1].(map[string]any)
		if last["type"] != "Issuing" || last["status"] != "True" || last["reason"] != "ManuallyTriggered" ||
			last["lastTransitionTime"] != "2026-12-07T03:12:00Z" || last["observedGeneration"] != int64(3) {
			t.Errorf("%s: Issuing condition %v", tc.name, last)
		}
		if len(tc.in) > 0 && got[0].(map[string]any)["type"] != "Ready" {
			t.Errorf("%s: the other conditions moved: %v", tc.name, got)
		}
	}
}

// fakeCertificate is a fake dynamic client holding Certificate shop/web-tls with conditions.
func fakeCertificate(conditions ...any) *dynamicfake.FakeDynamicClient {
	crt := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
		"metadata": map[string]any{"name": "web-tls", "namespace": "shop", "uid": "uid-1", "resourceVersion": "7"},
		"spec":     map[string]any{"issuerRef": map[string]any{"name": "letsencrypt", "kind": "ClusterIssuer"}},
		"status":   map[string]any{"conditions": conditions, "notAfter": "2026-12-09T00:00:00Z"}}}
	return dynamicfake.NewSimpleDynamicClient(runtime.NewScheme(), crt)
}

func TestRenewCertificate(t *testing.T) {
	ctx := context.Background()
	target := Target{Kind: KindCertificate, Namespace: "shop", Name: "web-tls"}
	ready := map[string]any{"type": "Ready", "status": "True"}

	dc := fakeCertificate(ready)
	p, err := RenewCertificate().Preview(ctx, Client{Dynamic: dc}, target)
	if err != nil {
		t.Fatal(err)
	}
	if p.Expect != (Precondition{UID: "uid-1", ResourceVersion: "7"}) || len(p.Changes) != 1 || p.Changes[0].Path != "status.conditions" ||
		!strings.Contains(p.Changes[0].After, `"reason":"ManuallyTriggered"`) || !strings.Contains(strings.Join(p.Notes, "\n"), "issued by ClusterIssuer/letsencrypt") {
		t.Fatalf("preview %+v", p)
	}
	dc = fakeCertificate(ready) // the fake client stores dry runs: a fresh one
	if err := RenewCertificate().Run(ctx, Client{Dynamic: dc}, target, p.Expect); err != nil {
		t.Fatal(err)
	}
	var patched bool
	for _, a := range dc.Actions() {
		if pa, ok := a.(k8stesting.PatchAction); ok {
			patched = true
			if pa.GetSubresource() != "status" || !strings.Contains(string(pa.GetPatch()), `"resourceVersion":"7"`) {
				t.Errorf("the patch: subresource %q, %s", pa.GetSubresource(), pa.GetPatch())
			}
		}
	}
	if !patched {
		t.Fatal("nothing was patched")
	}

	// Bound to another resourceVersion: changed, nothing sent.
	dc = fakeCertificate(ready)
	err = RenewCertificate().Run(ctx, Client{Dynamic: dc}, target, Precondition{UID: "uid-1", ResourceVersion: "6"})
	if !errors.Is(err, ErrChanged) {
		t.Fatalf("a stale preview: %v", err)
	}
	// A renewal in progress: refused, preview and run, as a guard rail.
	dc = fakeCertificate(ready, map[string]any{"type": "Issuing", "status": "True", "reason": "Renewing"})
	if _, err := RenewCertificate().Preview(ctx, Client{Dynamic: dc}, target); !errors.Is(err, ErrRenewalInProgress) {
		t.Fatalf("preview while issuing: %v", err)
	}
	err = RenewCertificate().Run(ctx, Client{Dynamic: dc}, target, Precondition{})
	if !errors.Is(err, ErrRenewalInProgress) || !guardRail(err) {
		t.Fatalf("run while issuing: %v", err)
	}
	for _, a := range dc.Actions() {
		if a.GetVerb() == "patch" {
			t.Fatal("a renewal in progress was patched")
		}
	}
}
