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
