package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/clubcedille/cedille-tui/internal/actions"
	"github.com/clubcedille/cedille-tui/internal/fleet"
	"github.com/clubcedille/cedille-tui/internal/gitops"
	"github.com/clubcedille/cedille-tui/internal/gitops/argocd"
	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/plan"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// hubTTL is how long the kubeconfig the step reaches the hub with lives: one step's work.
const hubTTL = time.Hour

// Era2RegisterStep registers the new cluster in the hub's ArgoCD (PLATFORM.md §4.3): a cluster Secret
// whose server is Omni's Kubernetes proxy URL with `?cluster=<name>`, whose bearer token is an Omni
// service-account token (user argocd, as `omnictl kubeconfig --service-account` issues it), labelled
// with the stack and the club's etsmtl.club/* labels its ApplicationSets select on. The token is checked
// with a real request to the cluster, with exactly the Secret's server and TLS settings, before anything
// is written. The hub is reached through Omni too.
type Era2RegisterStep struct{}

func (Era2RegisterStep) ID() ID           { return Era2Register }
func (Era2RegisterStep) Title() string    { return "Registration in the hub" }
func (Era2RegisterStep) Fields() []string { return []string{"era2"} }

func (Era2RegisterStep) Describe(p plan.Plan) []string {
	if p.Era2 == nil {
		return []string{"no era2 section"}
	}
	e := p.Era2
	return []string{
		fmt.Sprintf("in the hub %s, write ArgoCD's cluster Secret for %s: server Omni's Kubernetes proxy ?cluster=%s", e.Hub, e.Cluster, e.Cluster),
		"  labels " + strings.Join(registrationLabels(e), ", "),
		"  bearer token of Omni's service account " + actions.SpokeUser + ", checked with a request to the cluster before it is written",
	}
}

// registrationLabels are the labels the plan asks for on the cluster Secret, "key=value" sorted.
func registrationLabels(e *plan.Era2) []string {
	out := []string{fleet.StackLabel + "=" + e.Stack}
	for _, k := range slices.Sorted(maps.Keys(e.Labels)) {
		out = append(out, k+"="+e.Labels[k])
	}
	return out
}

// hubClient reaches the hub with a service-account kubeconfig Omni issues.
func hubClient(ctx context.Context, e *Env, hub string) (kubernetes.Interface, *rest.Config, error) {
	om, err := e.omni()
	if err != nil {
		return nil, nil, err
	}
	b, err := actions.OmniSpokes(om, KubeconfigUser, nil, hubTTL).Issue(ctx, hub)
	if err != nil {
		return nil, nil, fmt.Errorf("get the hub %s's kubeconfig from Omni: %w", hub, om.Classify(err))
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(b)
	if err != nil {
		return nil, nil, fmt.Errorf("Omni's kubeconfig for the hub %s cannot be read: %w", hub, err)
	}
	k, err := kubernetes.NewForConfig(cfg)
	return k, cfg, err
}

// currentRegistration is the hub's cluster Secret for the cluster; nil when there is none.
func currentRegistration(ctx context.Context, k kubernetes.Interface, cluster string) (*corev1.Secret, error) {
	s, err := actions.FindClusterSecret(ctx, k, fleet.ArgoNamespace, cluster)
	if errors.Is(err, actions.ErrNoClusterSecret) {
		return nil, nil
	}
	return s, err
}

// era2Drift says how a cluster Secret differs from what the plan asks ("" when it does not):
// its name, its server's cluster, its stack and club labels. The token is judged by a request.
func era2Drift(s *corev1.Secret, e *plan.Era2) string {
	var out []string
	if string(s.Data["name"]) != e.Cluster {
		out = append(out, fmt.Sprintf("name %q", s.Data["name"]))
	}
	if health.ClusterOfServer(string(s.Data["server"])) != e.Cluster {
		out = append(out, fmt.Sprintf("server %s is not Omni's proxy ?cluster=%s", s.Data["server"], e.Cluster))
	}
	want := map[string]string{fleet.StackLabel: e.Stack}
	maps.Copy(want, e.Labels)
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if s.Labels[k] != want[k] {
			out = append(out, fmt.Sprintf("label %s=%q, want %q", k, s.Labels[k], want[k]))
		}
	}
	return strings.Join(out, "; ")
}

