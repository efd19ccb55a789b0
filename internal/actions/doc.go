// Package actions is the console's one way to change the cluster: named actions (cordon and uncordon
// a node, delete a pod, refresh and sync an Argo CD Application; the runbooks' steps later), each
// with the least role that may do it and a one-line blast radius, run by a Dispatcher that checks
// the role on the server side whatever keys a client sent, records every attempt, refusal, success
// and failure in the audit trail (and refuses to act when it cannot record: fail closed), and writes
// as the person: user cedille:<name> in group cedille:<role> through Kubernetes impersonation, so the
// API server's RBAC decides too and its audit log names who acted. Run locally, the actor is the
// kubeconfig's user, role admin, not impersonated.
//
// Destructive actions (delete-pod, argocd-sync) show exactly what they touch first — Preview is a
// server-side dry run (DryRun: All) made as the person, whose changed fields it lists — then need
// the object's name typed out and the preview's precondition (the object's UID and
// resourceVersion); the write is bound to it on the server (DeleteOptions.Preconditions, or the
// resourceVersion in the merge patch), so an object changed since is refused: "changed since you
// looked; look again".
//
// Example:
//
//	log, _ := audit.Open(path)
//	d, _ := actions.NewDispatcher(actions.NewClients(restConfig), log.Append, actions.Builtin()...)
//	who := actions.Actor{Name: "alice", Role: access.Operator, Fingerprint: fp, Session: id}
//	t := actions.Target{Kind: actions.KindPod, Namespace: "web", Name: "web-7d9c-x2"}
//	p, err := d.Preview(ctx, who, "delete-pod", t) // show p.String(), ask for the name
//	res, err := d.Do(ctx, who, "delete-pod", t, actions.Confirmation{Typed: typed, Expect: p.Expect})
//	var ref *actions.RefusedError
//	if errors.As(err, &ref) { /* show ref.Reason: "delete-pod needs operator; you are viewer" */ }
//
// The console's service account needs `impersonate` on users and groups cedille:* and nothing more
// for writes: what a person may write is what the cluster's RBAC grants group cedille:<role>.
package actions
