package console

import (
	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
)

// ToneOf is the tone a health status reads in: the one place the console maps statuses to colours.
// A value outside the statuses reads as Unknown does.
func ToneOf(s health.Status) theme.Tone {
	switch s {
	case health.OK:
		return theme.Good
	case health.Degraded:
		return theme.Warn
	case health.Down:
		return theme.Bad
	}
	return theme.Muted
}

// Status renders a status with its symbol in its tone: "✔ OK", "▲ Degraded", "✖ Down" or "? Unknown".
func Status(t theme.Theme, s health.Status) string {
	return t.Style(ToneOf(s)).Render(s.Symbol() + " " + s.String())
}

// Symbol renders a status's symbol alone, in its tone.
func Symbol(t theme.Theme, s health.Status) string { return t.Style(ToneOf(s)).Render(s.Symbol()) }
