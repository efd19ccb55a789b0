package runbooks

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/clubcedille/cedille-tui/internal/actions"
	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/runbook"
	corev1 "k8s.io/api/core/v1"
)

// NodeReturnedName is the name of the runbook that puts a lost node back in service.
const NodeReturnedName = "node-returned"

// NodeReturned is `node-returned`, the second half of node-lost: a node Ready again after its machine was
// powered back on. The out-of-service taint is removed, the node uncordoned, and the run waits until it
// is schedulable.
func NodeReturned() runbook.Runbook {
	return runbook.Runbook{Name: NodeReturnedName, Title: "A lost node is back: put it in service again",
		Summary: "once its kubelet posts Ready again: remove the out-of-service taint, uncordon it, wait until it is schedulable",
		Kinds:   []string{"Node"},
		Steps: []runbook.Step{
			{ID: "back", Kind: runbook.Precheck, Title: "Read the node: Ready again, and still out of service or cordoned?", Check: nodeBack},
			{ID: "untaint", Kind: runbook.Action, Title: "Remove the out-of-service taint", Do: "untaint-out-of-service",
				Objects: nodeIf(outOfService)},
			{ID: "uncordon", Kind: runbook.Action, Title: "Uncordon it: pods may be scheduled there again", Do: "uncordon",
				Objects: nodeIf(func(n *corev1.Node) bool { return n.Spec.Unschedulable })},
			{ID: "schedulable", Kind: runbook.Postcheck, Title: "Wait until it is Ready and schedulable", Wait: nodeSchedulable,
				Every: 2 * time.Second, Timeout: 5 * time.Minute},
		}}
}

// judgeBack is the node-returned precheck's verdict: it applies to a node Ready again that is still
// tainted out of service or cordoned.
func judgeBack(s nodeState, name string, now time.Time) runbook.Verdict {
	n := s.node
	if n == nil {
		return runbook.Verdict{Why: fmt.Sprintf("there is no node %s (read from %s): it has not registered again", name, s.from)}
	}
	v := runbook.Verdict{Details: []string{"read from " + s.from}}
	if s.machine != nil {
		v.Details = append(v.Details, fmt.Sprintf("Omni: %s is %s: %s", s.machine.Object, s.machine.Status, s.machine.Reason))
	}
	ready := readyOf(n)
	if ready == nil || ready.Status != corev1.ConditionTrue {
		v.Why = name + " is not Ready: it has not come back"
		if ready != nil {
			v.Why += fmt.Sprintf(" (Ready %s since %s: %s)", ready.Status, at(ready.LastTransitionTime.Time, now), ready.Reason)
		}
		v.Why += "; runbook " + health.RunbookNodeLost + " while it is away"
		return v
	}
	var left []string
	if outOfService(n) {
		left = append(left, "tainted out of service")
	}
	if n.Spec.Unschedulable {
		left = append(left, "cordoned")
	}
	if len(left) == 0 {
		v.Why = name + " is Ready, schedulable and not out of service: nothing to undo"
		return v
	}
	v.Applies = true
	v.Why = fmt.Sprintf("%s is Ready again (its kubelet posted at %s) and still %s", name, at(ready.LastHeartbeatTime.Time, now), strings.Join(left, " and "))
	return v
}

func nodeBack(ctx context.Context, w runbook.World, t runbook.Target) (runbook.Verdict, error) {
	s, err := readNode(ctx, w, t)
	if err != nil {
		return runbook.Verdict{}, err
	}
	return judgeBack(s, t.Name, now(w)), nil
}

// nodeIf is an action step's objects: the run's node when cond holds for it, else none (the engine then
// marks the step done: nothing to do).
func nodeIf(cond func(*corev1.Node) bool) func(context.Context, runbook.World, runbook.Target) ([]actions.Target, error) {
	return func(ctx context.Context, w runbook.World, t runbook.Target) ([]actions.Target, error) {
		s, err := readNode(ctx, w, t)
		if err != nil {
			return nil, err
		}
		if s.node == nil {
			return nil, fmt.Errorf("there is no node %s", t.Name)
		}
		if !cond(s.node) {
			return nil, nil
		}
		return []actions.Target{{Kind: actions.KindNode, Name: t.Name}}, nil
	}
}

// nodeSchedulable is node-returned's postcheck: Ready, not cordoned, not out of service.
func nodeSchedulable(ctx context.Context, w runbook.World, t runbook.Target) (runbook.Progress, error) {
	s, err := readNode(ctx, w, t)
	if err != nil {
		return runbook.Progress{}, err
	}
	if s.node == nil {
		return runbook.Progress{Line: "no node " + t.Name}, nil
	}
	var not []string
	if r := readyOf(s.node); r == nil || r.Status != corev1.ConditionTrue {
		not = append(not, "not Ready")
	}
	if s.node.Spec.Unschedulable {
		not = append(not, "cordoned")
	}
	if outOfService(s.node) {
		not = append(not, "tainted out of service")
	}
	if len(not) > 0 {
		return runbook.Progress{Line: t.Name + " is " + strings.Join(not, ", ")}, nil
	}
	return runbook.Progress{Done: true, Line: t.Name + " is Ready and schedulable"}, nil
}
