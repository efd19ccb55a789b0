package actions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/clubcedille/cedille-tui/internal/access"
	"github.com/clubcedille/cedille-tui/internal/gitops"
	"github.com/clubcedille/cedille-tui/internal/gitops/argocd"
	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/siderolabs/omni/client/pkg/client/management"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// KindArgoCluster is a cluster of the fleet as the hub's ArgoCD registers it: the namespace of ArgoCD's
// cluster Secrets and the cluster's name (the Secret's `name`, or the `cluster=` of its Omni proxy URL).
const KindArgoCluster Kind = "argocd-cluster"

// The service account a reissued token is for, as `omnictl kubeconfig --service-account` issues it by
// default: ArgoCD deploys everything, so it is in system:masters; the token lives a year.
const (
	SpokeUser = "argocd"
	SpokeTTL  = 365 * 24 * time.Hour
)

// SpokeGroups are the groups of the service account a reissued token is for.
func SpokeGroups() []string { return []string{"system:masters"} }

// ErrNoOmni is reissue-spoke-token without Omni to issue the token: nothing is done.
var ErrNoOmni = errors.New("no Omni to issue a token with: set " + platform.EnvOmniEndpoint + " and " + platform.EnvOmniKey +
	" (as for omnictl), then run it again")

// ErrNoClusterSecret is a cluster no ArgoCD cluster Secret registers.
var ErrNoClusterSecret = errors.New("no ArgoCD cluster Secret registers it")

// ErrSpokeRefusesToken is reissue-spoke-token refused: the token Omni issued does not answer at the
// cluster's server, so the cluster Secret is left as it was.
var ErrSpokeRefusesToken = errors.New("the cluster Secret is not patched")

// Spokes is how reissue-spoke-token gets and checks a token: Omni's service-account kubeconfig, and a
// real request to the cluster.
type Spokes struct {
	// Issue returns a service-account kubeconfig for cluster, as `omnictl kubeconfig --cluster NAME
	// --service-account --user USER` does. nil: no Omni (the action says what to set).
	Issue func(ctx context.Context, cluster string) ([]byte, error)
	// Check makes a real request with cfg; nil: CheckSpoke (it lists the cluster's nodes).
	Check func(ctx context.Context, cfg *rest.Config) error
	// Issued says what Issue issues, for the preview ("user argocd, groups system:masters, for 8760h").
	Issued string
}

// OmniSpokes issues tokens through Omni's management API, for user and groups (SpokeUser, SpokeGroups
// when empty), living ttl (SpokeTTL when zero).
func OmniSpokes(om *platform.Omni, user string, groups []string, ttl time.Duration) Spokes {
	if user == "" {
		user = SpokeUser
	}
	if len(groups) == 0 {
		groups = SpokeGroups()
	}
	if ttl <= 0 {
		ttl = SpokeTTL
	}
	return Spokes{Issued: fmt.Sprintf("Omni service account %s, groups %s, for %s", user, strings.Join(groups, ","), ttl),
		Issue: func(ctx context.Context, cluster string) ([]byte, error) {
			return om.Client.Management().WithCluster(cluster).Kubeconfig(ctx, management.WithServiceAccount(ttl, user, groups...))
		}}
}

// WithSpokes is actions with reissue-spoke-token issuing through s (Builtin's has no Omni).
func WithSpokes(all []Action, s Spokes) []Action {
	out := slices.Clone(all)
	for i, a := range out {
		if a.Name == reissueSpokeToken {
			out[i] = ReissueSpokeToken(s)
		}
	}
	return out
}

const reissueSpokeToken = "reissue-spoke-token"

