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
)

// pkiFiles lists every file the PKI consists of; when one is missing the whole set is regenerated.
func pkiFiles() []string {
	return []string{
		caCertFile, caKeyFile, servingCertFile, servingKeyFile, adminCertFile, adminKeyFile,
		saKeyFile, saPubFile, tokenFile, adminTokenFile,
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

// ensurePKI loads the PKI from dir, or (re)generates all of it when any file is missing.
func ensurePKI(dir string) (*PKI, error) {
	complete := true
	for _, f := range pkiFiles() {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			complete = false
			break
		}
	}
	if !complete {
		if err := generatePKI(dir, time.Now()); err != nil {
			return nil, err
		}
	}
	return loadPKI(dir)
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

// generatePKI writes a fresh CA, apiserver serving cert, admin client cert, service-account key pair
// and static token file into dir.
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
	for _, leaf := range []struct {
		spec      certSpec
		cert, key string
	}{{servingSpec(), servingCertFile, servingKeyFile}, {adminSpec(), adminCertFile, adminKeyFile}} {
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

// writeFileAtomic writes data to a temporary file beside path and renames it into place.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
