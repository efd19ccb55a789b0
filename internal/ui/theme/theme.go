// Package theme holds the console's styles: adaptive to light and dark backgrounds, plain under NO_COLOR,
// and always carrying state by symbol as well as by colour.
package theme

import (
	"image/color"

	"charm.land/lipgloss/v2"
)

// Tone is what a piece of text means, for its colour: the screens say good, warn or bad, and the theme
// decides how that looks. Callers map their own states to tones (the console maps health statuses).
type Tone uint8

// The tones. Plain is unstyled text.
const (
	Plain Tone = iota
	// Muted is secondary text, or a state not known yet.
	Muted
	// Good is a state that holds: done, healthy, valid.
	Good
	// Warn needs attention but works: degraded, a choice to review.
	Warn
	// Bad is failed, down or destructive.
	Bad
	tones
)

// Theme is a set of styles for one terminal (each SSH session has its own).
type Theme struct {
	Color bool
	Dark  bool

	Title     lipgloss.Style
	Subtle    lipgloss.Style
	Header    lipgloss.Style
	Banner    lipgloss.Style
	Flash     lipgloss.Style
	Error     lipgloss.Style
	Key       lipgloss.Style
	KeyDesc   lipgloss.Style
	TableHead lipgloss.Style
	Selected  lipgloss.Style
	Label     lipgloss.Style
	tones     [tones]lipgloss.Style
}

// New builds the theme. color=false (NO_COLOR, monochrome consoles) keeps only bold, reverse and
// underline, which read on any terminal.
func New(useColor, dark bool) Theme {
	t := Theme{Color: useColor, Dark: dark}
	plain := lipgloss.NewStyle()
	if !useColor {
		t.Title = plain.Bold(true)
		t.Subtle = plain
		t.Header = plain
		t.Banner = plain.Reverse(true)
		t.Flash = plain.Bold(true)
		t.Error = plain.Bold(true)
		t.Key = plain.Bold(true)
		t.KeyDesc = plain
		t.TableHead = plain.Bold(true)
		t.Selected = plain.Reverse(true)
		t.Label = plain.Bold(true)
		for i := range t.tones {
			t.tones[i] = plain
		}
		t.tones[Bad] = plain.Bold(true)
		return t
	}
	ld := lipgloss.LightDark(dark)
	c := func(light, darkHex string) color.Color { return ld(lipgloss.Color(light), lipgloss.Color(darkHex)) }
	accent := c("#5A3FC0", "#B7A6FF")
	muted := c("#6B6B6B", "#9A9A9A")
	t.Title = plain.Bold(true).Foreground(accent)
	t.Subtle = plain.Foreground(muted)
	t.Header = plain
	t.Banner = plain.Bold(true).Foreground(c("#FFFFFF", "#1A1A1A")).Background(c("#B35C00", "#FFB454"))
	t.Flash = plain.Bold(true).Foreground(accent)
	t.Error = plain.Bold(true).Foreground(c("#B00020", "#FF6B6B"))
	t.Key = plain.Bold(true).Foreground(accent)
	t.KeyDesc = plain.Foreground(muted)
	t.TableHead = plain.Bold(true).Foreground(muted)
	t.Selected = plain.Bold(true).Foreground(c("#000000", "#FFFFFF")).Background(c("#DCD3FF", "#3E3470"))
	t.Label = plain.Bold(true)
	t.tones[Plain] = plain
	t.tones[Muted] = plain.Foreground(muted)
	t.tones[Good] = plain.Foreground(c("#1B7F3B", "#5AD17A"))
	t.tones[Warn] = plain.Foreground(c("#9A6200", "#F2C14E"))
	t.tones[Bad] = plain.Bold(true).Foreground(c("#B00020", "#FF6B6B"))
	return t
}

// Style is the style of a tone; Plain, and any value outside the tones, is unstyled.
func (t Theme) Style(tn Tone) lipgloss.Style {
	if tn >= tones {
		tn = Plain
	}
	return t.tones[tn]
}
