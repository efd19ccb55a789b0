package theme

import "testing"

func TestStyle(t *testing.T) {
	color, mono := New(true, true), New(false, true)
	tests := []struct {
		name      string
		tone      Tone
		colored   bool // has a foreground in colour
		monoBold  bool // bold without colour
		sameAsOut bool // styled as Plain
	}{
		{"plain", Plain, false, false, true},
		{"muted", Muted, true, false, false},
		{"good", Good, true, false, false},
		{"warn", Warn, true, false, false},
		{"bad", Bad, true, true, false},
		{"out of range", tones + 3, false, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := color.Style(tc.tone)
			if got := c.GetForeground() != nil && c.Render("x") != "x"; got != tc.colored {
				t.Errorf("coloured = %v, want %v", got, tc.colored)
			}
			if got := mono.Style(tc.tone).GetBold(); got != tc.monoBold {
				t.Errorf("bold without colour = %v, want %v", got, tc.monoBold)
			}
			if got := c.Render("x") == color.Style(Plain).Render("x"); got != tc.sameAsOut {
				t.Errorf("renders as plain = %v, want %v", got, tc.sameAsOut)
			}
		})
	}
	if color.Style(Muted).Render("x") != color.Subtle.Render("x") {
		t.Error("the muted tone must read as subtle text")
	}
	seen := map[string]Tone{}
	for _, tn := range []Tone{Muted, Good, Warn, Bad} {
		r := color.Style(tn).Render("x")
		if prev, dup := seen[r]; dup {
			t.Errorf("tones %d and %d look the same", prev, tn)
		}
		seen[r] = tn
	}
}
