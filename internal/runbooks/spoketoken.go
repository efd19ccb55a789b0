package runbooks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/clubcedille/cedille-tui/internal/actions"
	"github.com/clubcedille/cedille-tui/internal/fleet"
	"github.com/clubcedille/cedille-tui/internal/gitops"
	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/runbook"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// SpokeToken is `spoke-token`, run on the hub: a cluster of the fleet refuses the bearer token of the
// hub's ArgoCD cluster Secret (PLATFORM.md §6: Omni's proxy answers Unauthorized, "token is unverifiable
// … key not found"). The precheck finds the cluster Secret (its `name`, or the `cluster=` of its Omni
// proxy URL), reads the Applications destined there and makes a real request with exactly the Secret's
// token; reissue-spoke-token gets a new service-account token from Omni, checks it by listing the
// cluster's nodes and patches config.bearerToken only; the postchecks want a request with exactly the
// Secret's token to list the nodes, then the Applications' refusal gone. No token is ever shown or kept.
func SpokeToken() runbook.Runbook {
	return runbook.Runbook{Name: health.RunbookSpokeToken, Title: "A fleet cluster refuses ArgoCD's token",
		Summary: "find the hub's cluster Secret, confirm the cluster refuses its token, reissue one through Omni (omnictl kubeconfig --service-account), check it lists the nodes, patch config.bearerToken, wait for ArgoCD",
		Kinds:   []string{"Cluster"},
		Steps: []runbook.Step{
			{ID: "refused", Kind: runbook.Precheck, Title: "Find the cluster Secret; read the Applications there; try its token", Check: spokeRefused},
			{ID: "reissue", Kind: runbook.Action, Title: "Reissue the token through Omni, check it lists the nodes, patch config.bearerToken",
				Do: "reissue-spoke-token", Objects: spokeObject},
			{ID: "answers", Kind: runbook.Postcheck, Title: "Wait until a request with exactly the Secret's token lists the cluster's nodes",
				Wait: spokeAnswers, Every: 2 * time.Second, Timeout: 2 * time.Minute},
			{ID: "argocd", Kind: runbook.Postcheck, Title: "Wait for ArgoCD: no Application destined there still refused",
				Wait: spokeAppsClear, Every: 5 * time.Second, Timeout: 10 * time.Minute},
		}}
}

// spokeFacts are what the precheck reads of a spoke; judgeSpoke makes the verdict of them. No token.
type spokeFacts struct {
	cluster string
	secret  string // "argocd/cluster-…"; "" when none registers the cluster
	server  string
	missing error    // why no Secret was found
	refused []string // "argocd/shop: <condition message>" of each Application refused there
	// request is what a request with exactly the Secret's token said: nil (it answered), or its error.
	request error
}

// readSpoke reads the facts on the hub, as the console's own identity.
func readSpoke(ctx context.Context, w runbook.World, t runbook.Target) (spokeFacts, error) {
	f := spokeFacts{cluster: t.Name}
	if w.Kube == nil || w.Dynamic == nil {
		return f, fmt.Errorf("no hub to read %s from", t)
	}
	s, err := actions.FindClusterSecret(ctx, w.Kube, actions.ArgoNamespace, t.Name)
	if errors.Is(err, actions.ErrNoClusterSecret) {
		f.missing = err
		return f, nil
	}
	if err != nil {
		return f, err
	}
	f.secret, f.server = s.Namespace+"/"+s.Name, string(s.Data["server"])
	if f.refused, err = refusedApps(ctx, w, fleet.ArgoCluster{Secret: s.Name, Name: string(s.Data["name"]), Server: f.server}); err != nil {
		return f, err
	}
	cfg, err := gitops.RESTConfig(s)
	if err != nil {
		f.request = err
		return f, nil
	}
	f.request = actions.CheckSpoke(ctx, cfg)
	return f, nil
}

// refusedApps are the Applications destined to a whose conditions say it refused ArgoCD's credentials.
func refusedApps(ctx context.Context, w runbook.World, a fleet.ArgoCluster) ([]string, error) {
	l, err := w.Dynamic.Resource(actions.ApplicationsResource()).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list the Applications: %w", err)
	}
	var out []string
	for i := range l.Items {
		app := &l.Items[i]
		if c := fleet.ConnectionTo(a, []*unstructured.Unstructured{app}); c.State == "Failed" {
			out = append(out, app.GetNamespace()+"/"+app.GetName()+": "+c.Message)
		}
	}
	return out, nil
}

