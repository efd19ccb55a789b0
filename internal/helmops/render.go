package helmops

import (
	"context"
	"fmt"
	"sort"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/releaseutil"
	"sigs.k8s.io/yaml"
)

// Object is one object of a rendered manifest.
type Object struct{ Kind, Namespace, Name string }

// String is "Kind namespace/name", or "Kind name" for a cluster-wide object.
func (o Object) String() string {
	if o.Namespace == "" {
		return o.Kind + " " + o.Name
	}
	return o.Kind + " " + o.Namespace + "/" + o.Name
}

// Objects reads the objects out of a rendered manifest, in the manifest's order; an object without a
// namespace gets namespaced's when namespaced(kind) says its kind is namespaced.
func Objects(manifest, namespace string, namespaced func(kind string) bool) []Object {
	var out []Object
	docs := releaseutil.SplitManifests(manifest)
	keys := make([]string, 0, len(docs))
	for k := range docs {
		keys = append(keys, k)
	}
	sort.Sort(releaseutil.BySplitManifestsOrder(keys))
	for _, k := range keys {
		var head struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name, Namespace string
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal([]byte(docs[k]), &head); err != nil || head.Kind == "" {
			continue
		}
		ns := head.Metadata.Namespace
		if ns == "" && namespaced(head.Kind) {
			ns = namespace
		}
		out = append(out, Object{Kind: head.Kind, Namespace: ns, Name: head.Metadata.Name})
	}
	return out
}

// Render is InstallOrUpgrade's dry run: the manifest the release would have, rendered with the cluster's
// capabilities and lookups (Helm's --dry-run=server), changing nothing.
func (c *Client) Render(ctx context.Context, r Release, ch *chart.Chart, vals map[string]any) (string, error) {
	if r.Namespace == "" {
		r.Namespace = c.ns
	}
	cur, err := c.Current(r.Name)
	if err != nil {
		return "", err
	}
	in := action.NewInstall(c.cfg)
	in.ReleaseName, in.Namespace = r.Name, r.Namespace
	in.DryRun, in.DryRunOption, in.IsUpgrade, in.TakeOwnership = true, "server", cur != nil, r.TakeOwnership
	rel, err := in.RunWithContext(ctx, ch, vals)
	if err != nil {
		return "", fmt.Errorf("render %s: %w", r.Name, err)
	}
	return rel.Manifest, nil
}
