// Package k8s builds the real Kubernetes binaries the kube-proxy tier runs in
// the guest (kube-proxy, kube-apiserver, etcd) from the Go module proxy, in a
// throwaway module under the cache (never the repository's go.mod), caches
// them by (module, version, Go version) and packs them into an initramfs
// fragment that harness/run appends to the guest's initrd.
package k8s

import (
	"fmt"

	"github.com/rolloutlab/rolloutlab/scenario"
	"strconv"
	"strings"
)

// Pinned releases. A kube-proxy release runs against the API server of the
// same release where that builds (see APIServerVersion).
const (
	CurrentVersion = scenario.DefaultKubernetesVersion
	// LegacyVersion predates kubernetes PR 102122 (cherry-picked to 1.21.9
	// in January 2022): it sets net.ipv4.vs.conn_reuse_mode=0 on every kernel.
	// Checked in the module zips: pkg/proxy/ipvs/proxier.go of v1.21.8 has no
	// connReuseFixedKernelVersion, v1.21.9's has "5.9".
	LegacyVersion = "v1.21.8"
	EtcdModule    = "go.etcd.io/etcd/server/v3"
	EtcdVersion   = "v3.6.5"
)

// Binary is one Go main package to build at a pinned module version.
type Binary struct {
	Name    string // file name in the guest, e.g. "kube-proxy-v1.34.2"
	Module  string // module path to require
	Version string
	Package string // main package path
	// Overrides are extra "path version" requirements forcing a dependency
	// up (old releases pin libraries that break on current Go runtimes).
	Overrides []string
	LDFlags   []string // beyond -s -w
}

// KubeProxyBinary is the guest file name of a kube-proxy release.
func KubeProxyBinary(version string) string { return "kube-proxy-" + version }

// APIServerBinary is the guest file name of a kube-apiserver release.
func APIServerBinary(version string) string { return "kube-apiserver-" + version }

// Guest paths of the binaries (under /usr: /bin is a symlink in the base image).
const (
	GuestBinDir = "/usr/local/bin"
	EtcdName    = "etcd"
)

// KubeProxy describes the kube-proxy build of a release.
func KubeProxy(version string) (Binary, error) {
	b, err := kubernetesBinary(version, "cmd/kube-proxy")
	b.Name = KubeProxyBinary(version)
	return b, err
}

// APIServer describes the kube-apiserver build of a release.
func APIServer(version string) (Binary, error) {
	b, err := kubernetesBinary(version, "cmd/kube-apiserver")
	b.Name = APIServerBinary(version)
	return b, err
}

// Etcd describes the etcd server build.
func Etcd() Binary {
	return Binary{Name: EtcdName, Module: EtcdModule, Version: EtcdVersion, Package: EtcdModule}
}

func kubernetesBinary(version, pkg string) (Binary, error) {
	major, minor, err := MajorMinor(version)
	if err != nil {
		return Binary{}, err
	}
	b := Binary{Module: "k8s.io/kubernetes", Version: version, Package: "k8s.io/kubernetes/" + pkg,
		// Without these the binaries report v0.0.0 (and newer API servers
		// derive their emulation version from gitVersion).
		LDFlags: []string{
			"-X k8s.io/component-base/version.gitVersion=" + version,
			"-X k8s.io/component-base/version.gitMajor=" + strconv.Itoa(major),
			"-X k8s.io/component-base/version.gitMinor=" + strconv.Itoa(minor),
			"-X k8s.io/component-base/version.gitTreeState=clean",
		}}
	if major == 1 && minor < 22 {
		// reflect2 v1.0.1 (pinned by 1.21) reads Go runtime map internals
		// that changed in Go 1.18 and crashes at run time; v1.0.2 fixed it.
		b.Overrides = append(b.Overrides, "github.com/modern-go/reflect2 v1.0.2")
		// Old dependencies pull runtime symbols with go:linkname, which Go
		// 1.23+ rejects at link time unless checking is off.
		b.LDFlags = append(b.LDFlags, "-checklinkname=0")
	}
	return b, nil
}

// legacyBefore is the first minor whose kube-apiserver builds from the
// module zip and whose kube-proxy reads discovery.k8s.io/v1 EndpointSlices.
const legacyBefore = 22

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
		return CurrentVersion
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
	if _, minor, _ := MajorMinor(version); legacy(version) && minor >= 18 {
		// a beta gate (default on) in 1.19-1.21, alpha in 1.18, gone in 1.25
		return []string{"--feature-gates=EndpointSliceProxying=false"}
	}
	return nil
}

func legacy(version string) bool {
	major, minor, err := MajorMinor(version)
	return err == nil && major == 1 && minor < legacyBefore
}

// MajorMinor parses "v1.34.2" into 1, 34.
func MajorMinor(version string) (int, int, error) {
	parts := strings.Split(strings.TrimPrefix(version, "v"), ".")
	if len(parts) != 3 || !strings.HasPrefix(version, "v") {
		return 0, 0, fmt.Errorf("kubernetes version %q: want vMAJOR.MINOR.PATCH", version)
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(parts[1])
	if _, err3 := strconv.Atoi(parts[2]); err1 != nil || err2 != nil || err3 != nil {
		return 0, 0, fmt.Errorf("kubernetes version %q: want vMAJOR.MINOR.PATCH", version)
	}
	return major, minor, nil
}

// HasNFTablesMode reports whether a kube-proxy release has --proxy-mode=nftables (alpha 1.29, GA 1.33).
func HasNFTablesMode(version string) bool {
	major, minor, err := MajorMinor(version)
	return err == nil && (major > 1 || minor >= 29)
}
