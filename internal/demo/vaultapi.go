package demo

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The API an unsealed replica answers beyond the seal: what the install's bootstrap (vaultops.Bootstrap,
// the SSO secrets) and vault-config-operator's first login do. Every replica reads and writes the one
// storage, under the cluster's mutex; a standby answers as if it forwarded to the active one.
//
// This is a simulation for the demo, not a security boundary: tokens are random strings kept in memory,
// a policy is read with a regular expression, and the kubernetes auth method trusts whatever
// service-account token it is given.

// The operations a request maps to, as policies name them (a write is "create" or "update").
const (
	opRead   = "read"
	opList   = "list"
	opWrite  = "write"
	opDelete = "delete"
)

// defaultLease is Vault's default lease (768h), what a token or a KV v1 read reports without a TTL.
const defaultLease = 768 * 60 * 60

// defaultPolicy is the part of Vault's built-in "default" policy a token uses on itself.
const defaultPolicy = `# Allow tokens to look up, renew and revoke themselves (an excerpt of Vault's default policy).
path "auth/token/lookup-self" {
  capabilities = ["read"]
}
path "auth/token/renew-self" {
  capabilities = ["update"]
}
path "auth/token/revoke-self" {
  capabilities = ["update"]
}
`

// vaultStore is what the API writes: auth methods, secrets engines, policies and tokens.
type vaultStore struct {
	auths    map[string]*vaultMount // by path with its trailing slash: "token/", "kubernetes/"
	mounts   map[string]*vaultMount // "sys/", "kv/", "kv-system/"
	policies map[string]*vaultPolicy
	tokens   map[string]*vaultToken // by the token's digest: the store never holds a token
}

// vaultMount is an auth method or a secrets engine, with the state of the kinds the demo serves.
type vaultMount struct {
	Type, Description, Accessor, UUID string
	Options                           map[string]string
	Local                             bool

	// A kubernetes auth method: its config (nil until written) and roles.
	k8sConfig map[string]any
	roles     map[string]map[string]any
	// A kv engine: its secrets by path within the mount.
	kv map[string]*kvEntry
}

type kvEntry struct {
	data             map[string]any
	version          int // KV v2
	created, updated time.Time
}

type vaultPolicy struct {
	text  string
	rules []policyRule
}

// policyRule is one `path "GLOB" { capabilities = [...] }` block.
type policyRule struct {
	glob string
	caps []string
}

type vaultToken struct {
	policies    []string
	path        string // the login that made it ("auth/token/root", "auth/kubernetes/login")
	displayName string
	ttl         int // seconds; 0: never expires (root)
	issued      time.Time
	accessor    string
	meta        map[string]string
}

// newVaultStore is the storage of a just-initialized Vault: the token auth method, the sys, cubbyhole
// and identity mounts, the default policy and the root token.
func newVaultStore(rootToken string) *vaultStore {
	s := &vaultStore{auths: map[string]*vaultMount{}, mounts: map[string]*vaultMount{},
		policies: map[string]*vaultPolicy{}, tokens: map[string]*vaultToken{}}
	s.auths["token/"] = newMount("token", "token based credentials", nil)
	s.mounts["sys/"] = newMount("system", "system endpoints used for control, policy and debugging", nil)
	s.mounts["cubbyhole/"] = newMount("cubbyhole", "per-token private secret storage", nil)
	s.mounts["identity/"] = newMount("identity", "identity store", nil)
	rules, _ := parsePolicy(defaultPolicy)
	s.policies["default"] = &vaultPolicy{text: defaultPolicy, rules: rules}
	s.tokens[digest(rootToken)] = &vaultToken{policies: []string{"root"}, path: "auth/token/root", displayName: "root",
		issued: time.Now(), accessor: randomHex(12)}
	return s
}

func newMount(typ, description string, options map[string]string) *vaultMount {
	return &vaultMount{Type: typ, Description: description, Options: options,
		Accessor: strings.ReplaceAll(typ, "-", "_") + "_" + randomHex(4), UUID: uuidish()}
}

