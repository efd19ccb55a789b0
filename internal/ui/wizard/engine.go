package wizard

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/steps"
	"github.com/clubcedille/cedille-tui/internal/vaultops"
)

// The wizard's I/O — loading the saved state, the Checks, a step's Run, Omni's inventory, saving the
// plan — runs in tea.Cmds. A Check or Run streams its steps.Updates through a channel that a re-armed
// command reads, so they reach Update in order, and the stream's last message (checkedMsg, runDoneMsg)
// comes after every update it sent.

// loadedMsg is the saved state read at start.
type loadedMsg struct {
	sv    steps.Saved
	found bool
	err   error
}

// streamMsg is one update of a running Check or Run, stamped when it was reported (rate and ETA are
// computed from these stamps, so the model stays pure).
type streamMsg struct {
	id int
	u  steps.Update
	at time.Time
}

// checkedMsg ends a CheckAll stream.
type checkedMsg struct {
	id       int
	outcomes []steps.Outcome
}

// runDoneMsg ends a Run stream: the plan as the step left it (saved by the runner) and its error.
type runDoneMsg struct {
	id  int
	sv  steps.Saved
	err error
}

// invMsg is Omni's inventory, read afresh.
type invMsg struct {
	gen int
	inv *plan.Inventory
	err error
}

// refreshMsg asks for the inventory again (machines and disks panes).
type refreshMsg struct{ gen int }

// savedMsg reports a save of the plan.
type savedMsg struct{ err error }

// quitTimeoutMsg ends the wait for a cancelled step to stop.
type quitTimeoutMsg struct{}

// askMsg is a question a running step puts to the operator (Env.Ask). It travels through the run's
// stream, so it arrives after the updates the step reported before asking; the step waits for the
// answer on reply (buffered: answering never blocks) or for its context to end. prompt.Secret is the
// wizard's own copy, which the prompt screen wipes once shown.
type askMsg struct {
	id     int
	prompt steps.Prompt
	reply  chan steps.Answer
}

// stream is the channel of the Check or Run under way.
type stream struct {
	id int
	ch chan tea.Msg
}

// listen reads the next message of the stream; it is re-armed after each one but the last.
func listen(s *stream) tea.Cmd {
	if s == nil {
		return nil
	}
	return func() tea.Msg {
		msg, ok := <-s.ch
		if !ok {
			return nil
		}
		return msg
	}
}

// reporter turns runner updates into stream messages. Progress-only events (bytes) are dropped when the
// UI is behind, never the ones that carry a message, items or a state.
func reporter(ctx context.Context, s *stream, now func() time.Time) func(steps.Update) {
	return func(u steps.Update) {
		msg := streamMsg{id: s.id, u: u, at: now()}
		if u.Event != nil && u.Event.Message == "" && len(u.Event.Items) == 0 {
			select {
			case s.ch <- msg:
			default:
			}
			return
		}
		select {
		case s.ch <- msg:
		case <-ctx.Done():
		}
	}
}

// finish sends a stream's last message and closes it.
func finish(ctx context.Context, s *stream, msg tea.Msg) {
	select {
	case s.ch <- msg:
	case <-ctx.Done():
	}
	close(s.ch)
}

// saver writes the plan; the newest save wins even when saves run concurrently or out of order.
type saver struct {
	mu    sync.Mutex
	last  int
	store steps.Store
}

func (s *saver) save(seq int, sv steps.Saved) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if seq <= s.last {
		return nil
	}
	s.last = seq
	return s.store.Save(sv)
}

// cloneSaved deep-copies what a command goroutine reads while Update goes on changing the plan.
func cloneSaved(sv steps.Saved) steps.Saved {
	out := sv
	out.Plan, out.Steps = sv.Plan.Clone(), maps.Clone(sv.Steps)
	return out
}

// loadCmd reads the saved state.
func loadCmd(store steps.Store) tea.Cmd {
	return func() tea.Msg {
		sv, found, err := store.Load()
		return loadedMsg{sv: sv, found: found, err: err}
	}
}

// newStream opens the stream of a new Check or Run; messages of older streams are ignored from now on.
func (m *Model) newStream() *stream {
	m.streamID++
	m.stream = &stream{id: m.streamID, ch: make(chan tea.Msg, 256)}
	return m.stream
}

// startCheck runs every Check from the top in the background.
func (m *Model) startCheck() tea.Cmd {
	tick := m.spinTick()
	s := m.newStream()
	ctx, now := m.ctx, m.now
	r := &steps.Runner{Steps: m.o.Steps, Env: m.env(), Store: m.o.Store, Only: m.o.Only, Report: reporter(ctx, s, now)}
	sv := cloneSaved(m.sv)
	m.checking = true
	for i := range m.st {
		m.st[i].checking = true
	}
	work := func() tea.Msg {
		outcomes := r.CheckAll(ctx, sv)
		finish(ctx, s, checkedMsg{id: s.id, outcomes: outcomes})
		return nil
	}
	return tea.Batch(work, listen(s), tick)
}

