//go:build e2e

package vaultops

import (
	"context"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/hack/lab"
	"github.com/clubcedille/cedille-tui/internal/platform"
)

// TestReplicasThroughPortForwards: the install finds Vault's three server pods through the real API
// server and reaches each through its own port-forward (kwok answers for the kubelet and forwards to the
// lab's Vault), initializes through vault-0 and unseals through the forwards.
func TestReplicasThroughPortForwards(t *testing.T) {
	l := startLab(t, lab.KubeAPIServer, lab.Kwok, lab.Vault)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	k, err := platform.NewKube(l.RESTConfig(), "lab", "cedille-tui-test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := FindReplicas(ctx, k, ""); err == nil {
		t.Fatal("no Vault pods yet, but FindReplicas found some")
	}
	if _, err := l.CreateVaultReplicas(ctx, 3); err != nil {
		t.Fatal(err)
	}
	rs, err := FindReplicas(ctx, k, "")
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, r := range rs {
			r.Close()
		}
	}()
	if len(rs) != 3 || rs[0].Name != "vault-0" || rs[2].Name != "vault-2" {
		t.Fatalf("replicas: %v", rs)
	}
	for _, r := range rs {
		if r.Err != nil {
			t.Fatalf("%s: %v", r.Name, r.Err)
		}
		st, err := SealStatus(ctx, r.Vault)
		if err != nil || st.Initialized {
			t.Fatalf("%s through its forward: %+v %v", r.Name, st, err)
		}
	}
	keys, err := Init(ctx, rs[0].Vault, InitOptions{Shares: 3, Threshold: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		u := NewUnsealer(r.Name, r.Vault)
		var p Progress
		for _, s := range keys.Shares[:2] {
			if p, err = u.Submit(ctx, s); err != nil {
				t.Fatalf("%s: %v", r.Name, err)
			}
		}
		if p.Sealed {
			t.Errorf("%s still sealed: %v", r.Name, p)
		}
	}
	h, err := rs[2].Vault.Health(ctx, 5*time.Second)
	if err != nil || h.Sealed || !h.Initialized {
		t.Fatalf("health through vault-2's forward: %+v %v", h, err)
	}
}
