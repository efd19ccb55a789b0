package demo

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// vaultCluster is the storage the simulated replicas share: initialized once, with one set of key shares.
// It answers the Vault HTTP API calls the tool makes (sys/health, sys/seal-status, sys/init, sys/unseal,
// sys/seal) the way a Shamir-sealed Vault 1.13 would, and once a replica is unsealed the calls of the
// install's bootstrap (vaultapi.go: auth methods, the kubernetes auth method and its logins, ACL
// policies, mounts, KV v1 and v2, tokens).
type vaultCluster struct {
	mu          sync.Mutex
	version     string
	initialized bool
	shares      int
	threshold   int
	// keys are the digests of the shares (digest of the hex form): a share is valid when its digest is
	// one of these. Like a real Vault, the simulated one never keeps a share itself, so neither its memory
	// nor the demo's world file (world.go) holds one.
	keys     []string
	replicas []*vaultReplica
	store    *vaultStore     // what the API writes; set up by initialize
	rootGen  *rootGeneration // a generate-root attempt in progress
	// down: the Vault servers do not exist yet (a blank demo before its cluster is installed); every call
	// fails as the unresolvable service name it is then.
	down atomic.Bool
}

type vaultReplica struct {
	name     string
	sealed   bool
	progress []string
	nonce    string
}

func newVaultCluster(names ...string) *vaultCluster {
	c := &vaultCluster{version: "1.13.3"}
	for _, n := range names {
		c.replicas = append(c.replicas, &vaultReplica{name: n, sealed: true})
	}
	return c
}

func (c *vaultCluster) replica(name string) *vaultReplica {
	for _, r := range c.replicas {
		if r.name == name {
			return r
		}
	}
	return nil
}

// initialize is `vault operator init` (no PGP here: the demo keeps shares in memory only).
func (c *vaultCluster) initialize(shares, threshold int) ([]string, string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.initialized {
		return nil, "", fmt.Errorf("Vault is already initialized")
	}
	if shares < 1 || threshold < 1 || threshold > shares || shares > 255 {
		return nil, "", fmt.Errorf("invalid seal configuration: threshold must be between 1 and the number of shares (max 255)")
	}
	keys := make([]string, shares)
	c.keys = make([]string, shares)
	for i := range keys {
		keys[i] = randomHex(33)
		c.keys[i] = digest(keys[i])
	}
	c.shares, c.threshold, c.initialized = shares, threshold, true
	rootToken := "hvs." + randomHex(12)
	c.store = newVaultStore(rootToken)
	return keys, rootToken, nil
}

// unseal submits one share to a replica; at the threshold the shares are checked together, as Vault does.
func (c *vaultCluster) unseal(name, share string, reset bool) (*vaultReplica, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.replica(name)
	if !c.initialized {
		return r, fmt.Errorf("Vault is not initialized")
	}
	if reset {
		r.progress, r.nonce = nil, ""
		return r, nil
	}
	if !r.sealed {
		return r, nil
	}
	key, err := shareKey(share)
	if err != nil {
		return r, err
	}
	if slices.Contains(r.progress, key) {
		return r, errShareGiven
	}
	if r.nonce == "" {
		r.nonce = randomHex(16)
	}
	r.progress = append(r.progress, key)
	if len(r.progress) < c.threshold {
		return r, nil
	}
	valid := c.validSharesLocked(r.progress)
	r.progress, r.nonce = nil, ""
	if !valid {
		return r, fmt.Errorf("failed to decrypt keys from storage: cipher: message authentication failed")
	}
	r.sealed = false
	return r, nil
}

// errShareGiven is Vault's answer to a share given twice in one unseal or generate-root.
var errShareGiven = errors.New("given key has already been provided during this generation operation")

