package health

import (
	"errors"
	"strings"
	"testing"

	vault "github.com/hashicorp/vault/api"
)

func TestVaultReplica(t *testing.T) {
	tests := []struct {
		name      string
		h         *vault.HealthResponse
		err       error
		want      Status
		reasonHas string
		hintHas   string
	}{
		{"fresh install", &vault.HealthResponse{Initialized: false, Sealed: true, Version: "1.13.3"}, nil, Down, "not initialized", "vault-init"},
		{"sealed after a power cut", &vault.HealthResponse{Initialized: true, Sealed: true}, nil, Down, "sealed", "vault-sealed"},
		{"standby", &vault.HealthResponse{Initialized: true, Standby: true, Version: "1.13.3"}, nil, OK, "standby, v1.13.3", ""},
		{"active", &vault.HealthResponse{Initialized: true, Version: "1.20.0"}, nil, OK, "active, v1.20.0", ""},
		{"unreachable", nil, errors.New("vault: http://10.0.0.5:8200 unreachable: connection refused"), Down, "connection refused", "reachable"},
		{"no answer recorded yet", nil, nil, Unknown, "no sys/health answer recorded", "next poll"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := VaultReplica("vault-0", tt.h, tt.err)
			if f.Status != tt.want || !strings.Contains(f.Reason, tt.reasonHas) || !strings.Contains(f.Hint, tt.hintHas) {
				t.Fatalf("got %+v, want %v ~%q hint ~%q", f, tt.want, tt.reasonHas, tt.hintHas)
			}
			if f.Object != "Vault/vault-0" {
				t.Errorf("object %q", f.Object)
			}
		})
	}
}

