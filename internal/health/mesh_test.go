package health

import (
	"errors"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// meshNow is when the mesh tests evaluate: the morning after the test data's control-plane restart.
func meshNow() time.Time { return time.Date(2023, 12, 2, 10, 0, 0, 0, time.UTC) }

func TestKumaMesh(t *testing.T) {
	tests := []struct {
		name      string
		mesh      string
		want      Status
		object    string
		reasonHas string
		hintHas   string
	}{
		{"mTLS on", `{name: default}
spec: {mtls: {enabledBackend: ca-1, backends: [{name: ca-1, type: builtin}]}}`, OK, "Mesh/default", "mTLS on (backend ca-1)", ""},
		{"mTLS backends but none enabled", `{name: default}
spec: {mtls: {backends: [{name: ca-1, type: builtin}]}}`, Degraded, "Mesh/default", "mTLS off", "MeshTrafficPermissions"},
		{"no spec at all (as the control plane creates it)", `{name: default}`, Degraded, "Mesh/default", "mTLS off", "enabledBackend"},
		{"another mesh", `{name: sandbox}
spec: {mtls: {enabledBackend: ca-sandbox}}`, OK, "Mesh/sandbox", "backend ca-sandbox", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := KumaMesh(crFromYAML("apiVersion: kuma.io/v1alpha1\nkind: Mesh\nmetadata: " + tt.mesh))
			assertFinding(t, f, tt.want, tt.reasonHas, tt.hintHas)
			if f.Object != tt.object {
				t.Errorf("object %q, want %q", f.Object, tt.object)
			}
		})
	}
}

func TestDataplane(t *testing.T) {
	insight := func(body string) *unstructured.Unstructured {
		return crFromYAML(`apiVersion: kuma.io/v1alpha1
kind: DataplaneInsight
metadata: {name: discord-provider-7c5d8b6f4-9kq2w, namespace: calidum-rotae}
mesh: default
` + body)
	}
	tests := []struct {
		name      string
		insight   *unstructured.Unstructured
		want      Status
		reasonHas string
		hintHas   string
	}{
		{"connected", insight(`status:
  subscriptions:
  - {id: a-1, controlPlaneInstanceId: kuma-control-plane-7b9f6d-abcde, connectTime: "2023-12-02T07:00:00Z"}`),
			OK, "online: connected to kuma-control-plane-7b9f6d-abcde for 3h in mesh default (DataplaneInsight)", ""},
		{"fractional seconds as Kuma writes them", insight(`status:
  subscriptions:
  - {id: a-1, controlPlaneInstanceId: kuma-control-plane-7b9f6d-abcde, connectTime: "2023-12-02T09:59:30.482915123Z"}`),
			OK, "for 29s", ""},
		{"disconnected", insight(`status:
  subscriptions:
  - {id: a-1, controlPlaneInstanceId: kuma-control-plane-7b9f6d-abcde, connectTime: "2023-12-01T14:02:15Z", disconnectTime: "2023-12-02T09:41:00Z"}`),
			Down, "offline: disconnected from kuma-control-plane-7b9f6d-abcde 19m ago in mesh default (DataplaneInsight)", "kuma-sidecar"},
		{"reconnected after a control-plane restart", insight(`status:
  subscriptions:
  - {id: a-1, controlPlaneInstanceId: kuma-control-plane-7b9f6d-abcde, connectTime: "2023-12-01T14:02:15Z", disconnectTime: "2023-12-02T08:30:00Z"}
  - {id: a-2, controlPlaneInstanceId: kuma-control-plane-7b9f6d-fghij, connectTime: "2023-12-02T08:30:04Z"}`),
			OK, "connected to kuma-control-plane-7b9f6d-fghij for 1h29m", ""},
		{"the last subscription decides over a stale open one", insight(`status:
  subscriptions:
  - {id: a-1, controlPlaneInstanceId: kuma-control-plane-7b9f6d-abcde, connectTime: "2023-12-01T14:02:15Z"}
  - {id: a-2, controlPlaneInstanceId: kuma-control-plane-7b9f6d-fghij, connectTime: "2023-12-02T08:30:04Z", disconnectTime: "2023-12-02T09:00:00Z"}`),
			Down, "disconnected from kuma-control-plane-7b9f6d-fghij 1h ago", "kuma-control-plane"},
		{"latest by connect time, whatever the order", insight(`status:
  subscriptions:
  - {id: a-2, controlPlaneInstanceId: kuma-control-plane-7b9f6d-fghij, connectTime: "2023-12-02T08:30:04Z"}
  - {id: a-1, controlPlaneInstanceId: kuma-control-plane-7b9f6d-abcde, connectTime: "2023-12-01T14:02:15Z", disconnectTime: "2023-12-02T08:30:00Z"}`),
			OK, "kuma-control-plane-7b9f6d-fghij", ""},
		{"malformed entries are skipped", insight(`status:
  subscriptions:
  - just a string
  - {id: a-1, connectTime: "2023-12-02T09:00:00Z"}`),
			OK, "connected to the control plane for 1h", ""},
		{"no subscription", insight(`status: {subscriptions: []}`),
			Unknown, "never connected", "kuma-sidecar"},
		{"empty status", insight(`status: {}`),
			Unknown, "never connected", "5678"},
		{"data under spec is not Kuma 2.4's shape", insight(`spec:
  subscriptions:
  - {id: a-1, connectTime: "2023-12-02T09:00:00Z"}`),
			Unknown, "no subscription", ""},
		{"subscription without connect time", insight(`status:
  subscriptions:
  - {id: a-1, controlPlaneInstanceId: kuma-control-plane-7b9f6d-abcde}`),
			Unknown, "no connect time", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := Dataplane(tt.insight, meshNow())
			assertFinding(t, f, tt.want, tt.reasonHas, tt.hintHas)
			if f.Object != "Dataplane/calidum-rotae/discord-provider-7c5d8b6f4-9kq2w" {
				t.Errorf("object %q", f.Object)
			}
		})
	}
}

