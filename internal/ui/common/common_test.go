package common

import (
	"slices"
	"strings"
	"testing"

	"charm.land/lipgloss/v2"
)

func TestWrap(t *testing.T) {
	tests := []struct {
		name  string
		s     string
		width int
		want  []string
	}{
		{"fits", "short text", 20, []string{"short text"}},
		{"at spaces", "the quick brown fox jumps", 10, []string{"the quick", "brown fox", "jumps"}},
		{"paths and hyphens kept whole", "run /usr/local/bin/cedille-tui now", 28, []string{"run", "/usr/local/bin/cedille-tui", "now"}},
		{"a word longer than the width is cut", "abcdefghij", 4, []string{"abcd", "efgh", "ij"}},
		{"newlines start lines", "one\ntwo three", 20, []string{"one", "two three"}},
		{"no width", "anything", 0, nil},
		{"empty", "", 5, []string{""}},
	}
	for _, tt := range tests {
		if got := Wrap(tt.s, tt.width); !slices.Equal(got, tt.want) {
			t.Errorf("%s: Wrap(%q, %d) = %q, want %q", tt.name, tt.s, tt.width, got, tt.want)
		}
	}
}

func TestLabelled(t *testing.T) {
	got := Labelled("Why", "reconcile failed: the Kubernetes auth bootstrap is missing", 6, 26)
	want := []string{
		"Why   reconcile failed:",
		"      the Kubernetes auth",
		"      bootstrap is missing",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("Labelled =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, l := range got {
		if lipgloss.Width(l) > 26 {
			t.Errorf("line %q is wider than 26", l)
		}
	}
	// A styled label counts by its cells, not its bytes.
	styled := lipgloss.NewStyle().Bold(true).Render("Do")
	if l := Labelled(styled, "x", 6, 20)[0]; lipgloss.Width(l) != 7 {
		t.Errorf("styled label: %q is %d cells, want 7", l, lipgloss.Width(l))
	}
}

func TestInert(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain text unchanged", "vault-0 Back-off restarting", "vault-0 Back-off restarting"},
		{"accents and wide runes unchanged", "nœud-été 日本", "nœud-été 日本"},
		{"clear screen", "pod\x1b[2Jx", "pod^[[2Jx"},
		{"cursor home and colour", "\x1b[H\x1b[31mred", "^[[H^[[31mred"},
		{"OSC 52 clipboard with BEL", "\x1b]52;c;ZXZpbA==\x07", "^[]52;c;ZXZpbA==^G"},
		{"OSC title with ST", "\x1b]0;owned\x1b\\", "^[]0;owned^[\\"},
		{"BEL alone", "ding\a", "ding^G"},
		{"carriage return cannot overwrite", "ok\rFAKE", "ok^MFAKE"},
		{"C1 CSI and OSC", "a\u009b2Jb\u009d52;c;x\u009c", "a\uFFFD2Jb\uFFFD52;c;x\uFFFD"},
		{"DEL and NUL", "a\x7fb\x00", "a^?b^@"},
		{"tab is a space, newline kept", "a\tb\nc", "a b\nc"},
		{"invalid UTF-8", "a\xff\xfeb", "a\uFFFD\uFFFDb"},
	}
	for _, tt := range tests {
		if got := Inert(tt.in); got != tt.want {
			t.Errorf("%s: Inert(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
		if got := Inert(tt.in); strings.ContainsAny(got, "\x1b\a\r\u009b\u009d") {
			t.Errorf("%s: a control character left in %q", tt.name, got)
		}
	}
}