func TestSecretsVaultHA(t *testing.T) {
	const clusterA, clusterB = "0b9f8c1e-1111-2222-3333-444455556666", "7d2e4a90-aaaa-bbbb-cccc-ddddeeeeffff"
	active := func(id, name string) *vault.HealthResponse {
		return &vault.HealthResponse{Initialized: true, Version: "1.13.3", ClusterID: id, ClusterName: name}
	}
	standby := func(id, name string) *vault.HealthResponse {
		h := active(id, name)
		h.Standby = true
		return h
	}
	sealed := &vault.HealthResponse{Initialized: true, Sealed: true, Standby: true, Version: "1.20.0"}
	tests := []struct {
		name   string
		vault  []VaultStatus
		want   []layerCase
		layer  Status
		nFinds int
	}{
		{"single server: no HA finding", []VaultStatus{{Name: "vault-0", Health: active(clusterA, "vault-cluster-5f1c3a2b")}},
			[]layerCase{{object: "Vault/vault-0", want: OK, reasonHas: []string{"unsealed, active, v1.13.3"}}}, OK, 1},
		{"HA raft, one leader", []VaultStatus{
			{Name: "vault-0", Health: active(clusterA, "vault-cluster-5f1c3a2b")},
			{Name: "vault-1", Health: standby(clusterA, "vault-cluster-5f1c3a2b")},
			{Name: "vault-2", Health: standby(clusterA, "vault-cluster-5f1c3a2b")},
		}, []layerCase{{object: "VaultCluster/vault-cluster-5f1c3a2b", want: OK, reasonHas: []string{"active vault-0, 2 standby"}}}, OK, 4},
		{"no leader", []VaultStatus{
			{Name: "vault-0", Health: standby(clusterA, "vault-cluster-5f1c3a2b")},
			{Name: "vault-1", Health: standby(clusterA, "vault-cluster-5f1c3a2b")},
			{Name: "vault-2", Err: errors.New("dial tcp 10.244.2.17:8200: connect: connection refused")},
		}, []layerCase{
			{object: "VaultCluster/vault-cluster-5f1c3a2b", want: Down, reasonHas: []string{"no active replica (2 standby: vault-0, vault-1)"}, hintHas: "Raft quorum"},
			{object: "Vault/vault-2", want: Down, reasonHas: []string{"connection refused"}, hintHas: "reachable"},
		}, Down, 4},
		{"split brain: two leaders, one cluster_id (shared storage backend)", []VaultStatus{
			{Name: "k8s-shared/vault-0", Health: active(clusterA, "vault-cluster-5f1c3a2b")},
			{Name: "k8s-cedille-production-v2/vault-0", Health: active(clusterA, "vault-cluster-5f1c3a2b")},
		}, []layerCase{{object: "VaultCluster/vault-cluster-5f1c3a2b", want: Degraded,
			reasonHas: []string{"split brain? 2 active replicas", "k8s-shared/vault-0, k8s-cedille-production-v2/vault-0"}, hintHas: "storage backend"}}, Degraded, 3},
		{"two standalone Vaults, one per cluster", []VaultStatus{
			{Name: "k8s-shared/vault-0", Health: active(clusterA, "vault-cluster-shared")},
			{Name: "k8s-cedille-production-v2/vault-0", Health: active(clusterB, "vault-cluster-prodv2")},
		}, []layerCase{
			{object: "VaultCluster/vault-cluster-shared", want: OK, reasonHas: []string{"active k8s-shared/vault-0, 0 standby"}},
			{object: "VaultCluster/vault-cluster-prodv2", want: OK, reasonHas: []string{"active k8s-cedille-production-v2/vault-0"}},
		}, OK, 4},
		{"no cluster name: named by cluster_id", []VaultStatus{
			{Name: "vault-0", Health: active(clusterB, "")},
			{Name: "vault-1", Health: standby(clusterB, "")},
		}, []layerCase{{object: "VaultCluster/" + clusterB, want: OK, reasonHas: []string{"active vault-0, 1 standby"}}}, OK, 3},
		{"every server sealed after the power loss", []VaultStatus{
			{Name: "vault-0", Health: sealed}, {Name: "vault-1", Health: sealed}, {Name: "vault-2", Health: sealed},
		}, []layerCase{
			{object: "VaultCluster/vault", want: Down, reasonHas: []string{"no active replica: none of the 3 servers"}, hintHas: "vault-sealed"},
			{object: "Vault/vault-1", want: Down, reasonHas: []string{"sealed, v1.20.0"}, hintHas: "vault-sealed"},
		}, Down, 4},
		{"fresh install, one answer missing", []VaultStatus{
			{Name: "vault-0", Health: &vault.HealthResponse{Initialized: false, Sealed: true, Standby: true, Version: "1.13.3"}},
			{Name: "vault-1"},
		}, []layerCase{
			{object: "Vault/vault-0", want: Down, reasonHas: []string{"not initialized"}, hintHas: "vault-init"},
			{object: "Vault/vault-1", want: Unknown, reasonHas: []string{"no sys/health answer"}, hintHas: "next poll"},
			{object: "VaultCluster/vault", want: Down, reasonHas: []string{"no active replica"}, hintHas: "unseal"},
		}, Down, 3},
		{"performance standby counts as standby", []VaultStatus{
			{Name: "vault-0", Health: active(clusterA, "c")},
			{Name: "vault-1", Health: &vault.HealthResponse{Initialized: true, PerformanceStandby: true, ClusterID: clusterA, ClusterName: "c"}},
		}, []layerCase{{object: "VaultCluster/c", want: OK, reasonHas: []string{"active vault-0, 1 standby"}}}, OK, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := Secrets(Objects{Vault: tt.vault})
			got := findingsByObject(t, l)
			for _, tc := range tt.want {
				checkFinding(t, got, tc)
			}
			if l.Status != tt.layer || len(l.Findings) != tt.nFinds || l.Name != LayerSecrets {
				t.Errorf("layer %s %v with %d findings, want %v with %d: %+v", l.Name, l.Status, len(l.Findings), tt.layer, tt.nFinds, l.Findings)
			}
		})
	}
}