// judgeSpoke says whether the runbook applies, and why. It applies when the cluster's server refuses
// the Secret's token (401), or, when the server cannot be asked, the Applications say it refused it; not
// when no Secret registers the cluster, nor when the token answers (the Applications' refusal is then
// an older reconcile's).
func judgeSpoke(f spokeFacts) runbook.Verdict {
	if f.missing != nil {
		return runbook.Verdict{Why: fmt.Sprintf("%v: ArgoCD does not deploy to %s — register it first (omnictl kubeconfig --service-account, then an ArgoCD cluster Secret)",
			f.missing, f.cluster)}
	}
	v := runbook.Verdict{Details: []string{"cluster Secret " + f.secret + ", server " + f.server,
		"the reissue asks Omni for the token: the console needs " + platform.EnvOmniEndpoint + " and " + platform.EnvOmniKey + ", as omnictl does"},
		Facts: map[string]string{"secret": f.secret, "server": f.server}}
	for _, r := range f.refused {
		v.Details = append(v.Details, "refused: Application "+r)
	}
	names := appNames(f.refused)
	if len(names) > 0 {
		v.Facts["refused"] = strings.Join(names, ",")
	}
	switch {
	case f.request == nil:
		v.Details = append(v.Details, "a request to "+f.server+" with exactly the Secret's token listed the nodes")
		v.Why = "ArgoCD reaches " + f.cluster + ": the Secret's token answers"
		if len(names) > 0 {
			v.Why += fmt.Sprintf("; %s said otherwise at an earlier reconcile — ArgoCD retries within its reconcile period (or: argocd app get --refresh %s)",
				strings.Join(names, ", "), names[0])
		}
		return v
	case apierrors.IsUnauthorized(f.request):
		v.Details = append(v.Details, "a request to "+f.server+" with exactly the Secret's token: Unauthorized")
		v.Applies, v.Why = true, f.cluster+" refuses the token of "+f.secret
		return v
	}
	v.Details = append(v.Details, fmt.Sprintf("a request to %s with the Secret's token failed: %v", f.server, f.request))
	if len(names) > 0 {
		v.Applies = true
		v.Why = fmt.Sprintf("%s refuses ArgoCD's token (Application %s); the cluster could not be asked itself", f.cluster, strings.Join(names, ", "))
		return v
	}
	v.Why = fmt.Sprintf("%s could not be asked (%v) and no Application says it refuses the token: not a token problem — check that %s answers",
		f.cluster, f.request, f.server)
	return v
}

// appNames are the "namespace/name" of refused's entries.
func appNames(refused []string) []string {
	out := make([]string, 0, len(refused))
	for _, r := range refused {
		name, _, _ := strings.Cut(r, ": ")
		out = append(out, name)
	}
	return out
}

func spokeRefused(ctx context.Context, w runbook.World, t runbook.Target) (runbook.Verdict, error) {
	f, err := readSpoke(ctx, w, t)
	if err != nil {
		return runbook.Verdict{}, err
	}
	return judgeSpoke(f), nil
}

// spokeObject is what reissue-spoke-token acts on: the run's cluster, in ArgoCD's namespace.
func spokeObject(_ context.Context, _ runbook.World, t runbook.Target) ([]actions.Target, error) {
	return []actions.Target{{Kind: actions.KindArgoCluster, Namespace: actions.ArgoNamespace, Name: t.Name}}, nil
}

// spokeAnswers: a request with exactly the cluster Secret's token, as it stands, lists the nodes.
func spokeAnswers(ctx context.Context, w runbook.World, t runbook.Target) (runbook.Progress, error) {
	if w.Kube == nil {
		return runbook.Progress{}, fmt.Errorf("no hub to read %s from", t)
	}
	s, err := actions.FindClusterSecret(ctx, w.Kube, actions.ArgoNamespace, t.Name)
	if err != nil {
		return runbook.Progress{}, err
	}
	cfg, err := gitops.RESTConfig(s)
	if err != nil {
		return runbook.Progress{}, err
	}
	if err := actions.CheckSpoke(ctx, cfg); err != nil {
		return runbook.Progress{Line: fmt.Sprintf("%s/%s: a request to %s with its token failed: %v", s.Namespace, s.Name, cfg.Host, err)}, nil
	}
	return runbook.Progress{Done: true, Line: fmt.Sprintf("a request to %s with exactly the token of %s/%s lists the nodes of %s", cfg.Host, s.Namespace, s.Name, t.Name)}, nil
}

// spokeAppsClear: no Application destined to the cluster still says it refuses ArgoCD's token.
func spokeAppsClear(ctx context.Context, w runbook.World, t runbook.Target) (runbook.Progress, error) {
	if w.Kube == nil || w.Dynamic == nil {
		return runbook.Progress{}, fmt.Errorf("no hub to read %s from", t)
	}
	s, err := actions.FindClusterSecret(ctx, w.Kube, actions.ArgoNamespace, t.Name)
	if err != nil {
		return runbook.Progress{}, err
	}
	refused, err := refusedApps(ctx, w, fleet.ArgoCluster{Secret: s.Name, Name: string(s.Data["name"]), Server: string(s.Data["server"])})
	if err != nil {
		return runbook.Progress{}, err
	}
	return appsClearProgress(t.Name, appNames(refused)), nil
}

// appsClearProgress is the ArgoCD postcheck's reading from the Applications still refused.
func appsClearProgress(cluster string, refused []string) runbook.Progress {
	if len(refused) == 0 {
		return runbook.Progress{Done: true, Line: "no Application destined to " + cluster + " says its token is refused"}
	}
	return runbook.Progress{Line: fmt.Sprintf("still refused at their last reconcile: %s — ArgoCD retries within its reconcile period (3 min by default); to hurry: argocd app get --refresh %s",
		strings.Join(refused, ", "), refused[0])}
}
