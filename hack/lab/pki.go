package lab

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/clubcedille/cedille-tui/internal/atomicfile"
)

// Files of the lab's PKI, all under <state>/pki. Private keys and the token file are 0600.
const (
	caCertFile      = "ca.crt"
	caKeyFile       = "ca.key"
	servingCertFile = "apiserver.crt"
	servingKeyFile  = "apiserver.key"
	adminCertFile   = "admin.crt"
	adminKeyFile    = "admin.key"
	saKeyFile       = "sa.key"
	saPubFile       = "sa.pub"
	tokenFile       = "tokens.csv"
	adminTokenFile  = "admin.token"
	// kwok's serving certificate: kwok stands in for the kubelets, and the apiserver reaches it over
	// HTTPS for pods/portforward (and exec, attach, logs), verifying it against the lab CA.
	kwokCertFile = "kwok.crt"
	kwokKeyFile  = "kwok.key"
	// The apiserver's client certificate towards the kubelets (--kubelet-client-certificate).
	kubeletClientCertFile = "apiserver-kubelet-client.crt"
	kubeletClientKeyFile  = "apiserver-kubelet-client.key"
)

// pkiBaseFiles are the PKI's roots: when one is missing the whole PKI is regenerated.
func pkiBaseFiles() []string {
	return []string{caCertFile, caKeyFile, saKeyFile, saPubFile, tokenFile, adminTokenFile}
}

// pkiFiles lists every file the PKI consists of.
func pkiFiles() []string {
	out := pkiBaseFiles()
	for _, l := range leaves() {
		out = append(out, l.cert, l.key)
	}
	return out
}

// leafFiles is a leaf certificate and the files it is kept in.
type leafFiles struct {
	spec      certSpec
	cert, key string
}

// leaves are the lab's leaf certificates, all signed by the lab CA. A leaf whose files are missing
// (a state dir from before it existed) is issued alone from the existing CA, so the CA, the admin
// credentials and the service-account key stay.
func leaves() []leafFiles {
	return []leafFiles{
		{servingSpec(), servingCertFile, servingKeyFile},
		{adminSpec(), adminCertFile, adminKeyFile},
		{kwokServingSpec(), kwokCertFile, kwokKeyFile},
		{kubeletClientSpec(), kubeletClientCertFile, kubeletClientKeyFile},
	}
}

// servingDNSNames are the DNS SANs of the apiserver's serving certificate.
func servingDNSNames() []string {
	return []string{
		"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
		"kubernetes.default.svc.cluster.local",
	}
}

// servingIPs are the IP SANs of the apiserver's serving certificate: loopback and the first address
// of the service CIDR (the in-cluster `kubernetes` Service).
func servingIPs() []string { return []string{"127.0.0.1", "10.96.0.1"} }

// PKI is the lab's certificate material, as PEM.
type PKI struct {
	Dir        string
	CACert     []byte
	AdminCert  []byte
	AdminKey   []byte
	AdminToken string
}

// certSpec describes one leaf certificate.
type certSpec struct {
	cn     string
	orgs   []string
	dns    []string
	ips    []net.IP
	usages []x509.ExtKeyUsage
}

