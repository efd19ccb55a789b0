package actions

import (
	"strings"
	"testing"

	"github.com/clubcedille/cedille-tui/internal/access"
	"k8s.io/client-go/rest"
)

func TestImpersonation(t *testing.T) {
	for _, tc := range []struct {
		a       Actor
		user    string
		group   string
		wantErr string
	}{
		{Actor{Name: "alice", Role: access.Operator}, "cedille:alice", "cedille:operator", ""},
		{Actor{Name: "bob", Role: access.Viewer}, "cedille:bob", "cedille:viewer", ""},
		{Actor{Name: "ada", Role: access.Admin}, "cedille:ada", "cedille:admin", ""},
		{LocalActor("kubernetes-admin", "local"), "", "", ""},
		{Actor{Name: "", Role: access.Admin}, "", "", "without a name"},
		{Actor{Name: "eve\nImpersonate-Group: system:masters", Role: access.Viewer}, "", "", "cannot be impersonated"},
		{Actor{Name: "system:admin", Role: access.Viewer}, "", "", "cannot be impersonated"},
		{Actor{Name: "carl"}, "", "", "no role"},
	} {
		imp, err := Impersonation(tc.a)
		if (err != nil) != (tc.wantErr != "") || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("%q: %v, want %q", tc.a.Name, err, tc.wantErr)
			continue
		}
		var group string
		if len(imp.Groups) == 1 {
			group = imp.Groups[0]
		}
		if imp.UserName != tc.user || group != tc.group || len(imp.Groups) > 1 || imp.UID != "" || len(imp.Extra) > 0 {
			t.Errorf("%q: %+v, want %s in %s", tc.a.Name, imp, tc.user, tc.group)
		}
	}
}

func TestClientsAreKeptPerIdentity(t *testing.T) {
	base := &rest.Config{Host: "https://127.0.0.1:1", Impersonate: rest.ImpersonationConfig{UserName: "from-kubeconfig"}}
	c := NewClients(base)
	alice := Actor{Name: "alice", Role: access.Operator, Session: "s1"}
	aliceAgain := Actor{Name: "alice", Role: access.Operator, Session: "s2", Fingerprint: fp}
	aliceLowered := Actor{Name: "alice", Role: access.Viewer, Session: "s1"}
	local := LocalActor("kubernetes-admin", "local")
	get := func(a Actor) Client {
		t.Helper()
		cl, err := c.For(a)
		if err != nil {
			t.Fatal(err)
		}
		return cl
	}
	a1, a2, a3, l := get(alice), get(aliceAgain), get(aliceLowered), get(local)
	if a1.Kube != a2.Kube || a1.Dynamic != a2.Dynamic {
		t.Error("the same identity from two sessions must share its clients")
	}
	if a1.Kube == a3.Kube {
		t.Error("a lowered role must get clients of its own group")
	}
	for _, tc := range []struct {
		cl   Client
		want string
	}{{a1, "cedille:alice"}, {a3, "cedille:alice"}, {l, "kubernetes-admin"}} {
		if tc.cl.User != tc.want {
			t.Errorf("User %q, want %q", tc.cl.User, tc.want)
		}
	}
	if base.Impersonate.UserName != "from-kubeconfig" {
		t.Error("the base config was changed")
	}
	if _, err := c.For(Actor{Name: "x:y", Role: access.Admin}); err == nil {
		t.Error("a name with a colon was impersonated")
	}
}
