package audit

import "strings"

// Redact replaces with [redacted] every word of s shaped like a secret the console handles:
//   - a Vault token: hvs., hvb., hvr. (or the older s., b., r.) and at least 20 more characters;
//   - an unseal or recovery share, a generate-root one-time password or encoded token, a JWT (a
//     Kubernetes service-account token) or any other key in base64: 24 characters or more of the base64
//     alphabet (dots allowed) mixing upper case, lower case and digits, or 32 or more mixing cases;
//   - a key in hex (a share printed as hex is 66 digits): 48 hex digits or more;
//   - a PGP armor line.
//
// A word is a run of characters from the base64 and base64url alphabets and dots. Object names, user
// names and addresses are lower case, short or punctuated, and stay as they are; a key fingerprint
// typed into a reason is masked too (the Fingerprint field is kept, being checked to be one). Redact is
// a safety net behind the Record's shape, not the guarantee: a random key that happens to be all lower
// case, or a short one-time password without a digit, passes it.
func Redact(s string) string {
	if strings.Contains(s, "-----BEGIN PGP") {
		return "[redacted]"
	}
	var b strings.Builder
	start := -1
	flush := func(end int) {
		if start < 0 {
			return
		}
		if w := s[start:end]; looksSecret(w) {
			b.WriteString("[redacted]")
		} else {
			b.WriteString(w)
		}
		start = -1
	}
	for i, c := range s {
		if isBase64(c) || c == '.' || c == '-' || c == '_' {
			if start < 0 {
				start = i
			}
			continue
		}
		flush(i)
		b.WriteRune(c)
	}
	flush(len(s))
	return b.String()
}

func looksSecret(w string) bool {
	w = strings.Trim(w, ".-")
	for _, p := range []string{"hvs.", "hvb.", "hvr.", "s.", "b.", "r."} {
		if rest, ok := strings.CutPrefix(w, p); ok && len(rest) >= 20 {
			return true
		}
	}
	var upper, lower, digit, hexOnly = false, false, false, true
	for _, c := range w {
		switch {
		case c >= 'A' && c <= 'Z':
			upper = true
		case c >= 'a' && c <= 'z':
			lower = true
		case c >= '0' && c <= '9':
			digit = true
		}
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			hexOnly = false
		}
	}
	if hexOnly && len(w) >= 48 {
		return true
	}
	return upper && lower && (len(w) >= 24 && digit || len(w) >= 32)
}

func isBase64(c rune) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '='
}
