// Package kindcluster holds the pure parts of a real kind cluster run in the
// guest: the kind cluster config, the guest script that creates and checks
// the cluster, and the reading and judging of what that script printed.
package kindcluster

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rolloutlab/rolloutlab/wire"
)

// ProxyModes are the kube-proxy modes kind's networking.kubeProxyMode takes
// (besides "none", which would leave nothing to measure).
var ProxyModes = []string{"ipvs", "iptables", "nftables"}

// PodSubnet is kind's default pod CIDR, which the node image's static CNI
// conflist hands out addresses from (nodeimage.PodSubnet).
const PodSubnet = "10.244.0.0/16"

// CheckMode fails at once on anything but a ProxyModes value.
func CheckMode(mode string) error {
	if !slices.Contains(ProxyModes, mode) {
		return fmt.Errorf("kube-proxy mode %q: want one of %s", mode, strings.Join(ProxyModes, ", "))
	}
	return nil
}

// Config is the kind cluster config: one control-plane node, no default
// CNI (kindnetd is an image from a registry; the node image carries a static
// conflist), the given kube-proxy mode, and kubeadm's control-plane wait
// raised to controlPlaneWait for a slow (emulated) machine.
//
// kind v0.33.0 renders kubeadm v1beta3 for Kubernetes < 1.36
// (pkg/cluster/internal/kubeadm/config.go), so the patch names v1beta3's
// apiServer.timeoutForControlPlane; naming the apiVersion makes kind apply
// it only to that document (resource.matches), never to a v1beta4 one where
// the field does not exist.
//
// The guest's wire.KindSharedDir is the node's wire.KindNodeSharedDir: the
// kind tier's client Pod writes its records there (a hostPath volume).
//
// The InitConfiguration points kubeadm at the node image's patches
// (wire.KindNodeKubeadmPatches): the control plane's liveness and startup
// probes relaxed for an emulated machine (nodeimage.probePatch).
//
// lease is the controller-manager's and scheduler's leader-election lease
// (renew deadline 2/3 of it, as in the defaults 15 s/10 s): under TCG the
// API server answers a lease renewal slower than 10 s at times, and both
// then exit and restart ("Leaderelection lost", seen in the first real run),
// which holds back the kube-proxy DaemonSet's pod.
func Config(mode string, controlPlaneWait, lease time.Duration) (string, error) {
	if err := CheckMode(mode); err != nil {
		return "", err
	}
	if controlPlaneWait <= 0 || lease < 3*time.Second {
		return "", fmt.Errorf("control-plane wait %s, lease %s: want > 0 and >= 3s", controlPlaneWait, lease)
	}
	return fmt.Sprintf(`kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
networking:
  kubeProxyMode: %s
  disableDefaultCNI: true
  podSubnet: %s
nodes:
- role: control-plane
  extraMounts:
  - hostPath: %[6]s
    containerPath: %[7]s
kubeadmConfigPatches:
- |
  apiVersion: kubeadm.k8s.io/v1beta3
  kind: ClusterConfiguration
  apiServer:
    timeoutForControlPlane: %[3]s
  controllerManager:
    extraArgs:
      leader-elect-lease-duration: %[4]s
      leader-elect-renew-deadline: %[5]s
  scheduler:
    extraArgs:
      leader-elect-lease-duration: %[4]s
      leader-elect-renew-deadline: %[5]s
- |
  apiVersion: kubeadm.k8s.io/v1beta3
  kind: InitConfiguration
  patches:
    directory: %[8]s
`, mode, PodSubnet, controlPlaneWait, lease, lease*2/3, wire.KindSharedDir, wire.KindNodeSharedDir, wire.KindNodeKubeadmPatches), nil
}

// NodeImageInputs maps the kind tier's built binaries (harness/k8s names,
// e.g. "kubeadm-v1.34.2", "cni-ptp-v1.7.1") to the input names the node
// image builder takes ("kubeadm", "ptp"). Kind itself stays on the host side.
func NodeImageInputs(built map[string]string) map[string]string {
	out := map[string]string{}
	for name, path := range built {
		if strings.HasPrefix(name, "kind-") {
			continue
		}
		n := strings.TrimPrefix(name, "cni-")
		if i := strings.LastIndex(n, "-v"); i > 0 {
			n = n[:i]
		}
		out[n] = path
	}
	return out
}
