package plan

import (
	"reflect"
	"strings"
	"testing"
)

func foundation(e *Era2) { e.Stack = StackFoundation }

func TestEra2CiliumDefaults(t *testing.T) {
	cases := []struct {
		name string
		in   Era2Cilium
		want Era2Cilium
	}{
		{name: "nothing given", want: Era2Cilium{Chart: Chart{Repo: DefaultCiliumRepo, Version: "1.17.3"},
			GatewayAPI: GatewayAPI{Version: "v1.2.1", URL: "https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.2.1/experimental-install.yaml"}}},
		{name: "local files", in: Era2Cilium{Chart: Chart{File: "c.tgz"}, GatewayAPI: GatewayAPI{File: "g.yaml"}},
			want: Era2Cilium{Chart: Chart{File: "c.tgz"}, GatewayAPI: GatewayAPI{Version: "v1.2.1", File: "g.yaml"}}},
		{name: "another version", in: Era2Cilium{Chart: Chart{Version: "1.16.5"}, GatewayAPI: GatewayAPI{Version: "v1.1.0"}},
			want: Era2Cilium{Chart: Chart{Repo: DefaultCiliumRepo, Version: "1.16.5"},
				GatewayAPI: GatewayAPI{Version: "v1.1.0", URL: "https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.1.0/experimental-install.yaml"}}},
		{name: "a mirror", in: Era2Cilium{GatewayAPI: GatewayAPI{URL: "https://mirror.example.club/gw.yaml"}},
			want: Era2Cilium{Chart: Chart{Repo: DefaultCiliumRepo, Version: "1.17.3"}, GatewayAPI: GatewayAPI{Version: "v1.2.1", URL: "https://mirror.example.club/gw.yaml"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.in.WithDefaults(); got != c.want {
				t.Fatalf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestCiliumValues(t *testing.T) {
	v := CiliumValues()
	for _, c := range []struct {
		path []string
		want any
	}{
		{[]string{"kubeProxyReplacement"}, true},
		{[]string{"k8sServiceHost"}, "localhost"},
		{[]string{"k8sServicePort"}, 7445},
		{[]string{"ipam", "mode"}, "kubernetes"},
		{[]string{"gatewayAPI", "enabled"}, true},
		{[]string{"l2announcements", "enabled"}, true},
		{[]string{"cgroup", "autoMount", "enabled"}, false},
		{[]string{"cgroup", "hostRoot"}, "/sys/fs/cgroup"},
	} {
		var cur any = v
		for _, k := range c.path {
			m, _ := cur.(map[string]any)
			cur = m[k]
		}
		if !reflect.DeepEqual(cur, c.want) {
			t.Errorf("%s = %v, want %v", strings.Join(c.path, "."), cur, c.want)
		}
	}
	caps := v["securityContext"].(map[string]any)["capabilities"].(map[string]any)["ciliumAgent"].([]any)
	for _, c := range caps {
		if c == "SYS_MODULE" {
			t.Error("Talos refuses SYS_MODULE: the agent would not start")
		}
	}
}

func TestGatewayAPIFor(t *testing.T) {
	for _, c := range []struct {
		cilium, want string
		ok           bool
	}{{"1.17.3", "v1.2", true}, {"v1.16.0", "v1.1", true}, {"1.14.0", "", false}, {"latest", "", false}} {
		if got, ok := GatewayAPIFor(c.cilium); got != c.want || ok != c.ok {
			t.Errorf("GatewayAPIFor(%s) = %s %v, want %s %v", c.cilium, got, ok, c.want, c.ok)
		}
	}
}
