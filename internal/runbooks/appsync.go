package runbooks

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/clubcedille/cedille-tui/internal/actions"
	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/runbook"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// AppSync is `app-sync`: an Argo CD Application OutOfSync, Degraded or whose last sync failed. It reads
// what drifts (and what a sync would leave to prune), warns when self-heal would undo a fix made by hand,
// syncs it through the dispatcher (a dry run first, the name typed), and waits for Synced and Healthy.
func AppSync() runbook.Runbook {
	return runbook.Runbook{Name: health.RunbookAppSync, Title: "An Argo CD Application out of sync or degraded",
		Summary: "read what drifts, sync it from git, wait for Synced and Healthy",
		Kinds:   []string{"Application"},
		Steps: []runbook.Step{
			{ID: "drift", Kind: runbook.Precheck, Title: "Read the Application: what drifts, its health, its last sync", Check: appDrift},
			{ID: "sync", Kind: runbook.Action, Title: "Sync it from git (no prune)", Do: "argocd-sync"},
			{ID: "synced", Kind: runbook.Postcheck, Title: "Wait for Synced and Healthy", Wait: appSynced,
				Every: 3 * time.Second, Timeout: 10 * time.Minute},
		}}
}

// appState is what the runbook reads of an Application.
type appState struct {
	sync, health, healthMsg, phase, opMessage, revision string
	selfHeal, operation                                 bool
	drift, prune                                        []string
}

func readApp(ctx context.Context, w runbook.World, t runbook.Target) (appState, error) {
	if w.Dynamic == nil {
		return appState{}, fmt.Errorf("no cluster to read %s from", t)
	}
	u, err := w.Dynamic.Resource(actions.ApplicationsResource()).Namespace(t.Namespace).Get(ctx, t.Name, metav1.GetOptions{})
	if err != nil {
		return appState{}, fmt.Errorf("read %s: %w", t, err)
	}
	s := appState{}
	s.sync, _, _ = unstructured.NestedString(u.Object, "status", "sync", "status")
	s.revision, _, _ = unstructured.NestedString(u.Object, "status", "sync", "revision")
	s.health, _, _ = unstructured.NestedString(u.Object, "status", "health", "status")
	s.healthMsg, _, _ = unstructured.NestedString(u.Object, "status", "health", "message")
	s.phase, _, _ = unstructured.NestedString(u.Object, "status", "operationState", "phase")
	s.opMessage, _, _ = unstructured.NestedString(u.Object, "status", "operationState", "message")
	s.selfHeal, _, _ = unstructured.NestedBool(u.Object, "spec", "syncPolicy", "automated", "selfHeal")
	_, s.operation, _ = unstructured.NestedMap(u.Object, "operation")
	resources, _, _ := unstructured.NestedSlice(u.Object, "status", "resources")
	for _, r := range resources {
		m, ok := r.(map[string]any)
		if !ok {
			continue
		}
		name := fmt.Sprintf("%v/%v", m["kind"], m["name"])
		if ns, _ := m["namespace"].(string); ns != "" {
			name = fmt.Sprintf("%v/%s/%v", m["kind"], ns, m["name"])
		}
		if prune, _ := m["requiresPruning"].(bool); prune {
			s.prune = append(s.prune, name)
			continue
		}
		if st, _ := m["status"].(string); st != "" && st != "Synced" {
			s.drift = append(s.drift, name+" "+st)
		}
	}
	return s, nil
}

func appDrift(ctx context.Context, w runbook.World, t runbook.Target) (runbook.Verdict, error) {
	s, err := readApp(ctx, w, t)
	if err != nil {
		return runbook.Verdict{}, err
	}
	state := fmt.Sprintf("sync %s, health %s", orUnknown(s.sync), orUnknown(s.health))
	if s.phase != "" {
		state += ", last operation " + s.phase
	}
	v := runbook.Verdict{Details: []string{state}}
	if s.healthMsg != "" {
		v.Details = append(v.Details, "health: "+s.healthMsg)
	}
	if s.phase == "Failed" || s.phase == "Error" {
		v.Details = append(v.Details, "last sync: "+s.opMessage)
	}
	for _, d := range s.drift {
		v.Details = append(v.Details, "drifts: "+d)
	}
	for _, p := range s.prune {
		v.Details = append(v.Details, "only in the cluster (a sync does not prune it; remove it from the cluster or enable prune in git): "+p)
	}
	if s.selfHeal {
		v.Details = append(v.Details, "self-heal is on: a fix made by hand in the cluster is reverted within minutes — make it in git")
	}
	if s.operation {
		v.Details = append(v.Details, "an operation is already set: the sync step is refused until it ends")
	}
	bad := s.sync != "Synced" || s.health == "Degraded" || s.health == "Missing" || s.phase == "Failed" || s.phase == "Error"
	if !bad {
		v.Why = t.Name + " is " + state + ": nothing to repair"
		return v, nil
	}
	v.Applies, v.Why = true, t.Name+" is "+state
	return v, nil
}

func appSynced(ctx context.Context, w runbook.World, t runbook.Target) (runbook.Progress, error) {
	s, err := readApp(ctx, w, t)
	if err != nil {
		return runbook.Progress{}, err
	}
	line := fmt.Sprintf("sync %s, health %s", orUnknown(s.sync), orUnknown(s.health))
	if s.phase != "" {
		line += ", operation " + s.phase
		if s.phase != "Succeeded" && s.opMessage != "" {
			line += ": " + s.opMessage
		}
	}
	done := s.sync == "Synced" && s.health == "Healthy" && !s.operation && (s.phase == "" || s.phase == "Succeeded")
	return runbook.Progress{Done: done, Line: line}, nil
}

func orUnknown(s string) string {
	if strings.TrimSpace(s) == "" {
		return "Unknown"
	}
	return s
}
