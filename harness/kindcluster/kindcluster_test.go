package kindcluster

import (
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/rolloutlab/rolloutlab/wire"
)

func TestConfig(t *testing.T) {
	for _, mode := range ProxyModes {
		c, err := Config(mode, 12*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		var v struct {
			Kind       string `yaml:"kind"`
			APIVersion string `yaml:"apiVersion"`
			Networking struct {
				KubeProxyMode     string `yaml:"kubeProxyMode"`
				DisableDefaultCNI bool   `yaml:"disableDefaultCNI"`
				PodSubnet         string `yaml:"podSubnet"`
			} `yaml:"networking"`
			Nodes []struct {
				Role   string `yaml:"role"`
				Mounts []struct {
					HostPath      string `yaml:"hostPath"`
					ContainerPath string `yaml:"containerPath"`
				} `yaml:"extraMounts"`
			} `yaml:"nodes"`
			Patches []string `yaml:"kubeadmConfigPatches"`
		}
		if err := strictYAML(c, &v); err != nil {
			t.Fatalf("%s: %v\n%s", mode, err, c)
		}
		n := v.Networking
		if v.Kind != "Cluster" || v.APIVersion != "kind.x-k8s.io/v1alpha4" || n.KubeProxyMode != mode || !n.DisableDefaultCNI || n.PodSubnet != "10.244.0.0/16" {
			t.Errorf("%s: %+v", mode, v)
		}
		if len(v.Nodes) != 1 || v.Nodes[0].Role != "control-plane" {
			t.Errorf("nodes %+v", v.Nodes)
		}
		// the client Pod's records reach the guest through this mount
		if m := v.Nodes[0].Mounts; len(m) != 1 || m[0].HostPath != wire.KindSharedDir || m[0].ContainerPath != wire.KindNodeSharedDir {
			t.Errorf("extraMounts %+v", m)
		}
		if len(v.Patches) != 2 {
			t.Fatalf("patches %q", v.Patches)
		}
		var ic struct {
			APIVersion string `yaml:"apiVersion"`
			Kind       string `yaml:"kind"`
			Patches    struct {
				Directory string `yaml:"directory"`
			} `yaml:"patches"`
		}
		if err := strictYAML(v.Patches[1], &ic); err != nil {
			t.Fatal(err)
		}
		if ic.APIVersion != "kubeadm.k8s.io/v1beta3" || ic.Kind != "InitConfiguration" || ic.Patches.Directory != wire.KindNodeKubeadmPatches {
			t.Errorf("init patch %+v", ic)
		}
		var p struct {
			APIVersion string `yaml:"apiVersion"`
			Kind       string `yaml:"kind"`
			APIServer  struct {
				TimeoutForControlPlane string `yaml:"timeoutForControlPlane"`
			} `yaml:"apiServer"`
			ControllerManager struct {
				ExtraArgs map[string]string `yaml:"extraArgs"`
			} `yaml:"controllerManager"`
			Scheduler struct {
				ExtraArgs map[string]string `yaml:"extraArgs"`
			} `yaml:"scheduler"`
		}
		if err := strictYAML(v.Patches[0], &p); err != nil {
			t.Fatal(err)
		}
		if p.APIVersion != "kubeadm.k8s.io/v1beta3" || p.Kind != "ClusterConfiguration" || p.APIServer.TimeoutForControlPlane != "12m0s" {
			t.Errorf("patch %+v", p)
		}
		for _, a := range []map[string]string{p.ControllerManager.ExtraArgs, p.Scheduler.ExtraArgs} {
			// one node: no leader election to lose under TCG
			if len(a) != 1 || a["leader-elect"] != "false" {
				t.Errorf("controller-manager/scheduler args %v", a)
			}
		}
	}
}

func TestConfigRejects(t *testing.T) {
	_, err := Config("userspace", time.Minute)
	if err == nil || !strings.Contains(err.Error(), "ipvs, iptables, nftables") {
		t.Errorf("bad mode: %v", err)
	}
	if _, err := Config("ipvs", 0); err == nil {
		t.Error("zero wait accepted")
	}
}

const sample = `noise
@step image-load 4200
@kind 10 Creating cluster "rolloutlab" ...
@kind 20  • Ensuring node image (rolloutlab/kind-node:v1.34.2-abc) 🖼  ...
@kind 900  ✓ Ensuring node image (rolloutlab/kind-node:v1.34.2-abc) 🖼
@kind 900  • Preparing nodes 📦   ...
@kind 60900  ✓ Preparing nodes 📦 
@kind 60900  • Starting control-plane 🕹️  ...
@kind 400000  ✗ Starting control-plane 🕹️
@kind 400001  • Ready after 5s 💚
@step kind-create 400100
@deviation patched kind
@report node rolloutlab-control-plane Ready control-plane 5m v1.34.2
@report kube-proxy-pod kube-proxy-abcde 1/1 Running 0 4m
@report proxy-mode ipvs
@report vs.conn_reuse_mode 0
@report vs.expire_nodest_conn 1
@report vs.conntrack 0
@section docker-images
rolloutlab/kind-node:v1.34.2-abc
@end
@section crictl-images
registry.k8s.io/pause:3.10
@end
@section pull-attempts
@end
`

func TestParseAndPhases(t *testing.T) {
	o := Parse(sample)
	if len(o.Steps) != 2 || o.Steps[1] != (Step{"kind-create", 400100 * time.Millisecond}) {
		t.Errorf("steps %+v", o.Steps)
	}
	if v, _ := o.Fact("node"); v != "rolloutlab-control-plane Ready control-plane 5m v1.34.2" {
		t.Errorf("node %q", v)
	}
	if len(o.Other) != 1 || len(o.Deviations) != 1 {
		t.Errorf("other %q deviations %q", o.Other, o.Deviations)
	}
	ps := KindPhases(o.Kind)
	if len(ps) != 3 {
		t.Fatalf("phases %+v", ps)
	}
	if !ps[0].OK || ps[0].Duration != 880*time.Millisecond || ps[1].Duration != time.Minute || !ps[1].OK {
		t.Errorf("phases %+v", ps)
	}
	if !ps[2].Done || ps[2].OK || ps[2].Duration != 339100*time.Millisecond {
		t.Errorf("failed phase %+v", ps[2])
	}
}

func TestCheck(t *testing.T) {
	e := Expect{Mode: "ipvs", NodeImages: []string{"rolloutlab/kind-node:v1.34.2-abc"}, ClusterImages: []string{"registry.k8s.io/pause:3.10"}}
	if bad := Check(Parse(sample), e); len(bad) != 0 {
		t.Errorf("good output judged bad: %q", bad)
	}
	e.Mode = "iptables"
	e.ClusterImages = nil
	bad := Check(Parse(strings.Replace(sample, "@section pull-attempts\n", "@section pull-attempts\nPullImage \"docker.io/x\"\n", 1)), e)
	want := []string{`mode "ipvs"`, `crictl-images lists "registry.k8s.io/pause:3.10"`, "1 image pull attempts"}
	if len(bad) != len(want) {
		t.Fatalf("bad %q", bad)
	}
	for i, w := range want {
		if !strings.Contains(bad[i], w) {
			t.Errorf("%q lacks %q", bad[i], w)
		}
	}
	if bad := Check(Parse("@fail node not Ready\n"), e); len(bad) < 5 || !strings.Contains(bad[0], "node not Ready") {
		t.Errorf("failed run %q", bad)
	}
}

func TestNodeImageInputs(t *testing.T) {
	got := NodeImageInputs(map[string]string{"kubeadm-v1.34.2": "a", "cni-host-local-v1.7.1": "b", "crictl-v1.34.0": "c",
		"etcd": "d", "pause": "e", "kind-v0.33.0": "f", "kind-v0.33.0-rolloutlab1": "g", "coredns-v1.12.1": "h", "kube-proxy-v1.34.2": "i"})
	want := map[string]string{"kubeadm": "a", "host-local": "b", "crictl": "c", "etcd": "d", "pause": "e", "coredns": "h", "kube-proxy": "i"}
	if len(got) != len(want) {
		t.Fatalf("%v", got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q", k, got[k])
		}
	}
}

func strictYAML(s string, v any) error {
	d := yaml.NewDecoder(strings.NewReader(s))
	d.KnownFields(true)
	return d.Decode(v)
}