// ReissueSpokeToken replaces the bearer token of the hub's ArgoCD cluster Secret for a spoke whose API
// server (or Omni's proxy) refuses it (PLATFORM.md §6: "token is unverifiable … key not found"): a new
// token from Omni's service-account kubeconfig, checked by listing the cluster's nodes with exactly the
// Secret's server and TLS settings before anything is written; a token that does not answer is never
// written (ErrSpokeRefusesToken). Only config.bearerToken changes; the rest of config is kept. The
// write is bound to the Secret as its preview saw it. No token is ever shown: the preview names the
// field "(changed)".
func ReissueSpokeToken(s Spokes) Action {
	return Action{Name: reissueSpokeToken, Kind: KindArgoCluster, Role: access.Operator, Destructive: true,
		Blast: func(t Target) string {
			return fmt.Sprintf("%s: the bearer token of ArgoCD's cluster Secret for %s is replaced by a new one from Omni; ArgoCD reconnects with it, the old token is no longer used",
				t, t.Name)
		},
		Preview: func(ctx context.Context, c Client, t Target) (Preview, error) { return previewReissue(ctx, c, t, s) },
		Run: func(ctx context.Context, c Client, t Target, expect Precondition) error {
			return reissue(ctx, c, t, s, expect)
		},
	}
}

// FindClusterSecret finds, in ArgoCD's namespace ns, the cluster Secret registering cluster: its `name`,
// or the `cluster=` of its Omni proxy URL. Two that do are an error naming both.
func FindClusterSecret(ctx context.Context, k kubernetes.Interface, ns, cluster string) (*corev1.Secret, error) {
	l, err := k.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{LabelSelector: argocd.SecretTypeLabel + "=" + argocd.SecretTypeCluster})
	if err != nil {
		return nil, fmt.Errorf("list ArgoCD's cluster Secrets in %s: %w", ns, err)
	}
	var found []*corev1.Secret
	for i := range l.Items {
		s := &l.Items[i]
		if string(s.Data["name"]) == cluster || health.ClusterOfServer(string(s.Data["server"])) == cluster {
			found = append(found, s)
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("%s in %s: %w", cluster, ns, ErrNoClusterSecret)
	case 1:
		return found[0], nil
	}
	return nil, fmt.Errorf("Secrets %s and %s in %s both register %s: delete the stale one first", found[0].Name, found[1].Name, ns, cluster)
}

// spokeCheckTimeout bounds a request to a cluster that does not answer.
const spokeCheckTimeout = 15 * time.Second

// CheckSpoke makes a real request with cfg, as `kubectl get nodes` does: it lists the cluster's nodes.
func CheckSpoke(ctx context.Context, cfg *rest.Config) error {
	cfg = rest.CopyConfig(cfg)
	if cfg.Timeout == 0 {
		cfg.Timeout = spokeCheckTimeout
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	_, err = cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{Limit: 1})
	return err
}

// withToken is a cluster Secret's config with its bearerToken replaced, every other field kept as it
// was (ArgoCD's config has more than the console knows: execProviderConfig, awsAuthConfig…).
func withToken(config []byte, token string) ([]byte, error) {
	m := map[string]any{}
	if len(config) > 0 {
		if err := json.Unmarshal(config, &m); err != nil {
			return nil, fmt.Errorf("the cluster Secret's config is not ArgoCD's JSON: %w", err)
		}
	}
	m["bearerToken"] = token
	return json.Marshal(m)
}

// tokenOf is the bearer token of a kubeconfig Omni issued.
func tokenOf(kubeconfig []byte) (string, error) {
	cfg, err := clientcmd.RESTConfigFromKubeConfig(kubeconfig)
	if err != nil {
		return "", fmt.Errorf("Omni's kubeconfig cannot be read: %w", err)
	}
	if cfg.BearerToken == "" {
		return "", errors.New("Omni's kubeconfig holds no bearer token: it must be a service-account one")
	}
	return cfg.BearerToken, nil
}

// tokenPatch is the merge patch setting the Secret's config, bound to expect.
func tokenPatch(config []byte, expect Precondition) ([]byte, error) {
	return boundPatch(map[string]any{"data": map[string]any{"config": config}}, expect)
}

