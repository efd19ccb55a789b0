package lab

import (
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Components of the lab, in start order.
const (
	Etcd                  = "etcd"
	KubeAPIServer         = "kube-apiserver"
	KubeControllerManager = "kube-controller-manager"
	Kwok                  = "kwok"
	Vault                 = "vault"
	OmniState             = "omnistate"
)

// Kubeconfig contexts written by Up.
const (
	ContextAdmin = "lab-admin" // client certificate CN=admin,O=system:masters
	ContextToken = "lab-token" // static bearer token, group system:masters
)

// ServiceCIDR is the apiserver's --service-cluster-ip-range.
const ServiceCIDR = "10.96.0.0/16"

// serviceAccountIssuer is the apiserver's --service-account-issuer.
const serviceAccountIssuer = "https://kubernetes.default.svc.cluster.local"

// Port slots recorded in lab.json.
const (
	portEtcdClient   = "etcd-client"
	portEtcdPeer     = "etcd-peer"
	portAPIServer    = "kube-apiserver"
	portKwok         = "kwok"
	portVaultAPI     = "vault-api"
	portVaultCluster = "vault-cluster"
	portOmni         = "omnistate"
)

// AllComponents returns every component, in start order.
func AllComponents() []string {
	return []string{Etcd, KubeAPIServer, KubeControllerManager, Kwok, Vault, OmniState}
}

// dependsOn returns the components c needs running first.
func dependsOn(c string) []string {
	switch c {
	case KubeAPIServer:
		return []string{Etcd}
	case KubeControllerManager, Kwok:
		return []string{KubeAPIServer}
	}
	return nil
}

// portSlots returns the port slots component c listens on that Up allocates.
func portSlots(c string) []string {
	switch c {
	case Etcd:
		return []string{portEtcdClient, portEtcdPeer}
	case KubeAPIServer:
		return []string{portAPIServer}
	case Kwok:
		return []string{portKwok}
	case Vault:
		return []string{portVaultAPI, portVaultCluster}
	}
	return nil
}

// binaryOf names the executable of component c in the bin dir ("" for omnistate, built by Up).
func binaryOf(c string) string {
	switch c {
	case OmniState:
		return ""
	}
	return c
}

// resolveComponents validates want, adds dependencies, and returns them in start order.
func resolveComponents(want []string) ([]string, error) {
	if len(want) == 0 {
		return AllComponents(), nil
	}
	set := map[string]bool{}
	var add func(c string) error
	add = func(c string) error {
		known := false
		for _, k := range AllComponents() {
			known = known || k == c
		}
		if !known {
			return fmt.Errorf("lab: unknown component %q (known: %s)", c, strings.Join(AllComponents(), ", "))
		}
		if set[c] {
			return nil
		}
		set[c] = true
		for _, d := range dependsOn(c) {
			if err := add(d); err != nil {
				return err
			}
		}
		return nil
	}
	for _, c := range want {
		if err := add(c); err != nil {
			return nil, err
		}
	}
	var out []string
	for _, c := range AllComponents() {
		if set[c] {
			out = append(out, c)
		}
	}
	return out, nil
}

// layout holds every path of a state dir.
type layout struct{ dir string }

func (p layout) stateFile() string          { return filepath.Join(p.dir, "lab.json") }
func (p layout) envFile() string            { return filepath.Join(p.dir, "lab.env") }
func (p layout) lockFile() string           { return filepath.Join(p.dir, "lab.lock") }
func (p layout) kubeconfig() string         { return filepath.Join(p.dir, "kubeconfig") }
func (p layout) pki() string                { return filepath.Join(p.dir, "pki") }
func (p layout) pkiFile(n string) string    { return filepath.Join(p.dir, "pki", n) }
func (p layout) logs() string               { return filepath.Join(p.dir, "logs") }
func (p layout) log(c string) string        { return filepath.Join(p.dir, "logs", c+".log") }
func (p layout) etcdData() string           { return filepath.Join(p.dir, "etcd") }
func (p layout) apiserverDir() string       { return filepath.Join(p.dir, "kube-apiserver") }
func (p layout) vaultDir() string           { return filepath.Join(p.dir, "vault") }
func (p layout) vaultData() string          { return filepath.Join(p.dir, "vault", "data") }
func (p layout) vaultConfig() string        { return filepath.Join(p.dir, "vault", "config.hcl") }
func (p layout) binDir() string             { return filepath.Join(p.dir, "bin") }
func (p layout) omniBinary() string         { return filepath.Join(p.dir, "bin", "omnistate") }
func (p layout) omniAddrFile() string       { return filepath.Join(p.dir, "omnistate.addr") }
func (p layout) kwokStages(b string) string { return filepath.Join(b, "kwok-stages.yaml") }
func (p layout) kwokDir() string            { return filepath.Join(p.dir, "kwok") }
func (p layout) kwokConfig() string         { return filepath.Join(p.dir, "kwok", "forwards.yaml") }

func loopback(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }

func etcdArgs(p layout, client, peer int) []string {
	c, pe := "http://"+loopback(client), "http://"+loopback(peer)
	return []string{
		"--name=lab",
		"--data-dir=" + p.etcdData(),
		"--listen-client-urls=" + c,
		"--advertise-client-urls=" + c,
		"--listen-peer-urls=" + pe,
		"--initial-advertise-peer-urls=" + pe,
		"--initial-cluster=lab=" + pe,
		"--initial-cluster-state=new",
		"--unsafe-no-fsync",
		"--log-level=warn",
	}
}

func apiserverArgs(p layout, etcdClient, secure int) []string {
	return []string{
		"--etcd-servers=http://" + loopback(etcdClient),
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(secure),
		"--advertise-address=127.0.0.1",
		"--endpoint-reconciler-type=none",
		"--cert-dir=" + p.apiserverDir(),
		"--tls-cert-file=" + p.pkiFile(servingCertFile),
		"--tls-private-key-file=" + p.pkiFile(servingKeyFile),
		"--client-ca-file=" + p.pkiFile(caCertFile),
		"--token-auth-file=" + p.pkiFile(tokenFile),
		"--service-account-issuer=" + serviceAccountIssuer,
		"--service-account-key-file=" + p.pkiFile(saPubFile),
		"--service-account-signing-key-file=" + p.pkiFile(saKeyFile),
		"--service-cluster-ip-range=" + ServiceCIDR,
		"--authorization-mode=RBAC",
		"--allow-privileged=true",
		"--profiling=false",
		// Without this the apiserver waits --request-timeout (1m) on SIGTERM for open watches to end.
		"--shutdown-send-retry-after=true",
		// The "kubelet" is kwok: pods/portforward (exec, attach, logs) go to
		// https://<node InternalIP>:<daemonEndpoints.kubeletEndpoint.Port>, which kwok's nodes set to
		// 127.0.0.1 and kwok's own port (kwokArgs). InternalIP only: kwok also reports a Hostname
		// address, the node's name, which resolves to nothing here.
		"--kubelet-preferred-address-types=InternalIP",
		"--kubelet-certificate-authority=" + p.pkiFile(caCertFile),
		"--kubelet-client-certificate=" + p.pkiFile(kubeletClientCertFile),
		"--kubelet-client-key=" + p.pkiFile(kubeletClientKeyFile),
	}
}

// controllerManagerControllers are the controllers that work without kubelets, clouds or volumes.
func controllerManagerControllers() string {
	return "*,-nodeipam,-nodelifecycle,-cloud-node-lifecycle,-service-lb-controller,-route," +
		"-persistentvolume-binder,-attachdetach,-persistentvolume-expander,-ephemeral-volume," +
		"-pv-protection,-pvc-protection"
}

func controllerManagerArgs(p layout) []string {
	return []string{
		"--kubeconfig=" + p.kubeconfig(),
		"--secure-port=0",
		"--leader-elect=false",
		"--service-account-private-key-file=" + p.pkiFile(saKeyFile),
		"--root-ca-file=" + p.pkiFile(caCertFile),
		"--cluster-signing-cert-file=" + p.pkiFile(caCertFile),
		"--cluster-signing-key-file=" + p.pkiFile(caKeyFile),
		"--controllers=" + controllerManagerControllers(),
	}
}

// kwokArgs: kwok serves its kubelet-like API (plain HTTP and, on the same port, HTTPS with the lab's
// kwok certificate) on 127.0.0.1:port only. --node-ip and --node-port make the nodes it initializes
// advertise that address (InternalIP 127.0.0.1, daemonEndpoints.kubeletEndpoint.Port = port), which
// is where the apiserver sends pods/portforward; --server-address keeps kwok from listening on
// 0.0.0.0:<node-port>. withForwards adds the rendered port-forward config (renderKwokForwards).
func kwokArgs(p layout, binDir string, port int, withForwards bool) []string {
	args := []string{
		"--kubeconfig=" + p.kubeconfig(),
		"--config=" + p.kwokStages(binDir),
	}
	if withForwards {
		args = append(args, "--config="+p.kwokConfig())
	}
	return append(args,
		"--manage-all-nodes=true",
		"--server-address="+loopback(port),
		"--node-ip=127.0.0.1",
		"--node-port="+strconv.Itoa(port),
		"--tls-cert-file="+p.pkiFile(kwokCertFile),
		"--tls-private-key-file="+p.pkiFile(kwokKeyFile),
	)
}

// renderKwokForwards renders kwok's port-forward config: a ClusterPortForward that sends port
// VaultPodPort of every pod in namespace VaultNamespace to the lab's Vault on 127.0.0.1:vaultPort.
// kwok's selectors match namespaces and names only (not labels). It is a static --config document
// (not a CR with --enable-crds), rendered at each start because Vault's port is chosen at Up.
func renderKwokForwards(vaultPort int) string {
	return fmt.Sprintf(`# Written by cedille-tui's hack/lab: pods/portforward to port %[1]d of any pod in namespace %[2]q
# reaches the lab's Vault (every "replica" is the same single Vault).
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterPortForward
metadata:
  name: lab-vault
spec:
  selector:
    matchNamespaces:
    - %[2]s
  forwards:
  - ports:
    - %[1]d
    target:
      address: 127.0.0.1
      port: %[3]d
`, VaultPodPort, VaultNamespace, vaultPort)
}

func vaultArgs(p layout) []string {
	return []string{"server", "-config=" + p.vaultConfig()}
}

// renderVaultConfig renders a non-dev Vault config: file storage, plain-HTTP listener on loopback,
// an explicit cluster address (else Vault opens API port + 1 once unsealed), no mlock.
func renderVaultConfig(p layout, api, cluster int) string {
	return fmt.Sprintf(`# Written by cedille-tui's hack/lab: a non-dev Vault that starts uninitialized and sealed.
storage "file" {
  path = %q
}

listener "tcp" {
  address         = %q
  cluster_address = %q
  tls_disable     = true
}

api_addr      = %q
cluster_addr  = %q
disable_mlock = true
ui            = false
`, p.vaultData(), loopback(api), loopback(cluster), "http://"+loopback(api), "https://"+loopback(cluster))
}

// omniArgs: port 0 lets omnistate pick one (first start); withKube serves the lab's kubeconfig
// through Omni's management Kubeconfig call (omnistate reads the file, it needs no apiserver).
func omniArgs(p layout, port int, withKube bool) []string {
	args := []string{"--listen=" + loopback(port), "--addr-file=" + p.omniAddrFile()}
	if withKube {
		args = append(args, "--kubeconfig="+p.kubeconfig())
	}
	return args
}

// renderKubeconfig renders a kubeconfig with the lab-admin (client cert) and lab-token (static
// token) contexts, credentials inlined; current context lab-admin.
func renderKubeconfig(server string, pki *PKI) ([]byte, error) {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["lab"] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: pki.CACert}
	cfg.AuthInfos[ContextAdmin] = &clientcmdapi.AuthInfo{ClientCertificateData: pki.AdminCert, ClientKeyData: pki.AdminKey}
	cfg.AuthInfos[ContextToken] = &clientcmdapi.AuthInfo{Token: pki.AdminToken}
	cfg.Contexts[ContextAdmin] = &clientcmdapi.Context{Cluster: "lab", AuthInfo: ContextAdmin}
	cfg.Contexts[ContextToken] = &clientcmdapi.Context{Cluster: "lab", AuthInfo: ContextToken}
	cfg.CurrentContext = ContextAdmin
	return clientcmd.Write(*cfg)
}

// renderEnvFile renders `export KEY=VALUE` lines, sorted, values shell-quoted when needed.
func renderEnvFile(env map[string]string) string {
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "export %s=%s\n", k, shellQuote(env[k]))
	}
	return b.String()
}

func shellQuote(s string) string {
	safe := s != ""
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-:+,=@%", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