// output is the mount as sys/auth and sys/mounts list it (vault/api's MountOutput).
func (m *vaultMount) output() map[string]any {
	return map[string]any{
		"type": m.Type, "description": m.Description, "accessor": m.Accessor, "uuid": m.UUID,
		"options": m.Options, "local": m.Local, "seal_wrap": false, "external_entropy_access": false,
		"config": map[string]any{"default_lease_ttl": 0, "max_lease_ttl": 0, "force_no_cache": false},
	}
}

// apiRequest is one call: its operation, path (without /v1/ and the slashes around it), caller and body.
type apiRequest struct {
	op, path, token string
	body            map[string]any
}

// serveAPI answers the API of an unsealed replica: 503 while it is sealed, 403 without a token allowed
// to do the operation on the path (logins need none).
func (c *vaultCluster) serveAPI(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		a := &apiRequest{op: operationOf(req), token: req.Header.Get("X-Vault-Token")}
		if a.op == "" {
			writeErrors(w, 405, "unsupported operation")
			return
		}
		// The transport hands the client's request over as it is: without a body, Body is nil.
		if a.op == opWrite && req.Body != nil {
			dec := json.NewDecoder(req.Body)
			dec.UseNumber()
			if err := dec.Decode(&a.body); err != nil && err != io.EOF {
				writeErrors(w, 400, "failed to parse JSON input: "+err.Error())
				return
			}
		}
		// Policies match the path as requested; a list is always of a "directory" (Vault adds the slash).
		raw := strings.TrimPrefix(req.URL.Path, "/v1/")
		if a.op == opList && !strings.HasSuffix(raw, "/") {
			raw += "/"
		}
		a.path = strings.Trim(raw, "/")

		c.mu.Lock()
		defer c.mu.Unlock()
		if r := c.replica(name); !c.initialized || r == nil || r.sealed {
			writeErrors(w, 503, "Vault is sealed")
			return
		}
		s := c.store
		if !(a.op == opWrite && s.isLogin(a.path)) && !s.allowed(a.token, raw, a.op) {
			writeErrors(w, 403, "permission denied")
			return
		}
		s.route(w, a)
	}
}

// operationOf maps the method: GET reads (lists with ?list=true), PUT and POST write, DELETE deletes.
func operationOf(req *http.Request) string {
	switch req.Method {
	case http.MethodGet:
		if ok, _ := strconv.ParseBool(req.URL.Query().Get("list")); ok {
			return opList
		}
		return opRead
	case "LIST":
		return opList
	case http.MethodPut, http.MethodPost:
		return opWrite
	case http.MethodDelete:
		return opDelete
	}
	return ""
}

func (s *vaultStore) route(w http.ResponseWriter, a *apiRequest) {
	p := a.path
	switch {
	case p == "sys/auth":
		s.listMounts(w, a, s.auths)
	case strings.HasPrefix(p, "sys/auth/"):
		s.enableMount(w, a, s.auths, strings.TrimPrefix(p, "sys/auth/"), true)
	case p == "sys/mounts":
		s.listMounts(w, a, s.mounts)
	case strings.HasPrefix(p, "sys/mounts/"):
		s.enableMount(w, a, s.mounts, strings.TrimPrefix(p, "sys/mounts/"), false)
	case p == "sys/policies/acl" || strings.HasPrefix(p, "sys/policies/acl/"):
		s.policy(w, a, strings.TrimPrefix(strings.TrimPrefix(p, "sys/policies/acl"), "/"))
	case strings.HasPrefix(p, "auth/"):
		mp, m, rest := lookupMount(s.auths, strings.TrimPrefix(p, "auth/"))
		switch {
		case m == nil:
			noHandler(w, p)
		case m.Type == "token":
			s.tokenAuth(w, a, rest)
		case m.Type == "kubernetes":
			s.kubernetesAuth(w, a, mp, m, rest)
		default:
			noHandler(w, p)
		}
	default:
		_, m, rest := lookupMount(s.mounts, p)
		if m == nil || m.Type != "kv" {
			noHandler(w, p)
			return
		}
		if m.Options["version"] == "2" {
			serveKV2(w, a, m, rest)
		} else {
			serveKV1(w, a, m, rest)
		}
	}
}

