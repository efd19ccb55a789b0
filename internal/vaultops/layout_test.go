package vaultops

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestRoleDrift(t *testing.T) {
	reader := Role{Name: "secret-reader", ServiceAccounts: []string{"*"}, Namespaces: []string{"*"},
		Policies: []string{"secret-reader"}, Audience: "vault", TTL: "24h"}
	admin := ConfigAdminRole()
	// as Vault 1.20 returns a role: lists as []any, the TTL as a json.Number of seconds, policies twice.
	vaultRole := func(sas, nss, pols []any, aud string, ttl json.Number) map[string]any {
		m := map[string]any{"bound_service_account_names": sas, "bound_service_account_namespaces": nss,
			"token_policies": pols, "policies": pols, "token_ttl": ttl, "ttl": ttl}
		if aud != "" {
			m["audience"] = aud
		}
		return m
	}
	for _, tc := range []struct {
		name string
		want Role
		have map[string]any
		says string // "" when the role is as wanted
	}{
		{"as wanted", reader, vaultRole([]any{"*"}, []any{"*"}, []any{"secret-reader"}, "vault", "86400"), ""},
		{"accounts in another order", admin,
			vaultRole([]any{"controller-manager", "vault", "default"}, []any{"vault"}, []any{"config-admin"}, "", "86400"), ""},
		{"missing", reader, nil, "role secret-reader missing"},
		{"no audience", reader, vaultRole([]any{"*"}, []any{"*"}, []any{"secret-reader"}, "", "86400"),
			`role secret-reader: audience "", want "vault"`},
		{"an account less", admin, vaultRole([]any{"default"}, []any{"vault"}, []any{"config-admin"}, "", "86400"),
			"service accounts default, want vault,default,controller-manager"},
		{"another namespace", admin,
			vaultRole([]any{"vault", "default", "controller-manager"}, []any{"default"}, []any{"config-admin"}, "", "86400"),
			"namespaces default, want vault"},
		{"another policy", reader, vaultRole([]any{"*"}, []any{"*"}, []any{"default"}, "vault", "86400"),
			"policies default, want secret-reader"},
		{"another ttl", reader, vaultRole([]any{"*"}, []any{"*"}, []any{"secret-reader"}, "vault", "3600"), "ttl 3600s, want 24h"},
		{"old Vault: policies and ttl only", admin, map[string]any{"bound_service_account_names": "vault,default,controller-manager",
			"bound_service_account_namespaces": "vault", "policies": []any{"config-admin"}, "ttl": float64(86400)}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := RoleDrift(tc.want, tc.have)
			if (tc.says == "") != (got == "") || !strings.Contains(got, tc.says) {
				t.Errorf("RoleDrift = %q, want %q", got, tc.says)
			}
		})
	}
}

func TestRoleRequestAndLine(t *testing.T) {
	r := Role{Name: "secret-writer", ServiceAccounts: []string{"*"}, Namespaces: []string{"*"}, Policies: []string{"secret-writer"},
		Audience: "vault", TTL: "24h"}
	req := r.request()
	if req["audience"] != "vault" || req["bound_service_account_names"] != "*" || req["policies"] != "secret-writer" || req["ttl"] != "24h" {
		t.Errorf("request: %v", req)
	}
	if _, ok := ConfigAdminRole().request()["audience"]; ok {
		t.Error("config-admin has no audience: none must be sent")
	}
	if got := ConfigAdminRole().String(); got != "role config-admin: service accounts vault, default, controller-manager of namespace vault" {
		t.Errorf("config-admin's line: %q", got)
	}
	if got := r.String(); got != "role secret-writer: service accounts * of namespace *, audience vault" {
		t.Errorf("secret-writer's line: %q", got)
	}
}
