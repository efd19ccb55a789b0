// Package helmops installs and upgrades the platform's charts with the Helm SDK: `helm upgrade --install`
// without the helm binary, a kubeconfig file or Helm's directories under $HOME. Releases are recorded as
// Helm records them (Secrets sh.helm.release.v1.<name>.v<N> in the release's namespace), so the helm CLI
// sees them too.
package helmops

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/kube"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/releaseutil"
	"helm.sh/helm/v3/pkg/storage/driver"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"
)

// MaxHistory is how many revisions of a release are kept (the helm CLI's default).
const MaxHistory = 10

// Release is one chart installed in one namespace.
type Release struct {
	Name, Namespace string
	// Wait waits for the release's Deployments, StatefulSets and Services to be ready, up to Timeout.
	Wait    bool
	Timeout time.Duration
	// TakeOwnership adopts objects that exist without Helm's labels (ArgoCD installed by hand once).
	TakeOwnership bool
}

// Result is what an install or upgrade did.
type Result struct {
	Revision int
	// Installed is true for a first install, false for an upgrade.
	Installed bool
	// Recovered is true when an earlier run was interrupted (its revision left pending) and was marked
	// failed so that this one could go on.
	Recovered bool
	Status    string
	// Workloads are the release's Deployments and StatefulSets, to follow until they are ready.
	Workloads []Workload
	// Chart is the chart's name and version.
	Chart, Version string
}

// Workload is a Deployment or StatefulSet a release made.
type Workload struct{ Kind, Namespace, Name string }

// workloads reads the Deployments and StatefulSets out of a release's rendered manifest.
func workloads(manifest, namespace string) []Workload {
	var out []Workload
	for _, doc := range releaseutil.SplitManifests(manifest) {
		var head struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name, Namespace string
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
			continue
		}
		if head.Kind != "Deployment" && head.Kind != "StatefulSet" {
			continue
		}
		ns := head.Metadata.Namespace
		if ns == "" {
			ns = namespace
		}
		out = append(out, Workload{Kind: head.Kind, Namespace: ns, Name: head.Metadata.Name})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Kind+out[i].Name < out[j].Kind+out[j].Name })
	return out
}

// resultOf fills what a release says about itself.
func resultOf(res Result, rel *release.Release, namespace string) Result {
	res.Revision, res.Status = rel.Version, rel.Info.Status.String()
	res.Workloads = workloads(rel.Manifest, namespace)
	if rel.Chart != nil && rel.Chart.Metadata != nil {
		res.Chart, res.Version = rel.Chart.Metadata.Name, rel.Chart.Metadata.Version
	}
	return res
}

// Client runs Helm actions for one namespace.
type Client struct {
	cfg *action.Configuration
	ns  string
}

// New builds a client for a namespace; logf receives Helm's debug lines (nil drops them).
func New(rc *rest.Config, namespace string, logf func(string, ...any)) (*Client, error) {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	g, err := newRESTGetter(rc, namespace)
	if err != nil {
		return nil, err
	}
	ac := new(action.Configuration)
	if err := ac.Init(g, namespace, "secret", action.DebugLog(logf)); err != nil {
		return nil, err
	}
	if kc, ok := ac.KubeClient.(*kube.Client); ok {
		kc.Namespace = namespace
	}
	ac.Releases.MaxHistory = MaxHistory
	return &Client{cfg: ac, ns: namespace}, nil
}

// newWith wraps an existing configuration (the unit tests' in-memory one).
func newWith(ac *action.Configuration, namespace string) *Client {
	return &Client{cfg: ac, ns: namespace}
}

// last is the release's latest revision (an uninstalled one included), nil when it has none.
func (c *Client) last(name string) (*release.Release, error) {
	h := action.NewHistory(c.cfg)
	h.Max = 1
	rs, err := h.Run(name)
	if errors.Is(err, driver.ErrReleaseNotFound) || (err == nil && len(rs) == 0) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read release %s: %w", name, err)
	}
	return rs[len(rs)-1], nil
}

// Current is the release's latest revision, nil when it was never installed (or was uninstalled).
func (c *Client) Current(name string) (*release.Release, error) {
	last, err := c.last(name)
	if err != nil || last == nil || last.Info.Status == release.StatusUninstalled {
		return nil, err
	}
	return last, nil
}

// InstallOrUpgrade installs the chart as the release, or upgrades it: values are the chart's defaults
// plus vals, never the previous revision's. A revision an interrupted run left pending is marked failed
// first (Helm would refuse "another operation is in progress"). Running it again with the same chart and
// values makes a new revision of the same release, never a second release.
func (c *Client) InstallOrUpgrade(ctx context.Context, r Release, ch *chart.Chart, vals map[string]any) (Result, error) {
	if r.Namespace == "" {
		r.Namespace = c.ns
	}
	last, err := c.last(r.Name)
	if err != nil {
		return Result{}, err
	}
	if uninstalled := last != nil && last.Info.Status == release.StatusUninstalled; last == nil || uninstalled {
		in := action.NewInstall(c.cfg)
		in.ReleaseName, in.Namespace, in.CreateNamespace = r.Name, r.Namespace, true
		in.Wait, in.Timeout, in.TakeOwnership, in.Replace = r.Wait, r.Timeout, r.TakeOwnership, uninstalled
		rel, err := in.RunWithContext(ctx, ch, vals)
		if err != nil {
			return Result{}, fmt.Errorf("install %s: %w", r.Name, err)
		}
		return resultOf(Result{Installed: true}, rel, r.Namespace), nil
	}
	var res Result
	if was := last.Info.Status; was.IsPending() {
		last.SetStatus(release.StatusFailed, "interrupted; superseded by cedille-tui's next run")
		if err := c.cfg.Releases.Update(last); err != nil {
			return Result{}, fmt.Errorf("release %s was left %s by an interrupted run and cannot be recovered: %w", r.Name, was, err)
		}
		res.Recovered = true
	}
	up := action.NewUpgrade(c.cfg)
	up.Namespace, up.Wait, up.Timeout, up.TakeOwnership = r.Namespace, r.Wait, r.Timeout, r.TakeOwnership
	up.ResetValues, up.MaxHistory = true, MaxHistory
	rel, err := up.RunWithContext(ctx, r.Name, ch, vals)
	if err != nil {
		return res, fmt.Errorf("upgrade %s: %w", r.Name, err)
	}
	return resultOf(res, rel, r.Namespace), nil
}
