package demo

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
)

// Each fleet cluster's Vault (PLATFORM.md §3.2): one standalone server, Vault 1.20, auto-unsealed by
// Google Cloud KMS (seal gcpckms; its init made recovery shares, 5 with threshold 3, which cannot
// unseal it), with storage of its own: every cluster's Vault has its own cluster_id.

// fleetVaultReplica is the name of a fleet cluster's one Vault server.
const fleetVaultReplica = "vault-0"

// fleetVaultVersion is the Vault the fleet runs (vault-0 restarted into 1.20.0 in July 2026).
const fleetVaultVersion = "1.20.0"

// newFleetVault is a cluster's Vault, initialized and unsealed, as KMS auto-unseal keeps it; neither its
// recovery shares nor its root token are kept.
func newFleetVault(ctx context.Context) (*vaultCluster, error) {
	v := newVaultCluster(fleetVaultReplica)
	v.version = fleetVaultVersion
	if _, _, err := v.initialize(5, 3); err != nil {
		return nil, err
	}
	return v, v.unsealAll(ctx)
}

// fleetVaultAddr is the address a cluster's Vault is named by (never dialled).
func fleetVaultAddr(cluster string) string {
	return "http://" + fleetVaultReplica + ".vault-internal.vault.svc:8200?cluster=" + cluster
}

// fleetClient is an HTTP client serving the cluster's Vault in process, as a gcpckms-sealed Vault answers:
// sys/seal-status says type gcpckms with a recovery seal, and sys/health and sys/seal-status give the
// cluster's own cluster name and id.
func (c *vaultCluster) fleetClient(cluster, storage string) *http.Client {
	return &http.Client{Transport: handlerTransport{h: gcpckmsSeal(c.handler(fleetVaultReplica), cluster, storage)}}
}

// gcpckmsSeal rewrites the seal-status and health answers of h as the cluster's KMS-sealed Vault on that
// storage gives them.
func gcpckmsSeal(h http.Handler, cluster, storage string) http.Handler {
	sum := sha256.Sum256([]byte("vault/" + cluster))
	clusterID := fmt.Sprintf("%x-%x-%x-%x-%x", sum[0:4], sum[4:6], sum[6:8], sum[8:10], sum[10:16])
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		path := req.URL.Path
		if req.Method != http.MethodGet || (path != "/v1/sys/seal-status" && path != "/v1/sys/health") {
			h.ServeHTTP(w, req)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var body map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			copyResponse(w, rec)
			return
		}
		body["cluster_name"], body["cluster_id"] = "vault-cluster-"+cluster, clusterID
		if path == "/v1/sys/seal-status" {
			body["type"], body["recovery_seal"] = "gcpckms", true
			body["recovery_seal_type"] = "shamir"
			body["storage_type"] = storage
		}
		b, _ := json.Marshal(body)
		rec.Body = bytes.NewBuffer(b)
		copyResponse(w, rec)
	})
}

// copyResponse writes a recorded answer.
func copyResponse(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, vs := range rec.Header() {
		w.Header()[k] = vs
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}
