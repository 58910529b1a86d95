package nodeimage

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/rolloutlab/rolloutlab/wire"
)

func allInputs() map[string]bool {
	have := map[string]bool{}
	for _, b := range NodeBinaries {
		have[b.Input] = true
	}
	for _, img := range ComponentImages() {
		for _, b := range img.Binaries {
			have[b.Input] = true
		}
	}
	return have
}

// The references kubeadm v1.34.2 and kind's containerd config ask for.
func TestComponentTagsAreKubeadms(t *testing.T) {
	want := []string{
		"registry.k8s.io/coredns/coredns:v1.12.1",
		"registry.k8s.io/etcd:3.6.5-0",
		"registry.k8s.io/kube-apiserver:v1.34.2",
		"registry.k8s.io/kube-controller-manager:v1.34.2",
		"registry.k8s.io/kube-proxy:v1.34.2",
		"registry.k8s.io/kube-scheduler:v1.34.2",
		"registry.k8s.io/pause:3.10",
		"registry.k8s.io/pause:3.10.1",
	}
	if got := AllTags(ComponentImages()); !slices.Equal(got, want) {
		t.Fatalf("tags:\n got %q\nwant %q", got, want)
	}
}

// Where each pod's command is found: kubeadm runs the control plane and
// etcd by name from PATH, kube-proxy by absolute path, CoreDNS and pause
// through the image entrypoint.
func TestComponentBinariesWhereManifestsCallThem(t *testing.T) {
	want := map[string]string{
		"kube-apiserver": "/usr/local/bin/kube-apiserver", "kube-controller-manager": "/usr/local/bin/kube-controller-manager",
		"kube-scheduler": "/usr/local/bin/kube-scheduler", "kube-proxy": "/usr/local/bin/kube-proxy",
		"etcd": "/usr/local/bin/etcd", "coredns": "/coredns", "pause": "/pause",
	}
	if !strings.Contains(imagePath, "/usr/local/bin") {
		t.Fatalf("PATH %q lacks /usr/local/bin", imagePath)
	}
	for _, img := range ComponentImages() {
		m, err := ComponentManifest(img, allInputs())
		if err != nil {
			t.Fatal(err)
		}
		e, ok := m.Get(want[img.Name])
		if !ok || e.Source.Input != img.Name || e.Mode != 0o755 {
			t.Errorf("%s: %s is %+v", img.Name, want[img.Name], e)
		}
		if img.Entrypoint[0] != want[img.Name] {
			t.Errorf("%s: entrypoint %q", img.Name, img.Entrypoint)
		}
		if _, ok := m.Get("/etc/passwd"); !ok {
			t.Errorf("%s: no /etc/passwd", img.Name)
		}
	}
}

func TestKubeProxyHasNetfilterTools(t *testing.T) {
	var proxy ComponentImage
	for _, img := range ComponentImages() {
		if img.Name == "kube-proxy" {
			proxy = img
		}
	}
	m, err := ComponentManifest(proxy, allInputs())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/usr/sbin/xtables-nft-multi", "/usr/sbin/xtables-legacy-multi", "/usr/sbin/ipset", "/usr/sbin/conntrack", "/usr/sbin/nft"} {
		if e, ok := m.Get(p); !ok || e.Source.Package != p {
			t.Errorf("%s missing or not packaged: %+v", p, e)
		}
	}
	for link, tgt := range map[string]string{
		"/usr/sbin/iptables": "iptables-nft", "/usr/sbin/ip6tables-save": "ip6tables-nft-save",
		"/usr/sbin/iptables-legacy-restore": "xtables-legacy-multi", "/usr/sbin/ip6tables-nft": "xtables-nft-multi",
	} {
		if e, ok := m.Get(link); !ok || e.Kind != KindSymlink || e.Target != tgt {
			t.Errorf("%s: %+v, want -> %s", link, e, tgt)
		}
	}
	if !slices.Contains(m.PackageGlobs, "/usr/lib/x86_64-linux-gnu/xtables/*.so") {
		t.Errorf("xtables extensions not taken: %v", m.PackageGlobs)
	}
}

