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
// Leader election is off for the controller-manager and the scheduler: a
// single control-plane node has one of each, and under TCG the API server
// answered lease renewals too late even with the leases tripled (45 s):
// both exited and restarted ("leaderelection lost"; 5 and 2 restarts in
// the third 5.10-revert-C run), and the Deployment controller stalled the
// rollout at 1 of 3 new replicas for 15 min. Recorded as a deviation.
func Config(mode string, controlPlaneWait time.Duration) (string, error) {
	if err := CheckMode(mode); err != nil {
		return "", err
	}
	if controlPlaneWait <= 0 {
		return "", fmt.Errorf("control-plane wait %s: want > 0", controlPlaneWait)
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
  - hostPath: %[4]s
    containerPath: %[5]s
kubeadmConfigPatches:
- |
  apiVersion: kubeadm.k8s.io/v1beta3
  kind: ClusterConfiguration
  apiServer:
    timeoutForControlPlane: %[3]s
  controllerManager:
    extraArgs:
      leader-elect: "false"
  scheduler:
    extraArgs:
      leader-elect: "false"
- |
  apiVersion: kubeadm.k8s.io/v1beta3
  kind: InitConfiguration
  patches:
    directory: %[6]s
`, mode, PodSubnet, controlPlaneWait, wire.KindSharedDir, wire.KindNodeSharedDir, wire.KindNodeKubeadmPatches), nil
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
