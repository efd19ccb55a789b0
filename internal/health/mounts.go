package health

import (
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Thresholds of ColdStartLike: what tells a cold start (a power loss, many machines back at once) from
// one pod's mount failing on a cluster otherwise up.
const (
	// ColdStartWindow is how recently nodes came back, or pods got a Warning about their volumes, for
	// them to count toward one cold start.
	ColdStartWindow = 30 * time.Minute
	// ColdStartNodes is how many nodes not Ready, or how many back Ready within ColdStartWindow, make a
	// cold start.
	ColdStartNodes = 2
	// ColdStartPods is how many pods with a Warning about their volumes within ColdStartWindow make a
	// cold start.
	ColdStartPods = 3
)

// ColdStartLike tells whether the cluster looks like it is coming back from a power loss, as the
// 2025-08-13 incident did: at least ColdStartNodes nodes not Ready, or at least ColdStartNodes nodes
// whose Ready turned True within ColdStartWindow of o.Now, or at least ColdStartPods pods whose newest
// Warning about their volumes (o.MountProblems) is within ColdStartWindow. A pod stuck on a mount then
// names cold-start (the whole platform); otherwise the narrow runbooks: multi-attach for a Multi-Attach
// error, mount-failed for another mount failure.
func ColdStartLike(o Objects) bool {
	if o.Missing(ResourceNodes) == nil {
		down, back := 0, 0
		for _, n := range o.Nodes {
			if n == nil {
				continue
			}
			r := condition(n, corev1.NodeReady)
			switch {
			case r == nil || r.Status != corev1.ConditionTrue:
				down++
			case within(o.Now, r.LastTransitionTime.Time, ColdStartWindow):
				back++
			}
		}
		if down >= ColdStartNodes || back >= ColdStartNodes {
			return true
		}
	}
	recent := 0
	for _, mp := range o.MountProblems {
		if within(o.Now, mp.LastSeen, ColdStartWindow) {
			recent++
		}
	}
	return recent >= ColdStartPods
}

// within tells whether at is known and no more than d before now (a time after now counts: clocks skew).
func within(now, at time.Time, d time.Duration) bool {
	return !at.IsZero() && now.Sub(at) <= d
}

// mountRunbook is the runbook that repairs a pod whose volumes fail as mp says: cold-start during a cold
// start (ColdStartLike), else multi-attach for a Multi-Attach error, mount-failed for another.
func mountRunbook(mp MountProblem, coldStart bool) string {
	switch {
	case coldStart:
		return RunbookColdStart
	case mp.MultiAttach():
		return RunbookMultiAttach
	}
	return RunbookMountFailed
}
