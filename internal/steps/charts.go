package steps

import (
	"context"
	"fmt"

	"github.com/clubcedille/cedille-tui/internal/helmops"
	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"helm.sh/helm/v3/pkg/chart"
)

// ChartInstaller installs or upgrades the platform's Helm charts.
type ChartInstaller interface {
	InstallOrUpgrade(ctx context.Context, k *platform.Kube, r helmops.Release, name string, src plan.Chart,
		vals map[string]any) (helmops.Result, error)
}

// HelmCharts is the real installer: the Helm SDK against the cluster, charts from their repository (the
// plan's pinned version) or a local archive.
type HelmCharts struct {
	// Log receives Helm's debug lines (the --log-file); nil drops them.
	Log func(format string, args ...any)
}

func (h HelmCharts) InstallOrUpgrade(ctx context.Context, k *platform.Kube, r helmops.Release, name string, src plan.Chart,
	vals map[string]any) (helmops.Result, error) {
	ch, err := loadChart(name, src)
	if err != nil {
		return helmops.Result{}, err
	}
	c, err := helmops.New(k.Config, r.Namespace, h.Log)
	if err != nil {
		return helmops.Result{}, err
	}
	return c.InstallOrUpgrade(ctx, r, ch, vals)
}

func loadChart(name string, src plan.Chart) (*chart.Chart, error) {
	if src.File != "" {
		ch, err := helmops.LoadFile(src.File)
		if err != nil {
			return nil, err
		}
		if ch.Metadata.Name != name {
			return nil, fmt.Errorf("%s is chart %s, not %s", src.File, ch.Metadata.Name, name)
		}
		return ch, nil
	}
	return helmops.LoadFromRepo(src.Repo, name, src.Version)
}

func (e *Env) charts() ChartInstaller {
	if e.Charts != nil {
		return e.Charts
	}
	return HelmCharts{}
}

// chartSource says where a chart comes from: "chart repository R, version V" or "the local chart F".
func chartSource(c plan.Chart) string {
	if c.File != "" {
		return "the local chart " + c.File
	}
	return "chart repository " + c.Repo + ", version " + c.Version
}

// chartLabel is chartSource in short, after the chart's name: "V" or "from F".
func chartLabel(c plan.Chart) string {
	if c.File != "" {
		return "from " + c.File
	}
	return c.Version
}
