package health

import (
	"errors"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// certNow is when the certificate tests evaluate.
func certNow() time.Time { return time.Date(2025, 8, 13, 10, 0, 0, 0, time.UTC) }

func TestCertificate(t *testing.T) {
	cert := func(meta, issuerRef, status string) *unstructured.Unstructured {
		return crFromYAML(`apiVersion: cert-manager.io/v1
kind: Certificate
metadata: ` + meta + `
spec: {secretName: argocd-server-tls, dnsNames: [argocd.omni.cedille.club], issuerRef: ` + issuerRef + `}
` + status)
	}
	const (
		argocd = `{name: argocd-server-tls, namespace: argocd}`
		prod   = `{name: letsencrypt-prod, kind: ClusterIssuer}`
		ready  = `[{type: Ready, status: "True", reason: Ready, message: Certificate is up to date and has not expired}]`
	)
	tests := []struct {
		name      string
		cert      *unstructured.Unstructured
		want      Status
		reasonHas string
		hintHas   string
	}{
		{"ready", cert(argocd, prod, `status: {conditions: `+ready+`, notAfter: "2025-09-23T10:00:00Z", renewalTime: "2025-08-24T10:00:00Z"}`),
			OK, "Ready, expires in 41 days", ""},
		{"ready, exactly 14 days left", cert(argocd, prod, `status: {conditions: `+ready+`, notAfter: "2025-08-27T10:00:00Z"}`),
			OK, "expires in 14 days", ""},
		{"ready, 9 days left", cert(argocd, prod, `status: {conditions: `+ready+`, notAfter: "2025-08-22T10:00:00Z"}`),
			Degraded, "Ready, expires in 9 days", "issuer ClusterIssuer/letsencrypt-prod; runbook: " + RunbookCertExpiring},
		{"ready, one day left", cert(argocd, prod, `status: {conditions: `+ready+`, notAfter: "2025-08-14T12:00:00Z"}`),
			Degraded, "expires in 1 day", RunbookCertExpiring},
		{"ready, hours left", cert(argocd, prod, `status: {conditions: `+ready+`, notAfter: "2025-08-13T15:30:00Z"}`),
			Degraded, "expires in 5h30m", RunbookCertExpiring},
		{"renewal overdue", cert(argocd, prod, `status: {conditions: `+ready+`, notAfter: "2025-09-01T10:00:00Z", renewalTime: "2025-08-02T10:00:00Z"}`),
			Degraded, "Ready, renewal overdue since 2025-08-02, expires in 19 days", "renewal is failing"},
		{"expired though Ready", cert(argocd, prod, `status: {conditions: `+ready+`, notAfter: "2025-08-10T10:00:00Z"}`),
			Down, "expired 3d ago (2025-08-10), though Ready", "clients refuse it"},
		{"expires right now", cert(argocd, prod, `status: {conditions: `+ready+`, notAfter: "2025-08-13T10:00:00Z"}`),
			Down, "expired 0s ago", RunbookCertExpiring},
		{"ready without an expiry", cert(argocd, prod, `status: {conditions: `+ready+`}`),
			OK, "Ready (no expiry date reported)", ""},
		{"not ready", cert(`{name: raconteurs-grav-tls, namespace: raconteurs-grav}`, `{name: letsencrypt-http, kind: ClusterIssuer}`, `status:
  conditions:
  - {type: Ready, status: "False", reason: Failed, message: "The certificate request has failed to complete and will be retried\nsecond line"}
  notAfter: "2025-08-01T10:00:00Z"`),
			Down, "not Ready: Failed (The certificate request has failed to complete and will be retried …); expired 2025-08-01", "issuer ClusterIssuer/letsencrypt-http"},
		{"not ready, issuer kind defaults to Issuer", cert(argocd, `{name: selfsigned}`, `status:
  conditions: [{type: Ready, status: "False", reason: DoesNotExist, message: Issuing certificate as Secret does not exist}]`),
			Down, "not Ready: DoesNotExist", "issuer Issuer/selfsigned"},
		{"first issuance in progress", cert(`{name: vault-cedille-prod-tls, namespace: vault, creationTimestamp: "2025-08-13T09:58:30Z"}`, prod, `status:
  conditions:
  - {type: Ready, status: "False", reason: DoesNotExist, message: Issuing certificate as Secret does not exist}
  - {type: Issuing, status: "True", reason: DoesNotExist, message: Issuing certificate as Secret does not exist}`),
			Unknown, "being issued for the first time (1m30s)", "ClusterIssuer/letsencrypt-prod"},
		{"first issuance stuck", cert(`{name: vault-cedille-prod-tls, namespace: vault, creationTimestamp: "2025-08-13T08:00:00Z"}`, prod, `status:
  conditions:
  - {type: Ready, status: "False", reason: DoesNotExist, message: Issuing certificate as Secret does not exist}
  - {type: Issuing, status: "True", reason: DoesNotExist, message: Issuing certificate as Secret does not exist}`),
			Down, "not Ready: DoesNotExist", RunbookCertExpiring},
		{"no Ready condition", cert(`{name: vault-cedille-prod-tls, namespace: vault}`, prod, ``),
			Unknown, "not issued yet", "ClusterIssuer/letsencrypt-prod"},
		{"Ready Unknown", cert(argocd, prod, `status: {conditions: [{type: Ready, status: Unknown, reason: Pending}]}`),
			Unknown, "Ready is Unknown: Pending", RunbookCertExpiring},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := Certificate(tt.cert, certNow())
			assertFinding(t, f, tt.want, tt.reasonHas, tt.hintHas)
			if want := "Certificate/" + tt.cert.GetNamespace() + "/" + tt.cert.GetName(); f.Object != want {
				t.Errorf("object %q, want %q", f.Object, want)
			}
		})
	}
}

