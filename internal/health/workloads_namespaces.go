package health

import (
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// ResourceNamespaces is the o.Unavailable key of Namespaces.
const ResourceNamespaces = "namespaces"

// namespaceStuckAfter is how long a namespace may be Terminating before it is said stuck: the namespace
// controller empties a healthy one in seconds to a minute or two.
const namespaceStuckAfter = 5 * time.Minute

// stuckNamespaces judges the namespaces being deleted: one Terminating past namespaceStuckAfter is
// Degraded (Down when its deletion failed: content or discovery), with what its deletion conditions say
// is left and what holds it, and the runbook that releases it. Namespaces that are not being deleted make
// no finding (they are many, and all alike).
func stuckNamespaces(o Objects) []Finding {
	var fs []Finding
	for _, ns := range o.Namespaces {
		if ns == nil || ns.DeletionTimestamp == nil {
			continue
		}
		since := o.Now.Sub(ns.DeletionTimestamp.Time)
		if since < namespaceStuckAfter {
			continue
		}
		f := Finding{Object: "Namespace/" + ns.Name, Status: Degraded,
			Reason: fmt.Sprintf("Terminating for %s", since.Round(time.Minute))}
		var said []string
		for _, c := range ns.Status.Conditions {
			if c.Status != corev1.ConditionTrue {
				continue
			}
			switch c.Type {
			case corev1.NamespaceDeletionContentFailure, corev1.NamespaceDeletionDiscoveryFailure, corev1.NamespaceDeletionGVParsingFailure:
				f.Status = Down
			case corev1.NamespaceContentRemaining, corev1.NamespaceFinalizersRemaining:
			default:
				continue
			}
			if c.Message != "" {
				said = append(said, c.Message)
			}
		}
		if len(said) > 0 {
			f.Reason += ": " + strings.Join(said, "; ")
		}
		f.Hint = "read what is left and what holds it; a finalizer is removed only once nothing uses its object; runbook: " + RunbookStuckTerminating
		fs = append(fs, f)
	}
	return fs
}