func kumaCP(namespace string, replicas *int32, ready int32) *appsv1.Deployment {
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "kuma-control-plane", Namespace: namespace}}
	d.Spec.Replicas = replicas
	d.Status.ReadyReplicas = ready
	return d
}

func TestKumaControlPlane(t *testing.T) {
	n := func(i int32) *int32 { return &i }
	crdAbsent := map[string]error{ResourceMeshes: errors.New(`the server could not find the requested resource (get meshes.kuma.io)`)}
	tests := []struct {
		name        string
		deployments []*appsv1.Deployment
		unavailable map[string]error
		want        Status
		reasonHas   string
		hintHas     string
	}{
		{"ready", []*appsv1.Deployment{kumaCP("kuma-system", n(1), 1)}, nil, OK, "1/1 ready", ""},
		{"replicas unset means one", []*appsv1.Deployment{kumaCP("kuma-system", nil, 1)}, nil, OK, "1/1 ready", ""},
		{"partly ready", []*appsv1.Deployment{kumaCP("kuma-system", n(3), 2)}, nil, Degraded, "2/3 ready", "not-ready"},
		{"none ready", []*appsv1.Deployment{kumaCP("kuma-system", n(1), 0)}, nil, Down, "0/1 ready", "logs"},
		{"scaled to zero", []*appsv1.Deployment{kumaCP("kuma-system", n(0), 0)}, nil, Down, "scaled to 0", "scale it back up"},
		{"absent", nil, nil, Down, "absent", "App kuma"},
		{"same name elsewhere does not count", []*appsv1.Deployment{kumaCP("kuma", n(1), 1)}, nil, Down, "absent", "App kuma"},
		{"absent and no Kuma CRDs (era 2)", nil, crdAbsent, Unknown, "Kuma does not seem installed", "era-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := Mesh(Objects{Now: meshNow(), Deployments: tt.deployments, Unavailable: tt.unavailable})
			assertFinding(t, findingNamed(t, l, "Deployment/kuma-system/kuma-control-plane"), tt.want, tt.reasonHas, tt.hintHas)
		})
	}
}

func TestMeshDefaultMustExist(t *testing.T) {
	sandbox := crFromYAML("apiVersion: kuma.io/v1alpha1\nkind: Mesh\nmetadata: {name: sandbox}\nspec: {mtls: {enabledBackend: ca-1}}")
	l := Mesh(Objects{Now: meshNow(), Meshes: []*unstructured.Unstructured{sandbox},
		Deployments: []*appsv1.Deployment{kumaCP("kuma-system", nil, 1)}})
	assertFinding(t, findingNamed(t, l, "Mesh/default"), Down, "absent", "KUMA_DEFAULTS_SKIP_MESH_CREATION")
	assertFinding(t, findingNamed(t, l, "Mesh/sandbox"), OK, "mTLS on", "")
	if l.Status != Down || len(l.Findings) != 3 {
		t.Fatalf("layer %v with %d findings", l.Status, len(l.Findings))
	}
}