// lookupMount finds the mount a path is under (the longest match) and the path within it.
func lookupMount(table map[string]*vaultMount, p string) (string, *vaultMount, string) {
	best := ""
	for mp := range table {
		if strings.HasPrefix(p+"/", mp) && len(mp) > len(best) {
			best = mp
		}
	}
	if best == "" {
		return "", nil, ""
	}
	return best, table[best], strings.Trim(strings.TrimPrefix(p+"/", best), "/")
}

// --- sys/auth, sys/mounts

func (s *vaultStore) listMounts(w http.ResponseWriter, a *apiRequest, table map[string]*vaultMount) {
	if a.op != opRead {
		unsupported(w)
		return
	}
	data := map[string]any{}
	for p, m := range table {
		data[p] = m.output()
	}
	writeJSON(w, 200, secretBody(data))
}

// enableMount serves sys/auth/{path} (auth true) or sys/mounts/{path}: enable, read, disable.
func (s *vaultStore) enableMount(w http.ResponseWriter, a *apiRequest, table map[string]*vaultMount, p string, auth bool) {
	p = strings.Trim(p, "/") + "/"
	switch a.op {
	case opRead:
		m := table[p]
		if !auth && strings.HasPrefix(p, "auth/") {
			m = s.auths[strings.TrimPrefix(p, "auth/")]
		}
		if m == nil {
			writeErrors(w, 400, "No secret engine mount at "+p)
			return
		}
		writeJSON(w, 200, secretBody(m.output()))
	case opWrite:
		typ, _ := a.body["type"].(string)
		if typ == "" {
			writeErrors(w, 400, `"type" must be specified`)
			return
		}
		options := stringMap(a.body["options"])
		if typ == "kv-v2" {
			typ = "kv"
			if options == nil {
				options = map[string]string{}
			}
			options["version"] = "2"
		}
		for existing := range table {
			if strings.HasPrefix(p, existing) || strings.HasPrefix(existing, p) {
				writeErrors(w, 400, "path is already in use at "+existing)
				return
			}
		}
		if !auth && (p == "auth/" || strings.HasPrefix(p, "auth/")) {
			writeErrors(w, 400, "cannot mount under auth/")
			return
		}
		desc, _ := a.body["description"].(string)
		m := newMount(typ, desc, options)
		m.Local, _ = a.body["local"].(bool)
		switch typ {
		case "kubernetes":
			m.roles = map[string]map[string]any{}
		case "kv":
			m.kv = map[string]*kvEntry{}
		}
		table[p] = m
		w.WriteHeader(204)
	case opDelete:
		if p == "token/" || p == "sys/" || p == "cubbyhole/" || p == "identity/" {
			writeErrors(w, 400, "cannot unmount "+strconv.Quote(p))
			return
		}
		delete(table, p)
		w.WriteHeader(204)
	default:
		unsupported(w)
	}
}

// --- sys/policies/acl

func (s *vaultStore) policy(w http.ResponseWriter, a *apiRequest, name string) {
	name = strings.ToLower(name)
	if name == "" {
		if a.op != opList {
			unsupported(w)
			return
		}
		names := append(slices.Collect(maps.Keys(s.policies)), "root")
		slices.Sort(names)
		writeJSON(w, 200, secretBody(map[string]any{"keys": names, "policies": names}))
		return
	}
	switch a.op {
	case opRead:
		text := ""
		if p := s.policies[name]; p != nil {
			text = p.text
		} else if name != "root" {
			notFound(w)
			return
		}
		writeJSON(w, 200, secretBody(map[string]any{"name": name, "policy": text}))
	case opWrite:
		if name == "root" {
			writeErrors(w, 400, `cannot update "root" policy`)
			return
		}
		text, _ := a.body["policy"].(string)
		if strings.TrimSpace(text) == "" {
			writeErrors(w, 400, "'policy' parameter not supplied or empty")
			return
		}
		rules, err := parsePolicy(text)
		if err != nil {
			writeErrors(w, 400, "failed to parse policy: "+err.Error())
			return
		}
		s.policies[name] = &vaultPolicy{text: text, rules: rules}
		w.WriteHeader(204)
	case opDelete:
		if name == "root" || name == "default" {
			writeErrors(w, 400, fmt.Sprintf("cannot delete %q policy", name))
			return
		}
		delete(s.policies, name)
		w.WriteHeader(204)
	default:
		unsupported(w)
	}
}

