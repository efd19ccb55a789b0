package actions

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/clubcedille/cedille-tui/internal/access"
	"github.com/clubcedille/cedille-tui/internal/audit"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// fakeClients gives a Client that only names the identity: enough for the dispatcher's logic.
type fakeClients struct{ err error }

func (f fakeClients) For(a Actor) (Client, error) {
	if f.err != nil {
		return Client{}, f.err
	}
	imp, err := Impersonation(a)
	if err != nil {
		return Client{}, err
	}
	if a.Local {
		return Client{User: a.Name}, nil
	}
	return Client{User: imp.UserName}, nil
}

// trail is an audit sink that keeps what it was given and fails from call failAt on (0: never).
type trail struct {
	recs   []audit.Record
	failAt int
	calls  int
}

func (s *trail) sink(r audit.Record) error {
	s.calls++
	if s.failAt > 0 && s.calls >= s.failAt {
		return errors.New("disk full")
	}
	s.recs = append(s.recs, r)
	return nil
}

func (s *trail) events() string {
	var ev []string
	for _, r := range s.recs {
		ev = append(ev, string(r.Event))
	}
	return strings.Join(ev, ",")
}

// fakeAction acts on a node; it remembers whether Run ran, and what it was bound to, and returns runErr.
func fakeAction(name string, role access.Role, destructive bool, runErr error, ran *[]Precondition) Action {
	return Action{Name: name, Kind: KindNode, Role: role, Destructive: destructive,
		Blast: func(t Target) string { return t.String() + ": test" },
		Preview: func(context.Context, Client, Target) (Preview, error) {
			return Preview{Expect: Precondition{UID: "u1", ResourceVersion: "7"}}, nil
		},
		Run: func(_ context.Context, _ Client, _ Target, expect Precondition) error {
			*ran = append(*ran, expect)
			return runErr
		},
	}
}

const fp = "SHA256:uvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijk"

