package serve

import (
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

// refuseForwarding is the "session" channel handler: charm.land/ssh's, on a channel whose forwarding
// requests are answered no first.
func refuseForwarding(srv *ssh.Server, conn *gossh.ServerConn, ch gossh.NewChannel, ctx ssh.Context) {
	ssh.DefaultSessionHandler(srv, conn, filtered{ch}, ctx)
}

// filtered is a new channel whose accepted requests pass through refuse.
type filtered struct{ gossh.NewChannel }

func (f filtered) Accept() (gossh.Channel, <-chan *gossh.Request, error) {
	ch, reqs, err := f.NewChannel.Accept()
	if err != nil {
		return ch, reqs, err
	}
	out := make(chan *gossh.Request)
	go refuse(reqs, out)
	return ch, out, nil
}

// refuse answers no to the refused requests and passes the others on, in order; out closes with in.
func refuse(in <-chan *gossh.Request, out chan<- *gossh.Request) {
	defer close(out)
	for r := range in {
		if refusedRequests[r.Type] {
			_ = r.Reply(false, nil)
			continue
		}
		out <- r
	}
}
