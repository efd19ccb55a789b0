package demo

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"time"
)

// The simulated Vault's generate-root (sys/generate-root/attempt and /update), as Vault 1.13 answers
// it: a one-time password of otpLength base62 characters, the shares checked together at the threshold,
// a wrong combination dropping the shares given (the attempt and its password stay), and the new root
// token returned base64-encoded XOR the password.

const otpLength = 28

// rootGeneration is an attempt in progress.
type rootGeneration struct {
	otp, nonce string
	progress   []string
}

func (c *vaultCluster) rootGenStatusLocked() map[string]any {
	g := c.rootGen
	s := map[string]any{"started": g != nil, "nonce": "", "progress": 0, "required": c.threshold, "complete": false,
		"encoded_token": "", "encoded_root_token": "", "pgp_fingerprint": "", "otp_length": otpLength}
	if g != nil {
		s["nonce"], s["progress"] = g.nonce, len(g.progress)
	}
	return s
}

// generateRootHandlers serves sys/generate-root/* on replica name.
func (c *vaultCluster) generateRootHandlers(mux *http.ServeMux, name string) {
	// ready answers for a replica that cannot take part: not initialized, or sealed.
	ready := func(w http.ResponseWriter) bool {
		if r := c.replica(name); !c.initialized || r == nil || r.sealed {
			writeErrors(w, 503, "Vault is sealed")
			return false
		}
		return true
	}
	mux.HandleFunc("GET /v1/sys/generate-root/attempt", func(w http.ResponseWriter, _ *http.Request) {
		c.mu.Lock()
		defer c.mu.Unlock()
		if ready(w) {
			writeJSON(w, 200, c.rootGenStatusLocked())
		}
	})
	start := func(w http.ResponseWriter, req *http.Request) {
		var in struct {
			OTP    string `json:"otp"`
			PGPKey string `json:"pgp_key"`
		}
		if req.Body != nil {
			_ = json.NewDecoder(req.Body).Decode(&in)
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		switch {
		case !ready(w):
		case c.rootGen != nil:
			writeErrors(w, 400, "root generation already in progress")
		case in.PGPKey != "":
			writeErrors(w, 400, "the demo's Vault takes a one-time password, not a PGP key")
		case len(in.OTP) != otpLength:
			writeErrors(w, 400, "OTP string is wrong length")
		default:
			c.rootGen = &rootGeneration{otp: in.OTP, nonce: uuidish()}
			writeJSON(w, 200, c.rootGenStatusLocked())
		}
	}
	mux.HandleFunc("PUT /v1/sys/generate-root/attempt", start)
	mux.HandleFunc("POST /v1/sys/generate-root/attempt", start)
	mux.HandleFunc("DELETE /v1/sys/generate-root/attempt", func(w http.ResponseWriter, _ *http.Request) {
		c.mu.Lock()
		defer c.mu.Unlock()
		if ready(w) {
			c.rootGen = nil
			w.WriteHeader(204)
		}
	})
	update := func(w http.ResponseWriter, req *http.Request) {
		var in struct {
			Key   string `json:"key"`
			Nonce string `json:"nonce"`
		}
		if err := json.NewDecoder(req.Body).Decode(&in); err != nil {
			writeErrors(w, 400, "failed to parse JSON input: "+err.Error())
			return
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		if !ready(w) {
			return
		}
		out, code, msg := c.rootGenUpdateLocked(in.Key, in.Nonce)
		if msg != "" {
			writeErrors(w, code, msg)
			return
		}
		writeJSON(w, 200, out)
	}
	mux.HandleFunc("PUT /v1/sys/generate-root/update", update)
	mux.HandleFunc("POST /v1/sys/generate-root/update", update)
}

// rootGenUpdateLocked takes one share of the attempt; at the threshold it checks them and makes the token.
func (c *vaultCluster) rootGenUpdateLocked(share, nonce string) (map[string]any, int, string) {
	g := c.rootGen
	if g == nil {
		return nil, 400, "no root generation in progress"
	}
	if nonce != g.nonce {
		return nil, 400, "incorrect nonce supplied; nonce for this root generation operation is " + g.nonce
	}
	key, err := shareKey(share)
	if err != nil {
		return nil, 400, err.Error()
	}
	if slices.Contains(g.progress, key) {
		return nil, 400, errShareGiven.Error()
	}
	g.progress = append(g.progress, key)
	if len(g.progress) < c.threshold {
		return c.rootGenStatusLocked(), 0, ""
	}
	if !c.validSharesLocked(g.progress) {
		g.progress = nil
		return nil, 400, "root generation aborted: unable to authenticate: failed to decrypt keys from storage: cipher: message authentication failed"
	}
	token := "hvs." + randomHex(12) // as long as the password (otpLength)
	c.store.tokens[digest(token)] = &vaultToken{policies: []string{"root"}, path: "auth/token/root", displayName: "root",
		issued: time.Now(), accessor: randomHex(12)}
	enc := []byte(token)
	for i := range enc {
		enc[i] ^= g.otp[i]
	}
	out := c.rootGenStatusLocked()
	encoded := base64.RawStdEncoding.EncodeToString(enc)
	out["progress"], out["complete"], out["encoded_token"], out["encoded_root_token"] = len(g.progress), true, encoded, encoded
	c.rootGen = nil
	return out, 0, ""
}