// checkRegistered makes a real request with the Secret's server, token and TLS settings.
func checkRegistered(ctx context.Context, s *corev1.Secret) error {
	cfg, err := gitops.RESTConfig(s)
	if err != nil {
		return err
	}
	return actions.CheckSpoke(ctx, cfg)
}

func (s Era2RegisterStep) Check(ctx context.Context, e *Env, p plan.Plan) (Outcome, error) {
	if p.Era2 == nil {
		return Outcome{Detail: "no era2 section"}, nil
	}
	if p.Era2.Hub == "" || p.Era2.Cluster == "" {
		return Outcome{Detail: "no hub or cluster chosen yet"}, nil
	}
	c := p.Era2.Cluster
	k, _, err := hubClient(ctx, e, p.Era2.Hub)
	if err != nil {
		return Outcome{}, err
	}
	cur, err := currentRegistration(ctx, k, c)
	switch {
	case err != nil:
		return Outcome{}, err
	case cur == nil:
		return Outcome{Detail: "the hub " + p.Era2.Hub + " has no ArgoCD cluster Secret for " + c + " yet"}, nil
	}
	if why := era2Drift(cur, p.Era2); why != "" {
		return Outcome{Detail: "ArgoCD's cluster Secret " + cur.Name + " for " + c + " differs: " + why}, nil
	}
	if err := checkRegistered(ctx, cur); err != nil {
		return Outcome{Detail: "ArgoCD's token for " + c + " is refused: " + firstLine(err.Error())}, nil
	}
	return Outcome{Holds: true, Detail: "registered in the hub " + p.Era2.Hub + " as " + cur.Name + " (" + strings.Join(registrationLabels(p.Era2), ", ") + "); its token answers"}, nil
}

// proxyServer is Omni's Kubernetes proxy URL for a cluster: the host of a kubeconfig Omni issued, with
// ?cluster=<name> (the ArgoCD cluster server of PLATFORM.md §2.2).
func proxyServer(host, cluster string) (string, error) {
	u, err := url.Parse(host)
	if err != nil {
		return "", fmt.Errorf("Omni's kubeconfig names a server that is not a URL: %w", err)
	}
	q := u.Query()
	q.Set("cluster", cluster)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// wantRegistration is the cluster Secret the plan asks for, with config's credentials; over cur (the
// Secret found in the hub) it keeps cur's name and labels that are not the plan's.
func wantRegistration(e *plan.Era2, server string, config gitops.ClusterConfig, cur *corev1.Secret) (*corev1.Secret, error) {
	cfg, err := json.Marshal(config)
	if err != nil {
		return nil, err
	}
	labels := map[string]string{}
	name := argocd.ClusterSecretName(e.Cluster)
	if cur != nil {
		maps.Copy(labels, cur.Labels)
		name = cur.Name
	}
	labels[argocd.SecretTypeLabel] = argocd.SecretTypeCluster
	labels[fleet.StackLabel] = e.Stack
	labels["app.kubernetes.io/managed-by"] = "cedille-tui"
	maps.Copy(labels, e.Labels)
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: fleet.ArgoNamespace, Labels: labels},
		Type:       corev1.SecretTypeOpaque,
		Data:       map[string][]byte{"name": []byte(e.Cluster), "server": []byte(server), "config": cfg},
	}, nil
}

// placeholderToken stands for the token Omni issues when the step runs: a dry run issues none.
const placeholderToken = "issued-when-the-step-runs"