// startRun runs step i with the current plan, after saving it (the newest save wins).
func (m *Model) startRun(i int) tea.Cmd {
	tick := m.spinTick()
	s := m.newStream()
	ctx, cancel := context.WithCancel(m.ctx)
	m.runCancel = cancel
	m.running = i
	st := &m.st[i]
	st.state, st.err, st.log, st.items, st.meter = steps.Running, nil, nil, nil, meter{}
	env := m.env()
	confirmed := m.confirmed
	env.Confirm = func(_ context.Context, c steps.Confirmation) error {
		if confirmed != "" && confirmed == c.Expect {
			return nil
		}
		return fmt.Errorf("%w: type the cluster name %s on the review screen first", steps.ErrNotConfirmed, c.Expect)
	}
	env.Ask = asker(ctx, s)
	r := &steps.Runner{Steps: m.o.Steps, Env: env, Store: m.o.Store, Only: m.o.Only, Report: reporter(ctx, s, m.now)}
	sv := cloneSaved(m.sv)
	seq := m.nextSeq()
	step, sav, root := m.o.Steps[i], m.saver, m.ctx
	ended := make(chan struct{})
	m.runEnded = ended
	work := func() tea.Msg {
		defer close(ended)
		defer cancel()
		var err error
		if err = sav.save(seq, sv); err == nil {
			err = r.RunOne(ctx, &sv, step)
		}
		finish(root, s, runDoneMsg{id: s.id, sv: sv, err: err})
		return nil
	}
	return tea.Batch(work, listen(s), tick)
}

// asker is a run's Env.Ask: it sends the prompt through the run's stream and waits for the operator's
// answer, or for the run (or the step's own context) to end, which returns that context's error.
func asker(run context.Context, s *stream) func(context.Context, steps.Prompt) (steps.Answer, error) {
	return func(ctx context.Context, p steps.Prompt) (steps.Answer, error) {
		// The screen keeps its own copies: the step may change or wipe its values while the prompt is up.
		if !p.Secret.Empty() {
			p.Secret = vaultops.NewSecret(p.Secret.Reveal())
		}
		p.Lines, p.Items = slices.Clone(p.Lines), slices.Clone(p.Items)
		reply := make(chan steps.Answer, 1)
		select {
		case s.ch <- askMsg{id: s.id, prompt: p, reply: reply}:
		case <-ctx.Done():
			p.Secret.Wipe()
			return steps.Answer{}, ctx.Err()
		case <-run.Done():
			p.Secret.Wipe()
			return steps.Answer{}, run.Err()
		}
		select {
		case a := <-reply:
			return a, nil
		case <-ctx.Done():
			return steps.Answer{}, ctx.Err()
		case <-run.Done():
			return steps.Answer{}, run.Err()
		}
	}
}

// env is a copy of the steps' environment (each run sets its own Confirm and Ask; Keys is shared).
func (m *session) env() *steps.Env {
	if m.o.Env == nil {
		return &steps.Env{}
	}
	e := *m.o.Env
	return &e
}

// loadInventory reads Omni's inventory for the refresh generation gen.
func (m *Model) loadInventory(gen int) tea.Cmd {
	read, ctx := m.o.Inventory, m.ctx
	if read == nil {
		env := m.env()
		read = func(ctx context.Context) (*plan.Inventory, error) { return steps.LoadInventory(ctx, env) }
	}
	return func() tea.Msg {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		inv, err := read(cctx)
		return invMsg{gen: gen, inv: inv, err: err}
	}
}

// startRefresh (re)starts the inventory's refresh loop: a read now, then one every Refresh while a pane
// that lists machines or disks is open.
func (m *Model) startRefresh() tea.Cmd {
	m.refreshGen++
	return m.loadInventory(m.refreshGen)
}

func (m *session) refreshTick(gen int) tea.Cmd {
	d := m.o.Refresh
	if d <= 0 {
		d = 3 * time.Second
	}
	return tea.Tick(d, func(time.Time) tea.Msg { return refreshMsg{gen: gen} })
}

// save writes the plan in the background.
func (m *Model) save() tea.Cmd {
	seq, sv, s := m.nextSeq(), cloneSaved(m.sv), m.saver
	return func() tea.Msg { return savedMsg{err: s.save(seq, sv)} }
}

// saveAndQuit writes the plan, then quits: q loses nothing.
func (m *Model) saveAndQuit() tea.Cmd {
	seq, sv, s, cancel := m.nextSeq(), cloneSaved(m.sv), m.saver, m.cancel
	loaded := m.loaded
	return func() tea.Msg {
		if loaded {
			_ = s.save(seq, sv)
		}
		cancel()
		return tea.QuitMsg{}
	}
}

func (m *Model) nextSeq() int {
	m.seq++
	return m.seq
}
