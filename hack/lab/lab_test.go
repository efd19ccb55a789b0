package lab

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/platform"

	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"
)

func TestPKI(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	p, err := ensurePKI(dir)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := parseCertPEM(p.CACert)
	if err != nil {
		t.Fatal(err)
	}
	if !ca.IsCA {
		t.Error("CA is not a CA")
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)

	b, err := os.ReadFile(filepath.Join(dir, servingCertFile))
	if err != nil {
		t.Fatal(err)
	}
	serving, err := parseCertPEM(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"} {
		if _, err := serving.Verify(x509.VerifyOptions{DNSName: name, Roots: roots}); err != nil {
			t.Errorf("serving cert for %s: %v", name, err)
		}
	}
	if !slices.ContainsFunc(serving.IPAddresses, func(ip net.IP) bool { return ip.Equal(net.ParseIP("127.0.0.1")) }) {
		t.Errorf("serving cert IPs %v lack 127.0.0.1", serving.IPAddresses)
	}
	if _, err := serving.Verify(x509.VerifyOptions{DNSName: "127.0.0.1", Roots: roots}); err != nil {
		t.Errorf("serving cert for 127.0.0.1: %v", err)
	}

	admin, err := parseCertPEM(p.AdminCert)
	if err != nil {
		t.Fatal(err)
	}
	if admin.Subject.CommonName != "admin" || !slices.Equal(admin.Subject.Organization, []string{"system:masters"}) {
		t.Errorf("admin subject = %v", admin.Subject)
	}
	if _, err := admin.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("admin cert: %v", err)
	}

	// kwok's serving cert: the apiserver dials https://127.0.0.1:<kwok port>.
	kc, err := os.ReadFile(filepath.Join(dir, kwokCertFile))
	if err != nil {
		t.Fatal(err)
	}
	kwokCert, err := parseCertPEM(kc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kwokCert.Verify(x509.VerifyOptions{DNSName: "127.0.0.1", Roots: roots}); err != nil {
		t.Errorf("kwok serving cert for 127.0.0.1: %v", err)
	}
	kcc, err := os.ReadFile(filepath.Join(dir, kubeletClientCertFile))
	if err != nil {
		t.Fatal(err)
	}
	kubeletClient, err := parseCertPEM(kcc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kubeletClient.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("apiserver kubelet client cert: %v", err)
	}

	kb, err := os.ReadFile(filepath.Join(dir, saKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(kb)
	if blk == nil {
		t.Fatal("sa.key: no PEM")
	}
	if _, err := x509.ParsePKCS1PrivateKey(blk.Bytes); err != nil {
		t.Errorf("sa.key is not an RSA key: %v", err)
	}
	pb, _ := os.ReadFile(filepath.Join(dir, saPubFile))
	blk, _ = pem.Decode(pb)
	if blk == nil {
		t.Fatal("sa.pub: no PEM")
	}
	pub, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if _, ok := pub.(*rsa.PublicKey); err != nil || !ok {
		t.Errorf("sa.pub: %T %v", pub, err)
	}

	tok, _ := os.ReadFile(filepath.Join(dir, tokenFile))
	if !strings.HasPrefix(string(tok), p.AdminToken+",") || !strings.Contains(string(tok), `"system:masters"`) {
		t.Errorf("token file = %q", tok)
	}
	for _, f := range pkiFiles() {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", f, fi.Mode().Perm())
		}
	}

	// A complete PKI is reused as is.
	again, err := ensurePKI(dir)
	if err != nil {
		t.Fatal(err)
	}
	if string(again.CACert) != string(p.CACert) || again.AdminToken != p.AdminToken {
		t.Error("ensurePKI regenerated a complete PKI")
	}

	// A state dir from before a leaf existed: only that leaf is issued, from the same CA.
	for _, f := range []string{kwokCertFile, kubeletClientKeyFile} {
		if err := os.Remove(filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	adminBefore := string(p.AdminCert)
	again, err = ensurePKI(dir)
	if err != nil {
		t.Fatal(err)
	}
	if string(again.CACert) != string(p.CACert) || string(again.AdminCert) != adminBefore || again.AdminToken != p.AdminToken {
		t.Error("ensurePKI regenerated the PKI for a missing leaf")
	}
	kc, _ = os.ReadFile(filepath.Join(dir, kwokCertFile))
	if kwokCert, err = parseCertPEM(kc); err != nil {
		t.Fatal(err)
	}
	if _, err := kwokCert.Verify(x509.VerifyOptions{DNSName: "127.0.0.1", Roots: roots}); err != nil {
		t.Errorf("reissued kwok serving cert: %v", err)
	}
	for _, f := range pkiFiles() {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("after reissue: %v", err)
		}
	}
}

func TestAllocPorts(t *testing.T) {
	ports, err := allocPorts(7, nil)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, p := range ports {
		if p <= 0 || seen[p] {
			t.Fatalf("ports %v: not distinct positive", ports)
		}
		seen[p] = true
		if !portFree(p) {
			t.Errorf("port %d still held after allocPorts", p)
		}
	}

	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyPort := busy.Addr().(*net.TCPAddr).Port
	free := ports[0]
	got, err := allocPorts(4, []int{free, busyPort, free, 0})
	if err != nil {
		t.Fatal(err)
	}
	if got[0] != free {
		t.Errorf("slot 0 = %d, want preferred free port %d", got[0], free)
	}
	if got[1] == busyPort {
		t.Error("slot 1 kept a busy port")
	}
	if got[2] == free {
		t.Error("slot 2 reused slot 0's port")
	}
	if portFree(busyPort) {
		t.Error("portFree says a listened port is free")
	}
}

func TestParseStat(t *testing.T) {
	tail := " 1 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10 18446744073709551615"
	for _, tc := range []struct {
		name, in  string
		state     byte
		pgrp      int
		startTime uint64
		wantErr   bool
	}{
		{name: "plain", in: "42 (etcd) S" + tail, state: 'S', pgrp: 1234, startTime: 987654},
		{name: "zombie", in: "42 (kube-apiserver) Z" + tail, state: 'Z', pgrp: 1234, startTime: 987654},
		{name: "odd comm", in: "42 (a) b) (c d) R" + tail, state: 'R', pgrp: 1234, startTime: 987654},
		{name: "no comm", in: "42 etcd S 1", wantErr: true},
		{name: "short", in: "42 (etcd) S 1 2", wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := parseStat(tc.in)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("parseStat(%q) = %+v, want error", tc.in, st)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if st.State != tc.state || st.Pgrp != tc.pgrp || st.StartTime != tc.startTime {
				t.Errorf("parseStat = %+v", st)
			}
		})
	}
	if isLive(procStat{State: 'Z', StartTime: 5}, 5) {
		t.Error("a zombie counts as live")
	}
	if isLive(procStat{State: 'S', StartTime: 6}, 5) {
		t.Error("a reused PID (other start time) counts as live")
	}
	if !isLive(procStat{State: 'S', StartTime: 5}, 5) {
		t.Error("a sleeping process counts as stopped")
	}
}

func TestZombieIsStopped(t *testing.T) {
	cmd := exec.Command("true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	defer cmd.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for {
		st, err := readStat(pid)
		if err != nil {
			t.Fatal(err)
		}
		if st.State == 'Z' {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("pid %d never became a zombie (state %c)", pid, st.State)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if running(pid, 0) {
		t.Error("running() is true for a zombie")
	}
	if err := stopProcess(pid, 0, nil, time.Second); err != nil {
		t.Errorf("stopProcess on a zombie: %v", err)
	}
}

func TestSpawnAndStop(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, script string
		grace        time.Duration
	}{
		{"term", "sleep 300 & sleep 300", 5 * time.Second},
		{"ignores term", "trap '' TERM; sleep 300 & sleep 300; sleep 300", 300 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log := filepath.Join(dir, tc.name+".log")
			c, err := spawn("/bin/sh", []string{"-c", tc.script}, os.Environ(), dir, log)
			if err != nil {
				t.Fatal(err)
			}
			if !running(c.pid, c.startTime) {
				t.Fatal("not running after spawn")
			}
			st, err := readStat(c.pid)
			if err != nil {
				t.Fatal(err)
			}
			if st.Pgrp != c.pid {
				t.Errorf("pgrp %d, want own group %d", st.Pgrp, c.pid)
			}
			time.Sleep(100 * time.Millisecond) // let the shell start its sleeps
			members := groupMembers(t, c.pid)
			if err := stopProcess(c.pid, c.startTime, c.done, tc.grace); err != nil {
				t.Fatal(err)
			}
			select {
			case <-c.done:
			case <-time.After(5 * time.Second):
				t.Fatal("child not reaped")
			}
			for _, m := range members {
				deadline := time.Now().Add(5 * time.Second)
				for running(m, 0) && time.Now().Before(deadline) {
					time.Sleep(20 * time.Millisecond)
				}
				if running(m, 0) {
					t.Errorf("group member %d survived", m)
				}
			}
			b, _ := os.ReadFile(log)
			if !strings.Contains(string(b), "=== lab ") {
				t.Errorf("log lacks the start line: %q", b)
			}
		})
	}
}

// groupMembers lists the PIDs whose process group is pgid.
func groupMembers(t *testing.T, pgid int) []int {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, err := readStat(pid); err == nil && st.Pgrp == pgid && st.State != 'Z' {
			out = append(out, pid)
		}
	}
	if len(out) < 2 {
		t.Fatalf("group %d has %v, want the shell and its sleeps", pgid, out)
	}
	return out
}

