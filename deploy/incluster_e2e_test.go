//go:build e2e

package deploy_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/hack/lab"
	"github.com/clubcedille/cedille-tui/hack/lab/labtest"
	"github.com/clubcedille/cedille-tui/internal/access"
	"github.com/clubcedille/cedille-tui/internal/actions"
	"github.com/clubcedille/cedille-tui/internal/audit"
	"github.com/clubcedille/cedille-tui/internal/platform"
	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/restmapper"
)

// output is what the test says (logs, failures) and what it collects (errors, the audit trail, the
// config), each masked before it is printed and kept, so that the end of the test can check that the
// service account's token was never among them.
type output struct {
	t       *testing.T
	mu      sync.Mutex
	secrets []string
	said    []string
}

// keep records s and returns it with every secret masked.
func (o *output) keep(s string) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.said = append(o.said, s)
	for _, sec := range o.secrets {
		s = strings.ReplaceAll(s, sec, "[token]")
	}
	return s
}

func (o *output) logf(format string, args ...any) {
	o.t.Helper()
	o.t.Log(o.keep(fmt.Sprintf(format, args...)))
}

func (o *output) fatalf(format string, args ...any) {
	o.t.Helper()
	o.t.Fatal(o.keep(fmt.Sprintf(format, args...)))
}

func (o *output) errorf(format string, args ...any) {
	o.t.Helper()
	o.t.Error(o.keep(fmt.Sprintf(format, args...)))
}

// leaks says which of what was kept carries a secret.
func (o *output) leaks() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for _, s := range o.said {
		if slices.ContainsFunc(o.secrets, func(sec string) bool { return strings.Contains(s, sec) }) {
			n++
		}
	}
	return n
}

