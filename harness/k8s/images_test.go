package k8s

import (
	"strings"
	"testing"
)

// Against cmd/kubeadm/app/constants/constants.go of k8s.io/kubernetes v1.34.2
// (DefaultEtcdVersion, SupportedEtcdVersion[34], CoreDNSVersion, PauseVersion).
func TestKubeadmImages(t *testing.T) {
	refs, err := KubeadmImages("v1.34.2")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range refs {
		got = append(got, r.String())
	}
	want := []string{
		"registry.k8s.io/kube-apiserver:v1.34.2",
		"registry.k8s.io/kube-controller-manager:v1.34.2",
		"registry.k8s.io/kube-scheduler:v1.34.2",
		"registry.k8s.io/kube-proxy:v1.34.2",
		"registry.k8s.io/coredns/coredns:v1.12.1",
		"registry.k8s.io/pause:3.10.1",
		"registry.k8s.io/etcd:3.6.5-0",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("images:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if refs[4].Tag != CoreDNSVersion || "v"+strings.TrimSuffix(refs[6].Tag, "-0") != EtcdVersion {
		t.Error("the images' tags disagree with the binaries built for them")
	}
	if _, err := KubeadmImages("v1.33.5"); err == nil {
		t.Error("invented pins for a release not read")
	}
	if KindSandboxImage().String() != "registry.k8s.io/pause:3.10" {
		t.Error("kind sandbox image")
	}
}
