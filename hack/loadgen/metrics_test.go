package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

const sampleMetrics = `# HELP apiserver_request_total [STABLE] Counter of apiserver requests
# TYPE apiserver_request_total counter
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="pods",scope="cluster",subresource="",verb="LIST",version="v1"} 3
apiserver_request_total{code="410",component="apiserver",dry_run="",group="",resource="pods",scope="cluster",subresource="",verb="LIST",version="v1"} 1
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="nodes",scope="resource",subresource="status",verb="PATCH",version="v1"} 1.5e+02
apiserver_request_total{code="200",component="",dry_run="",group="",resource="",scope="",subresource="/metrics",verb="GET",version=""} 7
apiserver_request_total{code="200",component="apiserver",dry_run="",group="kuma.io",resource="dataplaneinsights",scope="cluster",subresource="",verb="WATCH",version="v1alpha1"} 2
apiserver_request_total{code="200",component="x\"y,z",dry_run="",group="",resource="a",scope="",subresource="",verb="GET",version=""} 1
apiserver_request_duration_seconds_bucket{verb="LIST",le="0.1"} 99
`

func TestParseRequestTotals(t *testing.T) {
	c, err := ParseRequestTotals(sampleMetrics)
	if err != nil {
		t.Fatal(err)
	}
	if got := c[RequestKey{Verb: "LIST", Resource: "pods"}]; got != 4 {
		t.Errorf("LIST pods = %v, want 4 (codes summed)", got)
	}
	if got := c[RequestKey{Verb: "PATCH", Resource: "nodes", Subresource: "status"}]; got != 150 {
		t.Errorf("PATCH nodes/status = %v, want 150", got)
	}
	if got := c[RequestKey{Verb: "GET", Resource: "a"}]; got != 1 {
		t.Errorf("escaped label value broke parsing: GET a = %v", got)
	}
	if got := c.ByVerb()["WATCH"]; got != 2 {
		t.Errorf("WATCH = %v", got)
	}
	if got := c.WithoutScrapes().Total(); got != 4+150+2+1 {
		t.Errorf("total without scrapes = %v", got)
	}

	later, _ := ParseRequestTotals(strings.Replace(sampleMetrics, `verb="LIST",version="v1"} 3`, `verb="LIST",version="v1"} 5`, 1))
	d := later.Sub(c)
	if len(d) != 1 || d[RequestKey{Verb: "LIST", Resource: "pods"}] != 2 {
		t.Errorf("diff = %v, want LIST pods=2 only", d)
	}
	if top := d.Top(3); len(top) != 1 || top[0] != "LIST pods=2" {
		t.Errorf("Top = %v", top)
	}
	if _, err := ParseRequestTotals(`apiserver_request_total{verb="LIST} 3`); err == nil {
		t.Error("a broken line parsed")
	}
}

func TestClassifyRequest(t *testing.T) {
	for _, c := range []struct {
		method, url, verb, resource string
	}{
		{"GET", "/api/v1/pods?limit=500", "LIST", "pods"},
		{"GET", "/api/v1/nodes?allowWatchBookmarks=true&resourceVersion=5&watch=true", "WATCH", "nodes"},
		{"GET", "/api/v1/namespaces/kube-system/pods?labelSelector=tier%3Dcontrol-plane", "LIST", "pods"},
		{"GET", "/api/v1/namespaces/kube-system/pods/etcd-cp", "GET", "pods"},
		{"GET", "/api/v1/namespaces", "LIST", "namespaces"},
		{"GET", "/api/v1/namespaces/argocd", "GET", "namespaces"},
		{"GET", "/apis/kuma.io/v1alpha1/dataplaneinsights?watch=1", "WATCH", "dataplaneinsights"},
		{"GET", "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/vault", "GET", "applications"},
		{"PUT", "/apis/openebs.io/v1beta1/namespaces/mayastor/diskpools/p/status", "PUT", "diskpools"},
		{"DELETE", "/api/v1/namespaces/a/pods", "DELETECOLLECTION", "pods"},
		{"DELETE", "/api/v1/namespaces/a/pods/b", "DELETE", "pods"},
		{"GET", "/version", "GET /version", ""},
		{"GET", "/api", "GET /api", ""},
		{"GET", "/apis", "GET /apis", ""},
		{"GET", "/apis/kuma.io/v1alpha1", "GET /apis/kuma.io", ""},
	} {
		u, err := url.Parse(c.url)
		if err != nil {
			t.Fatal(err)
		}
		verb, res := ClassifyRequest(c.method, u)
		if verb != c.verb || res != c.resource {
			t.Errorf("%s %s = %q %q, want %q %q", c.method, c.url, verb, res, c.verb, c.resource)
		}
	}
}

