package actions

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/clubcedille/cedille-tui/internal/access"
	"github.com/clubcedille/cedille-tui/internal/audit"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// Actor is who asks for an action: a console session's user, or the person at the local console.
type Actor struct {
	Name        string      // the access file's name; locally, the kubeconfig user's
	Role        access.Role // from the access file; Admin locally
	Fingerprint string      // the SSH key's SHA256:… fingerprint; empty locally
	Session     string      // the session's id
	Remote      string      // the client's address; empty locally
	// Local runs as the kubeconfig's own user, without impersonation. Never set for an SSH session.
	Local bool
	// Run is the runbook run the action is a step of ("" for none): its records carry it, so the run's
	// incident report finds them.
	Run string
}

// LocalActor is the person at the local console: the kubeconfig's user (named user), role admin.
func LocalActor(user, session string) Actor {
	return Actor{Name: user, Role: access.Admin, Session: session, Local: true}
}

// record is the audit record of an event about an action asked by a.
func (a Actor) record(ev audit.Event, action string, t Target, reason string) audit.Record {
	return audit.Record{Event: ev, Session: a.Session, User: a.Name, Fingerprint: a.Fingerprint,
		Role: a.Role.String(), Remote: a.Remote, Action: action, Target: t.String(), Reason: reason, Run: a.Run}
}

// Confirmation is what a person gave to go ahead: for a destructive action, the object's name typed
// out and the precondition of the preview they saw.
type Confirmation struct {
	Typed  string
	Expect Precondition
}

// Result is what a done action reports.
type Result struct {
	Action string
	Target Target
	As     string // who the API server saw act
}

// RefusedError is a refusal: by the dispatcher (role, confirmation, precondition, audit trail) or by
// the API server (RBAC). Reason says what is needed.
type RefusedError struct {
	Action string
	Target Target
	Reason string
	Err    error // the underlying error, when there is one
}

func (e *RefusedError) Error() string { return e.Reason }

// Unwrap gives the underlying error (a *ChangedError, the API server's Forbidden).
func (e *RefusedError) Unwrap() error { return e.Err }

// ClientSource gives the clients that act for an actor. *Clients is one.
type ClientSource interface {
	For(Actor) (Client, error)
}

// Sink records one audit record; a non-nil error means it was not recorded. (*audit.Log).Append is one.
type Sink func(audit.Record) error

// Dispatcher is the one way actions run: it checks the role on the server side, whatever the client
// sent, asks destructive actions for their confirmation and precondition, writes as the actor, and
// records every attempt, refusal, success and failure. Safe for concurrent use.
type Dispatcher struct {
	clients ClientSource
	sink    Sink
	actions []Action
}

// NewDispatcher serves the given actions (Builtin() for the first ones), writing through clients and
// recording to sink.
func NewDispatcher(clients ClientSource, sink Sink, actions ...Action) (*Dispatcher, error) {
	if clients == nil || sink == nil {
		return nil, errors.New("actions: a dispatcher needs clients and an audit sink")
	}
	for i, a := range actions {
		if err := a.valid(); err != nil {
			return nil, err
		}
		if slices.ContainsFunc(actions[:i], func(b Action) bool { return b.Name == a.Name }) {
			return nil, fmt.Errorf("actions: %q registered twice", a.Name)
		}
	}
	return &Dispatcher{clients: clients, sink: sink, actions: slices.Clone(actions)}, nil
}

// valid refuses an action the dispatcher could not check or run.
func (a Action) valid() error {
	switch {
	case a.Name == "" || slices.ContainsFunc([]rune(a.Name), func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }):
		return fmt.Errorf("actions: bad action name %q", a.Name)
	case !a.Role.Valid():
		return fmt.Errorf("actions: %s has no role", a.Name)
	case a.Kind == "" || a.Blast == nil || a.Preview == nil || a.Run == nil:
		return fmt.Errorf("actions: %s lacks its kind, blast radius, preview or run", a.Name)
	}
	return nil
}

