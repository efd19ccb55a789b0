package health

import (
	"fmt"
	"time"

	"github.com/clubcedille/cedille-tui/internal/units"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// ResourceCertificates is the certificates layer's resource, as a key of Objects.Unavailable.
const ResourceCertificates = "certificates.cert-manager.io"

const (
	// certExpiryWarning makes a Ready certificate Degraded. cert-manager renews Let's Encrypt's 90-day
	// certificates 30 days before expiry (renewBefore defaults to a third of the duration), so 14 days
	// left means renewal has been failing for over two weeks.
	certExpiryWarning = 14 * 24 * time.Hour
	// certFirstIssue is how long a new Certificate may be Ready=False while its first issuance runs
	// (an ACME http01 challenge through Contour) before it counts as failed.
	certFirstIssue = 10 * time.Minute
)

// Certificates builds the certificates layer: one finding per cert-manager Certificate.
//
// Mapping: Ready True → OK "Ready, expires in N days"; fewer than 14 days left, or status.renewalTime
// past → Degraded (runbook cert-renewal, naming the issuer); notAfter past → Down even if Ready; Ready
// False → Down with the condition's reason and message, except during a new Certificate's first 10
// minutes while cert-manager says Issuing (Unknown: the ACME challenge is running); no Ready condition →
// Unknown "not issued yet"; Ready Unknown → Unknown. Certificates unreadable adds an Unknown finding
// (CRD/certificates.cert-manager.io); whatever Certificates the source still holds are judged all the same.
func Certificates(o Objects) LayerReport {
	fs := make([]Finding, 0, len(o.Certificates)+1)
	if err := o.Missing(ResourceCertificates); err != nil {
		fs = append(fs, MissingFinding("CRD/"+ResourceCertificates, err,
			"cert-manager's Certificate CRD is absent or not readable: install cert-manager or grant list on certificates.cert-manager.io"))
	}
	for _, c := range o.Certificates {
		if c == nil {
			continue
		}
		fs = append(fs, Certificate(c, o.Now))
	}
	return NewLayer(LayerCertificates, fs)
}

// Certificate judges one cert-manager.io/v1 Certificate from its Ready condition, status.notAfter and
// status.renewalTime. An expired certificate is Down even when cert-manager still says Ready.
func Certificate(c *unstructured.Unstructured, now time.Time) Finding {
	f := Finding{Object: ObjectName("Certificate", c)}
	issuer := certIssuer(c)
	renewHint := "read its CertificateRequest, Order and Challenge (kubectl describe certificate); issuer " + issuer +
		"; runbook: " + RunbookCertExpiring
	notAfter, hasNotAfter := certTime(c, "notAfter")
	expired := hasNotAfter && !notAfter.After(now)
	conds := Conditions(c)
	ready, hasReady := FindCondition(conds, "Ready")

	switch {
	case !hasReady:
		f.Status, f.Reason = Unknown, "not issued yet (no Ready condition)"
		f.Hint = "cert-manager has not processed it: check the cert-manager pods, and that issuer " + issuer + " exists"
		return f
	case ready.Status == "False":
		issuing, _ := FindCondition(conds, "Issuing")
		created := c.GetCreationTimestamp().Time
		if !hasNotAfter && issuing.Status == "True" && !created.IsZero() && now.Sub(created) < certFirstIssue {
			f.Status, f.Reason = Unknown, "being issued for the first time ("+units.Duration(now.Sub(created))+")"
			f.Hint = "wait for the " + issuer + " challenge to complete"
			return f
		}
		f.Status, f.Reason = Down, "not Ready"+certConditionText(ready)
		if expired {
			f.Reason += "; expired " + notAfter.UTC().Format(time.DateOnly)
		}
		f.Hint = renewHint
		return f.inDemo(demoElsewhere)
	case ready.Status != "True":
		f.Status, f.Reason = Unknown, "Ready is "+orNone(ready.Status)+certConditionText(ready)
		f.Hint = "wait for cert-manager to finish; if it lasts, " + renewHint
		return f.inDemo(demoElsewhere)
	case !hasNotAfter:
		f.Status, f.Reason = OK, "Ready (no expiry date reported)"
		return f
	case expired:
		f.Status = Down
		f.Reason = "expired " + units.Duration(now.Sub(notAfter)) + " ago (" + notAfter.UTC().Format(time.DateOnly) + "), though Ready"
		f.Hint = "clients refuse it: " + renewHint
		return f.inDemo(demoElsewhere)
	}

	left := notAfter.Sub(now)
	expires := "expires in " + certLeft(left)
	if renewal, ok := certTime(c, "renewalTime"); ok && renewal.Before(now) {
		f.Status, f.Reason = Degraded, "Ready, renewal overdue since "+renewal.UTC().Format(time.DateOnly)+", "+expires
		f.Hint = "renewal is failing: " + renewHint
		return f.inDemo(demoElsewhere)
	}
	if left < certExpiryWarning {
		f.Status, f.Reason = Degraded, "Ready, "+expires
		f.Hint = "renewal should have happened by now: " + renewHint
		return f.inDemo(demoElsewhere)
	}
	f.Status, f.Reason = OK, "Ready, "+expires
	return f
}

// certIssuer is "ClusterIssuer/letsencrypt-prod" from spec.issuerRef (kind defaults to Issuer).
func certIssuer(c *unstructured.Unstructured) string {
	name := Str(c, "spec", "issuerRef", "name")
	if name == "" {
		return "(none)"
	}
	kind := Str(c, "spec", "issuerRef", "kind")
	if kind == "" {
		kind = "Issuer"
	}
	return kind + "/" + name
}

func certTime(c *unstructured.Unstructured, field string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339, Str(c, "status", field))
	return t, err == nil
}

// certLeft is "41 days", "1 day" or, under a day, "5h30m".
func certLeft(d time.Duration) string {
	days := int(d / (24 * time.Hour))
	switch {
	case days > 1:
		return fmt.Sprintf("%d days", days)
	case days == 1:
		return "1 day"
	default:
		return units.Duration(d)
	}
}

// certConditionText is ": Reason (message)" for a condition, or "" when it says nothing.
func certConditionText(c Condition) string { return reasonText(c.Reason, c.Message) }
