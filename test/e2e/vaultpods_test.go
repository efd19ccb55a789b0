//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/health"
)

// TestVaultReplicasThroughPortForward: with no VAULT_ADDR, status finds Vault's server pods in namespace
// vault and asks each one's sys/health through a pods/portforward of the real API server (kwok answers
// for the kubelet and forwards to the lab's real, uninitialized Vault): one finding per replica.
func TestVaultReplicasThroughPortForward(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pods, err := shared.lab.CreateVaultReplicas(ctx, 3)
	if err != nil {
		t.Fatalf("vault replicas: %v", err)
	}
	if len(pods) != 3 {
		t.Fatalf("%d pods", len(pods))
	}

	r := runCLI(t, only("KUBECONFIG"), "status", "-o", "json", "--timeout", "20s")
	if r.code != 2 {
		t.Fatalf("an uninitialized Vault is Down: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var rep health.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("json: %v\n%s", err, r.stdout)
	}
	var secrets *health.LayerReport
	for i := range rep.Layers {
		if rep.Layers[i].Name == health.LayerSecrets {
			secrets = &rep.Layers[i]
		}
	}
	if secrets == nil {
		t.Fatalf("no secrets layer:\n%s", r.stdout)
	}
	for i := range 3 {
		obj := fmt.Sprintf("Vault/vault-%d", i)
		var f *health.Finding
		for j := range secrets.Findings {
			if secrets.Findings[j].Object == obj {
				f = &secrets.Findings[j]
			}
		}
		if f == nil {
			t.Errorf("no finding for %s: %+v", obj, secrets.Findings)
			continue
		}
		if f.Status != health.Down || !strings.HasPrefix(f.Reason, "not initialized") {
			t.Errorf("%s: %s %q, want Down \"not initialized, v…\" (Vault's own answer through the forward)", obj, f.Status, f.Reason)
		}
	}
	if strings.Contains(r.stderr, "vault:") {
		t.Errorf("the replicas answered: no Vault source error expected on stderr:\n%s", r.stderr)
	}
}