// Actions lists the registered actions, in registration order.
func (d *Dispatcher) Actions() []Action { return slices.Clone(d.actions) }

// Allowed lists the actions role r may do on objects of kind k: what the console offers.
func (d *Dispatcher) Allowed(r access.Role, k Kind) []Action {
	var out []Action
	for _, a := range d.actions {
		if a.Kind == k && r.Allows(a.Role) {
			out = append(out, a)
		}
	}
	return out
}

// lookup finds the action named name.
func (d *Dispatcher) lookup(name string) (Action, bool) {
	i := slices.IndexFunc(d.actions, func(a Action) bool { return a.Name == name })
	if i < 0 {
		return Action{}, false
	}
	return d.actions[i], true
}

// check is what both Preview and Do check first: a known action, on a target of its kind, asked by a
// role that allows it.
func (d *Dispatcher) check(who Actor, name string, t Target) (Action, string) {
	a, ok := d.lookup(name)
	if !ok {
		return a, fmt.Sprintf("no action %q", name)
	}
	if err := t.check(a.Kind); err != nil {
		return a, fmt.Sprintf("%s %s", name, err)
	}
	if !who.Role.Allows(a.Role) {
		return a, fmt.Sprintf("%s needs %s; you are %s", name, a.Role, who.Role)
	}
	return a, ""
}

// refuse records a refusal and returns it as a *RefusedError; when the refusal cannot be recorded,
// the error says so too.
func (d *Dispatcher) refuse(who Actor, name string, t Target, reason string, cause error) error {
	ref := &RefusedError{Action: name, Target: t, Reason: reason, Err: cause}
	if err := d.sink(who.record(audit.ActionRefused, name, t, reason)); err != nil {
		ref.Reason += " (and the audit trail could not record the refusal: " + err.Error() + ")"
	}
	return ref
}

// Preview shows what the action would do, from a dry run made as the actor (so the cluster's RBAC
// answers too). The role is checked first; a refusal is audited. A preview changes nothing and is
// not itself audited.
func (d *Dispatcher) Preview(ctx context.Context, who Actor, name string, t Target) (Preview, error) {
	a, why := d.check(who, name, t)
	if why != "" {
		return Preview{}, d.refuse(who, name, t, why, nil)
	}
	c, err := d.clients.For(who)
	if err != nil {
		return Preview{}, fmt.Errorf("%s %s: %w", name, t, err)
	}
	p, err := a.Preview(ctx, c, t)
	if err != nil {
		if forbidden(err) {
			return Preview{}, d.refuse(who, name, t, forbiddenReason(name, c, err), err)
		}
		return Preview{}, fmt.Errorf("%s %s: %w", name, t, err)
	}
	p.Action, p.Target, p.Blast = a.Name, t, a.Blast(t)
	return p, nil
}

// Do runs the action named name on t for who. In order: the attempt is recorded (if it cannot be,
// nothing runs: fail closed); the action must exist, fit the target and be allowed to who's role
// ("cordon needs operator; you are viewer"); a destructive action needs confirm.Typed to be the
// object's name and confirm.Expect a full precondition from a preview; then the write runs as who,
// bound to confirm.Expect when given. An object changed since the preview, or a write the API
// server's RBAC forbids, is refused; any other error is a failure. Each outcome is recorded; a
// *RefusedError says what is needed.
func (d *Dispatcher) Do(ctx context.Context, who Actor, name string, t Target, confirm Confirmation) (Result, error) {
	if err := d.sink(who.record(audit.ActionAttempted, name, t, "")); err != nil {
		return Result{}, &RefusedError{Action: name, Target: t, Err: err,
			Reason: "refused: the audit trail cannot record it: " + err.Error()}
	}
	a, why := d.check(who, name, t)
	if why == "" && a.Destructive {
		why = confirmationProblem(t, confirm)
	}
	if why != "" {
		return Result{}, d.refuse(who, name, t, why, nil)
	}
	c, err := d.clients.For(who)
	if err == nil {
		err = a.Run(ctx, c, t, confirm.Expect)
	}
	switch {
	case err == nil:
		res := Result{Action: name, Target: t, As: c.User}
		if err := d.sink(who.record(audit.ActionDone, name, t, "")); err != nil {
			return res, fmt.Errorf("%s %s was done, but the audit trail could not record it: %w", name, t, err)
		}
		return res, nil
	case errors.Is(err, ErrChanged):
		return Result{}, d.refuse(who, name, t, err.Error(), err)
	case guardRail(err): // the action's own guard rail, or the cluster's, said no: a refusal, not a failure
		return Result{}, d.refuse(who, name, t, err.Error(), err)
	case forbidden(err):
		return Result{}, d.refuse(who, name, t, forbiddenReason(name, c, err), err)
	}
	err = fmt.Errorf("%s %s failed: %w", name, t, err)
	if rerr := d.sink(who.record(audit.ActionFailed, name, t, err.Error())); rerr != nil {
		return Result{}, fmt.Errorf("%w (and the audit trail could not record the failure: %v)", err, rerr)
	}
	return Result{}, err
}