func TestDo(t *testing.T) {
	node := Target{Kind: KindNode, Name: "worker-2"}
	seen := Precondition{UID: "u1", ResourceVersion: "7"}
	forbidden := apierrors.NewForbidden(schema.GroupResource{Resource: "nodes"}, "worker-2", errors.New("no RBAC"))
	viewer := Actor{Name: "vic", Role: access.Viewer, Fingerprint: fp, Session: "s1", Remote: "192.0.2.7:5"}
	operator := Actor{Name: "olive", Role: access.Operator, Fingerprint: fp, Session: "s2"}
	admin := Actor{Name: "ada", Role: access.Admin, Fingerprint: fp, Session: "s3"}
	for _, tc := range []struct {
		name        string
		who         Actor
		action      string // "cordon" (operator) or "wipe" (admin, destructive)
		target      Target
		confirm     Confirmation
		runErr      error
		failAt      int
		clientsErr  error
		wantRun     bool
		wantErr     string // "" for success
		wantRefused bool
		wantEvents  string
	}{
		{name: "viewer refused, naming the role", who: viewer, action: "cordon", target: node,
			wantErr: "cordon needs operator; you are viewer", wantRefused: true, wantEvents: "action_attempted,action_refused"},
		{name: "no role at all", who: Actor{Name: "x", Session: "s"}, action: "cordon", target: node,
			wantErr: "cordon needs operator; you are none", wantRefused: true, wantEvents: "action_attempted,action_refused"},
		{name: "operator does it", who: operator, action: "cordon", target: node, wantRun: true,
			wantEvents: "action_attempted,action_done"},
		{name: "admin does an operator action", who: admin, action: "cordon", target: node, wantRun: true,
			wantEvents: "action_attempted,action_done"},
		{name: "local runs as admin", who: LocalActor("kubernetes-admin", "local"), action: "wipe", target: node,
			confirm: Confirmation{Typed: "worker-2", Expect: seen}, wantRun: true, wantEvents: "action_attempted,action_done"},
		{name: "operator refused an admin action", who: operator, action: "wipe", target: node,
			confirm: Confirmation{Typed: "worker-2", Expect: seen},
			wantErr: "wipe needs admin; you are operator", wantRefused: true, wantEvents: "action_attempted,action_refused"},
		{name: "unknown action", who: admin, action: "reboot", target: node,
			wantErr: `no action "reboot"`, wantRefused: true, wantEvents: "action_attempted,action_refused"},
		{name: "wrong kind of target", who: admin, action: "cordon", target: Target{Kind: KindPod, Namespace: "a", Name: "b"},
			wantErr: "cordon acts on a node, not a pod", wantRefused: true, wantEvents: "action_attempted,action_refused"},
		{name: "a node with a namespace", who: admin, action: "cordon", target: Target{Kind: KindNode, Namespace: "a", Name: "b"},
			wantErr: "a node has no namespace", wantRefused: true, wantEvents: "action_attempted,action_refused"},
		{name: "destructive without typing the name", who: admin, action: "wipe", target: node,
			confirm: Confirmation{Typed: "worker", Expect: seen},
			wantErr: `type the name "worker-2" to confirm`, wantRefused: true, wantEvents: "action_attempted,action_refused"},
		{name: "destructive without a preview", who: admin, action: "wipe", target: node,
			confirm: Confirmation{Typed: "worker-2"},
			wantErr: "look first", wantRefused: true, wantEvents: "action_attempted,action_refused"},
		{name: "destructive with half a precondition", who: admin, action: "wipe", target: node,
			confirm: Confirmation{Typed: "worker-2", Expect: Precondition{ResourceVersion: "7"}},
			wantErr: "look first", wantRefused: true, wantEvents: "action_attempted,action_refused"},
		{name: "changed since the preview", who: admin, action: "wipe", target: node,
			confirm: Confirmation{Typed: "worker-2", Expect: seen}, runErr: &ChangedError{Target: node, Why: "modified"},
			wantRun: true, wantErr: "node/worker-2 was modified: changed since you looked; look again", wantRefused: true,
			wantEvents: "action_attempted,action_refused"},
		{name: "the cluster's RBAC refuses", who: operator, action: "cordon", target: node, runErr: forbidden,
			wantRun: true, wantErr: "cordon: the cluster's RBAC refuses cedille:olive: nodes \"worker-2\" is forbidden: no RBAC",
			wantRefused: true, wantEvents: "action_attempted,action_refused"},
		{name: "the console may not act as the person", who: operator, action: "cordon", target: node,
			runErr: apierrors.NewForbidden(schema.GroupResource{Resource: "users"}, "cedille:olive",
				errors.New(`User "system:serviceaccount:cedille-console:cedille-console" cannot impersonate resource "users" in API group "" at the cluster scope`)),
			wantRun: true, wantErr: "cordon: the console may not act as cedille:olive: it is not allowed to impersonate user cedille:olive " +
				"(list it in ClusterRole cedille-console-impersonate): users \"cedille:olive\" is forbidden",
			wantRefused: true, wantEvents: "action_attempted,action_refused"},
		{name: "nor in the role's group", who: operator, action: "cordon", target: node,
			runErr: apierrors.NewForbidden(schema.GroupResource{Resource: "groups"}, "cedille:operator",
				errors.New(`User "system:serviceaccount:cedille-console:cedille-console" cannot impersonate resource "groups" in API group "" at the cluster scope`)),
			wantRun: true, wantErr: "cordon: the console may not act as cedille:olive: it is not allowed to impersonate group cedille:operator",
			wantRefused: true, wantEvents: "action_attempted,action_refused"},
		{name: "the write fails", who: operator, action: "cordon", target: node, runErr: errors.New("connection refused"),
			wantRun: true, wantErr: "cordon node/worker-2 failed: connection refused", wantEvents: "action_attempted,action_failed"},
		{name: "no clients", who: operator, action: "cordon", target: node, clientsErr: errors.New("no kubeconfig"),
			wantErr: "cordon node/worker-2 failed: no kubeconfig", wantEvents: "action_attempted,action_failed"},
		{name: "the attempt cannot be recorded: nothing runs", who: admin, action: "cordon", target: node, failAt: 1,
			wantErr: "the audit trail cannot record it: disk full", wantRefused: true, wantEvents: ""},
		{name: "the refusal cannot be recorded: still refused, and said", who: viewer, action: "cordon", target: node, failAt: 2,
			wantErr:     "cordon needs operator; you are viewer (and the audit trail could not record the refusal: disk full)",
			wantRefused: true, wantEvents: "action_attempted"},
		{name: "done but not recorded: said", who: operator, action: "cordon", target: node, failAt: 2, wantRun: true,
			wantErr:    "cordon node/worker-2 was done, but the audit trail could not record it: disk full",
			wantEvents: "action_attempted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ran []Precondition
			tr := &trail{failAt: tc.failAt}
			d, err := NewDispatcher(fakeClients{err: tc.clientsErr}, tr.sink,
				fakeAction("cordon", access.Operator, false, tc.runErr, &ran),
				fakeAction("wipe", access.Admin, true, tc.runErr, &ran))
			if err != nil {
				t.Fatal(err)
			}
			res, err := d.Do(context.Background(), tc.who, tc.action, tc.target, tc.confirm)
			if got := err != nil; got != (tc.wantErr != "") || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("Do: %v; want error %q", err, tc.wantErr)
			}
			var ref *RefusedError
			if errors.As(err, &ref) != tc.wantRefused {
				t.Errorf("refused = %v, want %v (%v)", ref != nil, tc.wantRefused, err)
			}
			if (len(ran) > 0) != tc.wantRun {
				t.Errorf("ran = %v, want %v", len(ran) > 0, tc.wantRun)
			}
			if len(ran) > 0 && ran[0] != tc.confirm.Expect {
				t.Errorf("run bound to %+v, want %+v", ran[0], tc.confirm.Expect)
			}
			if got := tr.events(); got != tc.wantEvents {
				t.Errorf("audit events %q, want %q", got, tc.wantEvents)
			}
			for _, r := range tr.recs {
				if r.User != tc.who.Name || r.Fingerprint != tc.who.Fingerprint || r.Role != tc.who.Role.String() ||
					r.Session != tc.who.Session || r.Remote != tc.who.Remote || r.Action != tc.action || r.Target != tc.target.String() {
					t.Errorf("record %+v does not say who did what to what", r)
				}
				if (r.Event == audit.ActionRefused || r.Event == audit.ActionFailed) && r.Reason == "" {
					t.Errorf("%s without a reason", r.Event)
				}
			}
			if err == nil && (res.Action != tc.action || res.Target != tc.target) {
				t.Errorf("result %+v", res)
			}
		})
	}
}

