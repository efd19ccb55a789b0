package health

import (
	"fmt"
	"strconv"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Runbooks the hints name (guided recovery, `cedille-tui recover RUNBOOK`).
const (
	RunbookNodeLost       = "node-lost"
	RunbookVaultSealed    = "vault-sealed"
	RunbookPoolDegraded   = "pool-degraded"
	RunbookAppSync        = "app-sync"
	RunbookVClusterRegist = "vcluster-registration"
	RunbookCertExpiring   = "cert-renewal"

	// RunbookColdStart: after a power loss, pods stuck on their volumes (FailedMount, Multi-Attach)
	// and crash loops that wait on storage.
	RunbookColdStart = "cold-start"
	// RunbookStuckTerminating: an object Terminating far past its grace period.
	RunbookStuckTerminating = "stuck-terminating"
	// RunbookSpokeToken reissues the Omni service-account token ArgoCD reaches a spoke with.
	RunbookSpokeToken = "spoke-token"
	// RunbookCSIPluginsStale: the Ceph CSI node plugin pods started before the CephCluster connected
	// keep a stale Ceph config and fail every mount until restarted.
	RunbookCSIPluginsStale = "csi-plugins-stale"
	// RunbookMultiAttach: a pod waits on a Multi-Attach error, its volume held by a stale
	// VolumeAttachment on a node off or gone (a Vault pod after a node was lost).
	RunbookMultiAttach = "multi-attach"
	// RunbookMountFailed: pods whose volumes failed to mount (FailedMount, FailedAttachVolume) restarted
	// once their storage is back, outside a cold start.
	RunbookMountFailed = "mount-failed"
)

// Condition is a Kubernetes-style status condition read leniently from an unstructured object.
type Condition struct {
	Type, Status, Reason, Message string
	LastTransition                time.Time
}

// Conditions reads status.conditions (or the list at path) of an unstructured object; malformed entries
// are skipped, never fatal.
func Conditions(u *unstructured.Unstructured, path ...string) []Condition {
	if len(path) == 0 {
		path = []string{"status", "conditions"}
	}
	v, _, _ := unstructured.NestedFieldNoCopy(u.Object, path...)
	raw, _ := v.([]any)
	out := make([]Condition, 0, len(raw))
	for _, r := range raw {
		m, ok := r.(map[string]any)
		if !ok {
			continue
		}
		c := Condition{Type: text(m["type"]), Status: text(m["status"]), Reason: text(m["reason"]), Message: text(m["message"])}
		if t, err := time.Parse(time.RFC3339, text(m["lastTransitionTime"])); err == nil {
			c.LastTransition = t
		}
		out = append(out, c)
	}
	return out
}

// FindCondition returns the condition of the given type.
func FindCondition(cs []Condition, typ string) (Condition, bool) {
	for _, c := range cs {
		if c.Type == typ {
			return c, true
		}
	}
	return Condition{}, false
}

// Str reads a string at path, "" when absent or not a string (numbers and booleans are formatted).
func Str(u *unstructured.Unstructured, path ...string) string {
	v, ok, _ := unstructured.NestedFieldNoCopy(u.Object, path...)
	if !ok {
		return ""
	}
	return text(v)
}

// Num reads a number at path (int, float or numeric string); ok is false when absent or not numeric.
func Num(u *unstructured.Unstructured, path ...string) (float64, bool) {
	v, ok, _ := unstructured.NestedFieldNoCopy(u.Object, path...)
	if !ok {
		return 0, false
	}
	switch n := v.(type) {
	case int64:
		return float64(n), true
	case int:
		return float64(n), true
	case float64:
		return n, true
	case string:
		f, err := strconv.ParseFloat(n, 64)
		return f, err == nil
	}
	return 0, false
}

// ObjectName is the finding's object: "Kind/name" for cluster-scoped objects, "Kind/namespace/name" else.
func ObjectName(kind string, m metav1.Object) string {
	if ns := m.GetNamespace(); ns != "" {
		return kind + "/" + ns + "/" + m.GetName()
	}
	return kind + "/" + m.GetName()
}

func text(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	default:
		return fmt.Sprint(t)
	}
}

// unreadableKind names a custom resource a layer reads and what to call it in a hint.
type unreadableKind struct{ Resource, What string }

// servedButUnreadable is the Unknown finding of each kind the cluster serves but the console could not
// read (forbidden, failing): a kind the cluster does not serve is left out, it is not a problem.
func servedButUnreadable(o Objects, kinds ...unreadableKind) []Finding {
	var fs []Finding
	for _, k := range kinds {
		if err := o.Missing(k.Resource); err != nil && o.Serves[k.Resource] {
			fs = append(fs, MissingFinding("CRD/"+k.Resource, err, k.What+" cannot be read: grant list and watch on "+k.Resource))
		}
	}
	return fs
}