func TestSecretsVaultConfigCRs(t *testing.T) {
	crs := readTestdataList(t, "secrets/vault-config-crs.yaml")
	l := Secrets(Objects{VaultConfigCRs: crs})
	got := findingsByObject(t, l)
	tests := []layerCase{
		{object: "Policy/vault/config-admin", want: Degraded, reasonHas: []string{"reconcile failed: Put", "no such host"}, hintHas: "Vault is unreachable from the operator"},
		{object: "KubernetesAuthEngineRole/vault/secret-reader", want: Degraded, reasonHas: []string{`invalid role name "config-admin"`},
			hintHas: "Kubernetes auth bootstrap is missing (auth/kubernetes role config-admin): run `cedille-tui install` step vault-bootstrap"},
		{object: "SecretEngineMount/vault/github", want: OK, reasonHas: []string{"reconciled"}},
		{object: "RandomSecret/raconteurs-grav/grav-init-pwd", want: Degraded, reasonHas: []string{"reconcile failed: Error making API request. URL: PUT http://vault.vault.svc.cluster.local:8200/v1/auth/kubernetes/login Code: 403. Errors: * permission denied"}, hintHas: "policy/role drift"},
		{object: "VaultSecret/raconteurs-grav/grav-vault-files", want: Unknown, reasonHas: []string{"no ReconcileSuccessful condition yet"}, hintHas: "vault-config-operator runs"},
		{object: "GitHubSecretEngineConfig/vault/gh-engine-cedille", want: Unknown, reasonHas: []string{"ReconcileSuccessful=Unknown: reconciling"}, hintHas: "next reconcile"},
		{object: "PasswordPolicy/vault/password-policy", want: Degraded, reasonHas: []string{"length must be at least 4"}, hintHas: "operator's logs"},
		{object: "GitHubSecretEngineRole/vault/raconteurs-grav", want: Degraded, reasonHas: []string{"not installed for the app"}, hintHas: "Vault rejected the request"},
		{object: "AuthEngineMount/vault/jwt-tfc", want: Degraded, reasonHas: []string{"reconcile failed: LastReconcileCycleFailed"}, hintHas: "operator's logs"},
	}
	for _, tc := range tests {
		t.Run(tc.object, func(t *testing.T) { checkFinding(t, got, tc) })
	}
	if len(l.Findings) != len(tests) || l.Status != Degraded {
		t.Errorf("layer %v with %d findings, want Degraded with %d", l.Status, len(l.Findings), len(tests))
	}
}

func TestVaultConfigHint(t *testing.T) {
	tests := []struct{ msg, hintHas string }{
		{`Code: 400. Errors: * invalid role name "config-admin"`, "vault-bootstrap"},
		{"dial tcp: lookup vault.vault.svc.cluster.local: no such host", "unreachable"},
		{"dial tcp 10.96.14.3:8200: connect: connection refused", "unreachable"},
		{"context deadline exceeded: i/o timeout", "unreachable"},
		{"Code: 403. Errors: * permission denied", "policy/role drift"},
		{"Code: 400. Errors: * missing client token", "Vault rejected"},
		{"panic: runtime error", "operator's logs"},
		{`Put "http://vault.vault.svc.cluster.local:8200/v1/auth/kubernetes/login" Code: 503. Errors: * Vault is sealed`, "Vault is sealed"},
	}
	for _, tt := range tests {
		t.Run(tt.msg, func(t *testing.T) {
			if h, _ := vaultConfigHint(tt.msg); !strings.Contains(h, tt.hintHas) {
				t.Fatalf("hint %q lacks %q", h, tt.hintHas)
			}
		})
	}
}

func TestSecretsUnavailable(t *testing.T) {
	crs := readTestdataList(t, "secrets/vault-config-crs.yaml")[2:3] // SecretEngineMount github, OK
	o := Objects{
		Unavailable: map[string]error{
			"randomsecrets.redhatcop.redhat.io": errors.New(`randomsecrets.redhatcop.redhat.io is forbidden: User "reader" cannot list resource "randomsecrets"`),
			"policies.redhatcop.redhat.io":      errors.New("the server could not find the requested resource"),
			"diskpools.openebs.io":              errors.New("not this layer's business"),
		},
		Vault:          []VaultStatus{{Name: "vault-0", Health: &vault.HealthResponse{Initialized: true, Version: "1.20.0"}}},
		VaultConfigCRs: crs,
	}
	l := Secrets(o)
	got := findingsByObject(t, l)
	for _, tc := range []layerCase{
		{object: "CRD/randomsecrets.redhatcop.redhat.io", want: Unknown, reasonHas: []string{"forbidden"}, hintHas: "list/watch on randomsecrets.redhatcop.redhat.io"},
		{object: "CRD/policies.redhatcop.redhat.io", want: Unknown, reasonHas: []string{"could not find"}, hintHas: "install vault-config-operator"},
		{object: "Vault/vault-0", want: OK, reasonHas: []string{"active, v1.20.0"}},
		{object: "SecretEngineMount/vault/github", want: OK, reasonHas: []string{"reconciled"}},
	} {
		t.Run(tc.object, func(t *testing.T) { checkFinding(t, got, tc) })
	}
	if len(l.Findings) != 4 || l.Status != Unknown {
		t.Errorf("layer %v with %d findings, want Unknown with 4: %+v", l.Status, len(l.Findings), l.Findings)
	}
}