// TestMeshLayer judges the era-1 test data: the mesh, every dataplane and the control plane.
func TestMeshLayer(t *testing.T) {
	l := Mesh(loadLayerTestdata(t, "testdata/mesh/era1.yaml", meshNow()))
	tests := []struct {
		object    string
		want      Status
		reasonHas string
	}{
		{"Mesh/default", OK, "mTLS on (backend ca-1)"},
		{"Dataplane/calidum-rotae/calidum-rotae-6d8f9c7b54-x2l9q", OK, "online: connected to kuma-control-plane-7b9f6d-abcde for 19h"},
		{"Dataplane/calidum-rotae/discord-provider-7c5d8b6f4-9kq2w", OK, "kuma-control-plane-7b9f6d-fghij"},
		{"Dataplane/calidum-rotae/email-provider-5f7b9d8c6-m4n7p", Down, "offline"},
		{"Dataplane/calidum-rotae/shell-provider-84c6b9f7d-q8z5t", Unknown, "never connected"},
		{"Deployment/kuma-system/kuma-control-plane", OK, "1/1 ready"},
	}
	for _, tt := range tests {
		t.Run(tt.object, func(t *testing.T) {
			f := findingNamed(t, l, tt.object)
			if f.Status != tt.want || !strings.Contains(f.Reason, tt.reasonHas) {
				t.Fatalf("got %v %q, want %v ~%q", f.Status, f.Reason, tt.want, tt.reasonHas)
			}
		})
	}
	if len(l.Findings) != len(tests) || l.Name != LayerMesh || l.Status != Down {
		t.Errorf("layer %s %v with %d findings, want %d", l.Name, l.Status, len(l.Findings), len(tests))
	}
}

// TestMeshUnavailable: a kind that cannot be read is an Unknown finding; the rest is still judged.
func TestMeshUnavailable(t *testing.T) {
	tests := []struct {
		name     string
		resource string
		object   string
		judged   map[string]Status
	}{
		{"insights forbidden", ResourceDataplaneInsights, "CRD/dataplaneinsights.kuma.io",
			map[string]Status{"Mesh/default": OK, "Deployment/kuma-system/kuma-control-plane": OK}},
		{"meshes forbidden", ResourceMeshes, "CRD/meshes.kuma.io",
			map[string]Status{"Mesh/default": OK, "Dataplane/calidum-rotae/email-provider-5f7b9d8c6-m4n7p": Down,
				"Deployment/kuma-system/kuma-control-plane": OK}},
		{"deployments forbidden", ResourceDeployments, "API/deployments.apps",
			map[string]Status{"Mesh/default": OK, "Dataplane/calidum-rotae/email-provider-5f7b9d8c6-m4n7p": Down}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := loadLayerTestdata(t, "testdata/mesh/era1.yaml", meshNow())
			o.Unavailable = map[string]error{tt.resource: errors.New(tt.resource + ` is forbidden: User "cedille-reader" cannot list resource`)}
			l := Mesh(o)
			f := findingNamed(t, l, tt.object)
			if f.Status != Unknown || !strings.Contains(f.Reason, "forbidden") || f.Hint == "" {
				t.Fatalf("missing kind: %+v", f)
			}
			for obj, want := range tt.judged {
				if g := findingNamed(t, l, obj); g.Status != want {
					t.Errorf("%s: %v, want %v", obj, g.Status, want)
				}
			}
		})
	}
	t.Run("unreadable meshes prove no absence", func(t *testing.T) {
		o := loadLayerTestdata(t, "testdata/mesh/era1.yaml", meshNow())
		o.Meshes = nil
		o.Unavailable = map[string]error{ResourceMeshes: errors.New("meshes.kuma.io is forbidden")}
		for _, f := range Mesh(o).Findings {
			if strings.HasPrefix(f.Object, "Mesh/") {
				t.Errorf("unexpected %+v", f)
			}
		}
	})
}
