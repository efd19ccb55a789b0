package health

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/clubcedille/cedille-tui/internal/units"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// The era-2 storage rules (Rook, ceph.rook.io/v1): the CephCluster of Rook's external mode, and the Ceph
// CSI node plugins that connection leaves stale (PLATFORM.md §1.2, §6).

const (
	// cephNearFullPct and cephFullPct are Ceph's own defaults (mon_osd_nearfull_ratio 0.85,
	// mon_osd_full_ratio 0.95): nearfull warns, full stops every write.
	cephNearFullPct = 85
	cephFullPct     = 95
	// cephStaleAfter is how old the operator's last look at Ceph's health may be: Rook checks it every
	// minute or so (spec.healthCheck), so ten minutes means it no longer does.
	cephStaleAfter = 10 * time.Minute
	// cephMaxDetails is how many of Ceph's health checks a reason names; the rest are counted.
	cephMaxDetails = 3
	// cephConnected is the phase (and condition type) of an external CephCluster Rook has connected.
	cephConnected = "Connected"
)

// CephCluster judges a ceph.rook.io/v1 CephCluster from its status. An external cluster
// (spec.external.enable) is healthy only when its phase is Connected (what the club's runbook waits
// for), an internal one when Ready; any other phase (Connecting, Progressing) is Degraded with Rook's
// message (and how long, from the condition of that phase), none yet Unknown, Failure (or state Error)
// Down, Deleting Degraded. Once connected, Ceph's own health decides: HEALTH_OK → OK, HEALTH_WARN →
// Degraded and HEALTH_ERR → Down, each with how long (lastChanged) and the checks of
// status.ceph.details (worst first); a health last checked more than ten minutes ago is
// stale news, said so and at least Degraded (the operator no longer looks). The capacity reads "62% of
// 12.0 TiB used": from 85% Degraded (Ceph's nearfull), from 95% Down (full: writes stop). Problems
// add up in one reason and one hint.
func CephCluster(u *unstructured.Unstructured, now time.Time) Finding {
	f := Finding{Object: ObjectName("CephCluster", u)}
	external, _, _ := unstructured.NestedBool(u.Object, "spec", "external", "enable")
	phase, state := Str(u, "status", "phase"), Str(u, "status", "state")
	msg := oneLine(Str(u, "status", "message"))
	want := "Ready"
	if external {
		want = cephConnected
	}
	operator := cephOperatorHint(u)
	withMsg := func(s string) string {
		if msg != "" {
			return s + ": " + msg
		}
		return s
	}
	switch {
	case phase == "Failure" || state == "Error":
		f.Status, f.Reason = Down, withMsg(orNone(phase))
		f.Hint = cephConnectHint(u, external) + "; " + operator
		return f
	case u.GetDeletionTimestamp() != nil || phase == "Deleting":
		f.Status, f.Reason = Degraded, withMsg("being deleted")
		f.Hint = "its StorageClasses' claims can no longer be provisioned or mounted: if unintended, stop it; if stuck, runbook " + RunbookStuckTerminating
		return f
	case phase == "":
		f.Status, f.Reason = Unknown, "no status yet: the Rook operator has not reconciled it"
		f.Hint = operator
		return f
	case phase != want:
		since := ""
		if c, ok := FindCondition(Conditions(u), phase); ok && c.Status == "True" && !c.LastTransition.IsZero() && now.After(c.LastTransition) {
			since = " for " + units.Duration(now.Sub(c.LastTransition))
		}
		f.Status, f.Reason = Degraded, withMsg(phase+since+", not "+want)
		f.Hint = cephConnectHint(u, external) + "; " + operator
		return f
	}

	status := OK
	parts := []string{phase}
	var hints []string
	switch health := Str(u, "status", "ceph", "health"); health {
	case "HEALTH_OK":
		parts[0] += ", HEALTH_OK"
	case "HEALTH_WARN", "HEALTH_ERR":
		status = Degraded
		if health == "HEALTH_ERR" {
			status = Down
		}
		h := ", " + health
		if changed, ok := parseTime(Str(u, "status", "ceph", "lastChanged")); ok && now.After(changed) {
			h += " for " + units.Duration(now.Sub(changed))
		}
		if d := cephDetails(u); d != "" {
			h += " (" + d + ")"
		}
		parts[0] += h
		hints = append(hints, "on the Ceph side: ceph health detail")
	case "":
		status = Unknown
		parts[0] += ", Ceph's health not reported yet"
		hints = append(hints, operator)
	default:
		status = Unknown
		parts[0] += ", health " + health
		hints = append(hints, "on the Ceph side: ceph health detail")
	}
	if checked, ok := parseTime(Str(u, "status", "ceph", "lastChecked")); ok && now.Sub(checked) > cephStaleAfter {
		status = Worst(status, Degraded)
		parts[0] += " as of " + units.Duration(now.Sub(checked)) + " ago (stale: Rook no longer checks it)"
		hints = append(hints, operator)
	}
	if total, ok := Num(u, "status", "ceph", "capacity", "bytesTotal"); ok && total > 0 {
		used, _ := Num(u, "status", "ceph", "capacity", "bytesUsed")
		pct := 100 * used / total
		usage := fmt.Sprintf("%d%% of %s used", int(math.Floor(pct)), units.Binary(uint64(total)))
		switch {
		case pct >= cephFullPct:
			status = Worst(status, Down)
			usage += " (full: Ceph stops writes)"
			hints = append(hints, "free space or add OSDs now (ceph df on the Ceph side)")
		case pct >= cephNearFullPct:
			status = Worst(status, Degraded)
			usage += " (nearfull)"
			hints = append(hints, "free space or add OSDs before it is full (ceph df on the Ceph side)")
		}
		parts = append(parts, usage)
	}
	f.Status, f.Reason = status, strings.Join(parts, ", ")
	f.Hint = strings.Join(dedupe(hints), "; ")
	return f
}

