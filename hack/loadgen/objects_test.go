package main

import (
	"reflect"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/health"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation"
)

func TestDefaultLoadLayout(t *testing.T) {
	s := DefaultSizes()
	nodes := NodeNames(s.Nodes)
	pods := PodRefs(s)
	if len(nodes) != 100 || len(pods) != 10000 {
		t.Fatalf("%d nodes, %d pods; want 100, 10000", len(nodes), len(pods))
	}
	checkNames(t, "node", nodes)

	seen := map[string]bool{}
	perNS, perNode := map[string]int{}, map[string]int{}
	for _, p := range pods {
		key := p.Namespace + "/" + p.Name
		if seen[key] {
			t.Fatalf("pod %s generated twice", key)
		}
		seen[key] = true
		perNS[p.Namespace]++
		perNode[p.Node]++
		if errs := validation.IsDNS1123Subdomain(p.Name); len(errs) > 0 {
			t.Fatalf("pod name %q: %v", p.Name, errs)
		}
	}
	if len(perNS) != 50 {
		t.Errorf("pods in %d namespaces, want 50", len(perNS))
	}
	for ns, n := range perNS {
		if n != 200 {
			t.Errorf("namespace %s has %d pods, want 200", ns, n)
		}
	}
	checkNames(t, "namespace", NamespaceNames(s.Namespaces))
	for _, n := range []string{"controlplane-1", "controlplane-2", "controlplane-3"} {
		if perNode[n] != 0 {
			t.Errorf("%d pods on control plane %s", perNode[n], n)
		}
	}
	if len(perNode) != 97 {
		t.Errorf("pods on %d nodes, want the 97 workers", len(perNode))
	}

	var apps []string
	for i := 0; i < s.Apps; i++ {
		n, dest := AppName(i)
		apps = append(apps, n)
		if dest == "" {
			t.Errorf("app %s has no destination namespace", n)
		}
	}
	checkNames(t, "application", apps)
	if apps[0] != "argocd" || apps[15] != "calidum-rotae-grav" {
		t.Errorf("apps start %v: want the era-1 system apps, then tenant-component", apps[:16])
	}

	var pools []string
	for i := 0; i < s.Pools; i++ {
		n, node := PoolName(i, nodes)
		pools = append(pools, n)
		if node[:7] != "worker-" {
			t.Errorf("pool %s on %s, want a worker", n, node)
		}
	}
	checkNames(t, "diskpool", pools)

	ins := InsightRefs(s, pods)
	if len(ins) != 1000 {
		t.Fatalf("%d insights, want 1000", len(ins))
	}
	insNS := map[string]bool{}
	var insNames []string
	for _, r := range ins {
		insNames = append(insNames, r.Namespace+"."+r.Name)
		insNS[r.Namespace] = true
	}
	checkNames(t, "insight", insNames)
	if len(insNS) != 50 {
		t.Errorf("insights in %d namespaces, want all 50", len(insNS))
	}
}

func checkNames(t *testing.T, kind string, names []string) {
	t.Helper()
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			t.Errorf("%s %q generated twice", kind, n)
		}
		seen[n] = true
		if errs := validation.IsDNS1123Subdomain(n); len(errs) > 0 {
			t.Errorf("%s name %q: %v", kind, n, errs)
		}
	}
}

func TestGenerationIsDeterministic(t *testing.T) {
	s := Sizes{Nodes: 10, Pods: 300, Namespaces: 7, Apps: 40, Pools: 6, Insights: 30}
	if !reflect.DeepEqual(PodRefs(s), PodRefs(s)) {
		t.Fatal("PodRefs differs between two calls")
	}
	if !reflect.DeepEqual(Application(17), Application(17)) || !reflect.DeepEqual(DiskPool(3, NodeNames(10)), DiskPool(3, NodeNames(10))) {
		t.Fatal("objects differ between two calls")
	}
	if a, b := suffix("x", 10), suffix("y", 10); a == b || len(a) != 10 {
		t.Errorf("suffixes %q %q", a, b)
	}
}