func TestNodeManifest(t *testing.T) {
	m, err := NodeManifest(ComponentImages(), allInputs())
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]Source{
		"/usr/bin/kubeadm":                                      {Input: "kubeadm"},
		"/usr/bin/kubelet":                                      {Input: "kubelet"},
		"/usr/bin/kubectl":                                      {Input: "kubectl"},
		"/usr/local/bin/crictl":                                 {Input: "crictl"},
		"/opt/cni/bin/ptp":                                      {Input: "ptp"},
		"/opt/cni/bin/host-local":                               {Input: "host-local"},
		"/opt/cni/bin/portmap":                                  {Input: "portmap"},
		"/opt/cni/bin/loopback":                                 {Input: "loopback"},
		"/usr/local/bin/entrypoint":                             {KindFile: "images/base/files/usr/local/bin/entrypoint"},
		"/etc/containerd/config.toml":                           {KindFile: "images/base/files/etc/containerd/config.toml"},
		"/etc/systemd/system/kubelet.service":                   {KindFile: "images/base/files/etc/systemd/system/kubelet.service"},
		"/etc/systemd/system/kubelet.service.d/10-kubeadm.conf": {KindFile: "images/base/files/etc/systemd/system/kubelet.service.d/10-kubeadm.conf"},
		"/kind/images/pause.tar":                                {Image: "pause"},
		"/kind/images/etcd.tar":                                 {Image: "etcd"},
	}
	for p, src := range files {
		e, ok := m.Get(p)
		if !ok || e.Kind != KindFile || e.Source.String() != src.String() {
			t.Errorf("%s: %+v, want source %s", p, e, src)
		}
	}
	for _, p := range []string{"/usr/local/bin/entrypoint", "/kind/bin/mount-product-files.sh", "/kind/bin/rolloutlab-import-images.sh", "/usr/bin/kubelet"} {
		if e, _ := m.Get(p); e.Mode != 0o755 {
			t.Errorf("%s: mode %o, want 0755", p, e.Mode)
		}
	}
	links := map[string]string{
		"/sbin/init": "/usr/lib/systemd/systemd",
		// Debian's containerd looks for CNI plugins here
		"/usr/lib/cni": "/opt/cni/bin",
		"/etc/systemd/system/multi-user.target.wants/kubelet.service":                   "/etc/systemd/system/kubelet.service",
		"/etc/systemd/system/multi-user.target.wants/containerd.service":                "/etc/systemd/system/containerd.service",
		"/etc/systemd/system/multi-user.target.wants/undo-mount-hacks.service":          "/etc/systemd/system/undo-mount-hacks.service",
		"/etc/systemd/system/containerd.service.wants/rolloutlab-import-images.service": "/etc/systemd/system/rolloutlab-import-images.service",
		"/etc/systemd/system/systemd-binfmt.service":                                    "/dev/null",
		"/usr/local/bin/containerd":                                                     "/usr/bin/containerd",
		"/usr/local/sbin/runc":                                                          "/usr/sbin/runc",
		"/usr/sbin/iptables":                                                            "/etc/alternatives/iptables",
		"/etc/alternatives/iptables":                                                    "/usr/sbin/iptables-nft",
		"/etc/alternatives/ip6tables-save":                                              "/usr/sbin/ip6tables-nft-save",
		"/usr/bin/awk":                                                                  "/etc/alternatives/awk",
		"/usr/bin/which":                                                                "/etc/alternatives/which",
	}
	for p, tgt := range links {
		if e, ok := m.Get(p); !ok || e.Kind != KindSymlink || e.Target != tgt {
			t.Errorf("%s: %+v, want -> %s", p, e, tgt)
		}
	}
	if e, _ := m.Get("/kind/version"); string(e.Source.Inline) != "v1.34.2" {
		t.Errorf("/kind/version = %q", e.Source.Inline)
	}
	if e, _ := m.Get("/etc/cni/net.d/10-kindnet.conflist"); !strings.Contains(string(e.Source.Inline), `"subnet": "10.244.0.0/16"`) {
		t.Errorf("conflist: %s", e.Source.Inline)
	}
	refs, _ := m.Get("/kind/images/refs")
	for _, tag := range AllTags(ComponentImages()) {
		if !strings.Contains(string(refs.Source.Inline), tag+"\n") {
			t.Errorf("refs lack %s", tag)
		}
	}
	if !slices.Contains(m.Remove, "/usr/lib/systemd/system/multi-user.target.wants/*") {
		t.Errorf("packaged multi-user wants not removed: %v", m.Remove)
	}
	// kubeadm applies "<target>+strategic.yaml" to the static pod <target>
	for _, c := range ControlPlaneProbeTargets {
		e, ok := m.Get(wire.KindNodeKubeadmPatches + "/" + c + "+strategic.yaml")
		var patch struct {
			Spec struct {
				Containers []struct {
					Name          string         `yaml:"name"`
					LivenessProbe map[string]int `yaml:"livenessProbe"`
					StartupProbe  map[string]int `yaml:"startupProbe"`
				} `yaml:"containers"`
			} `yaml:"spec"`
		}
		if !ok {
			t.Errorf("%s: no kubeadm probe patch", c)
			continue
		}
		if err := yaml.Unmarshal(e.Source.Inline, &patch); err != nil {
			t.Fatalf("%s patch: %v", c, err)
		}
		if cs := patch.Spec.Containers; len(cs) != 1 || cs[0].Name != c ||
			cs[0].LivenessProbe["failureThreshold"]*cs[0].LivenessProbe["periodSeconds"] < 15*60 ||
			cs[0].StartupProbe["failureThreshold"]*cs[0].StartupProbe["periodSeconds"] < 15*60 {
			t.Errorf("%s patch gives the probes under 15 min: %s", c, e.Source.Inline)
		}
	}
	for _, p := range []string{"/etc/kubernetes/manifests", "/kind/images", "/var/lib/dpkg/alternatives"} {
		if e, ok := m.Get(p); !ok || e.Kind != KindDir {
			t.Errorf("%s: not a directory", p)
		}
	}
}

