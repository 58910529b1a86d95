package kubeproxy

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rolloutlab/rolloutlab/scenario"
)

// metricsAddr is kube-proxy's metrics server, which also answers /proxyMode.
const metricsAddr = "127.0.0.1:10249"

// KubeProxy is one running kube-proxy release.
type KubeProxy struct {
	Version    string
	Mode       scenario.ProxyMode // --proxy-mode asked for
	Effective  scenario.ProxyMode // what /proxyMode reports
	ReadyAfter time.Duration
	proc       *process
}

// StartKubeProxy runs kube-proxy with its defaults except the flags a
// kubeadm node also sets (kubeconfig, cluster CIDR, hostname) and local-only
// metrics/healthz, then waits until /proxyMode answers.
func StartKubeProxy(ctx context.Context, cp *ControlPlane, version string, mode scenario.ProxyMode, clusterCIDR string) (*KubeProxy, error) {
	began := time.Now()
	kc := filepath.Join(cp.Dir, "kube-proxy.kubeconfig")
	if err := os.WriteFile(kc, cp.Kubeconfig(), 0o600); err != nil {
		return nil, err
	}
	args := append([]string{"--proxy-mode=" + string(mode), "--kubeconfig=" + kc, "--hostname-override=" + NodeName,
		"--cluster-cidr=" + clusterCIDR,
		"--metrics-bind-address=" + metricsAddr, "--healthz-bind-address=127.0.0.1:10256", "--v=2"},
		scenario.KubeProxyFlags(version)...)
	proc, err := start(cp.Dir, "kube-proxy", filepath.Join(scenario.GuestBinDir, scenario.KubeProxyBinary(version)), args...)
	if err != nil {
		return nil, err
	}
	kp := &KubeProxy{Version: version, Mode: mode, proc: proc}
	deadline := time.Now().Add(3 * time.Minute)
	for {
		if err := proc.alive(); err != nil {
			return nil, err
		}
		if m, err := kp.ProxyMode(ctx); err == nil && m != "" {
			kp.Effective = scenario.ProxyMode(m)
			break
		}
		if time.Now().After(deadline) {
			kp.Stop()
			return nil, fmt.Errorf("kube-proxy %s: no /proxyMode after 3m; log: %s", version, proc.logTail(2000))
		}
		select {
		case <-ctx.Done():
			kp.Stop()
			return nil, ctx.Err()
		case <-time.After(300 * time.Millisecond):
		}
	}
	kp.ReadyAfter = time.Since(began)
	return kp, nil
}

// ProxyMode asks kube-proxy which proxier it actually runs: older releases
// fall back to iptables silently when IPVS looks unusable.
func (kp *KubeProxy) ProxyMode(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+metricsAddr+"/proxyMode", nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("/proxyMode: %s", resp.Status)
	}
	return strings.TrimSpace(string(b)), nil
}

// Alive reports an exited kube-proxy with its log tail.
func (kp *KubeProxy) Alive() error { return kp.proc.alive() }

// LogTail is the end of kube-proxy's log.
func (kp *KubeProxy) LogTail(n int) string { return kp.proc.logTail(n) }

// Stop ends kube-proxy. Its rules stay, as they do on a node.
func (kp *KubeProxy) Stop() {
	if kp != nil {
		kp.proc.stop(10 * time.Second)
	}
}
