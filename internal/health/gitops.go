package health

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// ResourceApplications is the key of o.Unavailable for ArgoCD Applications.
const ResourceApplications = "applications.argoproj.io"

// ingressNotProven qualifies a Healthy verdict on an Application that manages an Ingress: the platform's
// argocd-cm resource.customizations force every networking.k8s.io Ingress to Healthy (PLATFORM.md §1.1).
const ingressNotProven = "(Ingress health is forced by ArgoCD: not proven)"

// GitOps builds the gitops layer from the ArgoCD Applications.
//
// Mapping (one finding per Application, the worst of its parts):
//   - no status at all (a brand-new App): Unknown "not reconciled yet".
//   - sync: Synced → OK; OutOfSync → Degraded (runbook app-sync); Unknown or absent → Unknown.
//   - health: Healthy → OK; Progressing → Degraded "progressing" (the rules have no history, so a brief
//     rollout and an App stuck for hours look the same: the hint says what keeps Apps Progressing);
//     Suspended → Degraded (nothing is being reconciled); Degraded and Missing → Down (the App's resources
//     are failing or absent); Unknown, absent or unrecognised → Unknown.
//   - operationState.phase: Succeeded or none → OK; Running and Terminating → Degraded (in flight, same
//     reasoning as Progressing); Failed and Error → Degraded with the message: a failed sync leaves the
//     previous revision running, availability is health's verdict, not the sync's.
//   - conditions: every *Error type (ComparisonError, SyncError, InvalidSpecError, UnknownError) → Degraded
//     with its message; SharedResourceWarning → Degraded (two Apps fighting over a resource, the
//     ApplicationSet-collision runbook); other warnings are reported but do not change the status.
//
// Parsing is lenient: spec.source or spec.sources, sync-wave misplaced under metadata and project inside
// spec.destination are ignored as ArgoCD ignores them, and the same name in two namespaces is two objects.
// The same namespace/name listed twice (two files defining one App) is one finding, the worse one.
func GitOps(o Objects) LayerReport {
	fs := make([]Finding, 0, len(o.Applications)+1)
	if err := o.Missing(ResourceApplications); err != nil {
		fs = append(fs, MissingFinding("CRD/"+ResourceApplications, err,
			"install ArgoCD, or grant the console list/watch on applications.argoproj.io"))
	}
	seen := make(map[string]int, len(o.Applications))
	dups := map[string]int{}
	for _, app := range o.Applications {
		if app == nil {
			continue
		}
		f := Application(app)
		if msg, ok := SpokeAuthFailure(app); ok {
			f = spokeRefused(f, app, msg)
		}
		if i, ok := seen[f.Object]; ok {
			dups[f.Object]++
			if f.Status > fs[i].Status {
				fs[i] = f
			}
			continue
		}
		seen[f.Object] = len(fs)
		fs = append(fs, f)
	}
	for obj, n := range dups {
		i := seen[obj]
		fs[i].Reason += fmt.Sprintf(" (listed %d times: the worst is shown)", n+1)
	}
	if err := o.Missing(ResourceApplicationSets); err != nil && o.Serves[ResourceApplicationSets] {
		fs = append(fs, MissingFinding("CRD/"+ResourceApplicationSets, err, "grant the console list/watch on applicationsets.argoproj.io"))
	}
	for _, u := range o.ApplicationSets {
		fs = append(fs, ApplicationSet(u))
	}
	return NewLayer(LayerGitOps, fs)
}

// spokeRefused makes an Application whose destination refused ArgoCD's credentials Down: nothing is
// synced to that cluster until its token is reissued (runbook spoke-token).
func spokeRefused(f Finding, app *unstructured.Unstructured, msg string) Finding {
	cluster := ClusterOfServer(Str(app, "spec", "destination", "server"))
	if cluster == "" {
		cluster = Str(app, "spec", "destination", "name")
	}
	f.Status = Down
	f.Reason = "its cluster " + cluster + " refuses ArgoCD's token: " + msg
	f.Hint = "reissue the Omni service-account token and patch the cluster Secret: cedille-tui recover " + RunbookSpokeToken + " --target Cluster/" + cluster
	return f
}