func TestPreviewChecksTheRole(t *testing.T) {
	node := Target{Kind: KindNode, Name: "worker-2"}
	for _, tc := range []struct {
		who     Actor
		wantErr string
		events  string
	}{
		{Actor{Name: "vic", Role: access.Viewer, Session: "s"}, "cordon needs operator; you are viewer", "action_refused"},
		{Actor{Name: "olive", Role: access.Operator, Session: "s"}, "", ""},
	} {
		var ran []Precondition
		tr := &trail{}
		d, err := NewDispatcher(fakeClients{}, tr.sink, fakeAction("cordon", access.Operator, false, nil, &ran))
		if err != nil {
			t.Fatal(err)
		}
		p, err := d.Preview(context.Background(), tc.who, "cordon", node)
		if (err != nil) != (tc.wantErr != "") || (err != nil && err.Error() != tc.wantErr) {
			t.Errorf("%s: Preview: %v, want %q", tc.who.Role, err, tc.wantErr)
		}
		if err == nil && (p.Action != "cordon" || p.Target != node || p.Blast != "node/worker-2: test" || !p.Expect.complete()) {
			t.Errorf("%s: preview %+v", tc.who.Role, p)
		}
		if tr.events() != tc.events || len(ran) != 0 {
			t.Errorf("%s: events %q ran %d; want %q, 0", tc.who.Role, tr.events(), len(ran), tc.events)
		}
	}
}