// --- authorization

var (
	policyBlockRE = regexp.MustCompile(`path\s+"([^"]+)"\s*\{\s*capabilities\s*=\s*\[([^\]]*)\]\s*\}`)
	policyPathRE  = regexp.MustCompile(`(?m)^\s*path\s+"`)
	quotedRE      = regexp.MustCompile(`"([^"]*)"`)
)

// parsePolicy reads the `path "GLOB" { capabilities = [...] }` blocks of a policy (the only form the
// demo understands; a block with anything else in it is refused, so a typo shows).
func parsePolicy(text string) ([]policyRule, error) {
	blocks := policyBlockRE.FindAllStringSubmatch(text, -1)
	if n := len(policyPathRE.FindAllString(text, -1)); n != len(blocks) {
		return nil, fmt.Errorf("%d path blocks, %d of the form path \"…\" { capabilities = [ … ] }", n, len(blocks))
	}
	rules := make([]policyRule, 0, len(blocks))
	for _, b := range blocks {
		r := policyRule{glob: b[1]}
		for _, q := range quotedRE.FindAllStringSubmatch(b[2], -1) {
			switch q[1] {
			case "create", "read", "update", "patch", "delete", "list", "sudo", "deny", "subscribe":
				r.caps = append(r.caps, q[1])
			default:
				return nil, fmt.Errorf("path %q: unknown capability %q", b[1], q[1])
			}
		}
		rules = append(rules, r)
	}
	return rules, nil
}

// globMatch matches a policy path: a trailing * matches any suffix, + matches one path segment.
func globMatch(glob, p string) bool {
	prefix := strings.HasSuffix(glob, "*")
	gs := strings.Split(strings.TrimSuffix(glob, "*"), "/")
	ps := strings.Split(p, "/")
	if len(ps) < len(gs) || (!prefix && len(ps) != len(gs)) {
		return false
	}
	for i, g := range gs {
		switch {
		case g == "+":
		case prefix && i == len(gs)-1:
			return strings.HasPrefix(ps[i], g)
		case g != ps[i]:
			return false
		}
	}
	return true
}

// allowed tells whether the token may do op on the path: root may do everything; another token what
// the union of its policies' matching rules grants (a deny wins). Vault picks the most specific rule
// instead; the demo's policies never need the difference.
func (s *vaultStore) allowed(token, p, op string) bool {
	t := s.tokens[digest(token)]
	if token == "" || t == nil {
		return false
	}
	if slices.Contains(t.policies, "root") {
		return true
	}
	granted := map[string]bool{}
	for _, name := range t.policies {
		if pol := s.policies[name]; pol != nil {
			for _, r := range pol.rules {
				if globMatch(r.glob, p) {
					for _, c := range r.caps {
						granted[c] = true
					}
				}
			}
		}
	}
	if granted["deny"] {
		return false
	}
	switch op {
	case opWrite:
		return granted["create"] || granted["update"]
	default:
		return granted[op]
	}
}

// isLogin tells whether the path is the login of a kubernetes auth method (called without a token).
func (s *vaultStore) isLogin(p string) bool {
	if !strings.HasPrefix(p, "auth/") {
		return false
	}
	_, m, rest := lookupMount(s.auths, strings.TrimPrefix(p, "auth/"))
	return m != nil && m.Type == "kubernetes" && rest == "login"
}

// --- auth/token

func (s *vaultStore) tokenAuth(w http.ResponseWriter, a *apiRequest, rest string) {
	t := s.tokens[digest(a.token)]
	switch {
	case rest == "lookup-self" && a.op == opRead:
		data := map[string]any{
			"id": a.token, "accessor": t.accessor, "policies": t.policies, "path": t.path,
			"display_name": t.displayName, "creation_time": t.issued.Unix(), "creation_ttl": t.ttl, "ttl": t.ttl,
			"issue_time": t.issued.UTC().Format(time.RFC3339Nano), "expire_time": nil, "explicit_max_ttl": 0,
			"num_uses": 0, "orphan": true, "renewable": t.ttl > 0, "type": "service", "entity_id": "", "meta": t.meta,
		}
		if t.ttl > 0 {
			data["expire_time"] = t.issued.Add(time.Duration(t.ttl) * time.Second).UTC().Format(time.RFC3339Nano)
		}
		writeJSON(w, 200, secretBody(data))
	case rest == "revoke-self" && a.op == opWrite:
		delete(s.tokens, digest(a.token))
		w.WriteHeader(204)
	default:
		noHandler(w, "auth/token/"+rest)
	}
}