// TestCertificatesLayer judges the test data: every Certificate is a finding.
func TestCertificatesLayer(t *testing.T) {
	l := Certificates(loadLayerTestdata(t, "testdata/certificates/era1.yaml", certNow()))
	tests := []struct {
		object    string
		want      Status
		reasonHas string
	}{
		{"Certificate/argocd/argocd-server-tls", OK, "Ready, expires in 41 days"},
		{"Certificate/calidum-rotae/calidum-rotae-service-tls", Degraded, "renewal overdue since 2025-07-23, expires in 9 days"},
		{"Certificate/raconteurs-grav/raconteurs-grav-tls", Down, "not Ready: Failed"},
		{"Certificate/vault/vault-cedille-prod-tls", Unknown, "not issued yet"},
		{"Certificate/grafana/grafana-tls", Down, "expired 3d ago"},
	}
	for _, tt := range tests {
		t.Run(tt.object, func(t *testing.T) {
			f := findingNamed(t, l, tt.object)
			if f.Status != tt.want || !strings.Contains(f.Reason, tt.reasonHas) {
				t.Fatalf("got %v %q, want %v ~%q", f.Status, f.Reason, tt.want, tt.reasonHas)
			}
		})
	}
	if len(l.Findings) != len(tests) || l.Name != LayerCertificates || l.Status != Down {
		t.Errorf("layer %s %v with %d findings, want %d", l.Name, l.Status, len(l.Findings), len(tests))
	}
	if empty := Certificates(Objects{Now: certNow()}); empty.Status != Unknown || len(empty.Findings) != 0 {
		t.Errorf("no Certificate at all: %+v (nothing seen is not healthy)", empty)
	}
}

// TestCertificatesUnavailable: an unreadable Certificate kind is an Unknown finding, not an empty healthy
// layer; Certificates the source still holds are judged all the same.
func TestCertificatesUnavailable(t *testing.T) {
	tests := []struct {
		name string
		err  error
	}{
		{"CRD absent", errors.New(`the server could not find the requested resource (get certificates.cert-manager.io)`)},
		{"forbidden", errors.New("certificates.cert-manager.io is forbidden: User \"cedille-reader\" cannot list resource\n\"certificates\"")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := loadLayerTestdata(t, "testdata/certificates/era1.yaml", certNow())
			o.Unavailable = map[string]error{ResourceCertificates: tt.err, ResourceDiskPools: errors.New("not this layer's")}
			l := Certificates(o)
			f := findingNamed(t, l, "CRD/certificates.cert-manager.io")
			if f.Status != Unknown || strings.Contains(f.Reason, "\n") || f.Hint == "" {
				t.Fatalf("missing kind: %+v", f)
			}
			if g := findingNamed(t, l, "Certificate/raconteurs-grav/raconteurs-grav-tls"); g.Status != Down {
				t.Errorf("held Certificate not judged: %+v", g)
			}
			if l.Status != Down || len(l.Findings) != 6 {
				t.Errorf("layer %v with %d findings, want Down with 5 Certificates and the missing kind", l.Status, len(l.Findings))
			}
			if l := Certificates(Objects{Now: certNow(), Unavailable: o.Unavailable}); l.Status != Unknown || len(l.Findings) != 1 {
				t.Errorf("nothing readable: layer %v with %d findings, want Unknown with one", l.Status, len(l.Findings))
			}
		})
	}
	o := loadLayerTestdata(t, "testdata/certificates/era1.yaml", certNow())
	o.Unavailable = map[string]error{ResourceDiskPools: errors.New("CRD absent")}
	if l := Certificates(o); len(l.Findings) != 5 {
		t.Errorf("another layer's missing kind changed this one: %d findings", len(l.Findings))
	}
}
