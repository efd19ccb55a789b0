package demo

import (
	"bytes"
	"io"
	"net/http"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	fakediscovery "k8s.io/client-go/discovery/fake"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	restfake "k8s.io/client-go/rest/fake"
)

// demoClientset is the typed fake clientset with a discovery client that also answers GET /version, as
// platform.Kube.Ping asks every few seconds: the fake's own discovery has no REST client, and the probe
// would fail on it.
type demoClientset struct{ *fake.Clientset }

func (c demoClientset) Discovery() discovery.DiscoveryInterface {
	return demoDiscovery{FakeDiscovery: c.Clientset.Discovery().(*fakediscovery.FakeDiscovery)}
}

type demoDiscovery struct{ *fakediscovery.FakeDiscovery }

// demoVersion is what the simulated API server says of itself (the era-1 cluster's version).
const demoVersion = `{"major":"1","minor":"27","gitVersion":"v1.27.3","platform":"linux/amd64"}`

func (demoDiscovery) RESTClient() rest.Interface {
	return &restfake.RESTClient{
		NegotiatedSerializer: scheme.Codecs.WithoutConversion(),
		GroupVersion:         schema.GroupVersion{Version: "v1"},
		Client: restfake.CreateHTTPClient(func(req *http.Request) (*http.Response, error) {
			if req.URL.Path != "/version" {
				return &http.Response{StatusCode: http.StatusNotFound, Header: http.Header{}, Body: io.NopCloser(bytes.NewReader(nil))}, nil
			}
			return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
				Body: io.NopCloser(bytes.NewReader([]byte(demoVersion)))}, nil
		}),
	}
}
