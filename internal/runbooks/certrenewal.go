package runbooks

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clubcedille/cedille-tui/internal/actions"
	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/runbook"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// CertRenewal is `cert-renewal`: a cert-manager Certificate not Ready, or Ready and due for renewal
// (renewal overdue, under 14 days left, expired). Following cert-manager's own troubleshooting, its
// precheck follows the chain Certificate → CertificateRequest → Order → Challenge to the first link
// not ready and says why (its conditions, state, reason), and reads the (Cluster)Issuer's Ready
// condition: an issuer not Ready is the blocker, and the run stops there (renewing would fail the same
// way). The person clears what the chain is stuck on (only they can reach the DNS, the ingress, the
// ACME account); renew-certificate then marks the Certificate for re-issuance as `cmctl renew` does;
// the postcheck waits until it is Ready again with a certificate not due, naming the chain's first
// link not ready meanwhile.
func CertRenewal() runbook.Runbook {
	return runbook.Runbook{Name: health.RunbookCertExpiring, Title: "A certificate not Ready or due for renewal",
		Summary: "follow Certificate → CertificateRequest → Order → Challenge to what is stuck, check its issuer, clear the cause, renew it, wait for the new certificate",
		Kinds:   []string{"Certificate"},
		Steps: []runbook.Step{
			{ID: "chain", Kind: runbook.Precheck, Title: "Follow the chain to the first link not ready; read the issuer and the expiry", Check: certChainCheck},
			{ID: "cause", Kind: runbook.Manual, Title: "Clear what the chain is stuck on", Instructions: certInstructions},
			{ID: "renew", Kind: runbook.Action, Title: "Mark the certificate for re-issuance (as cmctl renew)", Do: "renew-certificate", Objects: certObjects},
			{ID: "issued", Kind: runbook.Postcheck, Title: "Wait until it is Ready with a new certificate", Wait: certIssued, Every: 2 * time.Second, Timeout: 10 * time.Minute},
		}}
}

// The chain's resources, and what names a CertificateRequest's revision.
const (
	certManager             = "cert-manager.io"
	acmeCertManager         = "acme.cert-manager.io"
	certRevisionAnnotation  = "cert-manager.io/certificate-revision"
	certExpiryDetailsFormat = "2006-01-02 15:04 UTC"
)

// certResource is resource r of API group g, version v1.
func certResource(g, r string) schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: g, Version: "v1", Resource: r}
}

// link is one object of the chain, as read.
type link struct {
	kind, name string
	ready      bool
	why        string // its state: "Ready False: Pending (Waiting on certificate issuance…)", "pending: …"
}

func (l link) String() string { return l.kind + " " + l.name + ": " + l.why }

// certFacts are what the precheck reads; judgeCert makes the verdict of them.
type certFacts struct {
	target    runbook.Target
	crt       *unstructured.Unstructured // nil: absent
	chain     []link                     // CertificateRequest, Order, Challenge, as far as they go
	issuer    string                     // ClusterIssuer/letsencrypt
	issuerOK  bool
	issuerWhy string // "Ready True: ACMEAccountRegistered", "not found"
	notes     []string
}

// firstNotReady is the chain's first link not ready, and the links under it not ready either (why it
// waits), as one line; "" when every link read is ready.
func firstNotReady(chain []link) string {
	i := slices.IndexFunc(chain, func(l link) bool { return !l.ready })
	if i < 0 {
		return ""
	}
	line := chain[i].String()
	for _, l := range chain[i+1:] {
		if l.ready {
			break
		}
		line += "; under it " + l.String()
	}
	return line
}

// judgeCert says whether the runbook applies, and why.
func judgeCert(f certFacts, now time.Time) runbook.Verdict {
	t := f.target
	if f.crt == nil {
		return runbook.Verdict{Why: t.String() + " does not exist: nothing to renew"}
	}
	finding := health.Certificate(f.crt, now)
	v := runbook.Verdict{Details: certDetails(f)}
	if finding.Status == health.OK {
		v.Why = t.String() + " is " + finding.Reason + ": not due for renewal"
		return v
	}
	if !f.issuerOK {
		v.Why = fmt.Sprintf("%s is %s, and its issuer %s is the blocker (%s): renewing would fail the same way — make the issuer Ready first, then run this again",
			t, finding.Reason, f.issuer, f.issuerWhy)
		return v
	}
	v.Applies = true
	v.Why = t.String() + " is " + finding.Reason
	if l := firstNotReady(f.chain); l != "" {
		v.Why += "; first not ready: " + l
	}
	return v
}

