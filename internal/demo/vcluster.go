package demo

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/pem"
	"fmt"
	"maps"
	"net/url"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/clubcedille/cedille-tui/internal/gitops"
	"github.com/clubcedille/cedille-tui/internal/vcluster"
)

// syncerDelay is how long a simulated vcluster takes, once installed, to write its vc-<name> Secret.
const syncerDelay = 300 * time.Millisecond

// registeredUser is who a request with a vcluster's own client certificate authenticates as.
const registeredUser = "demo-admin"

// vclusterServer is the URL the vcluster's values tell its syncer to write in its kubeconfig
// (exportKubeConfig.server), the in-cluster service URL when they do not.
func vclusterServer(name, namespace string, vals map[string]any) string {
	export, _ := vals["exportKubeConfig"].(map[string]any)
	if s, _ := export["server"].(string); s != "" {
		return s
	}
	return vcluster.Server(name, namespace)
}

// vclusterCredentials are the demo's stand-ins for what a vcluster's syncer publishes: PEM-framed text
// that says what it is — no certificate or key — and is the same for the same vcluster on every run.
func vclusterCredentials(name, namespace string) (ca, cert, key []byte) {
	block := func(typ, what string) []byte {
		sum := sha256.Sum256([]byte("cedille-tui demo " + what + " " + namespace + "/" + name))
		body := fmt.Sprintf("cedille-tui demo %s of vcluster %s/%s, not a real one: %x", what, namespace, name, sum)
		return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: []byte(body)})
	}
	return block("CERTIFICATE", "certificate authority"), block("CERTIFICATE", "client certificate"),
		block("PRIVATE KEY", "client key")
}

// vclusterSecretData is the vc-<name> Secret's data: the kubeconfig for server and the credentials.
func vclusterSecretData(name, namespace, server string) (map[string][]byte, error) {
	ca, cert, key := vclusterCredentials(name, namespace)
	const ref = "my-vcluster" // the names vcluster gives its exported kubeconfig's entries
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[ref] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: ca}
	cfg.AuthInfos[ref] = &clientcmdapi.AuthInfo{ClientCertificateData: cert, ClientKeyData: key}
	cfg.Contexts[ref] = &clientcmdapi.Context{Cluster: ref, AuthInfo: ref}
	cfg.CurrentContext = ref
	kc, err := clientcmd.Write(*cfg)
	if err != nil {
		return nil, err
	}
	return map[string][]byte{gitops.KeyConfig: kc, gitops.KeyCA: ca, gitops.KeyCert: cert, gitops.KeyKey: key}, nil
}

// startSyncer plays the vcluster's syncer once it runs: after syncerDelay it writes the vc-<name> Secret
// (left as it is when it already says the same).
func (p *Platform) startSyncer(name, namespace, server string) {
	p.goBackground(func(ctx context.Context) {
		t := time.NewTimer(syncerDelay)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		_ = p.writeVClusterSecret(ctx, name, namespace, server)
	})
}

func (p *Platform) writeVClusterSecret(ctx context.Context, name, namespace, server string) error {
	data, err := vclusterSecretData(name, namespace, server)
	if err != nil {
		return err
	}
	secrets := p.kube.typed.CoreV1().Secrets(namespace)
	cur, err := secrets.Get(ctx, vcluster.KubeconfigSecret(name), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = secrets.Create(ctx, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: vcluster.KubeconfigSecret(name), Namespace: namespace,
				Labels: map[string]string{"vcluster.loft.sh/kubeconfig": "true"}},
			Type: corev1.SecretTypeOpaque, Data: data,
		}, metav1.CreateOptions{})
		return err
	}
	if err != nil {
		return err
	}
	if len(cur.StringData) == 0 && maps.EqualFunc(cur.Data, data, bytes.Equal) {
		return nil
	}
	cur.Data, cur.StringData = data, nil
	_, err = secrets.Update(ctx, cur, metav1.UpdateOptions{})
	return err
}

// CheckRegistration stands for the request the vclusters step makes with an ArgoCD cluster Secret's
// credentials (the demo cannot open a TLS connection): the server must be one a demo vcluster's
// vc-<name> Secret names, that vcluster must run, and the registered CA, client certificate and key
// must be the ones its Secret carries. It answers the user the request authenticates as, or an error
// saying what a real request would have met.
func (p *Platform) CheckRegistration(ctx context.Context, s *corev1.Secret) (string, error) {
	rc, err := gitops.RESTConfig(s)
	if err != nil {
		return "", err
	}
	fail := func(format string, a ...any) (string, error) {
		return "", fmt.Errorf("a request to %s with the registered credentials failed: %s", rc.Host, fmt.Sprintf(format, a...))
	}
	vc, err := p.vclusterServing(ctx, rc.Host)
	if err != nil {
		return fail("%v", err)
	}
	if vc == nil {
		return fail("dial tcp: lookup %s: no such host (no vcluster of the demo is served there)", hostOf(rc.Host))
	}
	name := strings.TrimPrefix(vc.Name, "vc-")
	ref := vc.Namespace + "/" + name
	sts, err := p.kube.typed.AppsV1().StatefulSets(vc.Namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil || sts.Status.ReadyReplicas == 0 {
		return fail("dial tcp %s: connect: connection refused (vcluster %s is not running)", hostOf(rc.Host), ref)
	}
	switch {
	case !rc.Insecure && !bytes.Equal(rc.CAData, vc.Data[gitops.KeyCA]):
		return fail("tls: failed to verify certificate: x509: certificate signed by unknown authority "+
			"(the registered CA is not vcluster %s's)", ref)
	case len(rc.CertData) == 0 && rc.BearerToken != "":
		return fail("Unauthorized (vcluster %s knows no such bearer token)", ref)
	case !bytes.Equal(rc.CertData, vc.Data[gitops.KeyCert]):
		return fail("Unauthorized (the registered client certificate is not the one vcluster %s issued)", ref)
	case !bytes.Equal(rc.KeyData, vc.Data[gitops.KeyKey]):
		return fail("tls: private key does not match public key (the registered client key is not vcluster %s's)", ref)
	}
	return registeredUser, nil
}

// vclusterServing finds the vc-<name> Secret whose kubeconfig names server (nil when none does).
func (p *Platform) vclusterServing(ctx context.Context, server string) (*corev1.Secret, error) {
	list, err := p.kube.typed.CoreV1().Secrets("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	want := normalServer(server)
	for i := range list.Items {
		s := &list.Items[i]
		if !strings.HasPrefix(s.Name, "vc-") || len(s.Data[gitops.KeyConfig]) == 0 {
			continue
		}
		cfg, err := clientcmd.Load(s.Data[gitops.KeyConfig])
		if err != nil {
			continue
		}
		for _, c := range cfg.Clusters {
			if normalServer(c.Server) == want {
				return s, nil
			}
		}
	}
	return nil, nil
}

// normalServer is a server URL compared by scheme, host and port (443 implied for https) and path.
func normalServer(s string) string {
	u, err := url.Parse(strings.TrimSuffix(strings.TrimSpace(s), "/"))
	if err != nil {
		return s
	}
	host := strings.ToLower(u.Host)
	if u.Scheme == "https" {
		host = strings.TrimSuffix(host, ":443")
	}
	return u.Scheme + "://" + host + u.Path
}

func hostOf(server string) string {
	if u, err := url.Parse(server); err == nil && u.Host != "" {
		return u.Host
	}
	return server
}
