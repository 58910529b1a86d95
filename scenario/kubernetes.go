package scenario

// What this project knows about Kubernetes releases, used on both sides of
// the VM: the host builds the binaries, the guest runs them with the flags
// and objects their release expects.

const (
	// KubeProxyCurrent is the current release the kube-proxy tier runs and
	// the one the dataplane tier models.
	KubeProxyCurrent = "v1.34.2"
	// KubeProxyLegacy predates kubernetes PR 102122 (cherry-picked to 1.21.9
	// in January 2022): it sets net.ipv4.vs.conn_reuse_mode=0 on every
	// kernel. Checked in the module zips: pkg/proxy/ipvs/proxier.go of
	// v1.21.8 has no connReuseFixedKernelVersion, v1.21.9's has "5.9".
	KubeProxyLegacy = "v1.21.8"
	// DefaultKubernetesVersion is the kube-proxy release a kube-proxy tier
	// cell runs unless it names one.
	DefaultKubernetesVersion = KubeProxyCurrent
	// KindKubernetesVersion is the release of the kind tier's node image
	// (kubeadm, kubelet, the control plane and kube-proxy all of it).
	KindKubernetesVersion = KubeProxyCurrent
	// DataplaneModel is the kube-proxy release whose rules, sets and IPVS
	// services the dataplane tier programs (vmimages/guest/proxy): the
	// fidelity check holds the real kube-proxy of this release to no
	// unexplained difference; other releases are reported against it.
	DataplaneModel = KubeProxyCurrent
)

// Guest paths of the Kubernetes binaries (under /usr: /bin is a symlink in
// the base image).
const (
	GuestBinDir = "/usr/local/bin"
	EtcdBinary  = "etcd"
)

// KubeProxyBinary is the guest file name of a kube-proxy release.
func KubeProxyBinary(version string) string { return "kube-proxy-" + version }

// APIServerBinary is the guest file name of a kube-apiserver release.
func APIServerBinary(version string) string { return "kube-apiserver-" + version }

// legacyBefore is the first minor whose kube-apiserver builds from the
// module zip and whose kube-proxy reads discovery.k8s.io/v1 EndpointSlices.
const legacyBefore = 22

// legacy reports a release from before 1.22 (see APIServerVersion).
func legacy(version string) bool {
	v, err := ParseKubernetesRelease(version)
	return err == nil && v.Minor() < legacyBefore
}

// APIServerVersion is the kube-apiserver release that drives kube-proxy
// <kubeProxy>: the same release, except before 1.22. Those API servers do
// not build from the module proxy (`undefined:
// generatedopenapi.GetOpenAPIDefinitions`: pkg/generated/openapi is made by
// the release's `make` and is not in the zip), so old kube-proxies run
// against the current API server, which still serves all they watch once
// they read core/v1 Endpoints (see ReadsEndpoints). The skew is outside
// Kubernetes' support policy; the objects involved (Service, Endpoints,
// Node, events.k8s.io/v1 Event) are GA and unchanged since.
func APIServerVersion(kubeProxy string) string {
	if legacy(kubeProxy) {
		return KubeProxyCurrent
	}
	return kubeProxy
}

// ReadsEndpoints says kube-proxy <version> is fed core/v1 Endpoints rather
// than EndpointSlices: 1.19-1.21 read discovery.k8s.io/v1beta1 slices
// (cmd/kube-proxy/app/server.go of v1.21.8), which API servers stopped
// serving in 1.25, so the tier turns EndpointSliceProxying off and writes
// Endpoints as the endpoints controller of that time did.
func ReadsEndpoints(version string) bool { return legacy(version) }

// KubeProxyFlags are the release-specific flags beyond the tier's common ones.
func KubeProxyFlags(version string) []string {
	if v, err := ParseKubernetesRelease(version); err == nil && legacy(version) && v.Minor() >= 18 {
		// a beta gate (default on) in 1.19-1.21, alpha in 1.18, gone in 1.25
		return []string{"--feature-gates=EndpointSliceProxying=false"}
	}
	return nil
}

// HasNFTablesMode reports whether a kube-proxy release has
// --proxy-mode=nftables (alpha 1.29, GA 1.33).
func HasNFTablesMode(version string) bool {
	v, err := ParseKubernetesVersion(version)
	return err == nil && v.Minor() >= 29
}