// certDetails are the lines the precheck shows: expiry, issuer, each link, a renewal in progress.
func certDetails(f certFacts) []string {
	var out []string
	for _, field := range []string{"notBefore", "notAfter", "renewalTime"} {
		if ts, err := time.Parse(time.RFC3339, health.Str(f.crt, "status", field)); err == nil {
			out = append(out, field+": "+ts.UTC().Format(certExpiryDetailsFormat))
		}
	}
	out = append(out, fmt.Sprintf("issuer %s: %s", f.issuer, f.issuerWhy))
	for _, l := range f.chain {
		mark := "not ready"
		if l.ready {
			mark = "ready"
		}
		out = append(out, mark+": "+l.String())
	}
	if c, ok := health.FindCondition(health.Conditions(f.crt), actions.CertIssuing); ok && c.Status == "True" {
		out = append(out, fmt.Sprintf("a renewal is in progress already (Issuing since %s, %s): renew-certificate refuses a second one", c.LastTransition.UTC().Format(certExpiryDetailsFormat), c.Reason))
	}
	return append(out, f.notes...)
}

func certChainCheck(ctx context.Context, w runbook.World, t runbook.Target) (runbook.Verdict, error) {
	f, err := readCertFacts(ctx, w, t)
	if err != nil {
		return runbook.Verdict{}, err
	}
	v := judgeCert(f, stuckNow(w))
	if f.crt != nil { // the postcheck tells the new certificate from this one by it
		v.Facts = map[string]string{"notAfter": health.Str(f.crt, "status", "notAfter")}
	}
	return v, nil
}

// readCertificate reads the run's Certificate; nil when it does not exist.
func readCertificate(ctx context.Context, w runbook.World, t runbook.Target) (*unstructured.Unstructured, error) {
	if w.Dynamic == nil {
		return nil, fmt.Errorf("no cluster to read %s from", t)
	}
	if !strings.EqualFold(t.Kind, "Certificate") || t.Namespace == "" {
		return nil, fmt.Errorf("cert-renewal is aimed at a Certificate/NAMESPACE/NAME, not %s", t)
	}
	u, err := w.Dynamic.Resource(actions.CertificatesResource()).Namespace(t.Namespace).Get(ctx, t.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", t, err)
	}
	return u, nil
}

// readCertFacts reads the Certificate, its issuer and its chain.
func readCertFacts(ctx context.Context, w runbook.World, t runbook.Target) (certFacts, error) {
	f := certFacts{target: t}
	crt, err := readCertificate(ctx, w, t)
	if err != nil || crt == nil {
		return f, err
	}
	f.crt = crt
	f.issuer, f.issuerOK, f.issuerWhy, err = readIssuer(ctx, w, crt)
	if err != nil {
		return f, err
	}
	f.chain, f.notes, err = readChain(ctx, w, crt)
	return f, err
}

// readIssuer reads the Certificate's (Cluster)Issuer: its name, whether it is Ready, and why.
func readIssuer(ctx context.Context, w runbook.World, crt *unstructured.Unstructured) (string, bool, string, error) {
	name := health.Str(crt, "spec", "issuerRef", "name")
	kind := health.Str(crt, "spec", "issuerRef", "kind")
	if kind == "" {
		kind = "Issuer"
	}
	ref := kind + "/" + name
	if name == "" {
		return "(none)", false, "spec.issuerRef names none", nil
	}
	r := w.Dynamic.Resource(certResource(certManager, "issuers")).Namespace(crt.GetNamespace())
	if kind == "ClusterIssuer" {
		r = w.Dynamic.Resource(certResource(certManager, "clusterissuers")).Namespace("")
	} else if kind != "Issuer" {
		return ref, true, "an external issuer (group " + health.Str(crt, "spec", "issuerRef", "group") + "): its readiness is not read", nil
	}
	u, err := r.Get(ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return ref, false, "not found", nil
	case apierrors.IsForbidden(err): // not the blocker for all that is known: said, and the run goes on
		return ref, true, "its readiness could not be read (" + err.Error() + ")", nil
	case err != nil:
		return ref, false, "", fmt.Errorf("read %s: %w", ref, err)
	}
	c, ok := health.FindCondition(health.Conditions(u), "Ready")
	if !ok {
		return ref, false, "no Ready condition", nil
	}
	return ref, c.Status == "True", conditionText(c), nil
}