// Preview writes the Secret the step would write as a server-side dry run in the hub (with a stand-in
// token: none is issued to look) and says what it would create or change.
func (Era2RegisterStep) Preview(ctx context.Context, e *Env, p plan.Plan) ([]string, error) {
	if p.Era2 == nil {
		return nil, errors.New("no era2 section")
	}
	k, hubCfg, err := hubClient(ctx, e, p.Era2.Hub)
	if err != nil {
		return nil, err
	}
	cur, err := currentRegistration(ctx, k, p.Era2.Cluster)
	if err != nil {
		return nil, err
	}
	server, err := proxyServer(hubCfg.Host, p.Era2.Cluster)
	if err != nil {
		return nil, err
	}
	want, err := wantRegistration(p.Era2, server, gitops.ClusterConfig{BearerToken: placeholderToken}, cur)
	if err != nil {
		return nil, err
	}
	if _, err := gitops.WriteClusterSecret(ctx, k, want, cur, []string{metav1.DryRunAll}); err != nil {
		return nil, fmt.Errorf("the hub refuses the cluster Secret (server-side dry run): %w", err)
	}
	where := fleet.ArgoNamespace + "/" + want.Name + " in the hub " + p.Era2.Hub
	if cur == nil {
		return []string{"creating ArgoCD cluster Secret " + where + " (server " + server + ", labels " +
			strings.Join(registrationLabels(p.Era2), ", ") + ", token issued by Omni and checked when it runs)"}, nil
	}
	out := []string{"updating ArgoCD cluster Secret " + where}
	if why := era2Drift(cur, p.Era2); why != "" {
		out = append(out, "  "+why)
	}
	return append(out, "  bearer token (replaced by one Omni issues, checked before it is written)"), nil
}

func (s Era2RegisterStep) Run(ctx context.Context, e *Env, p *plan.Plan, emit func(Event)) (Result, error) {
	if ps := p.ValidateEra2(nil, nil); len(ps) > 0 {
		return Result{}, ps
	}
	om, err := e.omni()
	if err != nil {
		return Result{}, err
	}
	c := p.Era2.Cluster
	k, _, err := hubClient(ctx, e, p.Era2.Hub)
	if err != nil {
		return Result{}, err
	}
	cur, err := currentRegistration(ctx, k, c)
	if err != nil {
		return Result{}, err
	}
	if cur != nil && era2Drift(cur, p.Era2) == "" && checkRegistered(ctx, cur) == nil {
		line := "ArgoCD's cluster Secret " + cur.Name + " in the hub already registers " + c + " and its token answers"
		emit(Event{Step: Era2Register, Message: line})
		return Result{Summary: []string{line}}, nil
	}
	spokes := actions.OmniSpokes(om, "", nil, 0)
	b, err := spokes.Issue(ctx, c)
	if err != nil {
		return Result{}, fmt.Errorf("get a service-account kubeconfig of %s from Omni: %w", c, om.Classify(err))
	}
	kc, err := clientcmd.RESTConfigFromKubeConfig(b)
	if err != nil {
		return Result{}, fmt.Errorf("Omni's kubeconfig for %s cannot be read: %w", c, err)
	}
	if kc.BearerToken == "" {
		return Result{}, fmt.Errorf("Omni's kubeconfig for %s holds no bearer token: it must be a service-account one", c)
	}
	server, err := proxyServer(kc.Host, c)
	if err != nil {
		return Result{}, err
	}
	want, err := wantRegistration(p.Era2, server, gitops.ClusterConfig{BearerToken: kc.BearerToken,
		TLSClientConfig: gitops.TLSClientConfig{Insecure: kc.Insecure, ServerName: kc.ServerName, CAData: kc.CAData}}, cur)
	if err != nil {
		return Result{}, err
	}
	if err := checkRegistered(ctx, want); err != nil {
		return Result{}, fmt.Errorf("the token Omni issued for %s does not answer at %s (%s); the hub is left as it was: %w",
			c, server, firstLine(err.Error()), actions.ErrSpokeRefusesToken)
	}
	emit(Event{Step: Era2Register, Message: "the token Omni issued (" + spokes.Issued + ") answers at " + server})
	if _, err := gitops.WriteClusterSecret(ctx, k, want, cur, nil); err != nil {
		return Result{}, fmt.Errorf("write ArgoCD's cluster Secret %s in the hub %s: %w", want.Name, p.Era2.Hub, err)
	}
	verb := "created"
	if cur != nil {
		verb = "updated"
	}
	line := fmt.Sprintf("%s ArgoCD cluster Secret %s/%s in the hub %s: %s with labels %s", verb, fleet.ArgoNamespace, want.Name,
		p.Era2.Hub, server, strings.Join(registrationLabels(p.Era2), ", "))
	emit(Event{Step: Era2Register, Message: line})
	return Result{Summary: []string{line}}, nil
}
