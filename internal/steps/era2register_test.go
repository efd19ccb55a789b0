package steps

import (
	"context"
	"strings"
	"testing"

	"github.com/clubcedille/cedille-tui/internal/plan"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestProxyServer(t *testing.T) {
	for _, c := range []struct{ host, want string }{
		{"https://cedille.kubernetes.omni.siderolabs.io", "https://cedille.kubernetes.omni.siderolabs.io?cluster=k8s-lab"},
		{"https://omni.example.club:8100/", "https://omni.example.club:8100/?cluster=k8s-lab"},
		{"https://proxy.example?cluster=other", "https://proxy.example?cluster=k8s-lab"},
	} {
		if got, err := proxyServer(c.host, "k8s-lab"); err != nil || got != c.want {
			t.Errorf("proxyServer(%q) = %q, %v; want %q", c.host, got, err, c.want)
		}
	}
}

func TestEra2Drift(t *testing.T) {
	p := era2TestPlan(t)
	good := func() *corev1.Secret {
		return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "cluster-k8s-lab",
			Labels: map[string]string{"stack": "k8s-foundation", "etsmtl.club/external-network": "false", "team": "sre"}},
			Data: map[string][]byte{"name": []byte("k8s-lab"), "server": []byte("https://proxy.example?cluster=k8s-lab")}}
	}
	cases := []struct {
		name string
		mut  func(*corev1.Secret)
		says string // "" = no drift
	}{
		{name: "as planned, with a label of its own"},
		{name: "another stack", mut: func(s *corev1.Secret) { s.Labels["stack"] = "k8s-base" }, says: `label stack="k8s-base", want "k8s-foundation"`},
		{name: "a club label missing", mut: func(s *corev1.Secret) { delete(s.Labels, "etsmtl.club/external-network") },
			says: `label etsmtl.club/external-network="", want "false"`},
		{name: "another cluster's server", mut: func(s *corev1.Secret) { s.Data["server"] = []byte("https://proxy.example?cluster=k8s-poc") },
			says: "is not Omni's proxy ?cluster=k8s-lab"},
		{name: "a server without the proxy's cluster", mut: func(s *corev1.Secret) { s.Data["server"] = []byte("https://10.0.0.1:6443") },
			says: "is not Omni's proxy"},
		{name: "another name", mut: func(s *corev1.Secret) { s.Data["name"] = []byte("lab") }, says: `name "lab"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := good()
			if c.mut != nil {
				c.mut(s)
			}
			got := era2Drift(s, p.Era2)
			if (c.says == "") != (got == "") || !strings.Contains(got, c.says) {
				t.Fatalf("drift %q, want %q", got, c.says)
			}
		})
	}
}

// TestEra2RegisterCheckBeforeTheForm: before the era-2 form names the hub and the cluster, the step is
// pending and says so, asking nothing of Omni (the Env has none).
func TestEra2RegisterCheckBeforeTheForm(t *testing.T) {
	for _, e := range []plan.Era2{{}, {Cluster: "k8s-poc"}, {Hub: "k8s-shared"}} {
		out, err := Era2RegisterStep{}.Check(context.Background(), &Env{}, plan.Plan{Era2: &e})
		if err != nil || out.Holds || out.Detail != "no hub or cluster chosen yet" {
			t.Errorf("%+v: %+v %v", e, out, err)
		}
	}
}
