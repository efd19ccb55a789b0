package health

import (
	"errors"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func vsoNow() time.Time { return time.Date(2026, 7, 21, 9, 0, 0, 0, time.UTC) }

// vsoObjects sorts the vault-secrets-operator test data into the Objects fields by kind.
func vsoObjects(t *testing.T) Objects {
	t.Helper()
	o := Objects{Now: vsoNow()}
	for _, u := range readTestdataList(t, "secrets/vso.yaml") {
		switch u.GetKind() {
		case "VaultAuth":
			o.VaultAuths = append(o.VaultAuths, u)
		case "VaultStaticSecret":
			o.VaultStaticSecrets = append(o.VaultStaticSecrets, u)
		default:
			t.Fatalf("unexpected kind %s", u.GetKind())
		}
	}
	return o
}

func TestSecretsVSO(t *testing.T) {
	o := vsoObjects(t)
	o.Deployments = []*appsv1.Deployment{{ObjectMeta: metav1.ObjectMeta{Name: "vault-secrets-operator-controller-manager", Namespace: "vault-secrets"}}}
	l := Secrets(o)
	got := findingsByObject(t, l)
	tests := []layerCase{
		// VaultAuth
		{object: "VaultAuth/storage-config/storage-config-auth", want: OK, reasonHas: []string{"valid (kubernetes auth, role secret-reader)"}},
		{object: "VaultAuth/nextcloud/nextcloud-auth", want: Down,
			reasonHas: []string{"invalid (kubernetes auth, role nextcloud-reader): Error making API request. URL: PUT", "invalid audience (aud) claim", "3 VaultStaticSecrets using it stop syncing"},
			hintHas:   "kubectl logs -n vault-secrets -l app.kubernetes.io/name=vault-secrets-operator"},
		{object: "VaultAuth/grav/default", want: Unknown, reasonHas: []string{"not validated yet (kubernetes auth, role grav-reader)"}, hintHas: "vault-secrets-operator runs"},
		// VaultStaticSecret
		{object: "VaultStaticSecret/storage-config/garagehq-credentials", want: Down,
			reasonHas: []string{"not synced from kv-system/default_passwords/garagehq: FailedSync: Failed to sync", "Code: 403. Errors: * permission denied"},
			hintHas:   "Vault refused VaultAuth storage-config-auth's login: check role secret-reader"},
		{object: "VaultStaticSecret/storage-config/garagehq-admin", want: Degraded,
			reasonHas: []string{"synced once at 2026-07-18T11:42:00Z, 2d21h ago, never refreshed (refreshAfter unset)"}, hintHas: "set spec.refreshAfter"},
		{object: "VaultStaticSecret/storage-config/garagehq-metrics", want: OK, reasonHas: []string{"synced once at 2026-07-21T08:00:00Z, 1h ago, never refreshed"}},
		{object: "VaultStaticSecret/nextcloud/nextcloud-db", want: Degraded, reasonHas: []string{"stale: last synced 7h ago, refreshed every 1h"}, hintHas: "no longer refreshes it"},
		{object: "VaultStaticSecret/nextcloud/nextcloud-s3", want: OK, reasonHas: []string{"synced from kv-v2/nextcloud/s3, 30m ago, refreshed every 1h"}},
		{object: "VaultStaticSecret/nextcloud/nextcloud-smtp", want: OK, reasonHas: []string{"synced from kv-v2/nextcloud/smtp, refreshed every 1h"}, reasonNot: "stale"},
		{object: "VaultStaticSecret/grav/grav-salt", want: OK, reasonHas: []string{"updated on Vault's events"}},
		{object: "VaultStaticSecret/grav/grav-token", want: Down, reasonHas: []string{"403", "permission denied"},
			hintHas: "Vault refused the read: the policy of VaultAuth default's role grav-reader must allow read on github/token/raconteurs-grav"},
		{object: "VaultStaticSecret/grav/grav-init", want: Unknown, reasonHas: []string{"no SecretSynced condition yet"}, hintHas: "watches this namespace"},
	}
	for _, tc := range tests {
		t.Run(tc.object, func(t *testing.T) { checkFinding(t, got, tc) })
	}
	if len(l.Findings) != len(tests) || l.Status != Down {
		t.Errorf("layer %v with %d findings, want Down with %d", l.Status, len(l.Findings), len(tests))
	}
}

func TestVaultStaticSecretRefresh(t *testing.T) {
	vss := func(spec map[string]any, synced string) *unstructured.Unstructured {
		spec["mount"], spec["path"] = "kv", "app/db"
		u := &unstructured.Unstructured{Object: map[string]any{
			"kind":     "VaultStaticSecret",
			"metadata": map[string]any{"name": "db", "namespace": "app"},
			"spec":     spec,
		}}
		if synced != "" {
			u.Object["status"] = map[string]any{"conditions": []any{map[string]any{"type": "SecretSynced", "status": "True", "lastTransitionTime": synced}}}
		}
		return u
	}
	now := vsoNow()
	tests := []struct {
		name   string
		u      *unstructured.Unstructured
		want   Status
		reason string
	}{
		{"unset, synced a day and a minute ago", vss(map[string]any{}, "2026-07-20T08:59:00Z"), Degraded, "never refreshed (refreshAfter unset)"},
		{"unset, synced just under a day ago", vss(map[string]any{}, "2026-07-20T09:01:00Z"), OK, "synced once at 2026-07-20T09:01:00Z"},
		{"unset, no sync time", vss(map[string]any{}, "garbage"), Degraded, "synced once at an unknown time"},
		{"refreshAfter that does not parse", vss(map[string]any{"refreshAfter": "hourly"}, "2026-07-10T09:00:00Z"), Degraded, `refreshAfter "hourly" does not parse`},
		{"hmac off, just inside three periods", vss(map[string]any{"refreshAfter": "1h", "hmacSecretData": false}, "2026-07-21T06:01:00Z"), OK, "refreshed every 1h"},
		{"hmac off, past three periods", vss(map[string]any{"refreshAfter": "1h", "hmacSecretData": false}, "2026-07-21T05:59:00Z"), Degraded, "stale: last synced 3h1m ago"},
		{"hmac on: the condition's age is the last change", vss(map[string]any{"refreshAfter": "1h", "hmacSecretData": true}, "2026-01-01T00:00:00Z"), OK, "refreshed every 1h"},
		{"instant updates without refreshAfter", vss(map[string]any{"syncConfig": map[string]any{"instantUpdates": true}}, "2026-01-01T00:00:00Z"), OK, "Vault's events"},
		{"SecretSynced Unknown", func() *unstructured.Unstructured {
			u := vss(map[string]any{}, "")
			u.Object["status"] = map[string]any{"conditions": []any{map[string]any{"type": "SecretSynced", "status": "Unknown"}}}
			return u
		}(), Unknown, "SecretSynced=Unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := VaultStaticSecret(tt.u, "app-reader", "vault", now)
			if f.Status != tt.want || !strings.Contains(f.Reason, tt.reason) {
				t.Fatalf("got %v %q, want %v ~%q", f.Status, f.Reason, tt.want, tt.reason)
			}
		})
	}
}

