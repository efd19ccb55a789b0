package vcluster

import "testing"

func TestNaming(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{KubeconfigSecret("staging"), "vc-staging"},
		{Server("vcluster-staging", "vcluster-staging"), "https://vcluster-staging.vcluster-staging.svc"},
		{Server("sandbox", "sb"), "https://sandbox.sb.svc"},
	} {
		if c.got != c.want {
			t.Errorf("%q, want %q", c.got, c.want)
		}
	}
	for _, c := range []struct {
		labels map[string]string
		want   bool
	}{
		{map[string]string{"app": "vcluster"}, true},
		{map[string]string{"app": "vcluster", "release": "staging"}, true},
		{map[string]string{"app": "vault"}, false},
		{map[string]string{"app.kubernetes.io/name": "vcluster"}, false},
		{nil, false},
	} {
		if got := IsVCluster(c.labels); got != c.want {
			t.Errorf("IsVCluster(%v) = %v", c.labels, got)
		}
	}
}
