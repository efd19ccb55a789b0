package actions

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/clubcedille/cedille-tui/internal/access"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
)

// Kind is the kind of object an action acts on.
type Kind string

// The kinds of the first actions.
const (
	KindNode        Kind = "node"
	KindPod         Kind = "pod"
	KindApplication Kind = "application" // an Argo CD Application (argoproj.io/v1alpha1)
)

// namespaced tells whether objects of kind k live in a namespace.
func (k Kind) namespaced() bool { return k != KindNode && k != KindVolumeAttachment }

// Target is the object an action acts on.
type Target struct {
	Kind      Kind
	Namespace string // empty for a node
	Name      string
}

// String is the target as the audit trail and the console name it: "node/worker-2",
// "pod/default/web-1".
func (t Target) String() string {
	if t.Namespace == "" {
		return string(t.Kind) + "/" + t.Name
	}
	return string(t.Kind) + "/" + t.Namespace + "/" + t.Name
}

// check refuses a target that is not of kind k or lacks a name (or a namespace where one is needed).
func (t Target) check(k Kind) error {
	switch {
	case t.Kind != k:
		return fmt.Errorf("acts on a %s, not a %s", k, t.Kind)
	case t.Name == "":
		return fmt.Errorf("the %s has no name", k)
	case k.namespaced() && t.Namespace == "":
		return fmt.Errorf("the %s %s has no namespace", k, t.Name)
	case !k.namespaced() && t.Namespace != "":
		return fmt.Errorf("a %s has no namespace (got %s)", k, t.Namespace)
	}
	return nil
}

// Precondition binds a write to the object as it was seen: its UID and resourceVersion at preview
// time. The zero Precondition binds nothing.
type Precondition struct {
	UID             types.UID
	ResourceVersion string
}

// IsZero tells whether p binds nothing.
func (p Precondition) IsZero() bool { return p.UID == "" && p.ResourceVersion == "" }

// complete tells whether p binds both the UID and the resourceVersion.
func (p Precondition) complete() bool { return p.UID != "" && p.ResourceVersion != "" }

// Change is one field an action changes, as the server's dry run showed it. Before or After is
// Unset when the field is absent on that side.
type Change struct {
	Path          string // dotted: spec.unschedulable, metadata.annotations.argocd.argoproj.io/refresh
	Before, After string // JSON values
}

// Unset is a Change's side where the field is absent.
const Unset = "(unset)"

// Preview is what an action would do, from a server-side dry run (DryRun: All) that changed nothing:
// exactly the fields it changes, and the object's UID and resourceVersion to bind the write to.
type Preview struct {
	Action  string
	Target  Target
	Blast   string   // the action's one-line blast radius
	Changes []Change // empty: nothing to change
	Notes   []string // what else to know: the pod's owner, the application's source and state
	Expect  Precondition
}

// String renders the preview as lines for a confirmation screen.
func (p Preview) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s — %s\n", p.Action, p.Target, p.Blast)
	if len(p.Changes) == 0 {
		b.WriteString("  nothing to change\n")
	}
	for _, c := range p.Changes {
		fmt.Fprintf(&b, "  %s: %s → %s\n", c.Path, c.Before, c.After)
	}
	for _, n := range p.Notes {
		fmt.Fprintf(&b, "  %s\n", n)
	}
	fmt.Fprintf(&b, "  as seen: uid %s, resourceVersion %s\n", p.Expect.UID, p.Expect.ResourceVersion)
	return b.String()
}

// Client is what an action writes with: clients that act as one identity (impersonating a console
// user, or the kubeconfig's own). Clients.For makes them.
type Client struct {
	Kube    kubernetes.Interface
	Dynamic dynamic.Interface
	// User is who the API server sees: "cedille:alice", or the kubeconfig user's name when local.
	User string
}

// Action is one named thing the console can do to the cluster.
type Action struct {
	Name string      // "cordon": what a person and the audit trail call it
	Kind Kind        // the kind of object it acts on
	Role access.Role // the least role that may do it, checked by the Dispatcher
	// Blast says in one line what the action touches and what follows from it.
	Blast func(Target) string
	// Destructive actions need a typed confirmation (the object's name) and a precondition from a
	// preview: the Dispatcher refuses them without.
	Destructive bool
	// Preview does a server-side dry run and shows exactly what changes.
	Preview func(ctx context.Context, c Client, t Target) (Preview, error)
	// Run does it. A non-zero expect must hold on the server at the write (else a *ChangedError).
	Run func(ctx context.Context, c Client, t Target, expect Precondition) error
}

// ErrChanged is matched (errors.Is) by every *ChangedError.
var ErrChanged = errors.New("changed since you looked; look again")

// ChangedError says the object is not the one previewed any more: changed, or deleted and perhaps
// made again.
type ChangedError struct {
	Target Target
	Why    string // what happened: "modified", "deleted"
}

func (e *ChangedError) Error() string {
	return fmt.Sprintf("%s was %s: %s", e.Target, e.Why, ErrChanged)
}

// Is makes errors.Is(err, ErrChanged) true.
func (e *ChangedError) Is(target error) bool { return target == ErrChanged }
