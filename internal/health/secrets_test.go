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