// guardRail tells whether err is a guard rail's no rather than a failure: a PodDisruptionBudget refusing
// an eviction, a live consumer of what a finalizer protects, the out-of-service taint on a Ready node, a
// certificate's renewal already in progress.
func guardRail(err error) bool {
	return errors.As(err, new(*DisruptionError)) || errors.Is(err, ErrLiveConsumer) || errors.Is(err, ErrNodeReady) ||
		errors.Is(err, ErrRenewalInProgress) || errors.Is(err, ErrAttachmentInUse) || spokeOrCSIGuard(err)
}

// confirmationProblem says what a destructive action's confirmation lacks, or "".
func confirmationProblem(t Target, c Confirmation) string {
	switch {
	case !c.Expect.complete():
		return fmt.Sprintf("%s: look first — a destructive action is bound to the object as its preview showed it", t)
	case c.Typed != t.Name:
		return fmt.Sprintf("%s: type the name %q to confirm", t, t.Name)
	}
	return ""
}

// forbidden tells whether err is the API server refusing the write (RBAC, or authentication).
func forbidden(err error) bool { return apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err) }

// forbiddenReason says who the API server refused and what it said: the person (their group's RBAC),
// or the console itself, not allowed to act as them (its impersonation does not name them).
func forbiddenReason(name string, c Client, err error) string {
	if who, ok := impersonationRefused(err); ok {
		return fmt.Sprintf("%s: the console may not act as %s: it is not allowed to impersonate %s (list it in ClusterRole cedille-console-impersonate): %v",
			name, c.User, who, apiMessage(err))
	}
	return fmt.Sprintf("%s: the cluster's RBAC refuses %s: %v", name, c.User, apiMessage(err))
}

// impersonationRefused tells whether err is the API server refusing the console's own identity the
// right to impersonate someone, and whom ("user cedille:sam"). The API server says so as a Forbidden on
// resource users, groups (or uids, userextras) of the core group, named after the identity.
func impersonationRefused(err error) (string, bool) {
	var st apierrors.APIStatus
	if !apierrors.IsForbidden(err) || !errors.As(err, &st) {
		return "", false
	}
	s := st.Status()
	if s.Details == nil || s.Details.Group != "" || !strings.Contains(s.Message, "cannot impersonate") {
		return "", false
	}
	switch kind := s.Details.Kind; {
	case kind == "users" || kind == "groups" || kind == "uids":
		return strings.TrimSuffix(kind, "s") + " " + s.Details.Name, true
	case strings.HasPrefix(kind, "userextras"):
		return kind + " " + s.Details.Name, true
	}
	return "", false
}

// apiMessage is the API server's own message for err.
func apiMessage(err error) string {
	var st apierrors.APIStatus
	if errors.As(err, &st) && st.Status().Message != "" {
		return st.Status().Message
	}
	return err.Error()
}
