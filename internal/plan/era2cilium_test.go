package plan

import (
	"reflect"
	"strings"
	"testing"
)

func foundation(e *Era2) { e.Stack = StackFoundation }

func TestEra2CiliumValidate(t *testing.T) {
	cases := []struct {
		name string
		mut  func(*Era2)
		path string // "" = no problem
		says string
	}{
		{name: "k8s-foundation with every default", mut: foundation},
		{name: "k8s-base without a cilium section"},
		{name: "a pinned chart and its Gateway API", mut: func(e *Era2) {
			foundation(e)
			e.Cilium = Era2Cilium{Chart: Chart{Repo: "https://helm.cilium.io/", Version: "1.16.5"}, GatewayAPI: GatewayAPI{Version: "v1.1.0"}}
		}},
		{name: "a local chart and a local bundle", mut: func(e *Era2) {
			foundation(e)
			e.Cilium = Era2Cilium{Chart: Chart{File: "/srv/charts/cilium-1.17.3.tgz"}, GatewayAPI: GatewayAPI{File: "/srv/gateway-api/experimental-install.yaml"}}
		}},
		{name: "a Cilium the project does not know", mut: func(e *Era2) {
			foundation(e)
			e.Cilium.Chart.Version = "1.30.0"
			e.Cilium.GatewayAPI.Version = "v1.9.0"
		}},
		{name: "Talos without KubePrism", mut: func(e *Era2) { foundation(e); e.TalosVersion = "1.5.5" },
			path: "era2.talosVersion", says: "k8s-foundation needs Talos 1.6 or later"},
		{name: "Talos 1.6", mut: func(e *Era2) { foundation(e); e.TalosVersion = "v1.6.0" }},
		{name: "cilium on k8s-base", mut: func(e *Era2) { e.Cilium.Chart.Version = "1.17.3" },
			path: "era2.cilium", says: "remove the cilium section or set stack: k8s-foundation"},
		{name: "repo and file", mut: func(e *Era2) {
			foundation(e)
			e.Cilium.Chart.File = "cilium.tgz"
			e.Cilium.Chart.Repo = "https://helm.cilium.io/"
		},
			path: "era2.cilium.chart", says: "not both"},
		{name: "chart file not an archive", mut: func(e *Era2) { foundation(e); e.Cilium.Chart.File = "cilium/" },
			path: "era2.cilium.chart.file", says: ".tgz"},
		{name: "chart from an OCI registry", mut: func(e *Era2) { foundation(e); e.Cilium.Chart.Repo = "oci://quay.io/cilium/charts" },
			path: "era2.cilium.chart.repo", says: "helm pull"},
		{name: "chart version not a version", mut: func(e *Era2) { foundation(e); e.Cilium.Chart.Version = "latest" },
			path: "era2.cilium.chart.version", says: "not a version"},
		{name: "the KF incident: Gateway API too new", mut: func(e *Era2) { foundation(e); e.Cilium.GatewayAPI.Version = "v1.6.0" },
			path: "era2.cilium.gatewayAPI.version", says: "Cilium 1.17.3 supports Gateway API v1.2.x, not v1.6.0"},
		{name: "Gateway API version without its v", mut: func(e *Era2) { foundation(e); e.Cilium.GatewayAPI.Version = "1.2.1" },
			path: "era2.cilium.gatewayAPI.version", says: "not a Gateway API release like v1.2.1"},
		{name: "bundle from two places", mut: func(e *Era2) {
			foundation(e)
			e.Cilium.GatewayAPI = GatewayAPI{URL: "https://mirror.example.club/experimental-install.yaml", File: "experimental-install.yaml"}
		}, path: "era2.cilium.gatewayAPI", says: "not both"},
		{name: "bundle file not YAML", mut: func(e *Era2) { foundation(e); e.Cilium.GatewayAPI.File = "gateway-api.tar.gz" },
			path: "era2.cilium.gatewayAPI.file", says: "experimental-install.yaml"},
		{name: "bundle URL not a URL", mut: func(e *Era2) { foundation(e); e.Cilium.GatewayAPI.URL = "github.com/kubernetes-sigs/gateway-api" },
			path: "era2.cilium.gatewayAPI.url", says: "not an http(s) URL"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, _ := era2Plan(t)
			if c.mut != nil {
				c.mut(p.Era2)
			}
			ps := p.ValidateEra2(nil, nil)
			if c.path == "" {
				if len(ps) > 0 {
					t.Fatalf("problems: %v", ps)
				}
				return
			}
			for _, pr := range ps {
				if pr.Path == c.path && strings.Contains(pr.Message, c.says) {
					return
				}
			}
			t.Fatalf("want a problem at %s saying %q, got %v", c.path, c.says, ps)
		})
	}
}

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
