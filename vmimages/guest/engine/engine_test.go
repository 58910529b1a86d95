package engine

import (
	"slices"
	"strings"
	"testing"
)

func TestArgs(t *testing.T) {
	d := strings.Join(dockerdArgs(), " ")
	for _, w := range []string{"--containerd=" + ContainerdSocket, "native.cgroupdriver=cgroupfs", "--data-root=/var/lib/docker", "--iptables=true", "overlay2"} {
		if !strings.Contains(d, w) {
			t.Errorf("dockerd args lack %q: %s", w, d)
		}
	}
	if !slices.Contains(containerdArgs(), ContainerdSocket) {
		t.Errorf("containerd args %v", containerdArgs())
	}
}
