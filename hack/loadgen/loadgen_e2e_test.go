//go:build e2e

package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/hack/lab"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// TestLoadgenOnLab fills a fresh lab with a small load, fills it again (nothing new), benchmarks
// the console on it for a few seconds (figures are logged, never asserted), then cleans it.
func TestLoadgenOnLab(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	l, err := lab.Up(ctx, lab.Options{
		StateDir:   filepath.Join(t.TempDir(), "state"),
		Components: []string{lab.KubeAPIServer, lab.KubeControllerManager, lab.Kwok},
		Logf:       t.Logf,
	})
	if err != nil {
		t.Fatalf("lab.Up: %v", err)
	}
	t.Cleanup(func() {
		if err := l.Down(); err != nil {
			t.Errorf("Down: %v", err)
		}
	})
	c, err := NewClients(l.RESTConfig(), 500, 1000)
	if err != nil {
		t.Fatal(err)
	}
	s := Sizes{Nodes: 6, Pods: 120, Namespaces: 6, Apps: 34, Pools: 6, Insights: 30}
	var out bytes.Buffer
	reps, err := Fill(ctx, c, FillOptions{Sizes: s, Workers: 8, Wait: true, WaitTimeout: 3 * time.Minute, Out: &out})
	t.Logf("first fill:\n%s", out.String())
	if err != nil {
		t.Fatalf("Fill: %v", err)
	}
	want := map[string]int{"namespaces": 6, "nodes": 6, "pods": 120, "applications": 34, "diskpools": 6, "dataplaneinsights": 30}
	for _, r := range reps {
		if w, ok := want[r.Kind]; ok && r.Created != w {
			t.Errorf("%s: created %d, want %d", r.Kind, r.Created, w)
		}
	}

	out.Reset()
	reps, err = Fill(ctx, c, FillOptions{Sizes: s, Workers: 8, Out: &out})
	t.Logf("second fill:\n%s", out.String())
	if err != nil {
		t.Fatalf("second Fill: %v", err)
	}
	for _, r := range reps {
		if r.Created != 0 || r.Updated != 0 {
			t.Errorf("second fill created %d %s (status written %d): not idempotent", r.Created, r.Kind, r.Updated)
		}
	}
	pods, err := c.Typed.CoreV1().Pods("").List(ctx, metav1.ListOptions{LabelSelector: LabelSelector})
	if err != nil || len(pods.Items) != 120 {
		t.Fatalf("%d labelled pods (%v), want 120", len(pods.Items), err)
	}
	pools, err := c.Dynamic.Resource(gvrDiskPool()).Namespace(poolsNamespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pools.Items {
		if st, _, _ := unstructured.NestedString(p.Object, "status", "cr_state"); st != "Created" {
			t.Errorf("pool %s cr_state %q, want Created (status subresource)", p.GetName(), st)
		}
	}

	r, err := Bench(ctx, BenchOptions{Kubeconfig: l.KubeconfigPath(), Idle: 3 * time.Second, RenderRows: 500, RenderIters: 20})
	if err != nil {
		t.Fatalf("Bench: %v", err)
	}
	var table bytes.Buffer
	PrintBench(&table, r)
	t.Logf("bench (tiny load, figures not meaningful):\n%s", table.String())
	if r.Pods < 120 || r.Nodes < 6 || r.FirstFrame <= 0 || r.RSSKiB <= 0 || r.RenderP50 <= 0 {
		t.Errorf("bench result incomplete: %+v", r)
	}
	if !strings.Contains(r.HeaderLine, "lab") {
		t.Errorf("first frame header %q does not name the platform", r.HeaderLine)
	}
	if r.PodsJudged != r.Pods {
		t.Errorf("the first frame judged %d pods of the %d listed (%s)", r.PodsJudged, r.Pods, r.Census)
	}

	out.Reset()
	if _, err := Clean(ctx, c, 8, 3*time.Minute, &out); err != nil {
		t.Fatalf("Clean: %v\n%s", err, out.String())
	}
	t.Logf("clean:\n%s", out.String())
	for _, res := range []string{"pods", "nodes", "namespaces"} {
		left, err := existing(ctx, c, gvrOf(res))
		if err != nil || len(left) != 0 {
			t.Errorf("%d labelled %s left after Clean (%v)", len(left), res, err)
		}
	}
	for _, gvr := range []schema.GroupVersionResource{gvrApplication(), gvrDPInsight(), gvrDiskPool()} {
		left, err := existing(ctx, c, gvr)
		if err != nil || len(left) != 0 {
			t.Errorf("%d labelled %s left after Clean (%v)", len(left), gvr.Resource, err)
		}
	}
}
