package audit

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/clubcedille/cedille-tui/internal/vaultops"
)

// secrets are the shapes of what the console handles and the trail must never hold (random bytes from
// a fixed seed: the same every run).
func secrets(t *testing.T) map[string]string {
	t.Helper()
	rng := rand.NewChaCha8([32]byte{7})
	key := make([]byte, 33)
	_, _ = rng.Read(key)
	tok := make([]byte, 18)
	_, _ = rng.Read(tok)
	word := base64.RawURLEncoding.EncodeToString(tok)
	return map[string]string{
		"unseal share, base64":   base64.StdEncoding.EncodeToString(key),
		"unseal share, hex":      hex.EncodeToString(key),
		"recovery share, base64": base64.StdEncoding.EncodeToString(key[1:]),
		"root token":             "hvs." + word,
		"batch token":            "hvb." + word + word,
		"legacy token":           "s." + word,
		"generate-root OTP":      "Xk3" + base64.RawStdEncoding.EncodeToString(tok),
		"service-account JWT":    "eyJhbGciOiJSUzI1NiJ9." + word + "." + word,
		"PGP-armored share":      "-----BEGIN PGP MESSAGE-----\n\nwcBMA" + word + "\n-----END PGP MESSAGE-----",
	}
}

// TestRecordHasTypedFieldsOnly: a Record is strings and an Event — nothing that could carry a value of
// any type (a map, an interface, bytes, a nested struct) — so an action's payload cannot ride along.
func TestRecordHasTypedFieldsOnly(t *testing.T) {
	rt := reflect.TypeFor[Record]()
	for i := range rt.NumField() {
		if f := rt.Field(i); f.Type.Kind() != reflect.String {
			t.Errorf("Record.%s is a %s: only strings may be written to the trail", f.Name, f.Type)
		}
	}
}

// submitShare is an action carrying a share, as the server's ceremony submission will.
type submitShare struct {
	Ceremony string
	Share    vaultops.Secret
	Raw      string // the share as typed, before it became a Secret
}

// TestNoSecretInTheTrail: a record built from an action carrying a share — its printed form as the
// target, the share pasted in any field, inside a sentence — never holds the share, and the rest of the
// text is kept.
func TestNoSecretInTheTrail(t *testing.T) {
	for name, secret := range secrets(t) {
		t.Run(name, func(t *testing.T) {
			f := &failingFile{}
			l := &Log{path: "mem", now: fixedClock(), f: f, head: Head{Hash: Genesis}}
			act := submitShare{Ceremony: "c-7f3a", Share: vaultops.NewSecret(secret), Raw: secret}
			// The careless ways a server could fill a record from the action.
			recs := []Record{
				{Event: CeremonySubmitted, User: "carol", Ceremony: act.Ceremony, Target: fmt.Sprint(act)},
				{Event: CeremonySubmitted, User: "carol", Ceremony: act.Ceremony, Target: fmt.Sprintf("%+v", act)},
				{Event: CeremonyAborted, User: "carol", Ceremony: act.Ceremony, Reason: "wrong window, pasted " + secret + " here"},
			}
			for _, field := range []string{"Session", "User", "Role", "Remote", "Action", "Target", "Reason", "Ceremony"} {
				r := Record{Event: ActionRefused}
				reflect.ValueOf(&r).Elem().FieldByName(field).SetString("x " + secret + " y")
				recs = append(recs, r)
			}
			for _, r := range recs {
				if err := l.Append(r); err != nil {
					t.Fatal(err)
				}
			}
			out := string(f.data)
			for _, part := range strings.Fields(secret) {
				if len(part) >= 12 && strings.Contains(out, part) {
					t.Fatalf("the trail holds the secret's %q", part) // the secret itself is never printed
				}
			}
			want := `"reason":"wrong window, pasted [redacted] here"`
			if strings.Contains(secret, "-----BEGIN PGP") {
				want = `"reason":"[redacted]"` // an armored message masks its whole field
			}
			if !strings.Contains(out, want) {
				t.Errorf("the reason's words around the secret are lost: %s", strings.Split(out, "\n")[2])
			}
		})
	}
}

// TestRedactKeepsWhatIsNotASecret: the names, addresses and messages a trail holds pass unchanged.
func TestRedactKeepsWhatIsNotASecret(t *testing.T) {
	for _, s := range []string{
		"alice", "node/worker-2", "pod/argocd/argocd-application-controller-0", "192.0.2.7:51234", "[2001:db8::7]:2222",
		"needs role operator (alice is viewer)", "cordon", "unseal", "generate-root", "c-7f3a",
		"0b6c1f0e-2b3a-4c7d-9e8f-1a2b3c4d5e6f", "revision 4f2e8c1d9a7b6e5f4a3b2c1d0e9f8a7b6c5d4e3f",
		"access.yaml:12: unknown role \"superuser\"", "session ended: idle for 15m0s",
		"Application argocd/platform-apps: ComparisonError", "s.short", "hvs.tooShort",
	} {
		if got := Redact(s); got != s {
			t.Errorf("Redact(%q) = %q, want it unchanged", s, got)
		}
	}
}

// TestRedactMasksEachShape: each secret shape alone, and inside a sentence, is masked.
func TestRedactMasksEachShape(t *testing.T) {
	for name, secret := range secrets(t) {
		for _, s := range []string{secret, "before " + secret + ", after"} {
			if got := Redact(s); strings.Contains(got, secret) || !strings.Contains(got, "[redacted]") {
				t.Errorf("%s: not masked (%d bytes in, %d out)", name, len(s), len(got))
			}
		}
	}
}
