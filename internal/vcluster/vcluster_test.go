package vcluster

import (
	"encoding/base64"
	"errors"
	"io"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	kubefake "helm.sh/helm/v3/pkg/kube/fake"
	"helm.sh/helm/v3/pkg/storage"
	"helm.sh/helm/v3/pkg/storage/driver"

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

// TestValuesForAnotherServer: the syncer writes the given server in its kubeconfig; the serving
// certificate still carries the in-cluster service's names.
func TestValuesForAnotherServer(t *testing.T) {
	v, err := ValuesFor("prod", "vcluster-prod", "https://prod.example.org")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := yaml.Marshal(v)
	got := string(b)
	for _, want := range []string{"server: https://prod.example.org", "- prod.vcluster-prod.svc\n", "- prod.vcluster-prod.svc.cluster.local"} {
		if !strings.Contains(got, want) {
			t.Errorf("values lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "- prod.example.org") {
		t.Errorf("the server's host is not a certificate name of the vcluster:\n%s", got)
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
		{"secret and additionalSecrets", "exportKubeConfig: {secret: {name: a}, additionalSecrets: [{name: b}]}\n", false},
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

// TestValuesRenderTheRealChart renders the vcluster chart that ships with the vcluster module (the
// version of the config types) with our values, client-side: its values.schema.json accepts them, it
// makes the StatefulSet and Service named after the vcluster, and the syncer's config carries the server
// URL and the certificate name; the schema refuses an unknown key.
func TestValuesRenderTheRealChart(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/loft-sh/vcluster").Output()
	if err != nil {
		t.Fatalf("the vcluster module: %v", err)
	}
	ch, err := loader.LoadDir(filepath.Join(strings.TrimSpace(string(out)), "chart"))
	if err != nil {
		t.Fatal(err)
	}
	vals, err := Values("staging", "vcluster-staging")
	if err != nil {
		t.Fatal(err)
	}
	render := func(vals map[string]any) (string, error) {
		ac := &action.Configuration{Releases: storage.Init(driver.NewMemory()), KubeClient: &kubefake.PrintingKubeClient{Out: io.Discard},
			Capabilities: chartutil.DefaultCapabilities, Log: func(string, ...any) {}}
		in := action.NewInstall(ac)
		in.ReleaseName, in.Namespace, in.DryRun, in.ClientOnly = "staging", "vcluster-staging", true, true
		rel, err := in.Run(ch, vals)
		if err != nil {
			return "", err
		}
		return rel.Manifest, nil
	}
	manifest, err := render(vals)
	if err != nil {
		t.Fatalf("the real chart refuses our values: %v", err)
	}
	for _, want := range []string{"kind: StatefulSet\nmetadata:\n  name: staging\n", "kind: Service\nmetadata:\n  name: staging\n"} {
		if !strings.Contains(manifest, want) {
			t.Errorf("the chart does not make %q", want)
		}
	}
	m := regexp.MustCompile(`config.yaml: "([^"]+)"`).FindStringSubmatch(manifest)
	if m == nil {
		t.Fatal("no syncer config in the rendered chart")
	}
	cfg, _ := base64.StdEncoding.DecodeString(m[1])
	if !strings.Contains(string(cfg), "server: https://staging.vcluster-staging.svc") || !strings.Contains(string(cfg), "- staging.vcluster-staging.svc") {
		t.Error("the syncer's config lacks the server URL or the certificate name")
	}
	if _, err := render(map[string]any{"exportKubeConfig": map[string]any{"serverr": "x"}}); err == nil {
		t.Error("the chart's schema accepted an unknown key")
	}
}
