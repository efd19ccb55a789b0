package actions

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/clubcedille/cedille-tui/internal/access"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// EvictPod evicts a pod through the Eviction API (policy/v1, pods/eviction), one pod at a time as kubectl
// drain does: the API server deletes it gracefully only if no PodDisruptionBudget forbids it, and answers
// 429 (a *DisruptionError, naming the budget) when one allows no disruption now. Bound by the eviction's
// DeleteOptions.Preconditions to the UID and resourceVersion of the preview.
func EvictPod() Action {
	return Action{Name: "evict-pod", Kind: KindPod, Role: access.Operator, Destructive: true,
		Blast: func(t Target) string {
			return fmt.Sprintf("%s: evicted, refused while its PodDisruptionBudget allows no disruption; a controller that owns it makes a new one, a bare pod is gone for good", t)
		},
		Preview: previewEviction,
		Run: func(ctx context.Context, c Client, t Target, expect Precondition) error {
			return evict(ctx, c, t, expect, nil)
		},
	}
}

// DisruptionError is the API server refusing an eviction (429 Too Many Requests) because a
// PodDisruptionBudget allows no disruption now.
type DisruptionError struct {
	Target Target
	Budget string // the PodDisruptionBudget's name ("" when the API server did not name it)
	Cause  string // the API server's words: "The disruption budget db needs 1 healthy pods and has 0 currently"
}

func (e *DisruptionError) Error() string {
	budget := "a PodDisruptionBudget"
	if e.Budget != "" {
		budget = "PodDisruptionBudget " + e.Target.Namespace + "/" + e.Budget
	}
	why := e.Cause
	if why == "" {
		why = "it allows no disruption now"
	}
	return fmt.Sprintf("%s: eviction refused by %s: %s — wait until its other pods are Ready, or leave this pod alone", e.Target, budget, why)
}

// budgetNamed finds the budget's name in the API server's cause ("The disruption budget db needs …",
// "The disruption budget db is still being processed by the server.").
var budgetNamed = regexp.MustCompile(`^The disruption budget (\S+) `)

// disruptionRefusal is err as a *DisruptionError when it is the API server refusing an eviction for a
// PodDisruptionBudget: a 429 whose causes name one (a 429 without, such as API priority and fairness
// throttling, is not); nil otherwise.
func disruptionRefusal(t Target, err error) *DisruptionError {
	var st apierrors.APIStatus
	if !apierrors.IsTooManyRequests(err) || !errors.As(err, &st) || st.Status().Details == nil {
		return nil
	}
	for _, c := range st.Status().Details.Causes {
		if c.Type != policyv1.DisruptionBudgetCause {
			continue
		}
		d := &DisruptionError{Target: t, Cause: strings.TrimSuffix(c.Message, ".")}
		if m := budgetNamed.FindStringSubmatch(c.Message); m != nil {
			d.Budget = m[1]
		}
		return d
	}
	return nil
}

// evict asks the Eviction API to evict the pod, bound to expect; dryRun set makes it a dry run (the
// budgets are checked all the same, nothing is changed).
func evict(ctx context.Context, c Client, t Target, expect Precondition, dryRun []string) error {
	err := c.Kube.CoreV1().Pods(t.Namespace).EvictV1(ctx, &policyv1.Eviction{
		ObjectMeta:    metav1.ObjectMeta{Namespace: t.Namespace, Name: t.Name},
		DeleteOptions: expect.deleteOptions(dryRun),
	})
	if d := disruptionRefusal(t, err); d != nil {
		return d
	}
	return changed(t, expect, err)
}

// deleteOptions are the options of a deletion (or an eviction) bound to p by its preconditions (none when
// p is zero); dryRun set makes it a dry run.
func (p Precondition) deleteOptions(dryRun []string) *metav1.DeleteOptions {
	opts := &metav1.DeleteOptions{DryRun: dryRun}
	if !p.IsZero() {
		opts.Preconditions = &metav1.Preconditions{}
		if p.UID != "" {
			opts.Preconditions.UID = &p.UID
		}
		if p.ResourceVersion != "" {
			opts.Preconditions.ResourceVersion = &p.ResourceVersion
		}
	}
	return opts
}

// previewEviction reads the pod and dry-runs its eviction bound to what it read: a budget that refuses it
// now refuses the dry run too (*DisruptionError).
func previewEviction(ctx context.Context, c Client, t Target) (Preview, error) {
	p, err := c.Kube.CoreV1().Pods(t.Namespace).Get(ctx, t.Name, metav1.GetOptions{})
	if err != nil {
		return Preview{}, err
	}
	expect := Precondition{UID: p.UID, ResourceVersion: p.ResourceVersion}
	if err := evict(ctx, c, t, expect, dryRunAll()); err != nil {
		return Preview{}, err
	}
	return Preview{Changes: []Change{{Path: t.String(), Before: "exists", After: "evicted"}}, Notes: evictionNotes(p), Expect: expect}, nil
}

// evictionNotes says what evicting p leads to: who makes it again, where it runs, how long it has to stop,
// what is lost with it.
func evictionNotes(p *corev1.Pod) []string {
	var notes []string
	for _, o := range p.OwnerReferences {
		if o.Controller != nil && *o.Controller {
			notes = append(notes, fmt.Sprintf("%s %s makes a new one", o.Kind, o.Name))
		}
	}
	if len(notes) == 0 {
		notes = append(notes, "a bare pod: nothing makes it again")
	}
	if p.Spec.NodeName != "" {
		notes = append(notes, "on node "+p.Spec.NodeName)
	}
	grace := int64(corev1.DefaultTerminationGracePeriodSeconds)
	if p.Spec.TerminationGracePeriodSeconds != nil {
		grace = *p.Spec.TerminationGracePeriodSeconds
	}
	notes = append(notes, fmt.Sprintf("%ds to stop (its grace period)", grace))
	var emptyDirs []string
	for _, v := range p.Spec.Volumes {
		if v.EmptyDir != nil {
			emptyDirs = append(emptyDirs, v.Name)
		}
	}
	if len(emptyDirs) > 0 {
		notes = append(notes, fmt.Sprintf("emptyDir volumes %s: their data goes with the pod", strings.Join(emptyDirs, ", ")))
	}
	return notes
}
