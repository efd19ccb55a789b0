package serve

import (
	"crypto/rand"
	"strings"
	"sync"

	"charm.land/ssh"
	gossh "golang.org/x/crypto/ssh"
)

// refusedRequests are the session requests answered no before charm.land/ssh sees them: it answers an
// agent-forwarding request yes (and only records it); nothing here forwards an agent or X11, and no
// subsystem (sftp, scp) is served.
var refusedRequests = map[string]bool{
	"auth-agent-req@openssh.com": true,
	"x11-req":                    true,
	"subsystem":                  true,
}

// Window changes: charm.land/ssh writes a session's terminal size on each window-change request
// without a lock, while the session's handler reads it (Pty) — a data race. So the window changes of a
// channel never reach charm.land/ssh: the channel's filter takes them and hands them to the session's
// handler through a channel of its own (windows), found by an id the filter gives the session as an
// environment variable (the only per-session value charm.land/ssh carries from the requests to the
// handler). The terminal's size at the pty request still goes through, before the handler starts.

// channelVar is the environment variable naming a session channel's window changes (a client's own is
// dropped).
const channelVar = "CEDILLE_TUI_CHANNEL"

// windows are the window changes of the live session channels, by id.
type windows struct{ m sync.Map }

// of is the window changes of a session's channel (nil when it has none).
func (w *windows) of(env []string) <-chan ssh.Window {
	for _, kv := range env {
		if id, ok := strings.CutPrefix(kv, channelVar+"="); ok {
			if ch, ok := w.m.Load(id); ok {
				return ch.(chan ssh.Window)
			}
		}
	}
	return nil
}

// refuseForwarding is the "session" channel handler: charm.land/ssh's, on a channel whose forwarding
// requests are answered no first and whose window changes go to ws.
func refuseForwarding(ws *windows) ssh.ChannelHandler {
	return func(srv *ssh.Server, conn *gossh.ServerConn, ch gossh.NewChannel, ctx ssh.Context) {
		ssh.DefaultSessionHandler(srv, conn, filtered{ch, ws}, ctx)
	}
}

// filtered is a new channel whose accepted requests pass through refuse.
type filtered struct {
	gossh.NewChannel
	ws *windows
}

func (f filtered) Accept() (gossh.Channel, <-chan *gossh.Request, error) {
	ch, reqs, err := f.NewChannel.Accept()
	if err != nil {
		return ch, reqs, err
	}
	out := make(chan *gossh.Request)
	id := rand.Text()
	sizes := make(chan ssh.Window, 1)
	f.ws.m.Store(id, sizes)
	go func() {
		defer f.ws.m.Delete(id)
		defer close(sizes)
		refuse(reqs, out, id, sizes)
	}()
	return ch, out, nil
}

// refuse answers no to the refused requests, takes the window changes (the latest one not yet read is
// kept), names the channel in its environment before its shell or command starts, and passes the rest
// on, in order; out closes with in.
func refuse(in <-chan *gossh.Request, out chan<- *gossh.Request, id string, sizes chan ssh.Window) {
	defer close(out)
	for r := range in {
		switch {
		case refusedRequests[r.Type]:
			_ = r.Reply(false, nil)
			continue
		case r.Type == "window-change":
			var win struct{ Width, Height, PxWidth, PxHeight uint32 }
			if err := gossh.Unmarshal(r.Payload, &win); err != nil {
				_ = r.Reply(false, nil)
				continue
			}
			_ = r.Reply(true, nil)
			select {
			case <-sizes: // an older size not taken yet: replaced
			default:
			}
			sizes <- ssh.Window{Width: int(min(win.Width, maxSide)), Height: int(min(win.Height, maxSide))}
			continue
		case r.Type == "env":
			var kv struct{ Name, Value string }
			if gossh.Unmarshal(r.Payload, &kv) == nil && kv.Name == channelVar {
				_ = r.Reply(false, nil)
				continue
			}
		case r.Type == "shell" || r.Type == "exec":
			out <- &gossh.Request{Type: "env", Payload: gossh.Marshal(struct{ Name, Value string }{channelVar, id})}
		}
		out <- r
	}
}