// conditionText is "Ready False: Reason (message)".
func conditionText(c health.Condition) string {
	s := c.Type + " " + c.Status
	if c.Reason != "" {
		s += ": " + c.Reason
	}
	if c.Message != "" {
		s += " (" + c.Message + ")"
	}
	return s
}

// ownedNewest lists the objects of r in namespace ns owned by owner, newest first (by the certificate
// revision annotation, then by creation).
func ownedNewest(ctx context.Context, w runbook.World, r schema.GroupVersionResource, ns string, owner types.UID) ([]unstructured.Unstructured, error) {
	list, err := w.Dynamic.Resource(r).Namespace(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	var out []unstructured.Unstructured
	for _, u := range list.Items {
		if slices.ContainsFunc(u.GetOwnerReferences(), func(o metav1.OwnerReference) bool { return o.UID == owner }) {
			out = append(out, u)
		}
	}
	revision := func(u unstructured.Unstructured) int {
		n, _ := strconv.Atoi(u.GetAnnotations()[certRevisionAnnotation])
		return n
	}
	slices.SortStableFunc(out, func(a, b unstructured.Unstructured) int {
		if ra, rb := revision(a), revision(b); ra != rb {
			return rb - ra
		}
		return b.GetCreationTimestamp().Compare(a.GetCreationTimestamp().Time)
	})
	return out, nil
}

// readChain follows the Certificate to its newest CertificateRequest, that request's newest Order and
// the Order's Challenges (the first not valid, else the first), as far as the chain goes. A resource the
// cluster does not serve (no ACME: no Order) ends it, said in notes.
func readChain(ctx context.Context, w runbook.World, crt *unstructured.Unstructured) ([]link, []string, error) {
	var chain []link
	owner := crt.GetUID()
	for _, step := range []struct {
		kind string
		r    schema.GroupVersionResource
		read func(u *unstructured.Unstructured) link
	}{
		{"CertificateRequest", certResource(certManager, "certificaterequests"), requestLink},
		{"Order", certResource(acmeCertManager, "orders"), acmeLink("Order")},
		{"Challenge", certResource(acmeCertManager, "challenges"), acmeLink("Challenge")},
	} {
		objs, err := ownedNewest(ctx, w, step.r, crt.GetNamespace(), owner)
		switch {
		case apierrors.IsNotFound(err):
			return chain, []string{"the cluster serves no " + step.r.GroupResource().String() + ": the chain is read no further"}, nil
		case apierrors.IsForbidden(err):
			return chain, []string{"cannot list " + step.r.GroupResource().String() + " (" + err.Error() + "): the chain is read no further"}, nil
		}
		if err != nil {
			return chain, nil, fmt.Errorf("list the %ss: %w", step.kind, err)
		}
		if len(objs) == 0 {
			return chain, nil, nil
		}
		pick := &objs[0]
		if step.kind == "Challenge" { // siblings, one per domain: the first not valid
			for i := range objs {
				if !step.read(&objs[i]).ready {
					pick = &objs[i]
					break
				}
			}
		}
		l := step.read(pick)
		chain = append(chain, l)
		owner = pick.GetUID()
	}
	return chain, nil, nil
}

// requestLink reads a CertificateRequest: ready when its Ready condition is True; a denial or an invalid
// request says so.
func requestLink(u *unstructured.Unstructured) link {
	l := link{kind: "CertificateRequest", name: u.GetName()}
	conds := health.Conditions(u)
	for _, typ := range []string{"Denied", "InvalidRequest"} {
		if c, ok := health.FindCondition(conds, typ); ok && c.Status == "True" {
			l.why = conditionText(c)
			return l
		}
	}
	c, ok := health.FindCondition(conds, "Ready")
	if !ok {
		l.why = "no Ready condition yet"
		if a, ok := health.FindCondition(conds, "Approved"); !ok || a.Status != "True" {
			l.why += ", not approved"
		}
		return l
	}
	l.ready, l.why = c.Status == "True", conditionText(c)
	return l
}

// acmeLink reads an ACME Order or Challenge: ready when status.state is valid.
func acmeLink(kind string) func(u *unstructured.Unstructured) link {
	return func(u *unstructured.Unstructured) link {
		state := health.Str(u, "status", "state")
		l := link{kind: kind, name: u.GetName(), ready: state == "valid"}
		if state == "" {
			state = "no state yet"
		}
		l.why = "state " + state
		if kind == "Challenge" {
			if typ, dns := health.Str(u, "spec", "type"), health.Str(u, "spec", "dnsName"); typ != "" || dns != "" {
				l.why += fmt.Sprintf(" (%s for %s", typ, dns)
				if p, ok, _ := unstructured.NestedBool(u.Object, "status", "presented"); ok {
					l.why += fmt.Sprintf(", presented %v", p)
				}
				l.why += ")"
			}
		}
		if r := health.Str(u, "status", "reason"); r != "" {
			l.why += ": " + r
		}
		return l
	}
}

// certInstructions are what only a person can do about a stuck chain.
func certInstructions(t runbook.Target, _ func(string) runbook.StepState) []string {
	return []string{
		"Read the precheck's first link not ready; kubectl describe it (-n " + t.Namespace + ") for the events.",
		"An HTTP-01 Challenge pending: the domain must reach the solver from the internet — check DNS points at the ingress, and that http://DOMAIN/.well-known/acme-challenge/ is routed (Contour's HTTPProxy, no redirect to HTTPS blocking it).",
		"A DNS-01 Challenge pending: the TXT record _acme-challenge.DOMAIN must be published — check the DNS provider's credentials Secret and zone.",
		"An Order errored or invalid with a rate limit (Let's Encrypt): wait until the limit resets; renewing sooner fails the same way.",
		"A CertificateRequest denied or not approved: an approver policy refuses it — fix the policy.",
		"Nothing stuck but the certificate due: nothing to clear; tick and renew.",
	}
}

// laterThan tells whether RFC 3339 time a is after b (false when either does not parse).
func laterThan(a, b string) bool {
	ta, err1 := time.Parse(time.RFC3339, a)
	tb, err2 := time.Parse(time.RFC3339, b)
	return err1 == nil && err2 == nil && ta.After(tb)
}

// certObjects is the run's Certificate, for renew-certificate.
func certObjects(_ context.Context, _ runbook.World, t runbook.Target) ([]actions.Target, error) {
	return []actions.Target{{Kind: actions.KindCertificate, Namespace: t.Namespace, Name: t.Name}}, nil
}

// certIssued reads whether the Certificate is issued again: Ready True, no Issuing condition left, its
// certificate not due (renewal time ahead, 14 days or more left), and its notAfter later than the one
// the precheck saw (World.Earlier). Meanwhile the line names the chain's first link not ready.
func certIssued(ctx context.Context, w runbook.World, t runbook.Target) (runbook.Progress, error) {
	crt, err := readCertificate(ctx, w, t)
	if err != nil {
		return runbook.Progress{}, err
	}
	if crt == nil {
		return runbook.Progress{}, fmt.Errorf("%s is gone", t)
	}
	now := stuckNow(w)
	finding := health.Certificate(crt, now)
	issuing, _ := health.FindCondition(health.Conditions(crt), actions.CertIssuing)
	notAfter := health.Str(crt, "status", "notAfter")
	before := ""
	if w.Earlier != nil {
		before = w.Earlier("chain").Facts["notAfter"]
	}
	renewed := before == "" || laterThan(notAfter, before)
	if finding.Status == health.OK && issuing.Status != "True" && renewed {
		return runbook.Progress{Done: true, Line: fmt.Sprintf("%s is %s (notAfter %s, was %s)", t, finding.Reason, notAfter, orUnknown(before))}, nil
	}
	line := finding.Reason
	if !renewed {
		line += "; notAfter still " + notAfter
	}
	if issuing.Status == "True" {
		line = "issuing (" + issuing.Reason + "); " + line
	}
	chain, notes, err := readChain(ctx, w, crt)
	if err != nil {
		return runbook.Progress{}, err
	}
	if l := firstNotReady(chain); l != "" {
		line += "; first not ready: " + l
	} else if len(notes) > 0 {
		line += "; " + notes[0]
	}
	return runbook.Progress{Line: line}, nil
}