func TestStopProcessLeavesOthersAlone(t *testing.T) {
	// A PID recorded with another start time is not ours: stopProcess must not signal it.
	cmd := exec.Command("sleep", "300")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	st, err := readStat(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	if err := stopProcess(cmd.Process.Pid, st.StartTime+1, nil, time.Second); err != nil {
		t.Fatal(err)
	}
	if !running(cmd.Process.Pid, st.StartTime) {
		t.Error("stopProcess signalled a process whose start time differs from the record")
	}
}

func TestResolveComponents(t *testing.T) {
	got, err := resolveComponents([]string{Kwok, Vault})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{Etcd, KubeAPIServer, Kwok, Vault}; !slices.Equal(got, want) {
		t.Errorf("resolveComponents = %v, want %v", got, want)
	}
	all, _ := resolveComponents(nil)
	if !slices.Equal(all, AllComponents()) {
		t.Errorf("default = %v", all)
	}
	if _, err := resolveComponents([]string{"kubelet"}); err == nil {
		t.Error("unknown component accepted")
	}
}

func TestRenderConfig(t *testing.T) {
	p := layout{"/st"}
	hcl := renderVaultConfig(p, 8200, 8201)
	for _, want := range []string{
		`storage "file"`, `path = "/st/vault/data"`, `address         = "127.0.0.1:8200"`,
		`cluster_address = "127.0.0.1:8201"`, `tls_disable     = true`, `disable_mlock = true`,
		`api_addr      = "http://127.0.0.1:8200"`, `cluster_addr  = "https://127.0.0.1:8201"`,
	} {
		if !strings.Contains(hcl, want) {
			t.Errorf("vault config lacks %q:\n%s", want, hcl)
		}
	}
	if args := strings.Join(vaultArgs(p), " "); !strings.HasPrefix(args, "server -config=/st/vault/config.hcl") || strings.Contains(args, "-dev") {
		t.Errorf("vault args %q: want a non-dev server", args)
	}

	api := strings.Join(apiserverArgs(p, 2379, 6443), " ")
	for _, want := range []string{
		"--etcd-servers=http://127.0.0.1:2379", "--bind-address=127.0.0.1", "--secure-port=6443",
		"--advertise-address=127.0.0.1", "--endpoint-reconciler-type=none", "--authorization-mode=RBAC",
		"--service-cluster-ip-range=10.96.0.0/16", "--client-ca-file=/st/pki/ca.crt",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=/st/pki/sa.pub", "--service-account-signing-key-file=/st/pki/sa.key",
		"--token-auth-file=/st/pki/tokens.csv",
	} {
		if !strings.Contains(api, want) {
			t.Errorf("apiserver args lack %s", want)
		}
	}
	etcd := strings.Join(etcdArgs(p, 1, 2), " ")
	for _, want := range []string{"--listen-client-urls=http://127.0.0.1:1", "--listen-peer-urls=http://127.0.0.1:2", "--unsafe-no-fsync", "--data-dir=/st/etcd"} {
		if !strings.Contains(etcd, want) {
			t.Errorf("etcd args lack %s", want)
		}
	}
	kcm := strings.Join(controllerManagerArgs(p), " ")
	for _, want := range []string{"--secure-port=0", "--leader-elect=false", "--root-ca-file=/st/pki/ca.crt", "-nodelifecycle", "--service-account-private-key-file=/st/pki/sa.key"} {
		if !strings.Contains(kcm, want) {
			t.Errorf("kube-controller-manager args lack %s", want)
		}
	}
	if got := strings.Join(omniArgs(p, 0, true), " "); got != "--listen=127.0.0.1:0 --addr-file=/st/omnistate.addr --kubeconfig=/st/kubeconfig" {
		t.Errorf("omnistate args = %s", got)
	}
	if got := strings.Join(omniArgs(p, 7, false), " "); strings.Contains(got, "kubeconfig") || !strings.Contains(got, "127.0.0.1:7") {
		t.Errorf("omnistate args without apiserver = %s", got)
	}
	kwok := strings.Join(kwokArgs(p, "/bin", 9, true), " ")
	for _, want := range []string{
		"--config=/bin/kwok-stages.yaml", "--config=/st/kwok/forwards.yaml", "--manage-all-nodes=true",
		"--server-address=127.0.0.1:9", "--node-ip=127.0.0.1", "--node-port=9",
		"--tls-cert-file=/st/pki/kwok.crt", "--tls-private-key-file=/st/pki/kwok.key",
	} {
		if !strings.Contains(kwok, want) {
			t.Errorf("kwok args lack %s", want)
		}
	}
	if kwok := strings.Join(kwokArgs(p, "/bin", 9, false), " "); strings.Contains(kwok, "forwards.yaml") {
		t.Errorf("kwok args without Vault name the forwards config: %s", kwok)
	}
	// Every server listens on 127.0.0.1 only: with --node-port and no --server-address kwok would
	// listen on 0.0.0.0.
	for _, args := range [][]string{kwokArgs(p, "/bin", 9, true), apiserverArgs(p, 1, 2)} {
		for _, a := range args {
			if strings.Contains(a, "0.0.0.0") || strings.HasPrefix(a, "--server-address=") && a != "--server-address=127.0.0.1:9" {
				t.Errorf("non-loopback listen argument %s", a)
			}
		}
	}
	for _, want := range []string{
		"--kubelet-preferred-address-types=InternalIP", "--kubelet-certificate-authority=/st/pki/ca.crt",
		"--kubelet-client-certificate=/st/pki/apiserver-kubelet-client.crt",
		"--kubelet-client-key=/st/pki/apiserver-kubelet-client.key",
	} {
		if !strings.Contains(api, want) {
			t.Errorf("apiserver args lack %s", want)
		}
	}
}

func TestRenderKwokForwards(t *testing.T) {
	doc := renderKwokForwards(18200)
	var cpf struct {
		APIVersion, Kind string
		Metadata         struct{ Name string }
		Spec             struct {
			Selector struct{ MatchNamespaces, MatchNames []string }
			Forwards []struct {
				Ports  []int32
				Target struct {
					Address string
					Port    int32
				}
			}
		}
	}
	if err := yaml.UnmarshalStrict([]byte(doc), &cpf); err != nil {
		t.Fatalf("%v\n%s", err, doc)
	}
	if cpf.APIVersion != "kwok.x-k8s.io/v1alpha1" || cpf.Kind != "ClusterPortForward" {
		t.Errorf("kind %s %s", cpf.APIVersion, cpf.Kind)
	}
	if !slices.Equal(cpf.Spec.Selector.MatchNamespaces, []string{VaultNamespace}) {
		t.Errorf("selector %+v", cpf.Spec.Selector)
	}
	if len(cpf.Spec.Forwards) != 1 {
		t.Fatalf("forwards %+v", cpf.Spec.Forwards)
	}
	f := cpf.Spec.Forwards[0]
	if !slices.Equal(f.Ports, []int32{VaultPodPort}) || f.Target.Address != "127.0.0.1" || f.Target.Port != 18200 {
		t.Errorf("forward %+v", f)
	}
}

func TestRenderKubeconfig(t *testing.T) {
	p, err := ensurePKI(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	b, err := renderKubeconfig("https://127.0.0.1:6443", p)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.Load(b)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.CurrentContext != ContextAdmin {
		t.Errorf("current context %q", cfg.CurrentContext)
	}
	admin, err := clientcmd.NewNonInteractiveClientConfig(*cfg, ContextAdmin, nil, nil).ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	if admin.Host != "https://127.0.0.1:6443" || len(admin.CertData) == 0 || len(admin.CAData) == 0 {
		t.Errorf("admin context: %+v", admin)
	}
	tok, err := clientcmd.NewNonInteractiveClientConfig(*cfg, ContextToken, nil, nil).ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	if tok.BearerToken != p.AdminToken || len(tok.CertData) != 0 {
		t.Errorf("token context: token %q certs %d", tok.BearerToken, len(tok.CertData))
	}
}

func TestRenderEnvFile(t *testing.T) {
	got := renderEnvFile(map[string]string{"VAULT_ADDR": "http://127.0.0.1:1", "KUBECONFIG": "/a b/kc", "Q": "it's"})
	want := "export KUBECONFIG='/a b/kc'\nexport Q='it'\\''s'\nexport VAULT_ADDR=http://127.0.0.1:1\n"
	if got != want {
		t.Errorf("renderEnvFile =\n%s\nwant\n%s", got, want)
	}
}

func TestChildEnv(t *testing.T) {
	got := childEnv([]string{"PATH=/bin", "KUBECONFIG=/x", "ETCD_NAME=x", "VAULT_TOKEN=t", "KWOK_X=1", "HOME=/h"})
	if !slices.Equal(got, []string{"PATH=/bin", "HOME=/h"}) {
		t.Errorf("childEnv = %v", got)
	}
}

func TestCheckBinaries(t *testing.T) {
	dir := t.TempDir()
	err := checkBinaries(dir, []string{Etcd, Kwok, OmniState})
	if err == nil || !strings.Contains(err.Error(), "make lab-build") || !strings.Contains(err.Error(), "kwok-stages.yaml") {
		t.Fatalf("checkBinaries = %v", err)
	}
	for _, f := range []string{"etcd", "kwok", "kwok-stages.yaml"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := checkBinaries(dir, []string{Etcd, Kwok, OmniState}); err != nil {
		t.Error(err)
	}
}

func TestCRDs(t *testing.T) {
	crds, err := CRDs()
	if err != nil {
		t.Fatal(err)
	}
	// name -> [namespaced, has status subresource]
	want := map[string][2]bool{
		"diskpools.openebs.io":         {true, true},
		"meshes.kuma.io":               {false, false},
		"dataplanes.kuma.io":           {true, false},
		"dataplaneinsights.kuma.io":    {true, false},
		"applications.argoproj.io":     {true, false},
		"appprojects.argoproj.io":      {true, false},
		"certificates.cert-manager.io": {true, true},
	}
	if len(crds) != len(want) {
		t.Errorf("%d CRDs, want %d", len(crds), len(want))
	}
	for _, c := range crds {
		w, ok := want[c.Name]
		if !ok {
			t.Errorf("unexpected CRD %s", c.Name)
			continue
		}
		if got := c.Spec.Scope == "Namespaced"; got != w[0] {
			t.Errorf("%s namespaced = %v", c.Name, got)
		}
		if len(c.Spec.Versions) != 1 {
			t.Fatalf("%s: %d versions", c.Name, len(c.Spec.Versions))
		}
		v := c.Spec.Versions[0]
		if got := v.Subresources != nil && v.Subresources.Status != nil; got != w[1] {
			t.Errorf("%s status subresource = %v, want %v", c.Name, got, w[1])
		}
		if c.Name != c.Spec.Names.Plural+"."+c.Spec.Group {
			t.Errorf("%s: name does not match plural.group", c.Name)
		}
	}
	for _, dir := range []string{"crds", "crds/era2"} {
		ents, _ := crdFS.ReadDir(dir)
		for _, e := range ents {
			if e.IsDir() {
				continue
			}
			b, _ := crdFS.ReadFile(dir + "/" + e.Name())
			if !strings.HasPrefix(string(b), "# cedille-tui's own minimal test CRD") {
				t.Errorf("%s does not start with the provenance comment", e.Name())
			}
		}
	}
}

// TestEra2CRDs: an era-2 cluster's CRDs hold the era-2 kinds and the kinds both eras share, never
// Mayastor's or Kuma's, each named plural.group.
func TestEra2CRDs(t *testing.T) {
	crds, err := Era2CRDs()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, c := range crds {
		names[c.Name] = true
		if c.Name != c.Spec.Names.Plural+"."+c.Spec.Group {
			t.Errorf("%s: name does not match plural.group", c.Name)
		}
	}
	for _, want := range []string{"cephclusters.ceph.rook.io", "backups.velero.io", "clusters.postgresql.cnpg.io",
		"vaultstaticsecrets.secrets.hashicorp.com", "ciliumloadbalancerippools.cilium.io", "applications.argoproj.io"} {
		if !names[want] {
			t.Errorf("era 2 lacks %s", want)
		}
	}
	for _, k := range platform.Era2Kinds() {
		if !names[k.Key()] {
			t.Errorf("era 2's CRDs lack %s, which the console reads", k.Key())
		}
	}
	for _, never := range []string{"diskpools.openebs.io", "meshes.kuma.io"} {
		if names[never] {
			t.Errorf("era 2 serves %s", never)
		}
	}
}

func TestVaultHealthCodes(t *testing.T) {
	for code, ok := range map[int]bool{200: true, 501: true, 503: true, 429: true, 500: false, 404: false} {
		if vaultHealthOK(code) != ok {
			t.Errorf("vaultHealthOK(%d) != %v", code, ok)
		}
	}
}

func TestFindRepoRoot(t *testing.T) {
	root, err := FindRepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "hack", "lab", "build.sh")); err != nil {
		t.Errorf("repo root %s lacks hack/lab/build.sh", root)
	}
}
