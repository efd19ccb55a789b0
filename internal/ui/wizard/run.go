package wizard

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"
	"github.com/clubcedille/cedille-tui/internal/download"
	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/steps"
	"github.com/clubcedille/cedille-tui/internal/ui/common"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
	"github.com/clubcedille/cedille-tui/internal/units"
)

// The run pane: a step's live progress (a byte counter with rate and ETA, the per-object items, the
// log), then its outcome — for a failure the error, the plan's problems with their field paths, and
// what to do; for the preflight its probe results; for the ISO its digest and how to write the key;
// for the cluster the kubeconfig.

// runHeaderHeight is the lines above the log: title, outcome or progress, the items, a blank.
func (m *session) runHeaderHeight() int {
	if m.cur < 0 || m.cur >= len(m.st) {
		return 2
	}
	return len(m.runHeader())
}

// runHeader is the part of the run pane above the log.
func (m *session) runHeader() []string {
	t := m.theme
	st := m.st[m.cur]
	s := m.o.Steps[m.cur]
	w := m.rightWidth()
	var out []string
	switch st.state {
	case steps.Running:
		out = append(out, t.Label.Render(s.Title())+" "+t.Key.Render(m.spin.View())+" running")
	case steps.Done:
		out = append(out, t.Label.Render(s.Title())+" "+t.Style(theme.Good).Render("✔ done"))
		out = append(out, m.doneSummary()...)
	case steps.Failed:
		out = append(out, t.Label.Render(s.Title())+" "+t.Style(theme.Bad).Render("✖ failed"))
		out = append(out, m.failure(st.err, w)...)
	default:
		out = append(out, t.Label.Render(s.Title()))
	}
	if st.state == steps.Running && st.meter.started {
		out = append(out, download.FormatProgress(st.meter.progress(), w))
	}
	if st.state == steps.Running && st.counter != nil {
		out = append(out, fmt.Sprintf("%s %d/%d", st.counter.Unit, st.counter.Done, st.counter.Total))
	}
	if items := m.shownItems(); len(items) > 0 {
		// The items never push the step's title and outcome out of the pane: past what fits (keeping a
		// few lines of log), the rest is counted, and the ones that need attention are the ones shown.
		room := max(m.paneHeight()-len(out)-1-min(max(len(st.log), 1), 3), 1)
		shown, hidden := capItems(items, room)
		for _, it := range shown {
			out = append(out, common.Fit(m.itemLine(it), w))
		}
		if len(hidden) > 0 {
			out = append(out, common.Fit(m.theme.Subtle.Render(moreItems(hidden)), w))
		}
	}
	return append(out, "")
}

// shownItems are the current step's live list; once done, a step whose summary stands for it shows that
// summary in the room instead (SummaryReplacesItems).
func (m *session) shownItems() []steps.Item {
	st := m.st[m.cur]
	if m.ui(m.cur).SummaryReplacesItems && st.state == steps.Done {
		return nil
	}
	return st.items
}

// capItems keeps at most room lines of items, the last of them saying how many are left out: the
// failed ones are kept first, then the ones not done yet, then the done ones, each in their order.
func capItems(items []steps.Item, room int) (shown, hidden []steps.Item) {
	if len(items) <= room {
		return items, nil
	}
	keep := make([]bool, len(items))
	n := room - 1
	for _, want := range []func(steps.Item) bool{
		func(it steps.Item) bool { return it.Failed },
		func(it steps.Item) bool { return !it.Failed && !it.OK },
		func(it steps.Item) bool { return it.OK && !it.Failed },
	} {
		for i, it := range items {
			if n > 0 && !keep[i] && want(it) {
				keep[i] = true
				n--
			}
		}
	}
	for i, it := range items {
		if keep[i] {
			shown = append(shown, it)
		} else {
			hidden = append(hidden, it)
		}
	}
	return shown, hidden
}

// moreItems counts the items left out, by state.
func moreItems(hidden []steps.Item) string {
	var ok, failed, waiting int
	for _, it := range hidden {
		switch {
		case it.Failed:
			failed++
		case it.OK:
			ok++
		default:
			waiting++
		}
	}
	var parts []string
	if ok > 0 {
		parts = append(parts, strconv.Itoa(ok)+" ✔")
	}
	if waiting > 0 {
		parts = append(parts, strconv.Itoa(waiting)+" waiting")
	}
	if failed > 0 {
		parts = append(parts, strconv.Itoa(failed)+" ✖")
	}
	return fmt.Sprintf(" … %d more: %s", len(hidden), strings.Join(parts, ", "))
}

// itemLine is one object's live line: symbol, name, stage, detail.
func (m *session) itemLine(it steps.Item) string {
	t := m.theme
	sym := t.Subtle.Render("·")
	switch {
	case it.Failed:
		sym = t.Style(theme.Bad).Render("✖")
	case it.OK:
		sym = t.Style(theme.Good).Render("✔")
	}
	line := " " + sym + " " + it.Name
	if it.State != "" {
		line += "  " + it.State
	}
	if it.Detail != "" {
		line += "  " + t.Subtle.Render(it.Detail)
	}
	return line
}

