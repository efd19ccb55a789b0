package fleet

import (
	"context"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/clubcedille/cedille-tui/internal/access"
	"github.com/clubcedille/cedille-tui/internal/actions"
	"github.com/clubcedille/cedille-tui/internal/omnisim"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// tokenKubeconfig is a kubeconfig for api with a bearer token, as Omni issues for a service account.
func tokenKubeconfig(api *httptest.Server, token string) []byte {
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: api.Certificate().Raw})
	return fmt.Appendf(nil, `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: %q, certificate-authority-data: %q}}]
users: [{name: u, user: {token: %q}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`, api.URL, base64.StdEncoding.EncodeToString(ca), token)
}

// TestActingReissuesARefusedToken: a person's requests carry the token of the kubeconfig Omni issued
// for their identity (user cedille:<name>, groups cedille:<role> and the fleet's), and once the API
// server refuses it (401: expired, Omni's key rotated), the next request carries a newly issued one. The
// API server here is a stand-in that accepts one token at a time: what is tested is the renewal, over
// the real omni client and the Omni simulator's management API.
func TestActingReissuesARefusedToken(t *testing.T) {
	var accepted atomic.Value
	accepted.Store("tok-1")
	api := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+accepted.Load().(string) {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Unauthorized","code":401}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-1","namespace":"web"}}`)
	}))
	defer api.Close()

	srv, err := omnisim.New(omnisim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	addr, err := srv.Listen("")
	if err != nil {
		t.Fatal(err)
	}
	om, err := platform.ConnectOmni(platform.OmniOptions{Endpoint: "grpc://" + addr.String()})
	if err != nil {
		t.Fatal(err)
	}
	defer om.Close()
	if err := srv.State().Create(context.Background(), omni.NewCluster("k8s-sandbox")); err != nil {
		t.Fatal(err)
	}
	srv.SetClusterKubeconfig("k8s-sandbox", tokenKubeconfig(api, "tok-1"))

	a := &Acting{Omni: om, Cluster: "k8s-sandbox"}
	olive := actions.Actor{Name: "olive", Role: access.Operator, Session: "s1"}
	c, err := a.For(olive)
	if err != nil {
		t.Fatal(err)
	}
	if c.User != "cedille:olive" {
		t.Errorf("acting as %q", c.User)
	}
	ctx := context.Background()
	if _, err := c.Kube.CoreV1().Pods("web").Get(ctx, "web-1", metav1.GetOptions{}); err != nil {
		t.Fatalf("with the issued token: %v", err)
	}

	// Omni's next kubeconfig carries another token; the API server now refuses the first.
	srv.SetClusterKubeconfig("k8s-sandbox", tokenKubeconfig(api, "tok-2"))
	accepted.Store("tok-2")
	_, err = c.Kube.CoreV1().Pods("web").Get(ctx, "web-1", metav1.GetOptions{})
	if err == nil {
		t.Fatal("the refused token answered")
	}
	if strings.Contains(err.Error(), "tok-") {
		t.Fatalf("the error carries a token: %v", err)
	}
	if _, err := c.Kube.CoreV1().Pods("web").Get(ctx, "web-1", metav1.GetOptions{}); err != nil {
		t.Fatalf("after the 401, a new token: %v", err)
	}

	issued := srv.Issued()
	if len(issued) != 2 {
		t.Fatalf("issued %d kubeconfigs, want the first and the renewal: %+v", len(issued), issued)
	}
	for _, i := range issued {
		if i.Cluster != "k8s-sandbox" || i.User != "cedille:olive" || !slices.Equal(i.Groups, []string{"cedille:operator", DefaultGroup}) ||
			i.TTL != ActTTL {
			t.Errorf("issued %+v", i)
		}
	}

	// The same identity shares its connection; another role is another identity.
	if again, err := a.Kube(olive); err != nil || again == nil {
		t.Fatalf("again: %v", err)
	}
	if len(srv.Issued()) != 2 {
		t.Errorf("asking again issued another kubeconfig: %+v", srv.Issued())
	}
	if _, err := a.For(actions.Actor{Name: "olive", Role: access.Admin}); err != nil {
		t.Fatal(err)
	}
	if got := srv.Issued(); len(got) != 3 || !slices.Equal(got[2].Groups, []string{"cedille:admin", DefaultGroup}) {
		t.Errorf("admin's kubeconfig: %+v", got)
	}

	// A name that cannot be an identity is refused before Omni is asked.
	if _, err := a.For(actions.Actor{Name: "ev:il", Role: access.Admin}); err == nil {
		t.Error("a name with a colon got clients")
	}
	if _, err := a.For(actions.Actor{Name: "nobody"}); err == nil {
		t.Error("an actor without a role got clients")
	}
	if len(srv.Issued()) != 3 {
		t.Errorf("a refused identity was issued a kubeconfig: %+v", srv.Issued())
	}
}
