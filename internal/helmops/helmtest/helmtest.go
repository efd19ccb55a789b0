// Package helmtest makes small charts under the platform's real chart names and serves them from a
// chart repository on 127.0.0.1, for the tests of the Helm steps.
package helmtest

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/provenance"
	"helm.sh/helm/v3/pkg/repo"
)

// Chart is a chart named name at version whose templates are given by file name ("deployment.yaml")
// and whose default values are values (YAML).
func Chart(name, version, values string, templates map[string]string) *chart.Chart {
	ch := &chart.Chart{
		Metadata: &chart.Metadata{APIVersion: chart.APIVersionV2, Name: name, Version: version, AppVersion: "test", Type: "application"},
		// chartutil.Save writes values.yaml from Raw; an in-memory install reads Values.
		Raw: []*chart.File{{Name: chartutil.ValuesfileName, Data: []byte(values)}},
	}
	if v, err := chartutil.ReadValues([]byte(values)); err == nil {
		ch.Values = v
	}
	for n, body := range templates {
		ch.Templates = append(ch.Templates, &chart.File{Name: "templates/" + n, Data: []byte(body)})
	}
	return ch
}

// Save writes the chart as dir/<name>-<version>.tgz, as helm package does, and returns its path.
func Save(t testing.TB, ch *chart.Chart, dir string) string {
	t.Helper()
	p, err := chartutil.Save(ch, dir)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Repo serves the charts from a chart repository on 127.0.0.1 (index.yaml with digests, relative URLs)
// and returns its URL and directory; it stops with the test.
func Repo(t testing.TB, charts ...*chart.Chart) (url, dir string) {
	t.Helper()
	dir = t.TempDir()
	idx := repo.NewIndexFile()
	for _, c := range charts {
		p := Save(t, c, dir)
		digest, err := provenance.DigestFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := idx.MustAdd(c.Metadata, filepath.Base(p), "", digest); err != nil {
			t.Fatal(err)
		}
	}
	idx.SortEntries()
	if err := idx.WriteFile(filepath.Join(dir, "index.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(srv.Close)
	return srv.URL, dir
}

// ArgoCD is a small argo-cd chart: the server Deployment on a kwok node (the lab has no scheduler) and a
// ConfigMap carrying the values the install rendered (url, dex.config, policy.csv).
func ArgoCD(version, node string) *chart.Chart {
	server := `apiVersion: apps/v1
kind: Deployment
metadata: {name: argocd-server, labels: {app.kubernetes.io/part-of: argocd}}
spec:
  replicas: 1
  selector: {matchLabels: {app: argocd-server}}
  template:
    metadata: {labels: {app: argocd-server}}
    spec:
      nodeName: ` + node + `
      tolerations: [{key: kwok.x-k8s.io/node, operator: Exists, effect: NoSchedule}]
      containers: [{name: server, image: "argocd:{{ .Chart.Version }}"}]
`
	cm := `apiVersion: v1
kind: ConfigMap
metadata: {name: argocd-cm}
data:
  url: {{ .Values.configs.cm.url | quote }}
  dex.config: {{ index .Values.configs.cm "dex.config" | default "" | quote }}
  policy.csv: {{ index .Values.configs.rbac "policy.csv" | quote }}
`
	return Chart("argo-cd", version, "configs: {cm: {}, rbac: {}}\n", map[string]string{"server.yaml": server, "cm.yaml": cm})
}

// VCluster is a small vcluster chart: the StatefulSet the real chart makes (named after the release,
// labelled app=vcluster) on a kwok node, and a ConfigMap showing the server URL and certificate names the
// syncer was given.
func VCluster(version, node string) *chart.Chart {
	sts := `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: {{ .Release.Name }}, labels: {app: vcluster}}
spec:
  replicas: 1
  serviceName: {{ .Release.Name }}-headless
  selector: {matchLabels: {app: vcluster, release: {{ .Release.Name }}}}
  template:
    metadata: {labels: {app: vcluster, release: {{ .Release.Name }}}}
    spec:
      nodeName: ` + node + `
      tolerations: [{key: kwok.x-k8s.io/node, operator: Exists, effect: NoSchedule}]
      containers: [{name: syncer, image: "vcluster:{{ .Chart.Version }}"}]
`
	cm := `apiVersion: v1
kind: ConfigMap
metadata: {name: vc-config-{{ .Release.Name }}}
data:
  server: {{ .Values.exportKubeConfig.server | quote }}
  sans: {{ join "," .Values.controlPlane.proxy.extraSANs | quote }}
`
	return Chart("vcluster", version, "exportKubeConfig: {}\ncontrolPlane: {proxy: {extraSANs: []}}\n",
		map[string]string{"sts.yaml": sts, "cm.yaml": cm})
}
