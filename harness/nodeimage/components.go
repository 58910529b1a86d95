package nodeimage

import (
	"fmt"
	"io/fs"
	"slices"
)

// ComponentImage is one image kubeadm (or kind's containerd) starts. The
// binary paths follow what the pods call: kubeadm's static pods run
// "kube-apiserver", "kube-controller-manager", "kube-scheduler" and "etcd"
// from PATH (phases/controlplane/manifests.go, phases/etcd/local.go), the
// kube-proxy DaemonSet runs /usr/local/bin/kube-proxy
// (phases/addons/proxy/manifests.go), CoreDNS's Deployment only passes
// args ["-conf", "/etc/coredns/Corefile"] to the image's entrypoint
// /coredns (phases/addons/dns/manifests.go), the sandbox runs /pause.
type ComponentImage struct {
	Name       string   // short name, also the archive's file name
	Tags       []string // full references
	Binaries   []Binary // input binaries and where they go
	Entrypoint []string
	User       string
	// NetfilterTools: kube-proxy's iptables/ip6tables (nft and legacy),
	// ipset, conntrack, nft with their libraries and alternatives links.
	NetfilterTools bool
}

// Binary places an input binary.
type Binary struct {
	Input    string // Inputs.Binaries key
	Path     string // in the image
	Optional bool
}

// imagePath is PATH in every component image: /usr/local/bin first, where
// the binaries are, as in the upstream images.
const imagePath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// ComponentImages lists the images for KubernetesVersion.
func ComponentImages() []ComponentImage {
	kube := func(name string, netfilter bool) ComponentImage {
		bin := "/usr/local/bin/" + name
		return ComponentImage{
			Name:           name,
			Tags:           []string{fmt.Sprintf("%s/%s:%s", Registry, name, KubernetesVersion)},
			Binaries:       []Binary{{Input: name, Path: bin}},
			Entrypoint:     []string{bin},
			NetfilterTools: netfilter,
		}
	}
	return []ComponentImage{
		kube("kube-apiserver", false),
		kube("kube-controller-manager", false),
		kube("kube-scheduler", false),
		kube("kube-proxy", true),
		{
			Name: "etcd",
			Tags: []string{fmt.Sprintf("%s/etcd:%s", Registry, EtcdImageTag)},
			Binaries: []Binary{
				{Input: "etcd", Path: "/usr/local/bin/etcd"},
				{Input: "etcdctl", Path: "/usr/local/bin/etcdctl", Optional: true},
				{Input: "etcdutl", Path: "/usr/local/bin/etcdutl", Optional: true},
			},
			Entrypoint: []string{"/usr/local/bin/etcd"},
		},
		{
			Name:       "coredns",
			Tags:       []string{fmt.Sprintf("%s/coredns/coredns:%s", Registry, CoreDNSVersion)},
			Binaries:   []Binary{{Input: "coredns", Path: "/coredns"}},
			Entrypoint: []string{"/coredns"},
		},
		{
			Name: "pause",
			Tags: []string{
				fmt.Sprintf("%s/pause:%s", Registry, PauseVersion),
				fmt.Sprintf("%s/pause:%s", Registry, KindSandboxTag),
			},
			Binaries:   []Binary{{Input: "pause", Path: "/pause"}},
			Entrypoint: []string{"/pause"},
			User:       "65535:65535",
		},
	}
}

// AllTags is every reference the component images carry, sorted.
func AllTags(images []ComponentImage) []string {
	var out []string
	for _, img := range images {
		out = append(out, img.Tags...)
	}
	slices.Sort(out)
	return out
}

// netfilterBinaries are kube-proxy's tools, as packaged paths.
var netfilterBinaries = []string{
	"/usr/sbin/xtables-nft-multi", "/usr/sbin/xtables-legacy-multi",
	"/usr/sbin/ipset", "/usr/sbin/conntrack", "/usr/sbin/nft",
}

// netfilterLinks: the multi-binaries' packaged names, plus the plain names
// update-alternatives would point at the nft backend (Debian's default).
var netfilterLinks = func() map[string]string {
	links := map[string]string{}
	for _, fam := range []string{"iptables", "ip6tables"} {
		for _, be := range []string{"nft", "legacy"} {
			for _, suf := range []string{"", "-save", "-restore"} {
				links["/usr/sbin/"+fam+"-"+be+suf] = "xtables-" + be + "-multi"
			}
		}
		for _, suf := range []string{"", "-save", "-restore"} {
			links["/usr/sbin/"+fam+suf] = fam + "-nft" + suf
		}
	}
	return links
}

// netfilterGlobs are taken whole: iptables dlopen()s its extensions.
var netfilterGlobs = []string{"/usr/lib/x86_64-linux-gnu/xtables/*.so"}

// netfilterData are files the tools read.
var netfilterData = []string{"/etc/protocols", "/etc/services", "/etc/ethertypes"}

// ComponentManifest is the image's files before the ELF closure is added:
// the binaries, kube-proxy's tools, and the few /etc files every image has.
func ComponentManifest(img ComponentImage, have map[string]bool) (*Manifest, error) {
	m := newManifest()
	for _, b := range img.Binaries {
		if !have[b.Input] {
			if b.Optional {
				continue
			}
			return nil, fmt.Errorf("image %s: no input binary %q", img.Name, b.Input)
		}
		m.File(b.Path, 0o755, Source{Input: b.Input})
	}
	if img.NetfilterTools {
		for _, p := range netfilterBinaries {
			m.File(p, 0o755, Source{Package: p})
		}
		for p, t := range netfilterLinks() {
			m.Link(p, t)
		}
		for _, p := range netfilterData {
			m.File(p, 0o644, Source{Package: p})
		}
		m.PackageGlobs = append(m.PackageGlobs, netfilterGlobs...)
		m.Dir("/run", 0o755)
	}
	addBaseFiles(m)
	return m, nil
}

// addBaseFiles: what distroless/static gives every upstream image.
func addBaseFiles(m *Manifest) {
	m.Text("/etc/passwd", 0o644, "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n")
	m.Text("/etc/group", 0o644, "root:x:0:\nnogroup:x:65534:\nnonroot:x:65532:\n")
	m.Text("/etc/nsswitch.conf", 0o644, "hosts: files dns\n")
	m.Dir("/tmp", fs.ModeSticky|0o777)
	m.Dir("/root", 0o700)
	m.Dir("/home/nonroot", 0o700)
}