// Application judges one ArgoCD Application (argoproj.io/v1alpha1) from its status.
func Application(app *unstructured.Unstructured) Finding {
	f := Finding{Object: ObjectName("Application", app)}
	ref := app.GetName()
	if ns := app.GetNamespace(); ns != "" {
		ref = ns + "/" + ref
	}
	status := lenientMap(app, "status")
	sync, health := Str(app, "status", "sync", "status"), Str(app, "status", "health", "status")
	phase := Str(app, "status", "operationState", "phase")
	conds := Conditions(app)
	if len(status) == 0 || (sync == "" && health == "" && phase == "" && len(conds) == 0) {
		f.Status, f.Reason = Unknown, "not reconciled yet (no status)"
		f.Hint = "wait for the application controller; if it stays, check argocd-application-controller and the App's project"
		return f
	}

	type part struct {
		st     Status
		reason string
		hint   string
		demo   string // what works in the demo instead of hint (demo.go)
	}
	var parts []part
	add := func(st Status, reason, hint string) { parts = append(parts, part{st, reason, hint, ""}) }
	// addTool adds a part whose hint names argocd, which cannot reach the demo.
	addTool := func(st Status, reason, hint string) { parts = append(parts, part{st, reason, hint, demoElsewhere}) }

	syncHint := fmt.Sprintf("see what drifts (argocd app diff %s) and sync it; runbook: %s", ref, RunbookAppSync)
	switch sync {
	case "Synced":
		add(OK, "Synced", "")
	case "OutOfSync":
		parts = append(parts, part{Degraded, "OutOfSync", syncHint, demoResync})
	case "", "Unknown":
		add(Unknown, "sync Unknown", "ArgoCD could not compare the App with git: check the repo-server and the source"+appSourceNote(app))
	default:
		add(Unknown, "sync "+sync, "")
	}

	healthMsg := oneLine(Str(app, "status", "health", "message"))
	withMsg := func(s string) string {
		if healthMsg != "" {
			return s + ": " + healthMsg
		}
		return s
	}
	renderHint := "ArgoCD cannot render or compare the source" + appSourceNote(app) + ": check repository access and the manifests"
	unhealthy := fmt.Sprintf("find the failing resources (argocd app get %s) and fix them", ref)
	switch health {
	case "Healthy":
		h := "Healthy"
		if managesIngress(app) {
			h += " " + ingressNotProven
		}
		add(OK, h, "")
	case "Progressing":
		addTool(Degraded, withMsg("progressing"), fmt.Sprintf("if it stays Progressing, find the resource that never becomes healthy (argocd app get %s), e.g. an HTTPRoute with no status.parents", ref))
	case "Suspended":
		add(Degraded, withMsg("Suspended"), "a resource is paused or suspended: resume it if that was not intended")
	case "Degraded":
		addTool(Down, withMsg("Degraded"), unhealthy)
	case "Missing":
		if cannotRender(conds) {
			add(Down, withMsg("Missing: its resources do not exist"), renderHint)
		} else {
			addTool(Down, withMsg("Missing: its resources do not exist"), fmt.Sprintf("sync it (argocd app sync %s); runbook: %s", ref, RunbookAppSync))
		}
	case "", "Unknown":
		add(Unknown, withMsg("health Unknown"), "")
	default:
		add(Unknown, withMsg("health "+health), "")
	}

	opMsg := oneLine(Str(app, "status", "operationState", "message"))
	withOp := func(s string) string {
		if opMsg != "" {
			return s + ": " + opMsg
		}
		return s
	}
	switch phase {
	case "", "Succeeded":
	case "Running":
		add(Degraded, withOp("sync running"), "wait for the sync to finish; if it hangs, a hook or sync wave is waiting on an unhealthy resource")
	case "Terminating":
		add(Degraded, withOp("sync being terminated"), "wait for the sync to stop, then sync again")
	case "Failed", "Error":
		addTool(Degraded, withOp("last sync "+phase), fmt.Sprintf("read the sync result (argocd app get %s) and fix the manifests; runbook: %s", ref, RunbookAppSync))
	default:
		add(Unknown, withOp("sync operation "+phase), "")
	}

	for _, c := range conds {
		msg := c.Type
		if m := oneLine(c.Message); m != "" {
			msg += ": " + m
		}
		switch {
		case strings.HasSuffix(c.Type, "Error"):
			if cannotRender([]Condition{c}) {
				add(Degraded, msg, renderHint)
			} else {
				addTool(Degraded, msg, fmt.Sprintf("read the condition (argocd app get %s); runbook: %s", ref, RunbookAppSync))
			}
		case c.Type == "SharedResourceWarning":
			add(Degraded, msg, "two Applications manage the same resource (ApplicationSet name collision?): give each App its own resources")
		default:
			add(OK, msg, "")
		}
	}

	// Worst part first decides status and hint; the reason keeps every part, in order.
	worst := 0
	reasons := make([]string, 0, len(parts))
	for i, p := range parts {
		if p.st > parts[worst].st {
			worst = i
		}
		reasons = append(reasons, p.reason)
	}
	f.Status, f.Reason, f.Hint, f.demo = parts[worst].st, strings.Join(reasons, ", "), parts[worst].hint, parts[worst].demo
	if f.Status == OK {
		f.Hint = ""
	}
	return f
}