// patchConfig sends the patch (dryRun: dry-runs it) and returns the Secret as patched.
func patchConfig(ctx context.Context, c Client, t Target, name string, config []byte, expect Precondition, dryRun []string) (*corev1.Secret, error) {
	body, err := tokenPatch(config, expect)
	if err != nil {
		return nil, err
	}
	s, err := c.Kube.CoreV1().Secrets(t.Namespace).Patch(ctx, name, types.MergePatchType, body, metav1.PatchOptions{DryRun: dryRun})
	return s, changed(t, expect, err)
}

// placeholderToken stands for the token Omni issues in the preview's dry run: none is issued to look.
const placeholderToken = "issued-when-confirmed"

func previewReissue(ctx context.Context, c Client, t Target, s Spokes) (Preview, error) {
	if err := t.check(KindArgoCluster); err != nil {
		return Preview{}, err
	}
	cur, err := FindClusterSecret(ctx, c.Kube, t.Namespace, t.Name)
	if err != nil {
		return Preview{}, err
	}
	if s.Issue == nil {
		return Preview{}, fmt.Errorf("%s: %w", t, ErrNoOmni)
	}
	config, err := withToken(cur.Data["config"], placeholderToken)
	if err != nil {
		return Preview{}, err
	}
	expect := Precondition{UID: cur.UID, ResourceVersion: cur.ResourceVersion}
	after, err := patchConfig(ctx, c, t, cur.Name, config, expect, dryRunAll())
	if err != nil {
		return Preview{}, err
	}
	issued := s.Issued
	if issued == "" {
		issued = "Omni's service-account kubeconfig"
	}
	notes := []string{
		fmt.Sprintf("Secret %s/%s, server %s", cur.Namespace, cur.Name, cur.Data["server"]),
		"the token: " + issued + ", issued when you confirm, never shown",
		"checked first by listing the nodes of " + string(cur.Data["server"]) + " with it: a token that does not answer is not written",
		"only config.bearerToken changes; the rest of config (TLS…) is kept",
	}
	return Preview{Changes: secretChanges(cur, after), Notes: notes, Expect: expect}, nil
}

func reissue(ctx context.Context, c Client, t Target, s Spokes, expect Precondition) error {
	if err := t.check(KindArgoCluster); err != nil {
		return err
	}
	if s.Issue == nil {
		return fmt.Errorf("%s: %w", t, ErrNoOmni)
	}
	cur, err := FindClusterSecret(ctx, c.Kube, t.Namespace, t.Name)
	switch {
	case errors.Is(err, ErrNoClusterSecret) && !expect.IsZero():
		return &ChangedError{Target: t, Why: "deregistered (its cluster Secret deleted)"}
	case err != nil:
		return err
	case expect.UID != "" && expect.UID != cur.UID:
		return &ChangedError{Target: t, Why: "registered anew (its cluster Secret deleted and made again)"}
	case expect.ResourceVersion != "" && expect.ResourceVersion != cur.ResourceVersion:
		return &ChangedError{Target: t, Why: "modified (its cluster Secret written since the preview)"}
	}
	kubeconfig, err := s.Issue(ctx, t.Name)
	if err != nil {
		return fmt.Errorf("Omni issued no kubeconfig for %s: %w", t.Name, err)
	}
	token, err := tokenOf(kubeconfig)
	if err != nil {
		return err
	}
	config, err := withToken(cur.Data["config"], token)
	if err != nil {
		return err
	}
	next := cur.DeepCopy()
	if next.Data == nil {
		next.Data = map[string][]byte{}
	}
	next.Data["config"] = config
	cfg, err := gitops.RESTConfig(next)
	if err != nil {
		return err
	}
	check := s.Check
	if check == nil {
		check = CheckSpoke
	}
	if err := check(ctx, cfg); err != nil {
		return fmt.Errorf("listing the nodes of %s with the token Omni issued failed (%s): %w", cfg.Host, apiMessage(err), ErrSpokeRefusesToken)
	}
	_, err = patchConfig(ctx, c, t, cur.Name, config, expect, nil)
	if apierrors.IsNotFound(err) && expect.IsZero() {
		return fmt.Errorf("%s: %w", t, ErrNoClusterSecret)
	}
	return err
}