func TestNamesPastTheLists(t *testing.T) {
	nss := NamespaceNames(60)
	checkNames(t, "namespace", nss)
	if nss[59] != "tenant-008" {
		t.Errorf("60th namespace %q, want tenant-008", nss[59])
	}
	var apps []string
	for i := 0; i < 1000; i++ {
		n, _ := AppName(i)
		apps = append(apps, n)
	}
	checkNames(t, "application", apps)
	if got := NodeNames(1); !reflect.DeepEqual(got, []string{"worker-1"}) {
		t.Errorf("NodeNames(1) = %v", got)
	}
	if got := PodRefs(Sizes{Nodes: 1, Pods: 2, Namespaces: 1}); got[0].Node != "worker-1" {
		t.Errorf("pod on %q with a single node", got[0].Node)
	}
}

// The generated objects read as intended by the console's own rules.
func TestObjectsJudgedByTheRules(t *testing.T) {
	now := epoch().Add(60 * 24 * time.Hour)
	counts := map[health.Status]int{}
	for i := 0; i < 300; i++ {
		counts[health.Application(Application(i)).Status]++
	}
	if counts[health.OK] != 291 || counts[health.OK]+counts[health.Degraded]+counts[health.Down] != 300 {
		t.Errorf("applications judged %v, want 291 OK and 9 (3%%) not", counts)
	}

	nodes := NodeNames(100)
	counts = map[health.Status]int{}
	for i := 0; i < 60; i++ {
		p := DiskPool(i, nodes)
		p.Object["status"] = DiskPoolStatus(i)
		counts[health.DiskPool(p, now).Status]++
	}
	if counts[health.OK] != 57 || counts[health.Degraded] != 3 {
		t.Errorf("diskpools judged %v, want 57 OK, 3 Degraded", counts)
	}

	pods := PodRefs(DefaultSizes())
	counts = map[health.Status]int{}
	for i, r := range InsightRefs(DefaultSizes(), pods) {
		di := DataplaneInsight(i, r)
		if m, _, _ := unstructured.NestedString(di.Object, "mesh"); m != "default" {
			t.Fatalf("insight mesh %q", m)
		}
		counts[health.Dataplane(di, now).Status]++
	}
	if counts[health.OK] != 995 || counts[health.Down] != 5 {
		t.Errorf("dataplanes judged %v, want 995 OK, 5 Down", counts)
	}
}

func TestObjectsCarryTheLabel(t *testing.T) {
	r := PodRefs(Sizes{Nodes: 4, Pods: 1, Namespaces: 1})[0]
	metas := []map[string]string{
		Namespace("x").Labels, Node("worker-1", 0).Labels, Pod(r).Labels,
		Application(0).GetLabels(), DiskPool(0, NodeNames(4)).GetLabels(), DataplaneInsight(0, r).GetLabels(),
	}
	for i, l := range metas {
		if l[Label] != "true" {
			t.Errorf("object %d has labels %v, want %s", i, l, LabelSelector)
		}
	}
	if p := Pod(r); p.Spec.NodeName != r.Node || p.Spec.NodeName == "" {
		t.Errorf("pod bound to %q, want %q", p.Spec.NodeName, r.Node)
	}
	if st := DiskPool(0, NodeNames(4)).Object["status"]; st != nil {
		t.Errorf("a DiskPool is created without status (it goes through the subresource), got %v", st)
	}
}

func TestSizesValidate(t *testing.T) {
	for _, s := range []Sizes{
		{Nodes: 0, Namespaces: 1}, {Nodes: 1, Namespaces: 0}, {Nodes: 1, Namespaces: 1, Pods: -1},
		{Nodes: 1, Namespaces: 1, Pods: 10, Insights: 11},
	} {
		if s.Validate() == nil {
			t.Errorf("%+v accepted", s)
		}
	}
	if err := DefaultSizes().Validate(); err != nil {
		t.Errorf("defaults rejected: %v", err)
	}
}
