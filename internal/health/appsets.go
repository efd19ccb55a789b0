package health

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// ApplicationSet judges an ArgoCD ApplicationSet's cluster generators (era 2's stacks): a `clusters`
// generator without a selector generates its Applications on every cluster ArgoCD knows, the hub
// included — the incident where an unselected `clusters: {}` deleted the Application managing ArgoCD
// itself (PLATFORM.md §6). Every such generator, at the top or inside a matrix or merge, is Down; a
// set whose generators all select is OK, saying what they select. Its own conditions (ErrorOccurred
// True) are Degraded with their message.
func ApplicationSet(u *unstructured.Unstructured) Finding {
	f := Finding{Object: ObjectName("ApplicationSet", u)}
	gens, _, _ := unstructured.NestedSlice(u.Object, "spec", "generators")
	var open, selects []string
	var walk func(gens []any, where string)
	walk = func(gens []any, where string) {
		for i, g := range gens {
			gm, ok := g.(map[string]any)
			if !ok {
				continue
			}
			at := fmt.Sprintf("%sgenerators[%d]", where, i)
			if c, ok := gm["clusters"]; ok {
				cm, _ := c.(map[string]any)
				sel, _ := cm["selector"].(map[string]any)
				if len(sel) == 0 {
					open = append(open, at)
				} else {
					selects = append(selects, selectorText(sel))
				}
			}
			for _, nested := range []string{"matrix", "merge"} {
				if n, ok := gm[nested].(map[string]any); ok {
					inner, _ := n["generators"].([]any)
					walk(inner, at+"."+nested+".")
				}
			}
		}
	}
	walk(gens, "")
	switch {
	case len(open) > 0:
		f.Status = Down
		f.Reason = "cluster generator without a selector (" + strings.Join(open, ", ") + "): it makes its Applications on every cluster, the hub included"
		f.Hint = "add selector.matchLabels (stack: …) to it; an unselected generator once deleted the Application managing ArgoCD"
		return f
	case len(selects) > 0:
		f.Status, f.Reason = OK, "clusters selected by "+strings.Join(selects, "; ")
	default:
		f.Status, f.Reason = OK, "no cluster generator"
	}
	if c, ok := FindCondition(Conditions(u), "ErrorOccurred"); ok && c.Status == "True" {
		f.Status, f.Reason = Degraded, "ErrorOccurred: "+oneLine(c.Message)
		f.Hint = "read the applicationset-controller's logs in namespace argocd"
	}
	return f
}

func selectorText(sel map[string]any) string {
	var parts []string
	if ml, ok := sel["matchLabels"].(map[string]any); ok {
		for _, k := range slices.Sorted(maps.Keys(ml)) {
			parts = append(parts, fmt.Sprintf("%s=%v", k, ml[k]))
		}
	}
	if me, ok := sel["matchExpressions"].([]any); ok && len(me) > 0 {
		parts = append(parts, fmt.Sprintf("%d expression(s)", len(me)))
	}
	return strings.Join(parts, ",")
}

// spokeAuthSigns are what ArgoCD's conditions say when a cluster's credentials are refused: the API
// server's 401, and Omni's proxy refusing a token it cannot verify (PLATFORM.md §6).
var spokeAuthSigns = []string{"Unauthorized", "token is unverifiable", "asked for the client to provide credentials"}

// SpokeAuthFailure tells whether an Application's conditions say its destination cluster refused
// ArgoCD's credentials, with the condition's message.
func SpokeAuthFailure(app *unstructured.Unstructured) (string, bool) {
	for _, c := range Conditions(app) {
		if !strings.HasSuffix(c.Type, "Error") {
			continue
		}
		for _, s := range spokeAuthSigns {
			if strings.Contains(c.Message, s) {
				return oneLine(c.Message), true
			}
		}
	}
	return "", false
}

// ClusterOfServer is the cluster an Omni Kubernetes proxy URL names (`https://<account>.kubernetes.omni
// …?cluster=<name>`), "" for any other server.
func ClusterOfServer(server string) string {
	u, err := url.Parse(server)
	if err != nil {
		return ""
	}
	return u.Query().Get("cluster")
}
