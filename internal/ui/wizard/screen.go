package wizard

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/clubcedille/cedille-tui/internal/steps"
)

// Screen is what the pane right of the steps shows: a step's form, picker or review, its run, a
// question the run asks, its outcome, the checks at start, or the end. The root keeps the keys that
// work everywhere (quit, help, previous and next step) and gives a screen the others; a screen reads
// the session and asks the root, through control, for what the engine does (run the step, check again,
// save the plan).
type Screen interface {
	// Update handles a key or a message; it never does I/O (return a tea.Cmd for that).
	Update(msg tea.Msg) (Screen, tea.Cmd)
	// View renders the pane (the frame fits it to its size).
	View() string
	SetSize(width, height int)
	// ShortHelp is the screen's keys for the footer, most useful first; Hint is the status line's one
	// line on what to do.
	ShortHelp() []key.Binding
	Hint() string
	// Capturing tells whether the screen reads text: printable keys (q, ?, [) are its own then.
	Capturing() bool
}

// control is what a screen asks of the root.
type control interface {
	// run runs the current step (saving the plan first); next checks every step again and opens where
	// the install resumes; editCur opens the current step's form or picker; review opens the cluster's
	// review; save writes the plan in the background.
	run() tea.Cmd
	next() tea.Cmd
	editCur() tea.Cmd
	review() tea.Cmd
	save() tea.Cmd
	// outcome leaves a form without submitting it: back to the step's run or outcome.
	outcome() tea.Cmd
	// finish saves the plan and quits, the install done as far as it goes (console: open the console).
	finish(console bool) tea.Cmd
	// reload reads the saved install again.
	reload() tea.Cmd
	// setFlash shows text on the status line until the next screen.
	setFlash(text string, isErr bool)
	// answer replies to the running step's question; askQuit asks whether to quit while it waits.
	answer(a steps.Answer) tea.Cmd
	askQuit()
}

// inventoryReader is a screen that lists Omni's machines: the root refreshes the inventory while it is
// shown and tells it when a read arrives.
type inventoryReader interface {
	inventoryChanged()
}

// logFollower is a screen that shows the current step's log: the root tells it when the log grows.
type logFollower interface {
	follow()
}