func TestNewDispatcherRefuses(t *testing.T) {
	var ran []Precondition
	ok := fakeAction("cordon", access.Operator, false, nil, &ran)
	noRole := ok
	noRole.Role = 0
	noRun := ok
	noRun.Run = nil
	spaced := ok
	spaced.Name = "cor don"
	tr := &trail{}
	for _, tc := range []struct {
		name    string
		clients ClientSource
		sink    Sink
		actions []Action
		want    string
	}{
		{"no sink", fakeClients{}, nil, []Action{ok}, "needs clients and an audit sink"},
		{"no clients", nil, tr.sink, []Action{ok}, "needs clients and an audit sink"},
		{"twice", fakeClients{}, tr.sink, []Action{ok, ok}, `"cordon" registered twice`},
		{"no role", fakeClients{}, tr.sink, []Action{noRole}, "cordon has no role"},
		{"no run", fakeClients{}, tr.sink, []Action{noRun}, "lacks"},
		{"bad name", fakeClients{}, tr.sink, []Action{spaced}, "bad action name"},
	} {
		if _, err := NewDispatcher(tc.clients, tc.sink, tc.actions...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestBuiltin(t *testing.T) {
	tr := &trail{}
	d, err := NewDispatcher(fakeClients{}, tr.sink, Builtin()...)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		kind        Kind
		role        access.Role
		destructive bool
	}{
		"cordon":                  {KindNode, access.Operator, false},
		"uncordon":                {KindNode, access.Operator, false},
		"delete-pod":              {KindPod, access.Operator, true},
		"argocd-refresh":          {KindApplication, access.Operator, false},
		"argocd-sync":             {KindApplication, access.Operator, true},
		"evict-pod":               {KindPod, access.Operator, true},
		"taint-out-of-service":    {KindNode, access.Operator, true},
		"untaint-out-of-service":  {KindNode, access.Operator, false},
		"remove-finalizers":       {KindObject, access.Operator, true},
		"argocd-pause-sync":       {KindApplication, access.Operator, false},
		"argocd-restore-sync":     {KindApplication, access.Operator, false},
		"renew-certificate":       {KindCertificate, access.Operator, false},
		"register-vcluster":       {KindVCluster, access.Operator, false},
		"delete-volumeattachment": {KindVolumeAttachment, access.Operator, true},
		"reissue-spoke-token":     {KindArgoCluster, access.Operator, true},
		"restart-csi-plugin":      {KindPod, access.Operator, true},
	}
	if len(d.Actions()) != len(want) {
		t.Fatalf("%d actions, want %d", len(d.Actions()), len(want))
	}
	for _, a := range d.Actions() {
		w, ok := want[a.Name]
		if !ok || a.Kind != w.kind || a.Role != w.role || a.Destructive != w.destructive {
			t.Errorf("%s: kind %s role %s destructive %v; want %+v", a.Name, a.Kind, a.Role, a.Destructive, w)
		}
		tgt := Target{Kind: a.Kind, Name: "x"}
		if a.Kind.namespaced() {
			tgt.Namespace = "ns"
		}
		if b := a.Blast(tgt); b == "" || strings.Contains(b, "\n") || !strings.HasPrefix(b, tgt.String()+": ") {
			t.Errorf("%s: blast radius %q is not one line about %s", a.Name, b, tgt)
		}
	}
	for _, tc := range []struct {
		role access.Role
		kind Kind
		want string
	}{
		{access.Viewer, KindNode, ""},
		{access.Operator, KindNode, "cordon,uncordon,taint-out-of-service,untaint-out-of-service"},
		{access.Admin, KindApplication, "argocd-refresh,argocd-sync,argocd-pause-sync,argocd-restore-sync"},
		{0, KindPod, ""},
	} {
		var names []string
		for _, a := range d.Allowed(tc.role, tc.kind) {
			names = append(names, a.Name)
		}
		if got := strings.Join(names, ","); got != tc.want {
			t.Errorf("Allowed(%s, %s) = %q, want %q", tc.role, tc.kind, got, tc.want)
		}
	}
}

func TestChangedError(t *testing.T) {
	pod := Target{Kind: KindPod, Namespace: "web", Name: "web-1"}
	seen := Precondition{UID: "u", ResourceVersion: "5"}
	gr := schema.GroupResource{Resource: "pods"}
	for _, tc := range []struct {
		name   string
		expect Precondition
		err    error
		want   string // "" for no error; "changed:<why>" for a *ChangedError
	}{
		{"no error", seen, nil, ""},
		{"conflict", seen, apierrors.NewConflict(gr, "web-1", errors.New("precondition failed")), "changed:modified"},
		{"gone", seen, apierrors.NewNotFound(gr, "web-1"), "changed:deleted"},
		{"unbound conflict stays itself", Precondition{}, apierrors.NewConflict(gr, "web-1", errors.New("x")), "Operation cannot be fulfilled"},
		{"forbidden stays itself", seen, apierrors.NewForbidden(gr, "web-1", errors.New("x")), "forbidden"},
	} {
		err := changed(pod, tc.expect, tc.err)
		var ce *ChangedError
		switch {
		case tc.want == "":
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
		case strings.HasPrefix(tc.want, "changed:"):
			if !errors.As(err, &ce) || !errors.Is(err, ErrChanged) || ce.Why != strings.TrimPrefix(tc.want, "changed:") {
				t.Errorf("%s: %v, want %s", tc.name, err, tc.want)
			}
		default:
			if errors.Is(err, ErrChanged) || err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
			}
		}
	}
}

func TestPatchesAreBound(t *testing.T) {
	seen := Precondition{UID: "u1", ResourceVersion: "42"}
	for _, tc := range []struct {
		cordon bool
		expect Precondition
		want   string
	}{
		{true, seen, `{"metadata":{"resourceVersion":"42","uid":"u1"},"spec":{"unschedulable":true}}`},
		{false, seen, `{"metadata":{"resourceVersion":"42","uid":"u1"},"spec":{"unschedulable":null}}`},
		{true, Precondition{}, `{"spec":{"unschedulable":true}}`},
	} {
		b, err := unschedulablePatch(tc.cordon, tc.expect)
		if err != nil || string(b) != tc.want {
			t.Errorf("unschedulablePatch(%v, %+v) = %s, %v; want %s", tc.cordon, tc.expect, b, err, tc.want)
		}
	}
	p := syncPatch("cedille:olive")
	if got := fmt.Sprint(p); got != "map[operation:map[initiatedBy:map[username:cedille:olive] sync:map[syncStrategy:map[hook:map[]]]] status:map[operationState:<nil>]]" {
		t.Errorf("sync patch %s", got)
	}
	// An Application's refresh already has metadata: the binding joins it.
	b, err := boundPatch(refreshPatch(), seen)
	if want := `{"metadata":{"annotations":{"argocd.argoproj.io/refresh":"normal"},"resourceVersion":"42","uid":"u1"}}`; err != nil || string(b) != want {
		t.Errorf("bound refresh patch = %s, %v; want %s", b, err, want)
	}
}

func TestGuardRailsAreRefusals(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"a budget", fmt.Errorf("evict: %w", &DisruptionError{Budget: "db"}), true},
		{"a live consumer", fmt.Errorf("x: %w", ErrLiveConsumer), true},
		{"a Ready node", fmt.Errorf("worker-2 is Ready: %w", ErrNodeReady), true},
		{"a timeout", errors.New("context deadline exceeded"), false},
	} {
		if got := guardRail(tc.err); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