func TestRequestLog(t *testing.T) {
	l := NewRequestLog()
	rt := l.Wrap(roundTripFunc(func(*http.Request) (*http.Response, error) { return &http.Response{StatusCode: 200}, nil }))
	for _, u := range []string{"/api/v1/pods", "/api/v1/pods?watch=true", "/version"} {
		req, _ := http.NewRequest(http.MethodGet, "https://127.0.0.1:6443"+u, nil)
		if _, err := rt.RoundTrip(req); err != nil {
			t.Fatal(err)
		}
	}
	v := l.Verbs()
	if v["LIST"] != 1 || v["WATCH"] != 1 || v["GET /version"] != 1 {
		t.Errorf("verbs %v", v)
	}
	if l.Detail()["LIST pods"] != 1 {
		t.Errorf("detail %v", l.Detail())
	}
	if got := DiffCounts(map[string]int{"a": 3, "b": 1}, map[string]int{"a": 1, "b": 1}); len(got) != 1 || got["a"] != 2 {
		t.Errorf("DiffCounts = %v", got)
	}
	if got := FormatCounts(map[string]int{"b": 2, "a": 1}); got != "a=1 b=2" {
		t.Errorf("FormatCounts = %q", got)
	}
}

func TestParseStatusKiB(t *testing.T) {
	status := "Name:\tloadgen\nVmHWM:\t  270600 kB\nVmRSS:\t  112200 kB\nRssAnon:\t   27000 kB\n"
	if v, err := parseStatusKiB(status, "VmRSS"); err != nil || v != 112200 {
		t.Errorf("VmRSS = %d, %v", v, err)
	}
	if _, err := parseStatusKiB(status, "VmSwap"); err == nil {
		t.Error("a missing field parsed")
	}
	if v, err := procStatusKiB("VmRSS"); err != nil || v <= 0 {
		t.Errorf("own VmRSS = %d, %v", v, err)
	}
	if cpuTime() <= 0 {
		t.Error("no CPU time used so far")
	}
}

func TestCheckFrame(t *testing.T) {
	line := strings.Repeat("x", 80)
	full := strings.TrimSuffix(strings.Repeat(line+"\n", 24), "\n")
	if err := checkFrame(full, 80, 24); err != nil {
		t.Errorf("full frame rejected: %v", err)
	}
	if err := checkFrame(full+"\n"+line, 80, 24); err == nil {
		t.Error("25 lines accepted")
	}
	if err := checkFrame(strings.Replace(full, line, "\x1b[1m"+line[:79]+"\x1b[0m", 1), 80, 24); err == nil {
		t.Error("a short line accepted")
	}
}

func TestParseStatCPU(t *testing.T) {
	tests := []struct {
		name, stat string
		want       time.Duration
	}{
		{name: "utime 150 + stime 25 ticks", want: 1750 * time.Millisecond,
			stat: "4242 (kube-apiserver) S 1 4242 4242 0 -1 4194560 183 0 0 0 150 25 0 0 20 0 12 0 100 0 0"},
		{name: "a command name with spaces and parentheses", want: 30 * time.Millisecond,
			stat: "7 (a (b) c) R 1 7 7 0 -1 0 0 0 0 0 2 1 0 0 20 0 1 0 5 0 0"},
		{name: "cut short", stat: "7 (x) R 1 7"},
		{name: "not a stat line", stat: "hello"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseStatCPU(tt.stat); got != tt.want {
				t.Errorf("parseStatCPU = %s, want %s", got, tt.want)
			}
		})
	}
}