// cephDetails is Ceph's health checks, HEALTH_ERR first, then by name: "MON_DOWN: 1/3 mons down,
// quorum a,b; OSD_NEARFULL: 1 nearfull osd(s)", at most cephMaxDetails of them and a count of the rest.
func cephDetails(u *unstructured.Unstructured) string {
	details, _, _ := unstructured.NestedMap(u.Object, "status", "ceph", "details")
	type check struct{ name, severity, message string }
	checks := make([]check, 0, len(details))
	for name, v := range details {
		m, _ := v.(map[string]any)
		checks = append(checks, check{name, text(m["severity"]), oneLine(text(m["message"]))})
	}
	sort.Slice(checks, func(i, j int) bool {
		if ei, ej := checks[i].severity == "HEALTH_ERR", checks[j].severity == "HEALTH_ERR"; ei != ej {
			return ei
		}
		return checks[i].name < checks[j].name
	})
	out := make([]string, 0, cephMaxDetails+1)
	for i, c := range checks {
		if i == cephMaxDetails {
			out = append(out, fmt.Sprintf("%d more", len(checks)-cephMaxDetails))
			break
		}
		if c.message == "" {
			out = append(out, c.name)
		} else {
			out = append(out, c.name+": "+c.message)
		}
	}
	return strings.Join(out, "; ")
}

// cephOperatorHint names the Rook operator's logs, in the CephCluster's namespace (rook-ceph-external
// on the club's clusters, where the rook-ceph chart installs the operator beside it).
func cephOperatorHint(u *unstructured.Unstructured) string {
	return "read the Rook operator's logs: kubectl -n " + u.GetNamespace() + " logs deploy/rook-ceph-operator"
}

// cephConnectHint says what a CephCluster that is not connected, or failed, depends on.
func cephConnectHint(u *unstructured.Unstructured, external bool) string {
	if external {
		return "check that the external Ceph cluster's mons are reachable from the nodes (ConfigMap rook-ceph-mon-endpoints in " +
			u.GetNamespace() + ") and its health (ceph health detail on the Ceph side)"
	}
	return "on the Ceph side: ceph health detail"
}

// cephConnectedAt is when an external CephCluster connected: its Connected condition's last
// transition, while the phase is Connected and the condition True; ok is false otherwise.
func cephConnectedAt(u *unstructured.Unstructured) (time.Time, bool) {
	if Str(u, "status", "phase") != cephConnected {
		return time.Time{}, false
	}
	c, ok := FindCondition(Conditions(u), cephConnected)
	if !ok || c.Status != "True" || c.LastTransition.IsZero() {
		return time.Time{}, false
	}
	return c.LastTransition, true
}