// --- auth/kubernetes

// roleListFields are the list-valued fields of a kubernetes auth role (Vault takes a comma-separated
// string or a list).
func roleListFields() []string {
	return []string{"bound_service_account_names", "bound_service_account_namespaces", "policies",
		"token_policies", "audience", "token_bound_cidrs"}
}

func (s *vaultStore) kubernetesAuth(w http.ResponseWriter, a *apiRequest, mp string, m *vaultMount, rest string) {
	switch {
	case rest == "config":
		switch a.op {
		case opRead:
			if m.k8sConfig == nil {
				notFound(w)
				return
			}
			// As Vault: the reviewer's token is never read back, only whether one is set.
			out := map[string]any{"kubernetes_ca_cert": "", "pem_keys": []string{}, "issuer": "",
				"disable_iss_validation": true, "disable_local_ca_jwt": false}
			for k, v := range m.k8sConfig {
				if k != "token_reviewer_jwt" {
					out[k] = v
				}
			}
			jwt, _ := m.k8sConfig["token_reviewer_jwt"].(string)
			out["token_reviewer_jwt_set"] = jwt != ""
			writeJSON(w, 200, secretBody(out))
		case opWrite:
			if host, _ := a.body["kubernetes_host"].(string); host == "" {
				writeErrors(w, 400, "no host provided")
				return
			}
			m.k8sConfig = maps.Clone(a.body)
			w.WriteHeader(204)
		default:
			unsupported(w)
		}
	case rest == "role":
		if a.op != opList {
			unsupported(w)
			return
		}
		listKeys(w, slices.Collect(maps.Keys(m.roles)), "")
	case strings.HasPrefix(rest, "role/"):
		s.kubernetesRole(w, a, m, strings.TrimPrefix(rest, "role/"))
	case rest == "login" && a.op == opWrite:
		s.kubernetesLogin(w, a, mp, m)
	default:
		noHandler(w, "auth/"+mp+rest)
	}
}

func (s *vaultStore) kubernetesRole(w http.ResponseWriter, a *apiRequest, m *vaultMount, name string) {
	name = strings.ToLower(name)
	switch a.op {
	case opRead:
		r := m.roles[name]
		if r == nil {
			notFound(w)
			return
		}
		writeJSON(w, 200, secretBody(r))
	case opWrite:
		r := maps.Clone(m.roles[name])
		if r == nil {
			r = map[string]any{"token_ttl": 0, "token_max_ttl": 0, "alias_name_source": "serviceaccount_uid"}
		}
		for k, v := range a.body {
			r[k] = v
		}
		for _, f := range roleListFields() {
			if v, ok := a.body[f]; ok {
				r[f] = stringList(v)
			}
		}
		// policies is the older name of token_policies, ttl of token_ttl: both are kept in step.
		if _, ok := a.body["policies"]; ok {
			r["token_policies"] = r["policies"]
		} else if _, ok := a.body["token_policies"]; ok {
			r["policies"] = r["token_policies"]
		}
		for _, f := range []string{"ttl", "token_ttl", "max_ttl", "token_max_ttl"} {
			if v, ok := a.body[f]; ok {
				secs, err := seconds(v)
				if err != nil {
					writeErrors(w, 400, fmt.Sprintf("%s: %v", f, err))
					return
				}
				r[strings.TrimPrefix(f, "token_")], r["token_"+strings.TrimPrefix(f, "token_")] = secs, secs
			}
		}
		for _, f := range []string{"bound_service_account_names", "bound_service_account_namespaces"} {
			if l, _ := r[f].([]string); len(l) == 0 {
				writeErrors(w, 400, strconv.Quote(f)+" can not be empty")
				return
			}
		}
		m.roles[name] = r
		w.WriteHeader(204)
	case opDelete:
		delete(m.roles, name)
		w.WriteHeader(204)
	default:
		unsupported(w)
	}
}

