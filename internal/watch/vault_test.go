package watch

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/clubcedille/cedille-tui/internal/platform"
)

// TestVaultSourceSealType: a sealed server's seal type is asked of sys/seal-status, an unsealed one's is
// not (one request per healthy server and poll).
func TestVaultSourceSealType(t *testing.T) {
	tests := []struct {
		name         string
		health       string
		wantType     string
		wantSealAsks int32
	}{
		{"sealed, gcpckms", `{"initialized":true,"sealed":true,"standby":true,"version":"1.20.0"}`, "gcpckms", 1},
		{"unsealed: seal-status not asked", `{"initialized":true,"sealed":false,"standby":false,"version":"1.20.0"}`, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sealAsks atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				switch r.URL.Path {
				case "/v1/sys/health":
					w.WriteHeader(http.StatusOK) // the client asks for 200 whatever the state
					_, _ = w.Write([]byte(tt.health))
				case "/v1/sys/seal-status":
					sealAsks.Add(1)
					_, _ = w.Write([]byte(`{"type":"gcpckms","initialized":true,"sealed":true,"t":3,"n":5,"recovery_seal":true}`))
				default:
					http.NotFound(w, r)
				}
			}))
			defer srv.Close()
			v, err := platform.ConnectVault(platform.VaultOptions{Addr: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			s := NewVaultSource(VaultTarget{Name: "vault-0", Vault: v})
			if !s.poll(context.Background()) {
				t.Fatal("poll reported nothing")
			}
			snap := Snapshot{Sources: map[platform.Source]SourceState{}}
			s.Fill(&snap)
			if len(snap.Vault) != 1 || snap.Vault[0].Err != nil {
				t.Fatalf("replicas %+v", snap.Vault)
			}
			if got := snap.Vault[0].SealType; got != tt.wantType {
				t.Errorf("seal type %q, want %q", got, tt.wantType)
			}
			if got := sealAsks.Load(); got != tt.wantSealAsks {
				t.Errorf("sys/seal-status asked %d times, want %d", got, tt.wantSealAsks)
			}
		})
	}
}