// shareKey is a share as the cluster keeps it (hex), from the hex or base64 form Vault accepts.
func shareKey(share string) (string, error) {
	key := strings.TrimSpace(share)
	if b, err := base64.StdEncoding.DecodeString(key); err == nil && len(b) == 33 {
		return hex.EncodeToString(b), nil
	}
	if _, err := hex.DecodeString(key); err != nil {
		return "", errors.New("'key' must be a valid hex or base64 string")
	}
	return key, nil
}

// validSharesLocked tells whether every share given is one of the cluster's (Vault checks them together,
// at the threshold).
func (c *vaultCluster) validSharesLocked(given []string) bool {
	for _, k := range given {
		if !slices.Contains(c.keys, digest(k)) {
			return false
		}
	}
	return true
}

func (c *vaultCluster) seal(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r := c.replica(name); r != nil {
		r.sealed, r.progress, r.nonce = true, nil, ""
	}
}

// active is the first unsealed replica (the leader); the others are standbys.
func (c *vaultCluster) activeLocked() string {
	for _, r := range c.replicas {
		if !r.sealed {
			return r.name
		}
	}
	return ""
}

func (c *vaultCluster) handler(name string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/sys/health", func(w http.ResponseWriter, req *http.Request) {
		c.mu.Lock()
		r := c.replica(name)
		active := c.activeLocked() == name
		body := map[string]any{
			"initialized": c.initialized, "sealed": r.sealed, "standby": c.initialized && !r.sealed && !active,
			"performance_standby": false, "replication_performance_mode": "disabled",
			"replication_dr_mode": "disabled", "server_time_utc": 0, "version": c.version,
		}
		if c.initialized {
			body["cluster_name"], body["cluster_id"] = "vault-cluster-cedille", "4f2b5e1c-6a0d-4c7e-9b51-demo"
		}
		code := 200
		q := req.URL.Query()
		switch {
		case !c.initialized:
			code = queryCode(q.Get("uninitcode"), 501)
		case r.sealed:
			code = queryCode(q.Get("sealedcode"), 503)
		case !active:
			code = 429
			if ok, _ := strconv.ParseBool(q.Get("standbyok")); ok {
				code = 200
			}
			code = queryCode(q.Get("standbycode"), code)
		}
		c.mu.Unlock()
		writeJSON(w, code, body)
	})
	mux.HandleFunc("GET /v1/sys/seal-status", func(w http.ResponseWriter, _ *http.Request) {
		c.mu.Lock()
		defer c.mu.Unlock()
		writeJSON(w, 200, c.sealStatusLocked(c.replica(name)))
	})
	mux.HandleFunc("GET /v1/sys/init", func(w http.ResponseWriter, _ *http.Request) {
		c.mu.Lock()
		defer c.mu.Unlock()
		writeJSON(w, 200, map[string]any{"initialized": c.initialized})
	})
	initHandler := func(w http.ResponseWriter, req *http.Request) {
		var in struct {
			SecretShares    int `json:"secret_shares"`
			SecretThreshold int `json:"secret_threshold"`
		}
		if err := json.NewDecoder(req.Body).Decode(&in); err != nil {
			writeErrors(w, 400, "failed to parse JSON input: "+err.Error())
			return
		}
		keys, root, err := c.initialize(in.SecretShares, in.SecretThreshold)
		if err != nil {
			writeErrors(w, 400, err.Error())
			return
		}
		b64 := make([]string, len(keys))
		for i, k := range keys {
			raw, _ := hex.DecodeString(k)
			b64[i] = base64.StdEncoding.EncodeToString(raw)
		}
		writeJSON(w, 200, map[string]any{"keys": keys, "keys_base64": b64, "root_token": root})
	}
	mux.HandleFunc("PUT /v1/sys/init", initHandler)
	mux.HandleFunc("POST /v1/sys/init", initHandler)
	unsealHandler := func(w http.ResponseWriter, req *http.Request) {
		var in struct {
			Key   string `json:"key"`
			Reset bool   `json:"reset"`
		}
		if err := json.NewDecoder(req.Body).Decode(&in); err != nil {
			writeErrors(w, 400, "failed to parse JSON input: "+err.Error())
			return
		}
		r, err := c.unseal(name, in.Key, in.Reset)
		if err != nil {
			writeErrors(w, 400, err.Error())
			return
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		writeJSON(w, 200, c.sealStatusLocked(r))
	}
	mux.HandleFunc("PUT /v1/sys/unseal", unsealHandler)
	mux.HandleFunc("POST /v1/sys/unseal", unsealHandler)
	sealHandler := func(w http.ResponseWriter, req *http.Request) {
		c.mu.Lock()
		ok := c.initialized && c.store.allowed(req.Header.Get("X-Vault-Token"), "sys/seal", opWrite)
		c.mu.Unlock()
		if !ok {
			writeErrors(w, 403, "permission denied")
			return
		}
		c.seal(name)
		w.WriteHeader(204)
	}
	mux.HandleFunc("PUT /v1/sys/seal", sealHandler)
	mux.HandleFunc("POST /v1/sys/seal", sealHandler)
	c.generateRootHandlers(mux, name)
	// Everything else: the API of an unsealed Vault (vaultapi.go).
	mux.HandleFunc("/v1/", c.serveAPI(name))
	return mux
}