func TestVSSFailureHint(t *testing.T) {
	tests := []struct{ msg, want string }{
		{"Code: 403. URL: PUT http://vault:8200/v1/auth/kubernetes/login * permission denied", "refused VaultAuth app-auth's login"},
		{"URL: GET http://vault:8200/v1/kv/data/app/db Code: 403. * permission denied", "policy of VaultAuth app-auth's role app-reader must allow read on kv/app/db"},
		{"Error making API request. Code: 503. * Vault is sealed", "Vault is sealed"},
		{"Code: 404. no secret found", "nothing at kv/app/db"},
		{"dial tcp 10.96.12.4:8200: connect: connection refused", "VaultConnection's address"},
		{"unsupported secret type \"kv-v3\"", "check VaultAuth app-auth (role app-reader)"},
	}
	for _, tt := range tests {
		if got := vssFailureHint(tt.msg, "app-auth", "app-reader", "kv/app/db"); !strings.Contains(got, tt.want) {
			t.Errorf("%q: hint %q lacks %q", tt.msg, got, tt.want)
		}
	}
}

func TestSecretsVSOUnreadable(t *testing.T) {
	forbidden := errors.New(`vaultstaticsecrets.secrets.hashicorp.com is forbidden: User "system:serviceaccount:cedille:console" cannot list resource`)
	tests := []struct {
		name  string
		o     Objects
		wants []string
	}{
		{"served but forbidden", Objects{
			Serves:      map[string]bool{ResourceVaultStaticSecrets: true, ResourceVaultAuths: true},
			Unavailable: map[string]error{ResourceVaultStaticSecrets: forbidden},
		}, []string{"CRD/" + ResourceVaultStaticSecrets}},
		{"not served: nothing to say", Objects{
			Serves:      map[string]bool{},
			Unavailable: map[string]error{ResourceVaultStaticSecrets: errors.New("the server could not find the requested resource")},
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := VSOFindings(tt.o)
			if len(fs) != len(tt.wants) {
				t.Fatalf("findings %+v, want %v", fs, tt.wants)
			}
			for i, w := range tt.wants {
				if fs[i].Object != w || fs[i].Status != Unknown || !strings.Contains(fs[i].Hint, "grant list and watch") {
					t.Errorf("finding %+v, want Unknown %s", fs[i], w)
				}
			}
		})
	}
}
