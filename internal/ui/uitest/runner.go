package uitest

import (
	"runtime"
	"strings"
	"sync/atomic"

	tea "charm.land/bubbletea/v2"
)

// runner runs commands in goroutines and queues their messages for the test's goroutine.
type runner struct {
	msgs chan tea.Msg
	// done is signalled when a command returns (a wait re-checks its condition).
	done    chan struct{}
	running atomic.Int64
}

func newRunner() *runner {
	return &runner{msgs: make(chan tea.Msg, 4096), done: make(chan struct{}, 1)}
}

// run starts cmd in its own goroutine; nil does nothing.
func (r *runner) run(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	r.running.Add(1)
	go r.start(cmd)
}

// start runs cmd and queues its messages.
func (r *runner) start(cmd tea.Cmd) {
	defer func() {
		r.running.Add(-1)
		select {
		case r.done <- struct{}{}:
		default:
		}
	}()
	expand(cmd(), r.run, func(msg tea.Msg) { r.msgs <- msg })
}

// startFrame is the "created by" frame of every command's goroutine in a stack dump.
const startFrame = "/internal/ui/uitest.(*runner).run"

// parkedStates are the states of a goroutine waiting for something else to happen: a message on a
// channel, a timer. Running, runnable, in a system call or on a lock is work under way.
var parkedStates = map[string]bool{
	"chan receive": true, "chan send": true, "select": true, "sleep": true,
	"chan receive (nil chan)": true, "chan send (nil chan)": true, "select (no cases)": true,
}

// parked tells whether every command still running is parked.
func (r *runner) parked() bool {
	if r.running.Load() == 0 {
		return true
	}
	return allParked(goroutines(), startFrame)
}

// goroutines is the stack dump of every goroutine.
func goroutines() string {
	buf := make([]byte, 1<<16)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return string(buf[:n])
		}
		buf = make([]byte, 2*len(buf))
	}
}

// allParked tells whether every goroutine of a stack dump created by the frame is in a parked state.
func allParked(dump, createdBy string) bool {
	for g := range strings.SplitSeq(dump, "\n\n") {
		if !strings.Contains(g, "created by ") || !strings.Contains(g[strings.LastIndex(g, "created by "):], createdBy) {
			continue
		}
		if !parkedStates[state(g)] {
			return false
		}
	}
	return true
}

// state is a goroutine's state from its stack's header: "goroutine 7 [chan receive, 2 minutes]:".
func state(g string) string {
	i := strings.IndexByte(g, '[')
	if i < 0 {
		return ""
	}
	s := g[i+1:]
	if j := strings.IndexAny(s, ",]"); j >= 0 {
		s = s[:j]
	}
	return s
}