// TestInClusterServiceAccountImpersonates runs the console's writes the way the pod does, against the
// lab's real kube-apiserver: deploy/'s Namespace, ServiceAccount, ClusterRoles and ClusterRoleBindings
// applied for real (the impersonation list naming this test's users), a token for the ServiceAccount
// from the TokenRequest API in a service-account directory, the config built by the in-cluster path
// (platform.Open, as serve calls it) and the writes sent through actions.NewClients and the
// dispatcher. The service account reads but does not write; the API server sees each person; a viewer
// bound to nothing is refused by RBAC; an operator cordons and an admin uncordons; a person missing
// from the impersonation list acts in nothing; the token is in nothing the test says or collects.
func TestInClusterServiceAccountImpersonates(t *testing.T) {
	l := labtest.Start(t, lab.KubeAPIServer)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out := &output{t: t}
	t.Cleanup(func() {
		if n := out.leaks(); n > 0 {
			t.Errorf("the service account's token appears in %d things the test said or collected", n)
		}
	})

	admin := l.RESTConfig()
	kc, err := kubernetes.NewForConfig(admin)
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(admin)
	if err != nil {
		t.Fatal(err)
	}
	apply := applier{dyn: dyn, mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(kc.Discovery()))}

	const saName, saNS = consoleSA, consoleNS
	viewer := actions.Actor{Name: "vic", Role: access.Viewer, Fingerprint: "SHA256:vic", Session: "s-vic", Remote: "192.0.2.7:5000"}
	operator := actions.Actor{Name: "olive", Role: access.Operator, Fingerprint: "SHA256:olive", Session: "s-olive", Remote: "192.0.2.8:5000"}
	adm := actions.Actor{Name: "ada", Role: access.Admin, Fingerprint: "SHA256:ada", Session: "s-ada", Remote: "192.0.2.9:5000"}
	// In the access file, not in deploy/'s impersonation list.
	stranger := actions.Actor{Name: "sam", Role: access.Operator, Fingerprint: "SHA256:sam", Session: "s-sam", Remote: "192.0.2.10:5000"}
	listed := []actions.Actor{viewer, operator, adm}

	// deploy/'s identity and RBAC, applied for real; the impersonation list names the listed users.
	applied := map[string]int{}
	var operatorRole rbacv1.ClusterRole
	impersonation := false
	for _, o := range rendered(t) {
		switch o.GetKind() {
		case "Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding":
		default:
			continue
		}
		if o.GetKind() == "ClusterRole" && o.GetName() == "cedille-console-impersonate" {
			setImpersonatedUsers(t, o, listed)
			impersonation = true
		}
		if o.GetKind() == "ClusterRole" && o.GetName() == "cedille-console-operator" {
			if err := runtimeFrom(o, &operatorRole); err != nil {
				t.Fatal(err)
			}
		}
		if err := apply.apply(ctx, o, false); err != nil {
			t.Fatalf("%s %s: %v", o.GetKind(), o.GetName(), err)
		}
		applied[o.GetKind()]++
	}
	if applied["Namespace"] != 1 || applied["ServiceAccount"] != 1 || applied["ClusterRole"] == 0 || applied["ClusterRoleBinding"] == 0 {
		t.Fatalf("applied %v: deploy/'s namespace, service account, and every ClusterRole and binding", applied)
	}
	if !impersonation || len(operatorRole.Rules) == 0 {
		t.Fatal("deploy/ lacks ClusterRole cedille-console-impersonate or cedille-console-operator")
	}
	node := actions.Target{Kind: actions.KindNode, Name: "worker-1"}
	if _, err := kc.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: node.Name}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	unschedulable := func() bool {
		t.Helper()
		n, err := kc.CoreV1().Nodes().Get(ctx, node.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return n.Spec.Unschedulable
	}

	// The pod's service-account directory: a bound token from the TokenRequest API, the cluster's CA,
	// the namespace. The environment says where the API server is, as the kubelet's variables do.
	expiry := int64(600)
	tr, err := kc.CoreV1().ServiceAccounts(saNS).CreateToken(ctx, saName,
		&authnv1.TokenRequest{Spec: authnv1.TokenRequestSpec{ExpirationSeconds: &expiry}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("TokenRequest: %v", err)
	}
	token := tr.Status.Token
	parts := strings.Split(token, ".")
	if len(parts) != 3 || len(parts[2]) < 16 {
		t.Fatal("the TokenRequest API gave no JWT")
	}
	out.secrets = []string{token, parts[2]} // the whole token, and its signature alone
	dir := t.TempDir()
	for name, data := range map[string][]byte{"token": []byte(token), "ca.crt": l.CAPEM(), "namespace": []byte(saNS)} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	u, err := url.Parse(l.APIServerURL())
	if err != nil {
		t.Fatal(err)
	}
	host, port, err := net.SplitHostPort(u.Host)
	if err != nil {
		t.Fatal(err)
	}
	env := platform.MapLookup(map[string]string{"KUBERNETES_SERVICE_HOST": host, "KUBERNETES_SERVICE_PORT": port, "HOME": t.TempDir()})

	// The base config, as serve gets it in the pod: no kubeconfig, so the service account.
	p := platform.Open(platform.OptionsFromEnv(platform.KubeOptions{ServiceAccountDir: dir, UserAgent: "cedille-tui-incluster-test"}, env), env)
	if p.Kube == nil {
		out.fatalf("no in-cluster connection: %v", p.KubeErr)
	}
	base := p.Kube.Config
	out.logf("platform %q", p.Name)
	out.keep(fmt.Sprintf("%#v", base))
	for _, e := range p.Errors() { // Omni and Vault, not configured here
		out.keep(e.Error())
	}
	if !p.Kube.InCluster || p.Name != "in-cluster (service account cedille-console/cedille-console)" {
		out.errorf("platform %q, in-cluster %v", p.Name, p.Kube.InCluster)
	}
	if base.Host != l.APIServerURL() || base.BearerTokenFile != filepath.Join(dir, "token") || base.BearerToken != "" ||
		len(base.TLSClientConfig.CertData) > 0 || len(base.TLSClientConfig.KeyData) > 0 {
		out.fatalf("the base config is not the service account's: %s", base)
	}

	tr2 := &memTrail{}
	clients := actions.NewClients(base)
	d, err := actions.NewDispatcher(clients, tr2.append, actions.Builtin()...)
	if err != nil {
		t.Fatal(err)
	}
	client := func(a actions.Actor) actions.Client {
		t.Helper()
		c, err := clients.For(a)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}

	// The service account itself: it reads, and may impersonate the listed people and the groups.
	console := client(actions.LocalActor("cedille-console", "s-console"))
	const saUser = "system:serviceaccount:" + saNS + ":" + saName
	waitAllowed(ctx, out, console, authzv1.ResourceAttributes{Verb: "list", Resource: "nodes"})
	for _, a := range listed {
		waitAllowed(ctx, out, console, authzv1.ResourceAttributes{Verb: "impersonate", Resource: "users", Name: actions.UserPrefix + a.Name})
		waitAllowed(ctx, out, console, authzv1.ResourceAttributes{Verb: "impersonate", Resource: "groups", Name: actions.GroupPrefix + a.Role.String()})
	}
	nodes, err := console.Kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil || len(nodes.Items) != 1 || nodes.Items[0].Name != node.Name {
		out.fatalf("the service account lists nodes: %v", err)
	}
	// ... and does not write: its own cordon is refused, naming it.
	err = actions.Cordon().Run(ctx, console, node, actions.Precondition{})
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), `User "`+saUser+`" cannot patch resource "nodes"`) {
		out.fatalf("the service account's own cordon must be forbidden, naming it: %v", err)
	}
	out.logf("the service account's own write: %v", err)

	// Through its impersonation, the API server sees each person.
	for _, a := range listed {
		r, err := client(a).Kube.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authnv1.SelfSubjectReview{}, metav1.CreateOptions{})
		if err != nil {
			out.fatalf("SelfSubjectReview as %s: %v", a.Name, err)
		}
		ui := r.Status.UserInfo
		out.logf("%s: the API server sees %s in %v", a.Name, ui.Username, ui.Groups)
		if ui.Username != actions.UserPrefix+a.Name || !slices.Contains(ui.Groups, actions.GroupPrefix+a.Role.String()) {
			out.errorf("%s is seen as %s in %v", a.Name, ui.Username, ui.Groups)
		}
	}

	// What deploy/ grants each group, as the API server's RBAC answers it: the operator role's rules for
	// operator and admin, nothing for a viewer.
	for _, a := range listed {
		c := client(a)
		for _, r := range operatorRole.Rules {
			for _, g := range r.APIGroups {
				for _, res := range r.Resources {
					for _, v := range r.Verbs {
						attrs := authzv1.ResourceAttributes{Verb: v, Group: g, Resource: res}
						if a.Role == access.Viewer {
							if allowedNow(ctx, out, c, attrs) {
								out.errorf("viewer %s may %s %s", a.Name, v, res)
							}
							continue
						}
						waitAllowed(ctx, out, c, attrs)
					}
				}
			}
		}
	}

	// A viewer: the dispatcher refuses the role, and without it the API server refuses the write.
	_, err = d.Do(ctx, viewer, "cordon", node, actions.Confirmation{})
	refusedSaying(out, err, "cordon needs operator; you are viewer")
	err = actions.Cordon().Run(ctx, client(viewer), node, actions.Precondition{})
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), `User "cedille:vic" cannot patch resource "nodes"`) {
		out.fatalf("the API server must refuse the viewer's impersonated cordon, naming them: %v", err)
	}
	out.logf("the viewer's write, past the dispatcher: %v", err)
	if unschedulable() {
		t.Fatal("a refused cordon cordoned")
	}

	// An operator cordons: a dry run first, then the write, as the person.
	pv, err := d.Preview(ctx, operator, "cordon", node)
	if err != nil {
		out.fatalf("operator's cordon preview: %v", err)
	}
	out.logf("preview:\n%s", pv)
	if len(pv.Changes) != 1 || pv.Changes[0].Path != "spec.unschedulable" || unschedulable() {
		out.fatalf("the preview %+v must show the one field and change nothing", pv.Changes)
	}
	res, err := d.Do(ctx, operator, "cordon", node, actions.Confirmation{Expect: pv.Expect})
	if err != nil || res.As != "cedille:olive" {
		out.fatalf("operator's cordon: %+v %v", res, err)
	}
	if !unschedulable() {
		t.Fatal("the operator's cordon did not cordon")
	}
	// An admin uncordons.
	pv, err = d.Preview(ctx, adm, "uncordon", node)
	if err != nil {
		out.fatalf("admin's uncordon preview: %v", err)
	}
	res, err = d.Do(ctx, adm, "uncordon", node, actions.Confirmation{Expect: pv.Expect})
	if err != nil || res.As != "cedille:ada" {
		out.fatalf("admin's uncordon: %+v %v", res, err)
	}
	if unschedulable() {
		t.Fatal("the admin's uncordon did not uncordon")
	}

	// A person deploy/ does not name: the console may not act as them, so nothing they ask is done,
	// not even a dry run or a read, and the refusal says why.
	const why = "cordon: the console may not act as cedille:sam: it is not allowed to impersonate user cedille:sam"
	_, err = d.Preview(ctx, stranger, "cordon", node)
	refusedSaying(out, err, why)
	_, err = d.Do(ctx, stranger, "cordon", node, actions.Confirmation{})
	refusedSaying(out, err, why)
	out.logf("a person missing from the impersonation list: %v", err)
	if unschedulable() {
		t.Fatal("a refused cordon cordoned")
	}
	if _, err := client(stranger).Kube.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authnv1.SelfSubjectReview{}, metav1.CreateOptions{}); !apierrors.IsForbidden(err) {
		out.errorf("the API server must refuse to let the console be cedille:sam at all: %v", err)
	}

	// The trail: each attempt, refusal and success, by whom.
	var have []string
	for _, r := range tr2.records() {
		b, _ := json.Marshal(r)
		out.keep(string(b))
		have = append(have, strings.Join([]string{string(r.Event), r.User, r.Action}, " "))
	}
	want := []string{
		"action_attempted vic cordon", "action_refused vic cordon",
		"action_attempted olive cordon", "action_done olive cordon",
		"action_attempted ada uncordon", "action_done ada uncordon",
		"action_refused sam cordon",
		"action_attempted sam cordon", "action_refused sam cordon",
	}
	if !slices.Equal(have, want) {
		out.errorf("audit trail:\n%s\nwant:\n%s", strings.Join(have, "\n"), strings.Join(want, "\n"))
	}
}

