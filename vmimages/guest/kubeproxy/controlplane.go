package kubeproxy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rolloutlab/rolloutlab/scenario"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/node"
)

// ControlPlane is etcd plus kube-apiserver on the node, reachable on 127.0.0.1.
type ControlPlane struct {
	Dir        string // certs, configs, logs and etcd data
	Token      string
	PKI        *PKI
	Client     *Client
	ReadyAfter time.Duration // start -> /readyz ok
	etcd, api  *process
}

// Addresses of the control plane.
const (
	apiPort    = 6443
	etcdClient = "http://127.0.0.1:2379"
	// the dataplane tier's (kubeadm's default): kube-proxy 1.34's nftables
	// mode drops traffic to unallocated ClusterIPs of exactly this range
	serviceCIDR = node.ServiceCIDR
)

// StartControlPlane runs etcd and the API server of version and waits for /readyz.
// advertise must be a non-loopback node address: the API server publishes
// it in the "kubernetes" Service's endpoints, which reject loopback.
func StartControlPlane(ctx context.Context, dir, version, advertise string, logf func(string, ...any)) (*ControlPlane, error) {
	began := time.Now()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	tok := make([]byte, 16)
	if _, err := rand.Read(tok); err != nil {
		return nil, err
	}
	cp := &ControlPlane{Dir: dir, Token: hex.EncodeToString(tok)}
	var err error
	cp.PKI, err = NewPKI(time.Now(), []net.IP{net.IPv4(127, 0, 0, 1), net.ParseIP(advertise), net.IPv4(10, 96, 0, 1)},
		[]string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"})
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{
		"ca.crt": cp.PKI.CACert, "apiserver.crt": cp.PKI.ServerCert, "apiserver.key": cp.PKI.ServerKey,
		"sa.key": cp.PKI.ServiceAccountKey,
		// one identity for kube-proxy and the harness; authorization is AlwaysAllow
		"tokens.csv": fmt.Appendf(nil, "%s,system:kube-proxy,uid-kube-proxy,\"system:masters\"\n", cp.Token),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return nil, err
		}
	}
	bin := func(n string) string { return filepath.Join(scenario.GuestBinDir, n) }
	cp.etcd, err = start(dir, "etcd", bin(scenario.EtcdBinary),
		"--name=rolloutlab", "--data-dir="+filepath.Join(dir, "etcd"),
		"--listen-client-urls="+etcdClient, "--advertise-client-urls="+etcdClient,
		"--listen-peer-urls=http://127.0.0.1:2380", "--initial-advertise-peer-urls=http://127.0.0.1:2380",
		"--initial-cluster=rolloutlab=http://127.0.0.1:2380",
		// the data lives in guest RAM anyway; fsync only costs time under TCG
		"--unsafe-no-fsync", "--log-level=warn")
	if err != nil {
		return nil, err
	}
	p := func(n string) string { return filepath.Join(dir, n) }
	cp.api, err = start(dir, "kube-apiserver", bin(scenario.APIServerBinary(version)),
		"--etcd-servers="+etcdClient,
		"--bind-address=127.0.0.1", "--secure-port=6443", "--advertise-address="+advertise,
		"--tls-cert-file="+p("apiserver.crt"), "--tls-private-key-file="+p("apiserver.key"),
		"--cert-dir="+p("certs"),
		"--token-auth-file="+p("tokens.csv"), "--authorization-mode=AlwaysAllow",
		"--service-cluster-ip-range="+serviceCIDR,
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file="+p("sa.key"), "--service-account-signing-key-file="+p("sa.key"),
		"--enable-priority-and-fairness=false", "--profiling=false", "--v=1")
	if err != nil {
		cp.Stop()
		return nil, err
	}
	if cp.Client, err = NewClient(fmt.Sprintf("https://127.0.0.1:%d", apiPort), cp.Token, cp.PKI.CACert); err != nil {
		cp.Stop()
		return nil, err
	}
	if err := cp.waitReady(ctx, 6*time.Minute, logf); err != nil {
		cp.Stop()
		return nil, err
	}
	cp.ReadyAfter = time.Since(began)
	return cp, nil
}

// waitReady polls /readyz (every check, not just liveness) until "ok".
func (cp *ControlPlane) waitReady(ctx context.Context, limit time.Duration, logf func(string, ...any)) error {
	deadline := time.Now().Add(limit)
	last := time.Now()
	for {
		if err := cp.etcd.alive(); err != nil {
			return err
		}
		if err := cp.api.alive(); err != nil {
			return err
		}
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		b, err := cp.Client.Get(cctx, "/readyz")
		cancel()
		if err == nil && strings.TrimSpace(string(b)) == "ok" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("kube-apiserver not ready after %s: %v; log: %s", limit, err, cp.api.logTail(2000))
		}
		if time.Since(last) > 30*time.Second {
			logf("kube-apiserver not ready yet: %v", err)
			last = time.Now()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// Kubeconfig is a kubeconfig for kube-proxy with the token and CA.
func (cp *ControlPlane) Kubeconfig() []byte {
	return fmt.Appendf(nil, `apiVersion: v1
kind: Config
clusters:
- name: rolloutlab
  cluster:
    server: https://127.0.0.1:%d
    certificate-authority: %s
users:
- name: kube-proxy
  user:
    token: %s
contexts:
- name: rolloutlab
  context: {cluster: rolloutlab, user: kube-proxy}
current-context: rolloutlab
`, apiPort, filepath.Join(cp.Dir, "ca.crt"), cp.Token)
}

// Logs returns the tails of the control plane's logs, for failure reports.
func (cp *ControlPlane) Logs(n int) string {
	return "etcd:\n" + cp.etcd.logTail(n) + "\nkube-apiserver:\n" + cp.api.logTail(n)
}

// Stop ends the API server, then etcd.
func (cp *ControlPlane) Stop() {
	cp.api.stop(10 * time.Second)
	cp.etcd.stop(10 * time.Second)
}
