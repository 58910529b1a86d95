package k8s

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/rolloutlab/rolloutlab/scenario"
)

// kube-proxy and kube-apiserver must stay the very binaries the kube-proxy
// tier builds, so the kind tier reuses their cache entries.
func TestKubernetesComponentReusesTierBinaries(t *testing.T) {
	for _, c := range []struct {
		component string
		old       func(string) (Binary, error)
	}{{"kube-proxy", KubeProxy}, {"kube-apiserver", APIServer}} {
		got, err := KubernetesComponent(c.component, CurrentVersion)
		if err != nil {
			t.Fatal(err)
		}
		want, err := c.old(CurrentVersion)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) || cacheKey(got, "go1.26.8") != cacheKey(want, "go1.26.8") {
			t.Errorf("%s: %+v, want %+v", c.component, got, want)
		}
	}
	if got, _ := KubernetesComponent("kube-proxy", CurrentVersion); got.Name != scenario.KubeProxyBinary(CurrentVersion) {
		t.Errorf("name %s", got.Name)
	}
}

func TestKubernetesComponentLDFlags(t *testing.T) {
	for _, c := range []string{"kubeadm", "kubelet", "kubectl", "kube-controller-manager", "kube-scheduler"} {
		b, err := KubernetesComponent(c, "v1.34.2")
		if err != nil {
			t.Fatal(err)
		}
		if b.Name != c+"-v1.34.2" || b.Package != "k8s.io/kubernetes/cmd/"+c || b.Module != "k8s.io/kubernetes" || b.Version != "v1.34.2" {
			t.Errorf("%s: %+v", c, b)
		}
		got := strings.Join(b.LDFlags, " ")
		for _, want := range []string{"version.gitVersion=v1.34.2", "version.gitMajor=1", "version.gitMinor=34"} {
			if !strings.Contains(got, "-X k8s.io/component-base/"+want) {
				t.Errorf("%s ldflags %q lack %s", c, got, want)
			}
		}
	}
	if _, err := KubernetesComponent("kube-dns", "v1.34.2"); err == nil {
		t.Error("accepted an unknown component")
	}
}

func TestKindBinaries(t *testing.T) {
	plain, patched := Kind(false), Kind(true)
	if plain.Name != "kind-v0.33.0" || plain.Patch != nil || len(plain.LDFlags) != 0 {
		t.Errorf("plain kind %+v", plain)
	}
	if patched.Name != "kind-v0.33.0-rolloutlab1" || patched.Patch == nil ||
		!reflect.DeepEqual(patched.LDFlags, []string{"-X sigs.k8s.io/kind/pkg/cmd/kind/version.versionPreRelease=rolloutlab1"}) {
		t.Errorf("patched kind %+v", patched)
	}
	if cacheKey(plain, "go1.26.8") == cacheKey(patched, "go1.26.8") {
		t.Error("patched and plain kind share a cache key")
	}
	other := Kind(true)
	other.Patch = &Patch{Name: other.Patch.Name, Diff: append(other.Patch.Diff, '\n')}
	if cacheKey(other, "go1.26.8") == cacheKey(patched, "go1.26.8") {
		t.Error("a changed patch keeps the cache key")
	}
	all, err := KindBinaries(KindOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range all {
		names = append(names, b.Name)
	}
	want := "kind-v0.33.0 crictl-v1.34.0 cni-bridge-v1.7.1 cni-host-local-v1.7.1 cni-loopback-v1.7.1 cni-portmap-v1.7.1 cni-ptp-v1.7.1 " +
		"coredns-v1.12.1 etcd kubeadm-v1.34.2 kubelet-v1.34.2 kubectl-v1.34.2 kube-apiserver-v1.34.2 kube-controller-manager-v1.34.2 kube-scheduler-v1.34.2 kube-proxy-v1.34.2"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("default set\n%s\nwant\n%s", got, want)
	}
	more, err := KindBinaries(KindOptions{PatchedKind: true, Containerd: true})
	if err != nil || len(more) != len(all)+4 {
		t.Errorf("options set: %d binaries, %v", len(more), err)
	}
}

func TestOtherDescriptors(t *testing.T) {
	c := Crictl()
	if c.Package != "sigs.k8s.io/cri-tools/cmd/crictl" || c.LDFlags[0] != "-X sigs.k8s.io/cri-tools/pkg/version.Version=1.34.0" {
		t.Errorf("crictl %+v", c)
	}
	if d := CoreDNS(); d.Package != d.Module || d.Version != "v1.12.1" {
		t.Errorf("coredns %+v", d)
	}
	p, err := CNIPlugin("host-local")
	if err != nil || p.Package != "github.com/containernetworking/plugins/plugins/ipam/host-local" ||
		p.LDFlags[0] != "-X github.com/containernetworking/plugins/pkg/utils/buildversion.BuildVersion=v1.7.1" {
		t.Errorf("host-local %+v %v", p, err)
	}
	if _, err := CNIPlugin("flannel"); err == nil {
		t.Error("accepted an unknown plugin")
	}
	ctr, err := Containerd("containerd-shim-runc-v2")
	if err != nil || ctr.Package != "github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2" || len(ctr.Tags) == 0 {
		t.Errorf("shim %+v %v", ctr, err)
	}
}

// Binaries cached before Tags and Patch existed keep their keys.
func TestCacheKeyUnchangedWithoutNewFields(t *testing.T) {
	b := Etcd()
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s\n%s\n%q\n%q\n", b.Module, b.Version, b.Package, "go1.26.8", b.Overrides, b.LDFlags)
	want := "etcd-go1.26.8-" + hex.EncodeToString(h.Sum(nil))[:12]
	if got := cacheKey(b, "go1.26.8"); got != want {
		t.Errorf("key %s, want %s", got, want)
	}
	b.Tags = []string{"x"}
	if cacheKey(b, "go1.26.8") == want {
		t.Error("tags do not change the key")
	}
}

func TestGoModReplacesPatchedModuleWithCopy(t *testing.T) {
	got, err := GoMod(Kind(true), []byte("module sigs.k8s.io/kind\n\ngo 1.17\n"), "1.26")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(got), "require sigs.k8s.io/kind v0.33.0\n") || !strings.Contains(string(got), "replace sigs.k8s.io/kind => ./src\n") {
		t.Errorf("go.mod:\n%s", got)
	}
	if plain, _ := GoMod(Kind(false), []byte("module sigs.k8s.io/kind\n"), "1.26"); strings.Contains(string(plain), "=> ./src") {
		t.Errorf("unpatched go.mod replaces:\n%s", plain)
	}
}
