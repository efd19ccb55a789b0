package demo

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
type demoClientset struct {
	*fake.Clientset
	fakes *kubeFakes
}

func (c demoClientset) Discovery() discovery.DiscoveryInterface {
	return demoDiscovery{FakeDiscovery: c.Clientset.Discovery().(*fakediscovery.FakeDiscovery), fakes: c.fakes}
}

type demoDiscovery struct {
	*fakediscovery.FakeDiscovery
	fakes *kubeFakes
}

// RESTClient answers /version with the cluster's version (the era-1 cluster's, or the installed one's);
// before the cluster exists it fails as a name that does not resolve yet.
func (d demoDiscovery) RESTClient() rest.Interface {
	return &restfake.RESTClient{
		NegotiatedSerializer: scheme.Codecs.WithoutConversion(),
		GroupVersion:         schema.GroupVersion{Version: "v1"},
		Client: restfake.CreateHTTPClient(func(req *http.Request) (*http.Response, error) {
			if !d.fakes.up.Load() {
				return nil, &net.OpError{Op: "dial", Net: "tcp",
					Err: &net.DNSError{Err: "no such host", Name: strings.TrimPrefix(kubeHost, "https://"), IsNotFound: true}}
			}
			if req.URL.Path != "/version" {
				return &http.Response{StatusCode: http.StatusNotFound, Header: http.Header{}, Body: io.NopCloser(bytes.NewReader(nil))}, nil
			}
			return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
				Body: io.NopCloser(strings.NewReader(*d.fakes.version.Load()))}, nil
		}),
	}
}

// ServerPreferredResources lists every resource served (the demo serves one version of each).
func (d demoDiscovery) ServerPreferredResources() ([]*metav1.APIResourceList, error) {
	return d.FakeDiscovery.Resources, nil
}

// ServerPreferredNamespacedResources lists the namespaced resources served: what a namespace's deletion
// goes through.
func (d demoDiscovery) ServerPreferredNamespacedResources() ([]*metav1.APIResourceList, error) {
	var out []*metav1.APIResourceList
	for _, l := range d.FakeDiscovery.Resources {
		nl := &metav1.APIResourceList{GroupVersion: l.GroupVersion}
		for _, r := range l.APIResources {
			if r.Namespaced {
				nl.APIResources = append(nl.APIResources, r)
			}
		}
		if len(nl.APIResources) > 0 {
			out = append(out, nl)
		}
	}
	return out, nil
}