func TestNodeManifestNamesMissingBinaries(t *testing.T) {
	have := allInputs()
	delete(have, "kubelet")
	delete(have, "ptp")
	_, err := NodeManifest(ComponentImages(), have)
	if err == nil || !strings.Contains(err.Error(), "kubelet, ptp") {
		t.Fatalf("err = %v", err)
	}
}

func TestRuntimeInputsReplaceDebian(t *testing.T) {
	have := allInputs()
	have["containerd"] = true
	m, err := NodeManifest(ComponentImages(), have)
	if err != nil {
		t.Fatal(err)
	}
	if e, _ := m.Get("/usr/local/bin/containerd"); e.Kind != KindFile || e.Source.Input != "containerd" {
		t.Errorf("containerd: %+v", e)
	}
}

func TestCRIBaseSpecIsKinds(t *testing.T) {
	b, err := criBaseSpec()
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Process map[string]json.RawMessage
		Hooks   struct{ CreateContainer []struct{ Path string } }
	}
	if err := json.Unmarshal(b, &spec); err != nil {
		t.Fatal(err)
	}
	if _, ok := spec.Process["rlimits"]; ok {
		t.Error("rlimits still there")
	}
	hooks := spec.Hooks.CreateContainer
	if len(hooks) == 0 || hooks[len(hooks)-1].Path != "/kind/bin/mount-product-files.sh" {
		t.Errorf("hooks: %+v", hooks)
	}
}

func TestAlternativesAdminFile(t *testing.T) {
	var ipt alternative
	for _, a := range nodeAlternatives() {
		if a.Name == "iptables" {
			ipt = a
		}
	}
	want := "auto\n/usr/sbin/iptables\niptables-restore\n/usr/sbin/iptables-restore\niptables-save\n/usr/sbin/iptables-save\n\n" +
		"/usr/sbin/iptables-legacy\n10\n/usr/sbin/iptables-legacy-restore\n/usr/sbin/iptables-legacy-save\n" +
		"/usr/sbin/iptables-nft\n20\n/usr/sbin/iptables-nft-restore\n/usr/sbin/iptables-nft-save\n\n"
	if got := ipt.adminFile(); got != want {
		t.Errorf("admin file:\n%s\nwant\n%s", got, want)
	}
}

func TestManifestDescribeChangesWithContent(t *testing.T) {
	a, b := newManifest(), newManifest()
	a.Text("/x", 0o644, "one")
	b.Text("/x", 0o644, "two")
	if a.Describe() == b.Describe() {
		t.Error("different inline content, same description")
	}
}