// IsCephCSINodePlugin tells whether a DaemonSet is a Ceph CSI node plugin: Rook's own (csi-rbdplugin,
// csi-cephfsplugin, csi-nfsplugin) or the ceph-csi-operator's ("rook-ceph.rbd.csi.ceph.com-nodeplugin").
func IsCephCSINodePlugin(name string) bool {
	switch name {
	case "csi-rbdplugin", "csi-cephfsplugin", "csi-nfsplugin":
		return true
	}
	base, ok := strings.CutSuffix(name, "-nodeplugin")
	return ok && (strings.HasSuffix(base, ".rbd.csi.ceph.com") || strings.HasSuffix(base, ".cephfs.csi.ceph.com") ||
		strings.HasSuffix(base, ".nfs.csi.ceph.com"))
}

// StaleCSIPlugins finds the Ceph CSI node plugin pods started before their CephCluster connected
// (PLATFORM.md §6): they read the mons from a config written before the connection and fail every
// mount until they are restarted. One Degraded finding per DaemonSet with such pods (pods being
// deleted are left out), none when no CephCluster is Connected. A DaemonSet is compared with the
// Connected CephCluster of its own namespace, else with the latest connection of any.
func StaleCSIPlugins(o Objects) []Finding {
	type connection struct {
		cluster string
		at      time.Time
	}
	byNamespace := map[string]connection{}
	var latest connection
	for _, u := range o.CephClusters {
		if u == nil {
			continue
		}
		at, ok := cephConnectedAt(u)
		if !ok {
			continue
		}
		c := connection{u.GetName(), at}
		if cur, seen := byNamespace[u.GetNamespace()]; !seen || at.After(cur.at) {
			byNamespace[u.GetNamespace()] = c
		}
		if at.After(latest.at) {
			latest = c
		}
	}
	if latest.at.IsZero() {
		return nil
	}
	connectionOf := func(ds *appsv1.DaemonSet) connection {
		if c, ok := byNamespace[ds.Namespace]; ok {
			return c
		}
		return latest
	}
	plugins := map[string]*appsv1.DaemonSet{}
	for _, ds := range o.DaemonSets {
		if ds != nil && IsCephCSINodePlugin(ds.Name) {
			plugins[ds.Namespace+"/"+ds.Name] = ds
		}
	}
	if len(plugins) == 0 {
		return nil
	}
	type count struct{ stale, all int }
	counts := map[string]*count{}
	for _, p := range o.Pods {
		if p == nil || p.OwnerKind != "DaemonSet" || !p.Deleting.IsZero() {
			continue
		}
		key := p.Namespace + "/" + p.OwnerName
		ds := plugins[key]
		if ds == nil {
			continue
		}
		c := counts[key]
		if c == nil {
			c = &count{}
			counts[key] = c
		}
		c.all++
		if p.Created.Before(connectionOf(ds).at) {
			c.stale++
		}
	}
	keys := make([]string, 0, len(counts))
	for k, c := range counts {
		if c.stale > 0 {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	fs := make([]Finding, 0, len(keys))
	for _, k := range keys {
		ds, c := plugins[k], counts[k]
		conn := connectionOf(ds)
		fs = append(fs, Finding{Object: ObjectName("DaemonSet", ds), Status: Degraded,
			Reason: fmt.Sprintf("%d of %s started before CephCluster %s connected %s ago: their Ceph config is stale, mounts fail",
				c.stale, units.Count(c.all, "pod"), conn.cluster, units.Duration(o.Now.Sub(conn.at))),
			Hint: "restart them: runbook " + RunbookCSIPluginsStale + " (or kubectl -n " + ds.Namespace + " rollout restart daemonset/" + ds.Name + ")"})
	}
	return fs
}

// dedupe drops repeated strings, keeping the first of each in order.
func dedupe(ss []string) []string {
	out := ss[:0:0]
	seen := make(map[string]bool, len(ss))
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