func servingSpec() certSpec {
	s := certSpec{cn: "kube-apiserver", dns: servingDNSNames(), usages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	for _, ip := range servingIPs() {
		s.ips = append(s.ips, net.ParseIP(ip))
	}
	return s
}

func adminSpec() certSpec {
	return certSpec{cn: "admin", orgs: []string{"system:masters"}, usages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
}

// kwokServingSpec is kwok's serving certificate: the apiserver dials the "kubelet" at the node's
// InternalIP, which kwok sets to 127.0.0.1 (--node-ip), so the IP SAN 127.0.0.1 is what it checks.
func kwokServingSpec() certSpec {
	return certSpec{cn: "kwok", dns: []string{"localhost"}, ips: []net.IP{net.ParseIP("127.0.0.1")},
		usages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
}

// kubeletClientSpec is the apiserver's client certificate towards the kubelets, as kubeadm makes it.
// kwok does not ask for client certificates; the apiserver presents it all the same, as on a cluster.
func kubeletClientSpec() certSpec {
	return certSpec{cn: "kube-apiserver-kubelet-client", orgs: []string{"system:masters"},
		usages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
}

// ensurePKI loads the PKI from dir: it (re)generates all of it when a base file (CA, service-account
// key, tokens) is missing, else issues just the leaf certificates that are missing.
func ensurePKI(dir string) (*PKI, error) {
	exists := func(f string) bool { _, err := os.Stat(filepath.Join(dir, f)); return err == nil }
	complete := true
	for _, f := range pkiBaseFiles() {
		complete = complete && exists(f)
	}
	if !complete {
		if err := generatePKI(dir, time.Now()); err != nil {
			return nil, err
		}
		return loadPKI(dir)
	}
	var missing []leafFiles
	for _, l := range leaves() {
		if !exists(l.cert) || !exists(l.key) {
			missing = append(missing, l)
		}
	}
	if len(missing) > 0 {
		if err := issueMissing(dir, missing, time.Now()); err != nil {
			return nil, fmt.Errorf("issue %s: %w", missing[0].cert, err)
		}
	}
	return loadPKI(dir)
}

// issueMissing issues the given leaves from the CA kept in dir.
func issueMissing(dir string, missing []leafFiles, now time.Time) error {
	caPEM, err := os.ReadFile(filepath.Join(dir, caCertFile))
	if err != nil {
		return err
	}
	ca, err := parseCertPEM(caPEM)
	if err != nil {
		return err
	}
	keyPEM, err := os.ReadFile(filepath.Join(dir, caKeyFile))
	if err != nil {
		return err
	}
	b, _ := pem.Decode(keyPEM)
	if b == nil {
		return errors.New("ca.key: no PEM block")
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return fmt.Errorf("ca.key: %w", err)
	}
	caKey, ok := k.(crypto.Signer)
	if !ok {
		return fmt.Errorf("ca.key: %T is not a signing key", k)
	}
	for _, l := range missing {
		certPEM, keyPEM, err := issue(ca, caKey, l.spec, now)
		if err != nil {
			return err
		}
		// Key first: a cert without its key is never left behind as "present".
		if err := writeFileAtomic(filepath.Join(dir, l.key), keyPEM, 0o600); err != nil {
			return err
		}
		if err := writeFileAtomic(filepath.Join(dir, l.cert), certPEM, 0o600); err != nil {
			return err
		}
	}
	return nil
}

func loadPKI(dir string) (*PKI, error) {
	p := &PKI{Dir: dir}
	read := func(name string) ([]byte, error) { return os.ReadFile(filepath.Join(dir, name)) }
	var err error
	if p.CACert, err = read(caCertFile); err != nil {
		return nil, err
	}
	if p.AdminCert, err = read(adminCertFile); err != nil {
		return nil, err
	}
	if p.AdminKey, err = read(adminKeyFile); err != nil {
		return nil, err
	}
	tok, err := read(adminTokenFile)
	if err != nil {
		return nil, err
	}
	p.AdminToken = string(tok)
	return p, nil
}

// generatePKI writes a fresh CA, the leaf certificates (apiserver serving, admin client, kwok serving,
// apiserver-to-kubelet client), a service-account key pair and the static token file into dir.
func generatePKI(dir string, now time.Time) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "cedille-tui-lab-ca"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	if err != nil {
		return err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return err
	}
	files := map[string][]byte{caCertFile: pemBlock("CERTIFICATE", caDER)}
	if files[caKeyFile], err = ecKeyPEM(caKey); err != nil {
		return err
	}
	for _, leaf := range leaves() {
		certPEM, keyPEM, err := issue(ca, caKey, leaf.spec, now)
		if err != nil {
			return err
		}
		files[leaf.cert], files[leaf.key] = certPEM, keyPEM
	}
	saKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	files[saKeyFile] = pemBlock("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(saKey))
	pub, err := x509.MarshalPKIXPublicKey(&saKey.PublicKey)
	if err != nil {
		return err
	}
	files[saPubFile] = pemBlock("PUBLIC KEY", pub)
	tok := make([]byte, 24)
	if _, err := rand.Read(tok); err != nil {
		return err
	}
	token := hex.EncodeToString(tok)
	files[adminTokenFile] = []byte(token)
	files[tokenFile] = []byte(renderTokenFile(token))
	for name, data := range files {
		if err := writeFileAtomic(filepath.Join(dir, name), data, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// renderTokenFile renders kube-apiserver's --token-auth-file: token,user,uid,"groups".
func renderTokenFile(adminToken string) string {
	return fmt.Sprintf("%s,admin-token,uid-admin-token,\"system:masters\"\n", adminToken)
}

func issue(ca *x509.Certificate, caKey crypto.Signer, s certSpec, now time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: s.cn, Organization: s.orgs},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(10, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  s.usages,
		DNSNames:     s.dns,
		IPAddresses:  s.ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), caKey)
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err = ecKeyPEM(key)
	if err != nil {
		return nil, nil, err
	}
	return pemBlock("CERTIFICATE", der), keyPEM, nil
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return n
}

func ecKeyPEM(k *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, err
	}
	return pemBlock("PRIVATE KEY", der), nil
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

// parseCertPEM returns the first certificate in data.
func parseCertPEM(data []byte) (*x509.Certificate, error) {
	b, _ := pem.Decode(data)
	if b == nil || b.Type != "CERTIFICATE" {
		return nil, errors.New("no CERTIFICATE block")
	}
	return x509.ParseCertificate(b.Bytes)
}

// writeFileAtomic writes data to path through a temporary file and a rename (atomicfile.Write).
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	return atomicfile.Write(path, data, mode)
}
