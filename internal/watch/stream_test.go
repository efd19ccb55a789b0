package watch

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/clubcedille/cedille-tui/internal/platform"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes"
	k8sfake "k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
)

// countingBody counts the reads a response body gets.
type countingBody struct {
	r      io.Reader
	reads  int
	closed bool
}

func (b *countingBody) Read(p []byte) (int, error) { b.reads++; return b.r.Read(p) }
func (b *countingBody) Close() error               { b.closed = true; return nil }

type bodyTransport struct{ body *countingBody }

func (t bodyTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Body: t.body}, nil
}

// A stream read a frame at a time reaches the connection once per 64 KiB, unchanged.
func TestReadAheadReadsInBigChunks(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	body := &countingBody{r: bytes.NewReader(data)}
	req, _ := http.NewRequest(http.MethodGet, "https://api.invalid/api/v1/pods?watch=1", nil)
	resp, err := readAhead{next: bodyTransport{body: body}}.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	frame := make([]byte, 2500) // about one pod in protobuf
	for {
		n, err := resp.Body.Read(frame)
		got.Write(frame[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(got.Bytes(), data) {
		t.Fatalf("read %d bytes, not the %d sent", got.Len(), len(data))
	}
	if want := len(data)/streamReadAhead + 2; body.reads > want {
		t.Errorf("%d reads of the connection's body, want at most %d", body.reads, want)
	}
	if err := resp.Body.Close(); err != nil || !body.closed {
		t.Errorf("close: %v, closed %v", err, body.closed)
	}
}

// A read returns what has arrived: a lone watch event is not held until 64 KiB follow it.
func TestReadAheadDoesNotWaitForMore(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"type":"ADDED"}`))
		w.(http.Flusher).Flush()
		<-release // the stream stays open until the client has read the event
	}))
	defer srv.Close()
	defer close(release)
	resp, err := (&http.Client{Transport: readAhead{next: http.DefaultTransport}}).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf := make([]byte, 64)
	n, err := io.ReadAtLeast(resp.Body, buf, len(`{"type":"ADDED"}`))
	if err != nil || string(buf[:n]) != `{"type":"ADDED"}` {
		t.Fatalf("read %q, %v", buf[:n], err)
	}
}

func TestStreamingClients(t *testing.T) {
	cfg := &rest.Config{Host: "https://api.invalid"}
	typed, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	md, err := metadata.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	fakeTyped, fakeDyn := k8sfake.NewClientset(), dynamicfake.NewSimpleDynamicClient(runtime.NewScheme())
	tests := []struct {
		name    string
		kube    *platform.Kube
		ownConn bool
	}{
		{name: "fakes (tests, the demo) are used as they are",
			kube: &platform.Kube{Config: &rest.Config{Host: "https://demo.invalid"}, Typed: fakeTyped, Dynamic: fakeDyn}},
		{name: "real clients without their configuration are used as they are",
			kube: &platform.Kube{Typed: typed, Dynamic: dyn, Metadata: md}},
		{name: "real clients get their own, reading ahead",
			kube: &platform.Kube{Config: cfg, Typed: typed, Dynamic: dyn, Metadata: md}, ownConn: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gt, gd, gm := streamingClients(tt.kube)
			own := []bool{gt != tt.kube.Typed, gd != tt.kube.Dynamic, gm != tt.kube.Metadata}
			for i, o := range own {
				if o != tt.ownConn && !(i == 2 && tt.kube.Metadata == nil && gm == nil) {
					t.Errorf("client %d (typed, dynamic, metadata) rebuilt: %v, want %v", i, o, tt.ownConn)
				}
			}
		})
	}
}
