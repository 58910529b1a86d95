package k8s

import (
	"fmt"
	"strings"
)

// ImageRef is a container image as kubeadm (or kind's containerd) names it.
type ImageRef struct {
	Component  string // kube-apiserver, ..., coredns, pause, etcd
	Repository string // e.g. registry.k8s.io/kube-apiserver
	Tag        string
}

func (r ImageRef) String() string { return r.Repository + ":" + r.Tag }

// kubeadmPins are the image tags one kubeadm release bakes in.
type kubeadmPins struct{ etcd, coreDNS, pause string }

// kubeadmPinsFor records the pins read from the module zip of
// k8s.io/kubernetes at that release, cmd/kubeadm/app/constants/constants.go:
// SupportedEtcdVersion[34] = DefaultEtcdVersion = "3.6.5-0",
// CoreDNSVersion = "v1.12.1", PauseVersion = "3.10.1". Add a release only
// after reading its constants: the pins change between patch releases.
func kubeadmPinsFor(version string) (kubeadmPins, bool) {
	switch version {
	case "v1.34.2":
		return kubeadmPins{etcd: "3.6.5-0", coreDNS: "v1.12.1", pause: "3.10.1"}, true
	}
	return kubeadmPins{}, false
}

// KubeadmImages lists the images `kubeadm init` of version asks the runtime
// for when it deploys a cluster of the same version with the default
// repository, in kubeadm's order (cmd/kubeadm/app/images/images.go,
// GetControlPlaneImages): the default repository is registry.k8s.io
// (apis/kubeadm/v1beta4/defaults.go), CoreDNS lives under
// registry.k8s.io/coredns/, and Kubernetes image tags are the version with
// "+" turned into "_" (util.KubernetesVersionToImageTag).
func KubeadmImages(version string) ([]ImageRef, error) {
	pins, ok := kubeadmPinsFor(version)
	if !ok {
		return nil, fmt.Errorf("kubeadm %s: image pins not recorded (read its cmd/kubeadm/app/constants/constants.go)", version)
	}
	const repo = "registry.k8s.io"
	tag := strings.ReplaceAll(version, "+", "_")
	var refs []ImageRef
	for _, c := range []string{"kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy"} {
		refs = append(refs, ImageRef{Component: c, Repository: repo + "/" + c, Tag: tag})
	}
	return append(refs,
		ImageRef{Component: "coredns", Repository: repo + "/coredns/coredns", Tag: pins.coreDNS},
		ImageRef{Component: "pause", Repository: repo + "/pause", Tag: pins.pause},
		ImageRef{Component: "etcd", Repository: repo + "/etcd", Tag: pins.etcd},
	), nil
}

// KindSandboxImage is the sandbox_image of kind v0.33.0's containerd
// (images/base/files/etc/containerd/config.toml): pause 3.10, not kubeadm's
// 3.10.1, so a node image tags its one pause image under both names.
func KindSandboxImage() ImageRef {
	return ImageRef{Component: "pause", Repository: "registry.k8s.io/pause", Tag: "3.10"}
}
