package runbooks

import (
	"errors"
	"strings"
	"testing"

	"github.com/clubcedille/cedille-tui/internal/actions"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

func TestJudgeSpoke(t *testing.T) {
	base := spokeFacts{cluster: "prod-v2", secret: "argocd/cluster-prod", server: "https://omni.example?cluster=prod-v2"}
	with := func(refused []string, request error) spokeFacts {
		f := base
		f.refused, f.request = refused, request
		return f
	}
	refused := []string{"argocd/shop: ComparisonError: token is unverifiable: key not found"}
	for _, tc := range []struct {
		name    string
		f       spokeFacts
		applies bool
		why     string
		details string
	}{
		{"no cluster Secret", spokeFacts{cluster: "prod-v2", missing: actions.ErrNoClusterSecret}, false,
			"ArgoCD does not deploy to prod-v2 — register it first", ""},
		{"the token answers", with(nil, nil), false, "ArgoCD reaches prod-v2: the Secret's token answers", "listed the nodes"},
		{"the token answers, an App said otherwise", with(refused, nil), false,
			"argocd/shop said otherwise at an earlier reconcile — ArgoCD retries within its reconcile period (or: argocd app get --refresh argocd/shop)", ""},
		{"401", with(nil, apierrors.NewUnauthorized("Unauthorized")), true, "prod-v2 refuses the token of argocd/cluster-prod",
			"with exactly the Secret's token: Unauthorized"},
		{"401: Omni named", with(nil, apierrors.NewUnauthorized("Unauthorized")), true, "prod-v2 refuses the token of argocd/cluster-prod",
			"the console needs OMNI_ENDPOINT and OMNI_SERVICE_ACCOUNT_KEY"},
		{"401 and the Apps say so", with(refused, apierrors.NewUnauthorized("Unauthorized")), true, "prod-v2 refuses the token",
			"refused: Application argocd/shop: ComparisonError: token is unverifiable"},
		{"unreachable, the Apps say refused", with(refused, errors.New("dial tcp: connection refused")), true,
			"prod-v2 refuses ArgoCD's token (Application argocd/shop); the cluster could not be asked itself", ""},
		{"unreachable, no App says", with(nil, errors.New("dial tcp: connection refused")), false, "not a token problem", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := judgeSpoke(tc.f)
			if v.Applies != tc.applies || !strings.Contains(v.Why, tc.why) {
				t.Fatalf("applies %v, why %q; want %v, %q", v.Applies, v.Why, tc.applies, tc.why)
			}
			if d := strings.Join(v.Details, "\n"); !strings.Contains(d, tc.details) {
				t.Errorf("details %q lack %q", d, tc.details)
			}
			if tc.f.secret != "" && v.Facts["secret"] != tc.f.secret {
				t.Errorf("facts %v", v.Facts)
			}
		})
	}
}

func TestAppsClearProgress(t *testing.T) {
	if p := appsClearProgress("prod-v2", nil); !p.Done {
		t.Fatalf("%+v", p)
	}
	p := appsClearProgress("prod-v2", []string{"argocd/shop", "argocd/docs"})
	if p.Done || p.Line != "still refused at their last reconcile: argocd/shop, argocd/docs — ArgoCD retries within its reconcile period (3 min by default); to hurry: argocd app get --refresh argocd/shop" {
		t.Fatalf("%+v", p)
	}
}