func (c *vaultCluster) sealStatusLocked(r *vaultReplica) map[string]any {
	s := map[string]any{
		"type": "shamir", "initialized": c.initialized, "sealed": r.sealed, "t": c.threshold, "n": c.shares,
		"progress": len(r.progress), "nonce": r.nonce, "version": c.version, "build_date": "2023-06-06T18:12:37Z",
		"migration": false, "recovery_seal": false, "storage_type": "raft",
	}
	if c.initialized {
		s["cluster_name"], s["cluster_id"] = "vault-cluster-cedille", "4f2b5e1c-6a0d-4c7e-9b51-demo"
	}
	return s
}

// replicaAddr is the address a replica is named by (its transport is in-process: never dialled).
func replicaAddr(name string) string { return "http://" + name + ".vault-internal.vault.svc:8200" }

// client returns an HTTP client whose transport serves the replica's handler in-process: no socket.
func (c *vaultCluster) client(name string) *http.Client {
	return &http.Client{Transport: handlerTransport{h: c.handler(name), down: &c.down}}
}

type handlerTransport struct {
	h    http.Handler
	down *atomic.Bool // nil: always up
}

func (t handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	if t.down != nil && t.down.Load() {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: req.URL.Hostname(), IsNotFound: true}}
	}
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, req)
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

// unsealAll unseals every replica (the demo's "heal", and an Installed demo's start). The simulated
// Vault keeps no share to submit, so this is the simulation's own privilege, not an API call.
func (c *vaultCluster) unsealAll(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.initialized {
		return fmt.Errorf("Vault is not initialized")
	}
	for _, r := range c.replicas {
		r.sealed, r.progress, r.nonce = false, nil, ""
	}
	return nil
}

func queryCode(s string, def int) int {
	if n, err := strconv.Atoi(s); err == nil && n >= 100 && n < 600 {
		return n
	}
	return def
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeErrors(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]any{"errors": []string{msg}})
}

// digest is how the simulated Vault keeps what it must recognise but never give back (shares, tokens):
// their SHA-256, in hex.
func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// serving tells whether Vault serves the platform: reachable, initialized, unsealed on every replica and
// bootstrapped (its kubernetes auth method enabled) — what Vault's ArgoCD Applications need to be Healthy.
func (c *vaultCluster) serving() bool {
	if c.down.Load() {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.initialized || c.store == nil {
		return false
	}
	for _, r := range c.replicas {
		if r.sealed {
			return false
		}
	}
	for _, m := range c.store.auths {
		if m.Type == "kubernetes" {
			return true
		}
	}
	return false
}
