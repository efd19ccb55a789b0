package app

import (
	"slices"
	"testing"
)

func TestMatching(t *testing.T) {
	targets := []string{"overview", "nodes", "events", "cluster", "storage", "secrets", "certificates"}
	tests := []struct {
		text string
		want []string
	}{
		{"", targets},
		{"  ", targets},
		{"s", []string{"storage", "secrets"}},
		{"S", []string{"storage", "secrets"}},
		{"se", []string{"secrets"}},
		{"secrets", []string{"secrets"}},
		{"c", []string{"cluster", "certificates"}},
		{"ce", []string{"certificates"}},
		{"x", nil},
		{"secretsx", nil},
	}
	for _, tt := range tests {
		if got := matching(targets, tt.text); !slices.Equal(got, tt.want) {
			t.Errorf("matching(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
}

func TestResolve(t *testing.T) {
	m := New(Options{Targets: []string{"overview", "nodes", "events", "vclusters", "vc"}})
	tests := []struct{ text, want string }{
		{"", ""},
		{"n", "nodes"},
		{" Ev ", "events"},
		{"v", "vclusters"},
		{"vc", "vc"}, // an exact name wins over a longer one it begins
		{"x", ""},
	}
	for _, tt := range tests {
		if got := m.resolve(tt.text); got != tt.want {
			t.Errorf("resolve(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}
