package platform

import (
	"context"
	"encoding/binary"
	"net"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cosi-project/runtime/pkg/safe"
	"github.com/cosi-project/runtime/pkg/state"
	"github.com/siderolabs/omni/client/pkg/client"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/test/bufconn"

	"github.com/clubcedille/cedille-tui/internal/omnisim"
)

// The omni client pings every minute while a watch is open. Omni answers every ping; a server that
// enforces a stricter policy sends GOAWAY "too_many_pings" and the console's watches drop (and gRPC
// logs it). The test runs in a synctest bubble: its clock is virtual, so an hour passes at once.
func TestOmniKeepaliveAcceptedBySimulatedOmni(t *testing.T) {
	grpcDefault := keepalive.EnforcementPolicy{} // MinTime 5 minutes, no ping without a call
	tests := []struct {
		name       string
		policy     *keepalive.EnforcementPolicy
		wantGoAway bool
	}{
		{"the simulator's default, Omni's", nil, false},
		{"Omni's policy given explicitly", new(omnisim.KeepalivePolicy()), false},
		{"gRPC-Go's default policy (the check can fail)", &grpcDefault, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				frames := watchQuietly(t, omnisim.Options{Keepalive: tt.policy})
				pings, goAways, conns := frames.counts()
				if goAways > 0 != tt.wantGoAway {
					t.Fatalf("GOAWAY too_many_pings sent %d times after %d pings, want sent=%v", goAways, pings, tt.wantGoAway)
				}
				if !tt.wantGoAway && conns != 1 {
					t.Fatalf("the client connected %d times, want once", conns)
				}
			})
		})
	}
}

// watchQuietly opens a watch over a quiet Omni and lets virtual time pass until the server has seen
// six keepalive pings (the third one too soon is refused) or sent a GOAWAY, and returns what it saw.
func watchQuietly(t *testing.T, o omnisim.Options) *h2Frames {
	srv, err := omnisim.New(o)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	frames := &h2Frames{}
	lis := &countingListener{Listener: bufconn.Listen(1 << 20), frames: frames}
	go func() { _ = srv.Serve(lis) }()

	om, err := ConnectOmni(OmniOptions{Endpoint: omnisim.InProcessEndpoint, Extra: []client.Option{
		client.WithGrpcOpts(grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
			return lis.Listener.(*bufconn.Listener).DialContext(ctx)
		})),
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer om.Close()

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	events := make(chan safe.WrappedStateEvent[*omni.Cluster], 16)
	if err := safe.StateWatchKind(ctx, om.State(), omni.NewCluster("").Metadata(), events,
		state.WithBootstrapContents(true)); err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			select {
			case <-events:
			case <-ctx.Done():
				return
			}
		}
	}()
	for range 60 { // at most an hour of virtual time
		if pings, goAways, _ := frames.counts(); pings >= 6 || goAways > 0 {
			break
		}
		time.Sleep(time.Minute)
		synctest.Wait()
	}
	if pings, goAways, _ := frames.counts(); pings < 6 && goAways == 0 {
		t.Fatalf("the client sent %d keepalive pings in an hour of an open watch, want at least 6", pings)
	}
	return frames
}

// h2Frames counts, on the server's side of connections, the HTTP/2 PING frames received (acks
// excluded) and the GOAWAY frames sent with ENHANCE_YOUR_CALM.
type h2Frames struct {
	mu                    sync.Mutex
	pings, goAways, conns int
}

func (f *h2Frames) counts() (pings, goAways, conns int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pings, f.goAways, f.conns
}

const (
	h2FramePing       = 0x6
	h2FrameGoAway     = 0x7
	h2FlagAck         = 0x1
	h2EnhanceYourCalm = 0xb
)

// h2Parser follows one direction of an HTTP/2 connection, frame by frame.
type h2Parser struct {
	skip  int // bytes still to skip: the client preface, then each frame's payload
	buf   []byte
	frame func(typ, flags byte, payload []byte)
}

func (p *h2Parser) write(b []byte) {
	p.buf = append(p.buf, b...)
	for {
		if p.skip > 0 {
			n := min(p.skip, len(p.buf))
			p.buf, p.skip = p.buf[n:], p.skip-n
			if p.skip > 0 {
				return
			}
		}
		if len(p.buf) < 9 {
			return
		}
		length := int(p.buf[0])<<16 | int(p.buf[1])<<8 | int(p.buf[2])
		if len(p.buf) < 9+length {
			return
		}
		p.frame(p.buf[3], p.buf[4], p.buf[9:9+length])
		p.buf = p.buf[9+length:]
	}
}

type countingListener struct {
	net.Listener
	frames *h2Frames
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	f := l.frames
	f.mu.Lock()
	f.conns++
	f.mu.Unlock()
	in := &h2Parser{skip: len("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), frame: func(typ, flags byte, _ []byte) {
		if typ == h2FramePing && flags&h2FlagAck == 0 {
			f.mu.Lock()
			f.pings++
			f.mu.Unlock()
		}
	}}
	out := &h2Parser{frame: func(typ, _ byte, payload []byte) {
		if typ == h2FrameGoAway && len(payload) >= 8 && binary.BigEndian.Uint32(payload[4:8]) == h2EnhanceYourCalm {
			f.mu.Lock()
			f.goAways++
			f.mu.Unlock()
		}
	}}
	return &countingConn{Conn: c, in: in, out: out}, nil
}

type countingConn struct {
	net.Conn
	in, out *h2Parser
}

func (c *countingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.in.write(b[:n])
	return n, err
}

func (c *countingConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.out.write(b[:n])
	return n, err
}
