package watch

import (
	"bufio"
	"io"
	"net/http"

	"github.com/clubcedille/cedille-tui/internal/platform"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
)

// streamReadAhead is how much of a response body is read at once (see readAhead).
const streamReadAhead = 64 << 10

// readAhead is a transport whose response bodies are read through a buffer of streamReadAhead bytes.
// client-go reads a watch stream one frame at a time — a pod, 2–3 KB in protobuf — and Go's HTTP/2
// client gives the server flow-control credit back (a WINDOW_UPDATE frame, a TLS record and a write
// system call) every time 4 KiB have been read: ten thousand pods streaming in made some six thousand
// writes. Reading ahead in 64 KiB chunks gives it back 16 times less often while a list streams; a read
// still returns what has arrived, so a lone watch event is not delayed.
type readAhead struct{ next http.RoundTripper }

func (t readAhead) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(r)
	if err == nil && resp.Body != nil && resp.Body != http.NoBody {
		resp.Body = bufferedBody{Reader: bufio.NewReaderSize(resp.Body, streamReadAhead), Closer: resp.Body}
	}
	return resp, err
}

type bufferedBody struct {
	*bufio.Reader
	io.Closer
}

// streamingClients are the clients the informers list and watch with. For a real connection, each is
// built again from its configuration with bodies read ahead (readAhead), the typed one in protobuf as
// the connection's own; fakes (tests, the demo) are used as they are.
func streamingClients(k *platform.Kube) (kubernetes.Interface, dynamic.Interface, metadata.Interface) {
	typed, dyn, md := k.Typed, k.Dynamic, k.Metadata
	if k.Config == nil {
		return typed, dyn, md
	}
	c := rest.CopyConfig(k.Config)
	c.Wrap(func(rt http.RoundTripper) http.RoundTripper { return readAhead{next: rt} })
	if _, real := typed.(*kubernetes.Clientset); real {
		pc := rest.CopyConfig(c)
		pc.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
		pc.ContentType = "application/vnd.kubernetes.protobuf"
		if cs, err := kubernetes.NewForConfig(pc); err == nil {
			typed = cs
		}
	}
	if _, real := dyn.(*dynamic.DynamicClient); real {
		if d, err := dynamic.NewForConfig(c); err == nil {
			dyn = d
		}
	}
	if _, real := md.(*metadata.Client); real {
		if m, err := metadata.NewForConfig(c); err == nil {
			md = m
		}
	}
	return typed, dyn, md
}
