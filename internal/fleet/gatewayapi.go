package fleet

import (
	"fmt"
	"sort"
	"strings"

	"github.com/clubcedille/cedille-tui/internal/health"
)

// gatewayAPIStacks finds the stacks whose clusters run Cilium minors that support different Gateway API
// releases. A stack's ApplicationSets deploy the same Gateway API CRDs to every cluster they select (the
// gateway-api-crds App has one targetRevision), so no one bundle suits them all: installing the release
// one cluster's Cilium supports breaks another's Gateway. Each cluster's ingress layer says whether its
// own bundle fits (health.GatewayAPISupport); this says why fixing one may break the others. Clusters
// without a stack label, without Cilium's Gateway controller, or not read are left out.
func gatewayAPIStacks(rows map[string]*Row, watched map[string]Watched) []health.Finding {
	// stack → Gateway API release → "cluster (Cilium 1.17)"
	byStack := map[string]map[string][]string{}
	for name, w := range watched {
		r, ok := rows[name]
		if w.Snapshot == nil || !ok || r.Stack == "" || !w.Snapshot.Serves[health.ResourceGatewayClasses] {
			continue
		}
		cilium, release, ok := health.CiliumGateway(w.Snapshot.Objects)
		if !ok {
			continue
		}
		if byStack[r.Stack] == nil {
			byStack[r.Stack] = map[string][]string{}
		}
		byStack[r.Stack][release] = append(byStack[r.Stack][release], name+" (Cilium "+cilium+")")
	}
	var out []health.Finding
	for stack, releases := range byStack {
		if len(releases) < 2 {
			continue
		}
		var parts []string
		for release, clusters := range releases {
			sort.Strings(clusters)
			parts = append(parts, fmt.Sprintf("%s on %s", release, strings.Join(clusters, ", ")))
		}
		sort.Strings(parts)
		out = append(out, health.Finding{Object: "Stack/" + stack, Status: health.Degraded,
			Reason: "its clusters' Cilium support different Gateway API releases (" + strings.Join(parts, "; ") +
				"): the one CRD bundle the stack installs cannot suit them all",
			Hint: "bring the stack's clusters to one Cilium minor (the cilium App's targetRevision), then set the " +
				"gateway-api-crds App to the release that Cilium supports"})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Object < out[j].Object })
	return out
}
