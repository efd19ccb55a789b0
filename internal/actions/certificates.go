package actions

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/clubcedille/cedille-tui/internal/access"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// KindCertificate is a cert-manager Certificate (cert-manager.io/v1), in its namespace.
const KindCertificate Kind = "certificate"

// CertificatesResource is cert-manager's Certificate resource.
func CertificatesResource() schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: "cert-manager.io", Version: "v1", Resource: "certificates"}
}

// The condition renew-certificate adds, as cert-manager's own `cmctl renew` sets it.
const (
	CertIssuing        = "Issuing"
	CertManualReason   = "ManuallyTriggered"
	certManualMessage  = "Certificate re-issuance manually triggered"
	certStatusResource = "status"
)

// ErrRenewalInProgress is renew-certificate refused on a Certificate whose Issuing condition is True
// already: cert-manager is issuing it (a renewal in progress); a second trigger changes nothing.
var ErrRenewalInProgress = errors.New("a renewal is in progress already")

// RenewCertificate marks a cert-manager Certificate for re-issuance exactly as `cmctl renew` does: it
// adds the condition Issuing=True (reason ManuallyTriggered) through the Certificate's status
// subresource; cert-manager's issuing controllers then make a new CertificateRequest (and, with ACME,
// an Order and its Challenges). Refused while Issuing is True already. The write is bound to the
// resourceVersion its preview saw; the preview is the server's dry run of that status patch.
func RenewCertificate() Action {
	return Action{Name: "renew-certificate", Kind: KindCertificate, Role: access.Operator,
		Blast: func(t Target) string {
			return fmt.Sprintf("%s: cert-manager issues it again now (a new CertificateRequest to its issuer); the current certificate and its Secret stay in use until the new one is issued", t)
		},
		Preview: previewRenew,
		Run: func(ctx context.Context, c Client, t Target, expect Precondition) error {
			_, _, err := renewCertificate(ctx, c, t, expect, nil, time.Now())
			return err
		},
	}
}

// previewRenew dry-runs the status patch bound to what it read: the conditions before and after.
func previewRenew(ctx context.Context, c Client, t Target) (Preview, error) {
	before, after, err := renewCertificate(ctx, c, t, Precondition{}, dryRunAll(), time.Now())
	if err != nil {
		return Preview{}, err
	}
	var notes []string
	for _, f := range []string{"notAfter", "renewalTime"} {
		if v, _, _ := unstructured.NestedString(before.Object, "status", f); v != "" {
			notes = append(notes, f+" now: "+v)
		}
	}
	if kind, _, _ := unstructured.NestedString(before.Object, "spec", "issuerRef", "kind"); kind != "" {
		name, _, _ := unstructured.NestedString(before.Object, "spec", "issuerRef", "name")
		notes = append(notes, "issued by "+kind+"/"+name)
	} else if name, _, _ := unstructured.NestedString(before.Object, "spec", "issuerRef", "name"); name != "" {
		notes = append(notes, "issued by Issuer/"+name)
	}
	return Preview{Changes: diff(before.Object, after.Object), Notes: notes,
		Expect: Precondition{UID: before.GetUID(), ResourceVersion: before.GetResourceVersion()}}, nil
}

// withIssuing is conditions with Issuing=True (ManuallyTriggered, at now, for generation) added, or an
// error matching ErrRenewalInProgress when Issuing is True already. Other conditions stay, in order; an
// Issuing condition that is not True is replaced.
func withIssuing(conditions []any, generation int64, now time.Time) ([]any, error) {
	out := make([]any, 0, len(conditions)+1)
	for _, c := range conditions {
		m, _ := c.(map[string]any)
		if m["type"] != CertIssuing {
			out = append(out, c)
			continue
		}
		if m["status"] == "True" {
			reason, _ := m["reason"].(string)
			since, _ := m["lastTransitionTime"].(string)
			return nil, fmt.Errorf("%w: Issuing is True (reason %s, since %s); wait for cert-manager to finish it", ErrRenewalInProgress, orUnset(reason), orUnset(since))
		}
	}
	issuing := map[string]any{"type": CertIssuing, "status": "True", "reason": CertManualReason, "message": certManualMessage,
		"lastTransitionTime": now.UTC().Format(time.RFC3339)}
	if generation > 0 {
		issuing["observedGeneration"] = generation
	}
	return append(out, issuing), nil
}

func orUnset(s string) string {
	if s == "" {
		return Unset
	}
	return s
}

// renewCertificate reads the Certificate, refuses it when it is not the one expected or a renewal is in
// progress, and patches its status conditions (the whole list: a merge patch replaces it) bound to what
// it read. It returns the Certificate as read and as patched; dryRun set makes it a dry run.
func renewCertificate(ctx context.Context, c Client, t Target, expect Precondition, dryRun []string, now time.Time) (*unstructured.Unstructured, *unstructured.Unstructured, error) {
	if err := t.check(KindCertificate); err != nil {
		return nil, nil, err
	}
	res := c.Dynamic.Resource(CertificatesResource()).Namespace(t.Namespace)
	crt, err := res.Get(ctx, t.Name, metav1.GetOptions{})
	if err != nil {
		return nil, nil, changed(t, expect, err)
	}
	switch {
	case expect.UID != "" && expect.UID != crt.GetUID():
		return nil, nil, &ChangedError{Target: t, Why: "deleted and made again"}
	case expect.ResourceVersion != "" && expect.ResourceVersion != crt.GetResourceVersion():
		return nil, nil, &ChangedError{Target: t, Why: "modified"}
	}
	conditions, _, err := unstructured.NestedSlice(crt.Object, "status", "conditions")
	if err != nil {
		return nil, nil, fmt.Errorf("%s: status.conditions: %w", t, err)
	}
	conds, err := withIssuing(conditions, crt.GetGeneration(), now)
	if err != nil {
		return crt, nil, err
	}
	bind := Precondition{UID: crt.GetUID(), ResourceVersion: crt.GetResourceVersion()}
	body, err := boundPatch(map[string]any{"status": map[string]any{"conditions": conds}}, bind)
	if err != nil {
		return nil, nil, err
	}
	after, err := res.Patch(ctx, t.Name, types.MergePatchType, body, metav1.PatchOptions{DryRun: dryRun}, certStatusResource)
	if err != nil {
		return nil, nil, changed(t, bind, err)
	}
	return crt, after, nil
}
