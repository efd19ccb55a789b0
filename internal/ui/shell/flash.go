package shell

import (
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
)

// FlashFor is how long a flash shows.
const FlashFor = 4 * time.Second

// Flash is a one-line message that says what just happened — a note, or an error — and goes away after
// FlashFor. The zero value shows nothing. A program holds one, passes it every message (Update) and
// draws it in its status line (Status.Flash).
type Flash struct {
	text  string
	isErr bool
	// id counts the flashes set, so that the tick of an older one does not clear a newer one.
	id int
}

// clearFlashMsg is the tick that ends flash id.
type clearFlashMsg struct{ id int }

// Set shows text (an error when isErr) and returns the tick that clears it after FlashFor; a program
// that wants the flash to stay until it says otherwise (Clear, or another Set) drops the command.
func (f *Flash) Set(text string, isErr bool) tea.Cmd {
	f.id++
	f.text, f.isErr = text, isErr
	id := f.id
	return tea.Tick(FlashFor, func(time.Time) tea.Msg { return clearFlashMsg{id: id} })
}

// Clear hides the flash now.
func (f *Flash) Clear() { f.text, f.isErr = "", false }

// Update clears the flash on its own tick (not on an older flash's).
func (f Flash) Update(msg tea.Msg) (Flash, tea.Cmd) {
	if c, ok := msg.(clearFlashMsg); ok && c.id == f.id {
		f.Clear()
	}
	return f, nil
}

// Shown tells whether there is a flash to show; Text and IsErr say what it is.
func (f Flash) Shown() bool  { return f.text != "" }
func (f Flash) Text() string { return f.text }
func (f Flash) IsErr() bool  { return f.isErr }

// View is the flash styled, not fitted to a width ("" when there is none): an error starts with ✖, so it
// reads as one without colour.
func (f Flash) View(t theme.Theme) string {
	switch {
	case f.text == "":
		return ""
	case f.isErr:
		return t.Error.Render("✖ " + f.text)
	}
	return t.Flash.Render(f.text)
}
