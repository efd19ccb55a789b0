package plan

import (
	"fmt"
	"strings"
)

// VClusters are the virtual clusters the install creates (staging and sandbox by default) and registers
// in ArgoCD.
type VClusters struct {
	// Chart is the vcluster chart: a repository and pinned version, or a local archive.
	Chart Chart `yaml:"chart"`
	// Clusters are the vclusters; none means staging and sandbox.
	Clusters []VCluster `yaml:"clusters,omitempty"`
}

// VCluster is one vcluster.
type VCluster struct {
	Name      string `yaml:"name"`
	Namespace string `yaml:"namespace,omitempty"`
	// Server is the URL ArgoCD reaches it at (default its in-cluster service, https://<name>.<namespace>.svc).
	Server string `yaml:"server,omitempty"`
	// RegisterOnly leaves the vcluster's install to its owner (an ArgoCD Application of the app-of-apps):
	// the step does not install it with Helm, only waits for it and registers it in ArgoCD.
	RegisterOnly bool `yaml:"registerOnly,omitempty"`
}

// VClusterChart is the chart's name.
const VClusterChart = "vcluster"

// List is the vclusters with their defaults: staging and sandbox, each in namespace vcluster-<name>.
func (v VClusters) List() []VCluster {
	cs := v.Clusters
	if len(cs) == 0 {
		cs = []VCluster{{Name: "staging"}, {Name: "sandbox"}}
	}
	out := make([]VCluster, len(cs))
	for i, c := range cs {
		if c.Namespace == "" {
			c.Namespace = "vcluster-" + c.Name
		}
		if c.Server == "" {
			c.Server = "https://" + c.Name + "." + c.Namespace + ".svc"
		}
		out[i] = c
	}
	return out
}

// ValidateVClusters checks the vclusters section on its own.
func (p Plan) ValidateVClusters() Problems {
	var ps Problems
	validateChart("vclusters.chart", p.VClusters.Chart, ps.add)
	seen := map[string]bool{}
	for i, c := range p.VClusters.List() {
		path := fmt.Sprintf("vclusters.clusters[%d]", i)
		if !clusterNameRE.MatchString(c.Name) || len(c.Name) > 52 {
			ps.add(path+".name", "%q: lowercase letters, digits and '-', at most 52 (it names a StatefulSet)", c.Name)
		}
		if !clusterNameRE.MatchString(c.Namespace) {
			ps.add(path+".namespace", "%q is not a valid namespace", c.Namespace)
		}
		if !strings.HasPrefix(c.Server, "https://") {
			ps.add(path+".server", "%q: the https:// URL ArgoCD reaches the vcluster at", c.Server)
		}
		key := c.Namespace + "/" + c.Name
		if seen[key] {
			ps.add(path+".name", "%s is listed twice", key)
		}
		seen[key] = true
	}
	return ps
}
