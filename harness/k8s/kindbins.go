package k8s

import (
	_ "embed"
	"fmt"
	"strings"
)

// Pinned modules of the kind tier. Exact versions: the proxy's version lists
// are incomplete, but these are served (see /work/shared/kind-offline.md).
const (
	KindModule        = "sigs.k8s.io/kind"
	KindVersion       = "v0.33.0"
	CriToolsModule    = "sigs.k8s.io/cri-tools"
	CriToolsVersion   = "v1.34.0"
	CoreDNSModule     = "github.com/coredns/coredns"
	CoreDNSVersion    = "v1.12.1" // kubeadm v1.34.2's constants.CoreDNSVersion
	CNIPluginsModule  = "github.com/containernetworking/plugins"
	CNIPluginsVersion = "v1.7.1"
	ContainerdModule  = "github.com/containerd/containerd/v2"
	ContainerdVersion = "v2.1.4"

	// KindPatchRevision marks this project's patched kind build: in its
	// guest name and in what `kind version` prints.
	KindPatchRevision = "rolloutlab1"
)

//go:embed patches/kind-v0.33.0-systemd-wait.patch
var kindSystemdWaitDiff []byte

// KindSystemdWaitPatch makes kind's 30 s wait for the node's systemd
// configurable with KIND_SYSTEMD_WAIT (patches/kind-v0.33.0-systemd-wait.patch).
func KindSystemdWaitPatch() *Patch {
	return &Patch{Name: "kind-v0.33.0-systemd-wait.patch", Diff: append([]byte(nil), kindSystemdWaitDiff...)}
}

// KubernetesComponents are the k8s.io/kubernetes commands a kind node needs.
func KubernetesComponents() []string {
	return []string{"kubeadm", "kubelet", "kubectl",
		"kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy"}
}

// KubernetesComponent describes cmd/<component> of a release, named
// "<component>-<version>" and built like KubeProxy and APIServer (same
// version ldflags), so those two hit the kube-proxy tier's cache entries.
func KubernetesComponent(component, version string) (Binary, error) {
	known := false
	for _, c := range KubernetesComponents() {
		known = known || c == component
	}
	if !known {
		return Binary{}, fmt.Errorf("unknown Kubernetes component %q", component)
	}
	b, err := kubernetesBinary(version, "cmd/"+component)
	b.Name = component + "-" + version
	return b, err
}

// Kind describes the kind CLI; patched selects this project's build with
// KindSystemdWaitPatch applied, under its own name and version string.
func Kind(patched bool) Binary {
	b := Binary{Name: "kind-" + KindVersion, Module: KindModule, Version: KindVersion, Package: KindModule}
	if patched {
		b.Name += "-" + KindPatchRevision
		b.Patch = KindSystemdWaitPatch()
		// `kind version` then prints v0.33.0-rolloutlab1.
		b.LDFlags = []string{"-X " + KindModule + "/pkg/cmd/kind/version.versionPreRelease=" + KindPatchRevision}
	}
	return b
}

// Crictl describes crictl; the ldflag is the one cri-tools' Makefile sets
// (its version without the v), else it reports "unknown".
func Crictl() Binary {
	return Binary{Name: "crictl-" + CriToolsVersion, Module: CriToolsModule, Version: CriToolsVersion,
		Package: CriToolsModule + "/cmd/crictl",
		LDFlags: []string{"-X " + CriToolsModule + "/pkg/version.Version=" + strings.TrimPrefix(CriToolsVersion, "v")}}
}

// CoreDNS describes coredns, whose main package is the module root
// (coredns.go; the plugin list zplugin.go is generated and shipped). Its
// version is a constant in coremain; only GitCommit is an ldflag, left empty.
func CoreDNS() Binary {
	return Binary{Name: "coredns-" + CoreDNSVersion, Module: CoreDNSModule, Version: CoreDNSVersion, Package: CoreDNSModule}
}

// CNIPluginNames are the plugins a kind node's static conflist uses (ptp,
// host-local, portmap, loopback) plus bridge.
func CNIPluginNames() []string { return []string{"bridge", "host-local", "loopback", "portmap", "ptp"} }

// cniPluginDir is a plugin's package in the module.
func cniPluginDir(name string) (string, bool) {
	switch name {
	case "ptp", "bridge", "loopback":
		return "plugins/main/" + name, true
	case "host-local":
		return "plugins/ipam/" + name, true
	case "portmap":
		return "plugins/meta/" + name, true
	}
	return "", false
}

// CNIPlugin describes one plugin, named "cni-<plugin>-<version>" (the node
// image installs it as /opt/cni/bin/<plugin>). The ldflag is the release
// build's, so `<plugin> --version`-style output names the version.
func CNIPlugin(name string) (Binary, error) {
	dir, ok := cniPluginDir(name)
	if !ok {
		return Binary{}, fmt.Errorf("unknown CNI plugin %q", name)
	}
	return Binary{Name: "cni-" + name + "-" + CNIPluginsVersion, Module: CNIPluginsModule, Version: CNIPluginsVersion,
		Package: CNIPluginsModule + "/" + dir,
		LDFlags: []string{"-X " + CNIPluginsModule + "/pkg/utils/buildversion.BuildVersion=" + CNIPluginsVersion}}, nil
}

// Containerd describes containerd's own commands (containerd,
// containerd-shim-runc-v2, ctr). Not part of the default set: kind's
// config.toml is version 2, which Debian's containerd 1.6 reads too.
func Containerd(command string) (Binary, error) {
	switch command {
	case "containerd", "containerd-shim-runc-v2", "ctr":
	default:
		return Binary{}, fmt.Errorf("unknown containerd command %q", command)
	}
	return Binary{Name: command + "-" + ContainerdVersion, Module: ContainerdModule, Version: ContainerdVersion,
		Package: ContainerdModule + "/cmd/" + command,
		// The Makefile's version ldflag; Revision (a git hash) stays empty.
		LDFlags: []string{"-X " + ContainerdModule + "/version.Version=" + ContainerdVersion},
		// kind's base image leaves out the same snapshotters; btrfs and
		// devmapper need cgo or host tools anyway.
		Tags: []string{"no_aufs", "no_zfs", "no_btrfs", "no_devmapper"}}, nil
}