// kubernetesLogin logs a service account in with a role. The demo cannot verify service-account JWTs
// (the simulated API server has no TokenReview): it trusts the API server's token, as Vault would once
// the reviewer said it is valid, and checks only that the role exists and a token is given.
func (s *vaultStore) kubernetesLogin(w http.ResponseWriter, a *apiRequest, mp string, m *vaultMount) {
	roleName, _ := a.body["role"].(string)
	jwt, _ := a.body["jwt"].(string)
	role, code, msg := loginRole(m, roleName, jwt)
	if role == nil {
		writeErrors(w, code, msg)
		return
	}
	policies, _ := role["token_policies"].([]string)
	policies = append(slices.Clone(policies), "default")
	slices.Sort(policies)
	policies = slices.Compact(policies)
	ttl, _ := role["token_ttl"].(int)
	lease := ttl
	if lease == 0 {
		lease = defaultLease
	}
	token := "hvs.demo-" + randomHex(12)
	meta := map[string]string{"role": roleName}
	t := &vaultToken{policies: policies, path: "auth/" + mp + "login", displayName: strings.TrimSuffix(mp, "/"),
		ttl: lease, issued: time.Now(), accessor: randomHex(12), meta: meta}
	s.tokens[digest(token)] = t
	body := secretBody(nil)
	body["auth"] = map[string]any{
		"client_token": token, "accessor": t.accessor, "policies": policies, "token_policies": policies,
		"metadata": meta, "lease_duration": lease, "renewable": true, "entity_id": "", "token_type": "service", "orphan": true,
	}
	writeJSON(w, 200, body)
}

// loginRole is the role a kubernetes login with that role name and token gets, or Vault's refusal (its
// HTTP code and message).
func loginRole(m *vaultMount, roleName, jwt string) (map[string]any, int, string) {
	switch {
	case roleName == "":
		return nil, 400, "missing role"
	case jwt == "":
		return nil, 400, "missing jwt"
	case m.k8sConfig == nil:
		return nil, 500, "could not load backend configuration"
	}
	role := m.roles[strings.ToLower(roleName)]
	if role == nil {
		return nil, 400, fmt.Sprintf("invalid role name %q", roleName)
	}
	return role, 0, ""
}

// --- kv

// serveKV1 is a KV v1 engine: a secret is read, written and deleted at its path; a list gives the keys
// under a path.
func serveKV1(w http.ResponseWriter, a *apiRequest, m *vaultMount, p string) {
	switch a.op {
	case opList:
		listKeys(w, slices.Collect(maps.Keys(m.kv)), p)
	case opRead:
		e := m.kv[p]
		if e == nil {
			notFound(w)
			return
		}
		body := secretBody(maps.Clone(e.data))
		body["lease_duration"] = defaultLease
		writeJSON(w, 200, body)
	case opWrite:
		if p == "" || len(a.body) == 0 {
			writeErrors(w, 400, "missing path or data")
			return
		}
		now := time.Now()
		m.kv[p] = &kvEntry{data: maps.Clone(a.body), created: now, updated: now}
		w.WriteHeader(204)
	case opDelete:
		delete(m.kv, p)
		w.WriteHeader(204)
	}
}