// setImpersonatedUsers makes the impersonation rule for users name exactly the actors.
func setImpersonatedUsers(t *testing.T, o *unstructured.Unstructured, actors []actions.Actor) {
	t.Helper()
	rules, _, err := unstructured.NestedSlice(o.Object, "rules")
	if err != nil {
		t.Fatal(err)
	}
	var names []any
	for _, a := range actors {
		names = append(names, actions.UserPrefix+a.Name)
	}
	set := 0
	for _, r := range rules {
		m := r.(map[string]any)
		res, _, _ := unstructured.NestedStringSlice(m, "resources")
		if slices.Contains(res, "users") {
			m["resourceNames"] = names
			set++
		}
	}
	if set != 1 {
		t.Fatalf("%d impersonation rules for users in %s", set, o.GetName())
	}
	if err := unstructured.SetNestedSlice(o.Object, rules, "rules"); err != nil {
		t.Fatal(err)
	}
}

// runtimeFrom converts an unstructured object into a typed one.
func runtimeFrom(o *unstructured.Unstructured, into any) error {
	b, err := json.Marshal(o.Object)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, into)
}

// allowedNow asks the API server, as c's identity, whether it may do attrs.
func allowedNow(ctx context.Context, out *output, c actions.Client, attrs authzv1.ResourceAttributes) bool {
	r, err := c.Kube.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authzv1.SelfSubjectAccessReview{
		Spec: authzv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &attrs}}, metav1.CreateOptions{})
	if err != nil {
		out.logf("access review as %s: %v", c.User, err)
		return false
	}
	return r.Status.Allowed
}

// waitAllowed waits until the API server's authorizer (fed by informers) lets c's identity do attrs:
// a binding or a token just made is seen a moment later.
func waitAllowed(ctx context.Context, out *output, c actions.Client, attrs authzv1.ResourceAttributes) {
	out.t.Helper()
	err := wait.PollUntilContextTimeout(ctx, 20*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		return allowedNow(ctx, out, c, attrs), nil
	})
	if err != nil {
		out.fatalf("%s may not %s %s %s in group %q: %v", c.User, attrs.Verb, attrs.Resource, attrs.Name, attrs.Group, err)
	}
}

// refusedSaying fails unless err is the dispatcher's refusal saying want.
func refusedSaying(out *output, err error, want string) {
	out.t.Helper()
	var ref *actions.RefusedError
	if !errors.As(err, &ref) || !strings.Contains(err.Error(), want) {
		out.fatalf("want a refusal saying %q, got %v", want, err)
	}
}

// memTrail is an audit sink in memory.
type memTrail struct {
	mu   sync.Mutex
	recs []audit.Record
}

func (m *memTrail) append(r audit.Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.recs = append(m.recs, r)
	return nil
}

func (m *memTrail) records() []audit.Record {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.recs)
}
