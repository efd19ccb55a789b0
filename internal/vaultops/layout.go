package vaultops

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/clubcedille/cedille-tui/internal/platform"
)

// Era 2's roles for applications (PLATFORM.md §3.2): vault-secrets-operator logs in with them.
const (
	SecretReader = "secret-reader"
	SecretWriter = "secret-writer"
)

// ConfigAdminPolicyEra2 is era 2's config-admin policy (the stack's Policy object): era 1's, and the
// identity store and the kv and kv-v2 engines.
const ConfigAdminPolicyEra2 = ConfigAdminPolicy + `path "identity/*" {
  capabilities = ["create", "read", "update", "delete", "list", "sudo"]
}
path "kv-v2/*" {
  capabilities = ["create", "read", "update", "delete", "list", "sudo"]
}
path "kv/*" {
  capabilities = ["create", "read", "update", "delete", "list", "sudo"]
}
`

// Layout is the configuration a bootstrap makes beside the kubernetes auth method: the policies, the
// roles of the kubernetes auth method and the secrets engines.
type Layout struct {
	Policies []Policy
	Roles    []Role
	Mounts   []Mount
}

// Policy is an ACL policy by name.
type Policy struct {
	Name, Text string
}

// Role is a role of the kubernetes auth method (auth/kubernetes/role/NAME): the service accounts and
// namespaces it admits, the policies its tokens carry, the audience their JWT must name ("" for none)
// and its tokens' TTL (a Vault duration like "24h").
type Role struct {
	Name            string
	ServiceAccounts []string
	Namespaces      []string
	Policies        []string
	Audience        string
	TTL             string
}

func (r Role) path() string { return "auth/" + AuthPath + "/role/" + r.Name }

// request is the role as Vault's API takes it.
func (r Role) request() map[string]any {
	m := map[string]any{
		"bound_service_account_names":      strings.Join(r.ServiceAccounts, ","),
		"bound_service_account_namespaces": strings.Join(r.Namespaces, ","),
		"policies":                         strings.Join(r.Policies, ","),
		"alias_name_source":                "serviceaccount_uid",
		"ttl":                              r.TTL,
	}
	if r.Audience != "" {
		m["audience"] = r.Audience
	}
	return m
}

// String is the role in a line of the bootstrap's log.
func (r Role) String() string {
	s := fmt.Sprintf("role %s: service accounts %s of namespace %s", r.Name, strings.Join(r.ServiceAccounts, ", "),
		strings.Join(r.Namespaces, ", "))
	if r.Audience != "" {
		s += ", audience " + r.Audience
	}
	return s
}

// ConfigAdminRole is the role vault-config-operator logs in with: the accounts of ConfigAdminAccounts in
// namespace vault, policy config-admin, tokens of 24h.
func ConfigAdminRole() Role {
	return Role{Name: ConfigAdmin, ServiceAccounts: ConfigAdminAccounts(), Namespaces: []string{VaultNamespace},
		Policies: []string{ConfigAdmin}, TTL: "24h"}
}

// Era1Layout is era 1's bootstrap (PLATFORM.md §3.1 step 4): policy and role config-admin, mounts kv and
// kv-system.
func Era1Layout() Layout {
	return Layout{Policies: []Policy{{Name: ConfigAdmin, Text: ConfigAdminPolicy}}, Roles: []Role{ConfigAdminRole()},
		Mounts: Mounts()}
}

// RoleDrift says how a role as Vault returns it (auth/kubernetes/role/NAME's data; nil when there is
// none) differs from want, "" when it does not: the bound service accounts and namespaces and the
// policies as sets, the audience, the TTL. Pure.
func RoleDrift(want Role, have map[string]any) string {
	if have == nil {
		return "role " + want.Name + " missing"
	}
	var out []string
	set := func(what, key string, w []string) {
		h := stringsOf(have[key])
		if !sameSet(w, h) {
			out = append(out, fmt.Sprintf("%s %s, want %s", what, orDash(h), orDash(w)))
		}
	}
	set("service accounts", "bound_service_account_names", want.ServiceAccounts)
	set("namespaces", "bound_service_account_namespaces", want.Namespaces)
	pk := "token_policies"
	if _, ok := have[pk]; !ok {
		pk = "policies"
	}
	set("policies", pk, want.Policies)
	if a, _ := have["audience"].(string); a != want.Audience {
		out = append(out, fmt.Sprintf("audience %q, want %q", a, want.Audience))
	}
	if want.TTL != "" {
		d, err := time.ParseDuration(want.TTL)
		tk := "token_ttl"
		if _, ok := have[tk]; !ok {
			tk = "ttl"
		}
		if got, ok := seconds(have[tk]); err == nil && (!ok || got != int64(d.Seconds())) {
			out = append(out, fmt.Sprintf("ttl %vs, want %s", have[tk], want.TTL))
		}
	}
	if len(out) == 0 {
		return ""
	}
	return "role " + want.Name + ": " + strings.Join(out, "; ")
}

// ReadRole reads a role of the kubernetes auth method; nil when there is none.
func ReadRole(ctx context.Context, v *platform.Vault, name string) (map[string]any, error) {
	s, err := v.Client.Logical().ReadWithContext(ctx, Role{Name: name}.path())
	if err != nil {
		return nil, fmt.Errorf("read role %s: %w", name, v.Classify(err))
	}
	if s == nil {
		return nil, nil
	}
	return s.Data, nil
}

// stringsOf is a list as Vault's JSON returns it ([]any of strings), or a comma-separated string.
func stringsOf(v any) []string {
	switch x := v.(type) {
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	case []string:
		return x
	case string:
		if x == "" {
			return nil
		}
		return strings.Split(x, ",")
	}
	return nil
}

func sameSet(a, b []string) bool {
	a, b = slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b))
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

func orDash(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ",")
}

// seconds is a TTL as Vault's JSON returns it (a json.Number or a number of seconds).
func seconds(v any) (int64, bool) {
	switch x := v.(type) {
	case json.Number:
		n, err := x.Int64()
		return n, err == nil
	case float64:
		return int64(x), true
	case int64:
		return x, true
	case int:
		return int64(x), true
	}
	return 0, false
}
