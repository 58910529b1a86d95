// Package k8s builds the real Kubernetes binaries the kube-proxy tier runs in
// the guest (kube-proxy, kube-apiserver, etcd) from the Go module proxy, in a
// throwaway module under the cache (never the repository's go.mod), caches
// them by (module, version, Go version) and packs them into an initramfs
// fragment that harness/run appends to the guest's initrd. PrepareKind
// builds the same way everything a kind cluster in the guest needs.
package k8s

import (
	"strconv"

	"github.com/rolloutlab/rolloutlab/scenario"
)

// Pinned releases (the Kubernetes ones live in package scenario, which the
// guest shares).
const (
	CurrentVersion = scenario.KubeProxyCurrent
	LegacyVersion  = scenario.KubeProxyLegacy
	EtcdModule     = "go.etcd.io/etcd/server/v3"
	EtcdVersion    = "v3.6.5"
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
	// Tags are build tags (-tags), e.g. to leave out optional snapshotters.
	Tags []string
	// Patch, if set, is applied to a copy of the module's source in the
	// throwaway build dir; its SHA-256 is part of the cache key.
	Patch *Patch
}

// KubeProxy describes the kube-proxy build of a release.
func KubeProxy(version string) (Binary, error) {
	b, err := kubernetesBinary(version, "cmd/kube-proxy")
	b.Name = scenario.KubeProxyBinary(version)
	return b, err
}

// APIServer describes the kube-apiserver build of a release.
func APIServer(version string) (Binary, error) {
	b, err := kubernetesBinary(version, "cmd/kube-apiserver")
	b.Name = scenario.APIServerBinary(version)
	return b, err
}

// Etcd describes the etcd server build.
func Etcd() Binary {
	return Binary{Name: scenario.EtcdBinary, Module: EtcdModule, Version: EtcdVersion, Package: EtcdModule}
}

func kubernetesBinary(version, pkg string) (Binary, error) {
	v, err := scenario.ParseKubernetesRelease(version)
	if err != nil {
		return Binary{}, err
	}
	major, minor := v.Major(), v.Minor()
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