// serveKV2 is a KV v2 engine: secrets under data/ (written as {"data": …}, read with their version's
// metadata), listed and deleted under metadata/. A delete removes every version (Vault would keep
// them, soft-deleted).
func serveKV2(w http.ResponseWriter, a *apiRequest, m *vaultMount, rest string) {
	sub, p, _ := strings.Cut(rest, "/")
	e := m.kv[p]
	switch {
	case sub == "data" && a.op == opRead:
		if e == nil {
			notFound(w)
			return
		}
		writeJSON(w, 200, secretBody(map[string]any{"data": maps.Clone(e.data), "metadata": e.versionMetadata()}))
	case sub == "data" && a.op == opWrite:
		data, ok := a.body["data"].(map[string]any)
		if p == "" || !ok {
			writeErrors(w, 400, "no data provided")
			return
		}
		now := time.Now()
		if e == nil {
			e = &kvEntry{created: now}
			m.kv[p] = e
		}
		e.data, e.version, e.updated = maps.Clone(data), e.version+1, now
		writeJSON(w, 200, secretBody(e.versionMetadata()))
	case (sub == "data" || sub == "metadata") && a.op == opDelete:
		delete(m.kv, p)
		w.WriteHeader(204)
	case sub == "metadata" && a.op == opList:
		listKeys(w, slices.Collect(maps.Keys(m.kv)), p)
	case sub == "metadata" && a.op == opRead:
		if e == nil {
			notFound(w)
			return
		}
		writeJSON(w, 200, secretBody(map[string]any{
			"current_version": e.version, "oldest_version": 1, "max_versions": 0,
			"created_time": e.created.UTC().Format(time.RFC3339Nano), "updated_time": e.updated.UTC().Format(time.RFC3339Nano),
			"versions": map[string]any{strconv.Itoa(e.version): e.versionMetadata()},
		}))
	default:
		// As Vault: a KV v1 path on a KV v2 engine is a 404 carrying a warning.
		body := secretBody(nil)
		body["warnings"] = []string{"Invalid path for a versioned K/V secrets engine. See the API docs for the " +
			"appropriate API endpoints to use. If using the Vault CLI, use 'vault kv put' for this operation."}
		writeJSON(w, 404, body)
	}
}

func (e *kvEntry) versionMetadata() map[string]any {
	return map[string]any{"version": e.version, "created_time": e.updated.UTC().Format(time.RFC3339Nano),
		"deletion_time": "", "destroyed": false, "custom_metadata": nil}
}

// listKeys answers a list of the keys under dir: the next segment of each, with a trailing slash when
// there is more below; 404 when there are none.
func listKeys(w http.ResponseWriter, all []string, dir string) {
	if dir != "" {
		dir += "/"
	}
	var keys []string
	for _, k := range all {
		rest, ok := strings.CutPrefix(k, dir)
		if !ok || rest == "" {
			continue
		}
		if i := strings.Index(rest, "/"); i >= 0 {
			rest = rest[:i+1]
		}
		if !slices.Contains(keys, rest) {
			keys = append(keys, rest)
		}
	}
	if len(keys) == 0 {
		notFound(w)
		return
	}
	slices.Sort(keys)
	writeJSON(w, 200, secretBody(map[string]any{"keys": keys}))
}

// --- responses and values

// secretBody is Vault's response envelope around data.
func secretBody(data any) map[string]any {
	return map[string]any{"request_id": uuidish(), "lease_id": "", "renewable": false, "lease_duration": 0,
		"data": data, "wrap_info": nil, "warnings": nil, "auth": nil}
}

// notFound is Vault's answer for nothing at a path: 404 with no error message.
func notFound(w http.ResponseWriter) {
	writeJSON(w, 404, map[string]any{"errors": []string{}})
}

func noHandler(w http.ResponseWriter, p string) {
	writeErrors(w, 404, fmt.Sprintf("no handler for route %q. route entry not found.", p))
}

func unsupported(w http.ResponseWriter) { writeErrors(w, 405, "unsupported operation") }

func uuidish() string {
	h := randomHex(16)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// stringList reads a comma-separated string or a JSON list.
func stringList(v any) []string {
	var out []string
	switch v := v.(type) {
	case string:
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	case []any:
		for _, s := range v {
			out = append(out, strings.TrimSpace(fmt.Sprint(s)))
		}
	}
	return out
}

// stringMap reads a JSON object of strings (a mount's options).
func stringMap(v any) map[string]string {
	m, ok := v.(map[string]any)
	if !ok || len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, s := range m {
		out[k] = fmt.Sprint(s)
	}
	return out
}

// seconds reads a TTL: a number of seconds or a duration ("24h").
func seconds(v any) (int, error) {
	s := strings.TrimSpace(fmt.Sprint(v))
	if n, err := strconv.Atoi(s); err == nil {
		return n, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration", s)
	}
	return int(d.Seconds()), nil
}
