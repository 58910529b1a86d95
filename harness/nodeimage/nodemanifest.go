package nodeimage

import (
	"fmt"
	"strings"

	"github.com/rolloutlab/rolloutlab/wire"
)

// NodeBinaries are the input binaries the node itself carries and where:
// kind copies kubeadm, kubelet and kubectl to /usr/bin (its kubelet unit
// runs /usr/bin/kubelet); crictl and the CNI plugins go where kind's base
// image has them.
var NodeBinaries = []Binary{
	{Input: "kubeadm", Path: "/usr/bin/kubeadm"},
	{Input: "kubelet", Path: "/usr/bin/kubelet"},
	{Input: "kubectl", Path: "/usr/bin/kubectl"},
	{Input: "crictl", Path: "/usr/local/bin/crictl"},
	{Input: "host-local", Path: "/opt/cni/bin/host-local"},
	{Input: "loopback", Path: "/opt/cni/bin/loopback"},
	{Input: "ptp", Path: "/opt/cni/bin/ptp"},
	{Input: "portmap", Path: "/opt/cni/bin/portmap"},
}

// runtimeBinaries: kind's units and PATH expect its source-built containerd
// and runc in /usr/local; an input by that name replaces Debian's, else the
// path links to the Debian binary.
var runtimeBinaries = []struct{ Input, Path, Debian string }{
	{"containerd", "/usr/local/bin/containerd", "/usr/bin/containerd"},
	{"ctr", "/usr/local/bin/ctr", "/usr/bin/ctr"},
	{"containerd-shim-runc-v2", "/usr/local/bin/containerd-shim-runc-v2", "/usr/bin/containerd-shim-runc-v2"},
	{"runc", "/usr/local/sbin/runc", "/usr/sbin/runc"},
}

// removedUnitLinks is kind's Dockerfile clean-up of the packaged units.
var removedUnitLinks = []string{
	"/usr/lib/systemd/system/sysinit.target.wants/systemd-tmpfiles-setup.service",
	"/usr/lib/systemd/system/multi-user.target.wants/*",
	"/etc/systemd/system/*.wants/*",
	"/usr/lib/systemd/system/local-fs.target.wants/*",
	"/usr/lib/systemd/system/sockets.target.wants/*udev*",
	"/usr/lib/systemd/system/sockets.target.wants/*initctl*",
	"/usr/lib/systemd/system/basic.target.wants/*",
}

// enabledUnits are `systemctl enable`d: kind's three, and the image import.
var enabledUnits = []struct{ Unit, WantedBy, Dir string }{
	{"kubelet.service", "multi-user.target", "/etc/systemd/system"},
	{"containerd.service", "multi-user.target", "/etc/systemd/system"},
	{"undo-mount-hacks.service", "multi-user.target", "/etc/systemd/system"},
	{"rolloutlab-import-images.service", "containerd.service", "/etc/systemd/system"},
}

// NodeManifest describes everything laid over the unpacked packages.
// binaries tells which inputs exist (runtime overrides are optional).
func NodeManifest(images []ComponentImage, binaries map[string]bool) (*Manifest, error) {
	m := newManifest()
	m.Remove = append(m.Remove, removedUnitLinks...)
	for _, f := range kindBaseFiles {
		m.File(f.Path, f.Mode, Source{KindFile: kindFilesDir + f.Path})
	}
	m.Dir("/kind", 0o755)
	m.Dir("/kind/bin", 0o755)
	m.Text("/kind/version", 0o644, KubernetesVersion)
	m.Dir("/etc/kubernetes/manifests", 0o755)
	m.Dir("/opt/cni/bin", 0o755)
	// Debian's containerd looks for CNI plugins in /usr/lib/cni (its
	// packaging's default bin_dir; kind's config.toml names none): the
	// plugins stay where kind puts them and that path leads there. Without
	// it no pod sandbox got a network (first kind tier rollout, 5.10-revert-C).
	m.Link("/usr/lib/cni", "/opt/cni/bin")

	var missing []string
	for _, b := range NodeBinaries {
		if !binaries[b.Input] {
			missing = append(missing, b.Input)
			continue
		}
		m.File(b.Path, 0o755, Source{Input: b.Input})
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("node image: no input binary for %s", strings.Join(missing, ", "))
	}
	for _, r := range runtimeBinaries {
		if binaries[r.Input] {
			m.File(r.Path, 0o755, Source{Input: r.Input})
		} else {
			m.Link(r.Path, r.Debian)
		}
	}

	spec, err := criBaseSpec()
	if err != nil {
		return nil, err
	}
	m.File("/etc/containerd/cri-base.json", 0o644, Source{Inline: spec})
	m.Text("/etc/cni/net.d/10-kindnet.conflist", 0o644, cniConflist)
	m.Text("/kind/manifests/default-cni.yaml", 0o644, fmt.Sprintf(placeholderManifest, "default CNI", "cni", "static ptp conflist in /etc/cni/net.d"))
	m.Text("/kind/manifests/default-storage.yaml", 0o644, fmt.Sprintf(placeholderManifest, "default storage", "storage", "no local-path provisioner"))

	// systemd: what kind's Dockerfile runs, and this image's own units.
	m.Link("/sbin/init", "/usr/lib/systemd/systemd")
	m.Text("/etc/systemd/journald.conf.d/10-kind-no-kmsg.conf", 0o644, journaldDropIn)
	m.Text("/kind/bin/rolloutlab-import-images.sh", 0o755, importImagesScript)
	m.Text("/etc/systemd/system/rolloutlab-import-images.service", 0o644, importImagesUnit)
	m.Text("/etc/systemd/system/kubelet.service.d/20-rolloutlab-images.conf", 0o644, kubeletImagesDropIn)
	for _, u := range enabledUnits {
		m.Link(fmt.Sprintf("/etc/systemd/system/%s.wants/%s", u.WantedBy, u.Unit), u.Dir+"/"+u.Unit)
	}
	m.Link("/etc/systemd/system/systemd-binfmt.service", "/dev/null")
	for _, t := range ControlPlaneProbeTargets {
		m.Text(wire.KindNodeKubeadmPatches+"/"+t+"+strategic.yaml", 0o644, probePatch(t))
	}

	addAlternatives(m, nodeAlternatives())
	m.Dir("/var/log", 0o755)

	m.Dir("/kind/images", 0o755)
	var refs []string
	for _, img := range images {
		m.File("/kind/images/"+img.Name+".tar", 0o644, Source{Image: img.Name})
		refs = append(refs, img.Tags...)
	}
	m.Text("/kind/images/refs", 0o644, strings.Join(refs, "\n")+"\n")
	return m, nil
}
