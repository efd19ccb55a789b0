//go:build e2e

package gitops

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/hack/lab"
	"github.com/clubcedille/cedille-tui/hack/lab/labtest"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// TestRegistrationChecksWithItsOwnCredentials: the vc-<name> Secret is written as the vcluster's syncer
// would, with credentials for the lab's real API server (standing in for the vcluster, whose URL the plan
// points at it); the registration's check makes a real request with exactly the registered credentials
// and is told who they authenticate as. A corrupted registration fails the check and is repaired by the
// next run.
func TestRegistrationChecksWithItsOwnCredentials(t *testing.T) {
	l := labtest.Start(t, lab.KubeAPIServer)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	kc, err := kubernetes.NewForConfig(l.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	rc := l.RESTConfig()
	vc := vcSecret(map[string]string{KeyCA: string(rc.CAData), KeyCert: string(rc.CertData), KeyKey: string(rc.KeyData), KeyConfig: "-"})
	r, err := FromVClusterSecret("staging", "vcluster-staging", l.APIServerURL(), vc)
	if err != nil {
		t.Fatal(err)
	}
	if did, err := Register(ctx, kc, "default", r); err != nil || did != "created" {
		t.Fatalf("register: %q %v", did, err)
	}
	s, _ := kc.CoreV1().Secrets("default").Get(ctx, "cluster-staging", metav1.GetOptions{})
	user, err := Check(ctx, s)
	if err != nil || user != "admin" {
		t.Fatalf("check with the registered credentials: %q %v", user, err)
	}

	// Without a client certificate the server does not authenticate the request: the check fails.
	s.Data["config"] = []byte(`{"tlsClientConfig":{"caData":"` + b64(rc.CAData) + `"}}`)
	if _, err := Check(ctx, s); err == nil {
		t.Error("credentials without a client certificate passed the check")
	}
	s.Data["config"] = []byte(`{"tlsClientConfig":{"caData":"bm90IGEgY2VydA=="}}`)
	if _, err := kc.CoreV1().Secrets("default").Update(ctx, s, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	s, _ = kc.CoreV1().Secrets("default").Get(ctx, "cluster-staging", metav1.GetOptions{})
	if _, err := Check(ctx, s); err == nil || !strings.Contains(err.Error(), "PEM") {
		t.Fatalf("a corrupted registration must fail the check on its CA: %v", err)
	}
	if did, err := Register(ctx, kc, "default", r); err != nil || did != "repaired" {
		t.Fatalf("rerun: %q %v", did, err)
	}
	s, _ = kc.CoreV1().Secrets("default").Get(ctx, "cluster-staging", metav1.GetOptions{})
	if user, err := Check(ctx, s); err != nil || user != "admin" {
		t.Errorf("after the repair: %q %v", user, err)
	}
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