// TestVaultServerSealType: a sealed Vault's hint depends on its seal: key shares for shamir (or an
// unknown type), the KMS key for an auto-unseal seal, whose recovery keys cannot unseal it.
func TestVaultServerSealType(t *testing.T) {
	sealed := &vault.HealthResponse{Initialized: true, Sealed: true, Version: "1.20.0"}
	tests := []struct {
		name      string
		v         VaultStatus
		want      Status
		reasonHas string
		hintHas   []string
		hintNot   string
	}{
		{"shamir: key shares", VaultStatus{Name: "vault-0", Health: sealed, SealType: "shamir"}, Down, "sealed, v1.20.0",
			[]string{"key shares", RunbookVaultSealed}, "recovery keys"},
		{"seal type not known: key shares, as before", VaultStatus{Name: "vault-0", Health: sealed}, Down, "sealed, v1.20.0",
			[]string{"key shares"}, "recovery keys"},
		{"gcpckms: the KMS key, not key shares", VaultStatus{Name: "vault-0", Health: sealed, SealType: "gcpckms"}, Down,
			"sealed (gcpckms auto-unseal), v1.20.0", []string{"recovery keys cannot unseal it", "GCP KMS key", "kms-creds"}, "key shares"},
		{"transit: its own key", VaultStatus{Name: "vault-0", Health: sealed, SealType: "transit"}, Down,
			"sealed (transit auto-unseal)", []string{"recovery keys cannot unseal it", "transit key"}, "key shares"},
		{"unsealed gcpckms: nothing to do", VaultStatus{Name: "vault-0", Health: &vault.HealthResponse{Initialized: true}, SealType: "gcpckms"}, OK,
			"unsealed, active", nil, "recovery"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := VaultServer(tt.v)
			if f.Status != tt.want || !strings.Contains(f.Reason, tt.reasonHas) {
				t.Fatalf("got %v %q, want %v ~%q", f.Status, f.Reason, tt.want, tt.reasonHas)
			}
			for _, h := range tt.hintHas {
				if !strings.Contains(f.Hint, h) {
					t.Errorf("hint %q lacks %q", f.Hint, h)
				}
			}
			if tt.hintNot != "" && strings.Contains(f.Hint, tt.hintNot) {
				t.Errorf("hint %q has %q", f.Hint, tt.hintNot)
			}
		})
	}

	t.Run("HA: every server sealed behind gcpckms", func(t *testing.T) {
		l := Secrets(Objects{Vault: []VaultStatus{
			{Name: "vault-0", Health: sealed, SealType: "gcpckms"},
			{Name: "vault-1", Health: sealed, SealType: "gcpckms"},
		}})
		got := findingsByObject(t, l)
		checkFinding(t, got, layerCase{object: "VaultCluster/vault", want: Down, reasonHas: []string{"no active replica"}, hintHas: "recovery keys cannot unseal it"})
		checkFinding(t, got, layerCase{object: "Vault/vault-1", want: Down, reasonHas: []string{"gcpckms auto-unseal"}, hintHas: "GCP KMS key"})
	})
	t.Run("HA: one shamir server among them keeps the unseal hint", func(t *testing.T) {
		got := findingsByObject(t, Secrets(Objects{Vault: []VaultStatus{
			{Name: "vault-0", Health: sealed, SealType: "gcpckms"},
			{Name: "vault-1", Health: sealed, SealType: "shamir"},
		}}))
		checkFinding(t, got, layerCase{object: "VaultCluster/vault", want: Down, reasonHas: []string{"no active replica"}, hintHas: "unseal the servers"})
	})
}
