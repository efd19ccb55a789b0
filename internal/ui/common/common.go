// Package common is the contract between the app shell and its pages, and the small text helpers every
// page uses to fit its output exactly into the space it is given.
package common

import (
	"strings"
	"unicode/utf8"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
	"github.com/clubcedille/cedille-tui/internal/watch"
)

// Page is one screen of the page stack.
type Page interface {
	// Init returns the page's first command, if any.
	Init() tea.Cmd
	// Update handles a message; it never does I/O (return a tea.Cmd for that).
	Update(msg tea.Msg) (Page, tea.Cmd)
	// View renders exactly the size last given to SetSize.
	View() string
	SetSize(width, height int)
	// Title is the page's name in the breadcrumb.
	Title() string
	// ShortHelp lists the page's main keys for the footer; FullHelp groups all of them for `?`.
	ShortHelp() []key.Binding
	FullHelp() [][]key.Binding
}

// Capturing is implemented by pages that are reading text (a filter, a form): the shell then leaves
// printable keys such as q and ? to them.
type Capturing interface {
	Capturing() bool
}

// SnapshotMsg carries a new snapshot from the hub to every page.
type SnapshotMsg struct{ Snapshot watch.Snapshot }

// PushMsg asks the shell to open a page on top of the current one.
type PushMsg struct{ Page Page }

// Push returns the command that opens p.
func Push(p Page) tea.Cmd { return func() tea.Msg { return PushMsg{Page: p} } }

// Targeted is implemented by pages that show a cluster object, or have one selected: Target is its
// health.Finding-style name ("Node/worker-2", "Pod/web/web-1", "Application/argocd/shop"), what the
// shell's actions key acts on; false when there is none.
type Targeted interface {
	Target() (string, bool)
}

// FlashMsg asks the shell to flash a line (Bad: as an error); Back also closes the page on top (the
// page that sent it, its work done).
type FlashMsg struct {
	Text      string
	Bad, Back bool
}

// ThemeMsg tells pages the theme changed (background detected).
type ThemeMsg struct{ Theme theme.Theme }

// Fit truncates or pads s (which may hold ANSI styles) to exactly width cells.
func Fit(s string, width int) string {
	if width <= 0 {
		return ""
	}
	w := lipgloss.Width(s)
	switch {
	case w > width:
		return ansi.Truncate(s, width, "…")
	case w < width:
		return s + strings.Repeat(" ", width-w)
	}
	return s
}

// Truncate shortens s to at most width cells, with an ellipsis.
func Truncate(s string, width int) string {
	if width <= 0 {
		return ""
	}
	return ansi.Truncate(s, width, "…")
}

// Block fits text into exactly width×height: each line fitted, extra lines dropped, missing ones blank.
func Block(text string, width, height int) string {
	if height <= 0 || width <= 0 {
		return ""
	}
	lines := strings.Split(text, "\n")
	if len(lines) > height {
		lines = lines[:height]
	}
	for i := range lines {
		lines[i] = Fit(lines[i], width)
	}
	for len(lines) < height {
		lines = append(lines, strings.Repeat(" ", width))
	}
	return strings.Join(lines, "\n")
}

// Join places left and right on one line of exactly width cells, the right part winning when short.
func Join(left, right string, width int) string {
	rw := lipgloss.Width(right)
	if rw >= width {
		return Fit(right, width)
	}
	return Fit(left, width-rw-1) + " " + right
}

// Wrap breaks text to width at spaces, keeping words — paths included, hyphens and all — whole where
// they fit, and cutting only a word longer than the width. Each "\n" starts a new line.
func Wrap(s string, width int) []string {
	if width <= 0 {
		return nil
	}
	var out []string
	for _, para := range strings.Split(s, "\n") {
		line := ""
		for i, w := range strings.Split(para, " ") {
			switch {
			case i == 0:
				line = w
			case ansi.StringWidth(line)+1+ansi.StringWidth(w) <= width:
				line += " " + w
			default:
				out = append(out, line)
				line = w
			}
			for ansi.StringWidth(line) > width {
				out = append(out, ansi.Truncate(line, width, ""))
				line = ansi.TruncateLeft(line, width, "")
			}
		}
		out = append(out, line)
	}
	return out
}

// Labelled is a text field under a label of labelWidth cells: the text wrapped to what the width leaves,
// its continuation lines indented under the first.
func Labelled(label, text string, labelWidth, width int) []string {
	indent := strings.Repeat(" ", labelWidth)
	lines := Wrap(text, max(width-labelWidth, 1))
	for i := range lines {
		if i == 0 {
			lines[i] = label + strings.Repeat(" ", max(labelWidth-lipgloss.Width(label), 0)) + lines[i]
		} else {
			lines[i] = indent + lines[i]
		}
	}
	return lines
}

// Inert makes text from the cluster (object names, event messages and reasons) safe to draw: every
// control character but the line feed is shown instead of obeyed — C0 controls and DEL in caret
// notation (ESC as ^[, BEL as ^G, CR as ^M, tab as a space), C1 controls and invalid UTF-8 as �. An
// escape sequence in a name (clear the screen, set the clipboard through OSC 52, move the cursor) is
// then printed as text. Call it on such text before styling it; the styles' own sequences stay.
func Inert(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || (r < 0x20 && r != '\n') || (r >= 0x7f && r < 0xa0) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n':
			b.WriteRune(r)
		case r == '\t':
			b.WriteByte(' ')
		case r < 0x20:
			b.WriteByte('^')
			b.WriteByte(byte(r) + 0x40)
		case r == 0x7f:
			b.WriteString("^?")
		case r >= 0x80 && r < 0xa0, r == utf8.RuneError:
			b.WriteRune(utf8.RuneError)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// RootKeys are the keys every root model (the console's shell, the fleet view) binds alike: q quits,
// ctrl+c quits from anywhere, esc goes back.
type RootKeys struct {
	Quit, ForceQuit, Back key.Binding
}

// NewRootKeys are the root keys with their help.
func NewRootKeys() RootKeys {
	return RootKeys{
		Quit:      key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit")),
		ForceQuit: key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
		Back:      key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
	}
}
