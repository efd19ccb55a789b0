package console

import (
	"testing"

	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
)

func TestToneOf(t *testing.T) {
	tests := []struct {
		status health.Status
		want   theme.Tone
	}{
		{health.OK, theme.Good},
		{health.Unknown, theme.Muted},
		{health.Degraded, theme.Warn},
		{health.Down, theme.Bad},
		{health.Status(-1), theme.Muted},
		{health.Down + 1, theme.Muted},
	}
	for _, tc := range tests {
		if got := ToneOf(tc.status); got != tc.want {
			t.Errorf("ToneOf(%d) = %d, want %d", tc.status, got, tc.want)
		}
	}
	th := theme.New(true, true)
	if got, want := Status(th, health.Down), th.Style(theme.Bad).Render("✖ Down"); got != want {
		t.Errorf("Status(Down) = %q, want %q", got, want)
	}
	if got, want := Symbol(th, health.Degraded), th.Style(theme.Warn).Render("▲"); got != want {
		t.Errorf("Symbol(Degraded) = %q, want %q", got, want)
	}
}
