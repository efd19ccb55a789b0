package vcluster

import (
	"errors"
	"strings"
	"testing"

	vclusterconfig "github.com/loft-sh/vcluster/config"
	"sigs.k8s.io/yaml"
)

func TestValues(t *testing.T) {
	v, err := Values("staging", "vcluster-staging")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := yaml.Marshal(v)
	got := string(b)
	for _, want := range []string{"server: https://staging.vcluster-staging.svc", "- staging.vcluster-staging.svc\n",
		"- staging.vcluster-staging.svc.cluster.local", "enabled: false"} {
		if !strings.Contains(got, want) {
			t.Errorf("values lack %q:\n%s", want, got)
		}
	}
	if strings.Count(got, "\n") > 12 {
		t.Errorf("only what differs from the chart's defaults belongs in the values:\n%s", got)
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name, values string
		ok           bool
	}{
		{"ours", "exportKubeConfig: {server: https://a.b.svc}\n", true},
		{"unknown key", "exportKubeConfig: {serverr: https://a.b.svc}\n", false},
		{"wrong type", "controlPlane: {proxy: {extraSANs: a.b.svc}}\n", false},
		{"no scheme", "exportKubeConfig: {server: a.b.svc}\n", false},
	}
	for _, c := range cases {
		err := Validate([]byte(c.values))
		if (err == nil) != c.ok {
			t.Errorf("%s: %v", c.name, err)
		}
		if err != nil && !errors.Is(err, vclusterconfig.ErrInvalidConfig) {
			t.Errorf("%s: not an invalid-config error: %v", c.name, err)
		}
	}
}