// cannotRender says whether a condition shows ArgoCD could not render or compare the App's source.
func cannotRender(conds []Condition) bool {
	for _, c := range conds {
		if c.Type == "ComparisonError" || c.Type == "InvalidSpecError" {
			return true
		}
	}
	return false
}

// managesIngress says whether the App's status.resources lists a networking.k8s.io (or legacy
// extensions) Ingress.
func managesIngress(app *unstructured.Unstructured) bool {
	res := lenientSlice(app, "status", "resources")
	for _, r := range res {
		m, ok := r.(map[string]any)
		if !ok || text(m["kind"]) != "Ingress" {
			continue
		}
		switch text(m["group"]) {
		case "networking.k8s.io", "extensions", "":
			return true
		}
	}
	return false
}

// appSources summarises spec.source or spec.sources (whichever the App uses) as "repo path|chart@rev",
// skipping the `ref:`-only value sources; "" when there is none.
func appSources(app *unstructured.Unstructured) string {
	var raw []any
	if s := lenientMap(app, "spec", "source"); s != nil {
		raw = append(raw, s)
	}
	raw = append(raw, lenientSlice(app, "spec", "sources")...)
	var out []string
	for _, r := range raw {
		m, ok := r.(map[string]any)
		if !ok {
			continue
		}
		repo, path, chart, rev := text(m["repoURL"]), text(m["path"]), text(m["chart"]), text(m["targetRevision"])
		if path == "" && chart == "" && text(m["ref"]) != "" {
			continue // a values-only source
		}
		s := repo
		switch {
		case chart != "":
			s += " " + chart
			if rev != "" {
				s += "@" + rev
			}
		case path != "":
			s += " " + path
			if rev != "" {
				s += "@" + rev
			}
		}
		out = append(out, strings.TrimSpace(s))
	}
	return strings.Join(out, ", ")
}

// appSourceNote is " (<sources>)" for a hint, "" when the App names no source.
func appSourceNote(app *unstructured.Unstructured) string {
	if s := appSources(app); s != "" {
		return " (" + s + ")"
	}
	return ""
}

// lenientSlice reads the list at path without copying it (unstructured.NestedSlice deep-copies and
// panics on values that are not JSON types); nil when absent or not a list.
func lenientSlice(u *unstructured.Unstructured, path ...string) []any {
	v, ok, _ := unstructured.NestedFieldNoCopy(u.Object, path...)
	if !ok {
		return nil
	}
	s, _ := v.([]any)
	return s
}

// lenientMap reads the object at path without copying it; nil when absent or not an object.
func lenientMap(u *unstructured.Unstructured, path ...string) map[string]any {
	v, ok, _ := unstructured.NestedFieldNoCopy(u.Object, path...)
	if !ok {
		return nil
	}
	m, _ := v.(map[string]any)
	return m
}
