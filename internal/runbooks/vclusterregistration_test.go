package runbooks

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/clubcedille/cedille-tui/internal/actions"
	"github.com/clubcedille/cedille-tui/internal/gitops"
	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/runbook"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestJudgeRegistration(t *testing.T) {
	target := runbook.Target{Kind: "VCluster", Namespace: "vcluster-staging", Name: "staging"}
	sts := func(replicas, ready int32) *appsv1.StatefulSet {
		return &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "staging", Namespace: "vcluster-staging"},
			Spec: appsv1.StatefulSetSpec{Replicas: &replicas}, Status: appsv1.StatefulSetStatus{ReadyReplicas: ready}}
	}
	const server = "https://staging.vcluster-staging.svc"
	for _, tc := range []struct {
		name    string
		f       regFacts
		applies bool
		why     string
		details []string
	}{
		{name: "no StatefulSet", f: regFacts{}, why: "no StatefulSet vcluster-staging/staging: no vcluster there to register"},
		{name: "not running", f: regFacts{sts: sts(1, 0), st: gitops.Standing{Fault: gitops.NotRegistered}},
			why: "StatefulSet vcluster-staging/staging: 0/1 ready: a vcluster that does not run cannot be registered"},
		{name: "paused", f: regFacts{sts: sts(0, 0)}, why: "0/0 ready: a vcluster that does not run"},
		{name: "no credentials", f: regFacts{sts: sts(1, 1), st: gitops.Standing{Fault: gitops.NoCredentials, Problem: "no vc-staging Secret"}},
			why: "no vc-staging Secret: the vcluster writes it once it runs — restart pod staging-0"},
		{name: "registered", f: regFacts{sts: sts(1, 1), st: gitops.Standing{Fault: gitops.Registered, Server: server, User: "admin"}},
			why:     "staging is registered and reachable: nothing to repair",
			details: []string{"ArgoCD: Secret argocd/cluster-staging matches it; a request with its credentials authenticated as admin", "server: " + server}},
		{name: "unreachable as registered", f: regFacts{sts: sts(1, 1), st: gitops.Standing{Fault: gitops.Unreachable, Server: server, Problem: "x509: expired"}},
			why: "registered as its own Secret says, but a request with those credentials fails (x509: expired): writing them again would not help"},
		{name: "not registered", f: regFacts{sts: sts(1, 1), st: gitops.Standing{Fault: gitops.NotRegistered, Server: server, Problem: "not registered in ArgoCD"},
			ownUser: "admin", others: []string{"argocd/cluster-staging.vcluster-staging.svc-123"}}, applies: true,
			why: "staging: not registered in ArgoCD",
			details: []string{"ArgoCD: Secret argocd/cluster-staging absent", "a request to " + server + " with the vcluster's own credentials authenticated as admin",
				"ArgoCD Secret argocd/cluster-staging.vcluster-staging.svc-123 registers it too", "credentials: Secret vcluster-staging/vc-staging"}},
		{name: "stale", f: regFacts{sts: sts(2, 1), st: gitops.Standing{Fault: gitops.Stale, Server: server, Problem: "its ArgoCD registration is stale (other credentials or server)"},
			ownUser: "admin"}, applies: true, why: "staging: its ArgoCD registration is stale",
			details: []string{"StatefulSet vcluster-staging/staging: 1/2 ready", "ArgoCD: Secret argocd/cluster-staging stale"}},
		{name: "its own credentials refused", f: regFacts{sts: sts(1, 1), st: gitops.Standing{Fault: gitops.Stale, Server: server, Problem: "its ArgoCD registration is stale (other credentials or server)"},
			ownErr: errors.New("401 Unauthorized")},
			why: "but the vcluster's own credentials do not answer either (401 Unauthorized): registering them would not connect ArgoCD"},
	} {
		tc.f.target = target
		v := judgeRegistration(tc.f)
		if v.Applies != tc.applies || !strings.Contains(v.Why, tc.why) {
			t.Errorf("%s: applies %v, why %q; want %v, %q", tc.name, v.Applies, v.Why, tc.applies, tc.why)
		}
		details := strings.Join(v.Details, "\n")
		for _, d := range tc.details {
			if !strings.Contains(details, d) {
				t.Errorf("%s: details lack %q:\n%s", tc.name, d, details)
			}
		}
		if v.Applies && (v.Facts["server"] != server || v.Facts["registration"] != "argocd/cluster-staging") {
			t.Errorf("%s: facts %v", tc.name, v.Facts)
		}
	}
}

func TestVClusterRegistrationAimsAtTheFindingsVCluster(t *testing.T) {
	rb := VClusterRegistration()
	// The vclusters layer's finding about a running vcluster with its kubeconfig Secret and no registration.
	one := int32(1)
	layer := health.VClusters(health.Objects{
		StatefulSets: []*appsv1.StatefulSet{{ObjectMeta: metav1.ObjectMeta{Name: "staging", Namespace: "vcluster-staging", Labels: map[string]string{"app": "vcluster"}},
			Spec: appsv1.StatefulSetSpec{Replicas: &one}, Status: appsv1.StatefulSetStatus{ReadyReplicas: 1}}},
		Secrets: []*metav1.PartialObjectMetadata{{ObjectMeta: metav1.ObjectMeta{Name: "vc-staging", Namespace: "vcluster-staging"}}},
	})
	if len(layer.Findings) != 1 {
		t.Fatalf("findings %+v", layer.Findings)
	}
	s, ok := runbook.Suggest(layer.Findings[0])
	if !ok || s.Runbook != rb.Name {
		t.Fatalf("the finding %+v suggests %+v", layer.Findings[0], s)
	}
	target := s.Target
	if err := rb.Aims(target); err != nil {
		t.Fatal(err)
	}
	objs, err := vclusterObject(context.Background(), runbook.World{}, target)
	if err != nil || len(objs) != 1 || objs[0] != (actions.Target{Kind: actions.KindVCluster, Namespace: "vcluster-staging", Name: "staging"}) {
		t.Fatalf("objects %v %v", objs, err)
	}
	if err := rb.Aims(runbook.Target{Kind: "Node", Name: "worker-1"}); err == nil {
		t.Error("aimed at a node")
	}
}
