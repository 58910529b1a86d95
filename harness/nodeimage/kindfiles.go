package nodeimage

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"

	"golang.org/x/mod/sumdb/dirhash"
)

// kindBaseFile is one file of kind's images/base/files/ and its mode, as
// the base Dockerfile's COPY --chmod lines give it (scripts 0755, the rest
// 0644). The list is fixed so the manifest is pure; the build fails if the
// module lacks one.
type kindBaseFile struct {
	Path string // in the node, and under images/base/files/ in the module
	Mode fs.FileMode
}

var kindBaseFiles = []kindBaseFile{
	{"/usr/local/bin/entrypoint", 0o755},
	{"/usr/local/bin/clean-install", 0o755},
	{"/kind/bin/create-kubelet-cgroup-v2.sh", 0o755},
	{"/kind/bin/mount-product-files.sh", 0o755},
	{"/kind/bin/undo-mount-hacks.sh", 0o755},
	{"/kind/README.txt", 0o644},
	{"/LICENSES/README.txt", 0o644},
	{"/etc/crictl.yaml", 0o644},
	{"/etc/containerd/config.toml", 0o644},
	{"/etc/default/kubelet", 0o644},
	{"/etc/sysctl.d/10-network-magic.conf", 0o644},
	{"/etc/sysctl.d/10-network-security.conf", 0o644},
	{"/etc/systemd/system/containerd-fuse-overlayfs.service", 0o644},
	{"/etc/systemd/system/containerd.service", 0o644},
	{"/etc/systemd/system/kubelet.service", 0o644},
	{"/etc/systemd/system/kubelet.slice", 0o644},
	{"/etc/systemd/system/undo-mount-hacks.service", 0o644},
	{"/etc/systemd/system/kubelet.service.d/10-kubeadm.conf", 0o644},
	{"/etc/systemd/system/kubelet.service.d/11-kind.conf", 0o644},
}

// kindFilesDir is where the base files live inside the module.
const kindFilesDir = "images/base/files"

// kindModuleDir returns the extracted kind module from the Go module cache
// (downloading it through GOPROXY if needed), after checking that both the
// go command's recorded hash and a fresh hash of the directory match
// KindModuleHash: an edited module cache cannot slip into the node.
func kindModuleDir(ctx context.Context) (string, error) {
	tmp, err := os.MkdirTemp("", "rolloutlab-kind-mod-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	// Outside any module, so this repository's go.mod and go.sum stay untouched.
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", KindModule+"@"+KindVersion)
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GO111MODULE=on")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go mod download %s@%s: %w: %s%s", KindModule, KindVersion, err, out, stderr.Bytes())
	}
	var info struct{ Dir, Sum, Error string }
	if err := json.Unmarshal(out, &info); err != nil {
		return "", fmt.Errorf("go mod download %s@%s: parse output: %w", KindModule, KindVersion, err)
	}
	if info.Error != "" {
		return "", fmt.Errorf("go mod download %s@%s: %s", KindModule, KindVersion, info.Error)
	}
	if info.Sum != KindModuleHash {
		return "", fmt.Errorf("%s@%s: module hash %s, pinned %s", KindModule, KindVersion, info.Sum, KindModuleHash)
	}
	got, err := dirhash.HashDir(info.Dir, KindModule+"@"+KindVersion, dirhash.Hash1)
	if err != nil {
		return "", fmt.Errorf("hash %s: %w", info.Dir, err)
	}
	if got != KindModuleHash {
		return "", fmt.Errorf("%s: contents hash to %s, pinned %s (module cache modified?)", info.Dir, got, KindModuleHash)
	}
	return info.Dir, nil
}