// failure is what a failed step says: the error, each plan problem by its field path, what to do.
func (m *session) failure(err error, w int) []string {
	if err == nil {
		return nil
	}
	t := m.theme
	var out []string
	if ps := errProblems(err); len(ps) > 0 {
		out = append(out, "the plan has "+units.Count(len(ps), "problem")+":")
		for _, p := range ps {
			out = append(out, strings.Split(wrap(t.Error.Render(p.Path)+": "+p.Message, w), "\n")...)
		}
	} else {
		out = append(out, strings.Split(wrap(t.Error.Render(err.Error()), w), "\n")...)
	}
	what := "r retries with the same plan"
	if m.editable() {
		what += "; e edits the step's choices"
	}
	return append(out, t.Subtle.Render(what+"; the plan is kept"))
}

// doneSummary is the lines a finished step adds above its log: what its Result says (kept with the
// step's record in the saved state), styled and wrapped to the pane.
func (m *session) doneSummary() []string {
	t := m.theme
	w := m.rightWidth()
	ui := m.ui(m.cur)
	res := m.sv.Steps[m.stepID()].Result
	var out []string
	if ui.Note != nil {
		out = append(out, ui.Note(m.w, m.h))
	}
	out = append(out, wrapLines(res.Summary, w)...)
	if ui.ReadFrom != "" {
		out = append(out, wrapLines([]string{"the summary is below: ↑/↓ scroll it"}, w)...)
	}
	// An ISO by its digest (its path is in the log and its commands); a kubeconfig by its path.
	if a, ok := res.Find(steps.ArtifactISO); ok {
		out = append(out, digestLines(a.SHA256, w)...)
	}
	a, kubeconfig := res.Find(steps.ArtifactKubeconfig)
	if kubeconfig {
		out = append(out, strings.Split(wrap("kubeconfig "+t.Label.Render(a.Path), w), "\n")...)
	}
	if len(res.Summary) > 0 || kubeconfig {
		out = append(out, m.enterNext())
	}
	return out
}

// digestLines show a SHA-256 whole, in two groups of 32 digits a person compares with sha256sum's output:
// on one line when it fits, else one group a line.
func digestLines(sum string, w int) []string {
	split := steps.SplitDigest(sum)
	if line := "SHA-256 " + split; ansi.StringWidth(line) <= w {
		return []string{line}
	}
	first, second, _ := strings.Cut(split, " ")
	return []string{"SHA-256 " + first, "        " + second}
}

// enterNext says what enter does on a finished step: open the console (opensConsole), else go on.
func (m *session) enterNext() string {
	if m.opensConsole() {
		return m.theme.Key.Render("press enter to open the console")
	}
	return m.theme.Key.Render("press enter to go on")
}

// logLines is the current step's log, wrapped to the pane.
func (m *session) logLines() []string {
	st := m.st[m.cur]
	lines := st.log
	if !st.ran && st.state != steps.Running && len(lines) == 0 {
		lines = steps.DescribeIn(m.o.Steps[m.cur], m.o.Env, m.sv.Plan)
	}
	return m.stepLines(lines)
}

func (m *session) outcomeLines() []string {
	t := m.theme
	st := m.st[m.cur]
	s := m.o.Steps[m.cur]
	w := m.rightWidth()
	var out []string
	switch st.state {
	case steps.Done:
		out = append(out, t.Label.Render(s.Title())+" "+t.Style(theme.Good).Render("✔ its outcome holds"))
	case steps.Skipped:
		out = append(out, t.Label.Render(s.Title())+" "+t.Subtle.Render("– skipped: not in --only"))
	default:
		out = append(out, t.Label.Render(s.Title())+" "+t.Subtle.Render("· not done"))
	}
	if st.detail != "" {
		out = append(out, strings.Split(wrap(st.detail, w), "\n")...)
	}
	if rec, ok := m.sv.Steps[s.ID()]; ok && rec.State == steps.Failed && st.state != steps.Done {
		out = append(out, strings.Split(wrap(t.Error.Render("last run failed: ")+rec.Detail, w), "\n")...)
	}
	if a, ok := m.sv.Steps[s.ID()].Result.Find(steps.ArtifactISO); ok && st.state == steps.Done && !st.ran {
		// Made in an earlier session: how to check and write it, as its run said then.
		out = append(out, "")
		out = append(out, m.stepLines(steps.USBInstructions(a.Path))...)
	}
	out = append(out, "", t.Subtle.Render("What this step does:"))
	out = append(out, m.stepLines(steps.DescribeIn(s, m.o.Env, m.sv.Plan))...)
	if st.ran && len(st.log) > 0 {
		out = append(out, "", t.Subtle.Render("Its last run said:"))
		out = append(out, m.stepLines(st.log)...)
	}
	return out
}

func (m *session) allDoneView() string {
	t := m.theme
	p := m.sv.Plan
	head := "✔ Every step's outcome holds"
	if m.o.Only != nil {
		head = "✔ Every selected step's outcome holds (--only)"
	}
	out := []string{t.Style(theme.Good).Render(head), ""}
	if len(p.Machines) > 0 {
		out = append(out, fmt.Sprintf("cluster %s: %d control planes, %d workers", p.Cluster.Name,
			len(p.ByRole(plan.RoleControlPlane)), len(p.ByRole(plan.RoleWorker))))
	}
	if p.ISO.File != "" {
		out = append(out, strings.Split(wrap("ISO "+p.ISO.File, m.rightWidth()), "\n")...)
	}
	if p.Cluster.Kubeconfig != "" {
		out = append(out, strings.Split(wrap("kubeconfig "+t.Label.Render(p.Cluster.Kubeconfig), m.rightWidth()), "\n")...)
		out = append(out, "", t.Key.Render("press enter to open the console"))
	} else {
		out = append(out, "", "enter quits")
	}
	return strings.Join(out, "\n")
}
