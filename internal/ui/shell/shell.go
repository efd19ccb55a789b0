// Package shell is the frame every full-screen program of the project draws around its body: the header
// line, the status line, the footer of key help, the `?` help overlay, the expiring flash and the
// "terminal too small" screen. The console (ui/app) and the install wizard draw the same frame with it, so
// the two read alike and say the same thing when the terminal is too small.
//
// A program lays out its screen as header, status line, body (Height rows less FrameRows) and footer:
//
//	func (m *Model) Render() string {
//		if !shell.Fits(m.w, m.h) {
//			return shell.TooSmallView(m.w, m.h)
//		}
//		body := m.pane()
//		if m.help {
//			body = shell.Help(m.theme, []shell.Section{
//				{Title: "Everywhere", Keys: []key.Binding{m.keys.Help, m.keys.Quit}},
//			}, "State by symbol: · pending ✔ done ✖ failed – skipped", m.w, m.h-shell.FrameRows)
//		}
//		status := shell.Status{Hint: m.hint(), Flash: m.flash}
//		if m.confirmQuit {
//			status.Alert = "a step is running: quit anyway? (y/n)"
//		}
//		return strings.Join([]string{
//			shell.Header(m.theme.Title.Render("cedille-tui install"), "step 2/9 · ISO", m.w),
//			shell.StatusLine(m.theme, status, m.w),
//			common.Block(body, m.w, m.h-shell.FrameRows),
//			shell.Footer(m.theme, m.keysNow(), m.w),
//		}, "\n")
//	}
//
// and keeps its flash as a field, set where something happened and updated with every message:
//
//	cmd := m.flash.Set("the plan could not be saved: "+err.Error(), true) // the tick that clears it
//	m.flash, cmd = m.flash.Update(msg)                                     // in Update, for that tick
package shell

import (
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/lipgloss/v2"
	"github.com/clubcedille/cedille-tui/internal/ui/common"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
)

// MinWidth and MinHeight are the smallest terminal a full-screen program draws into.
const (
	MinWidth  = 80
	MinHeight = 24
)

// FrameRows is how many rows the frame takes: header, status line and footer; the body gets the rest.
const FrameRows = 3

// Fits tells whether a w×h terminal is large enough to draw into.
func Fits(w, h int) bool { return w >= MinWidth && h >= MinHeight }

// TooSmall is what a program says instead of its screen while the terminal is smaller than
// MinWidth×MinHeight.
func TooSmall(w, h int) string {
	return "terminal too small (need " + strconv.Itoa(MinWidth) + "×" + strconv.Itoa(MinHeight) + "), now " +
		strconv.Itoa(w) + "×" + strconv.Itoa(h) + ": enlarge it, nothing is lost"
}

// TooSmallView is the whole screen while the terminal is too small: TooSmall, exactly w×h.
func TooSmallView(w, h int) string { return common.Block(TooSmall(w, h), w, h) }

// Header is the top line: left (the program and what it works on) and right (where it is, its state)
// joined to exactly width cells, the right part kept whole when the two do not fit.
func Header(left, right string, width int) string { return common.Join(left, right, width) }

// Status is what the status line under the header may say; StatusLine shows the most urgent.
type Status struct {
	// Prompt is a line being typed (the console's `:` prompt), drawn as given; it wins over all.
	Prompt string
	// Alert is a question waiting for its answer (the quit confirmation) or a warning (stale data),
	// drawn across the line as a banner.
	Alert string
	// Hint says what to do here or where one is (breadcrumbs), drawn subtle on the left.
	Hint string
	// Right is a summary drawn as given on the right (the console's layer states).
	Right string
	// Flash is shown while it lasts: in the Hint's place, or in Right's place with FlashRight.
	Flash      Flash
	FlashRight bool
}

// StatusLine draws s on one line of exactly width cells.
func StatusLine(t theme.Theme, s Status, width int) string {
	hint := t.Subtle.Render(s.Hint)
	switch {
	case s.Prompt != "":
		return common.Fit(s.Prompt, width)
	case s.Alert != "":
		return t.Banner.Render(common.Fit(s.Alert, width))
	case s.Flash.Shown() && s.FlashRight:
		return common.Join(hint, s.Flash.View(t), width)
	case s.Flash.Shown():
		return common.Fit(s.Flash.View(t), width)
	case s.Right != "":
		return common.Join(hint, s.Right, width)
	}
	return common.Fit(hint, width)
}

// Footer is the bottom line: each enabled binding's key and description, most useful first, cut to
// exactly width cells.
func Footer(t theme.Theme, bs []key.Binding, width int) string {
	parts := make([]string, 0, len(bs))
	for _, b := range bs {
		if !b.Enabled() {
			continue
		}
		h := b.Help()
		parts = append(parts, t.Key.Render(h.Key)+" "+t.KeyDesc.Render(h.Desc))
	}
	return common.Fit(strings.Join(parts, t.Subtle.Render(" • ")), width)
}

// Section is one titled group of keys in the help overlay.
type Section struct {
	Title string
	Keys  []key.Binding
}

// Help is the `?` overlay, exactly width×height: each section with keys to show (disabled ones are left
// out) as its title over its keys, one a line, the keys in one aligned column; a blank line between
// sections; flowed into side-by-side columns when taller than the height allows; the legend (what the
// screen's symbols mean; may be empty) on the last line.
func Help(t theme.Theme, sections []Section, legend string, width, height int) string {
	keyW := 0
	for _, s := range sections {
		for _, b := range s.Keys {
			if b.Enabled() {
				keyW = max(keyW, lipgloss.Width(b.Help().Key))
			}
		}
	}
	var blocks [][]string
	for _, s := range sections {
		var keys []string
		for _, b := range s.Keys {
			if b.Enabled() {
				h := b.Help()
				keys = append(keys, " "+t.Key.Render(common.Fit(h.Key, keyW))+" "+h.Desc)
			}
		}
		if len(keys) > 0 {
			blocks = append(blocks, append([]string{t.Label.Render(s.Title)}, keys...))
		}
	}
	rows := height
	if legend != "" {
		rows = height - 2 // a blank line, then the legend
	}
	out := columns(blocks, rows, width)
	if legend != "" {
		out = append(out, "", t.Subtle.Render(legend))
	}
	return common.Block(strings.Join(out, "\n"), width, height)
}

// columns lays the blocks out top to bottom, a blank line between them, into as many side-by-side
// columns as the height needs: a block starts a new column rather than being split from its title (one
// taller than the height is split). A column too narrow to read is not drawn: the block's edge cuts it.
func columns(blocks [][]string, h, w int) []string {
	var cols [][]string
	var cur []string
	for _, b := range blocks {
		if len(cur) > 0 && h > 0 && len(cur)+1+len(b) > h {
			cols, cur = append(cols, cur), nil
		}
		if len(cur) > 0 {
			cur = append(cur, "")
		}
		cur = append(cur, b...)
		for h > 0 && len(cur) > h { // a block taller than a column
			cols, cur = append(cols, cur[:h]), cur[h:]
		}
	}
	if len(cur) > 0 {
		cols = append(cols, cur)
	}
	switch len(cols) {
	case 0:
		return nil
	case 1:
		return cols[0]
	}
	colW := max(w/len(cols), 1)
	out := make([]string, h)
	for _, c := range cols {
		for i := range out {
			l := ""
			if i < len(c) {
				l = c[i]
			}
			out[i] += common.Fit(l, colW)
		}
	}
	return out
}
