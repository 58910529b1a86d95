package nodeimage

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// The archive read back with go-containerregistry: every tag, one layer,
// the config; and the same inputs give the same image digest.
func TestArchiveReadBack(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "pause")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	s := layerSet{}
	s.put(layerEntry{path: "pause", mode: 0o755, hostPath: bin})
	s.put(layerEntry{path: "etc/passwd", mode: 0o644, data: []byte("root:x:0:0::/:/x\n")})
	s.put(layerEntry{path: "tmp", mode: fs.ModeDir | fs.ModeSticky | 0o777})
	refs := []string{"registry.k8s.io/pause:3.10.1", "registry.k8s.io/pause:3.10"}
	cfg := imageConfig{Entrypoint: []string{"/pause"}, Env: []string{imagePath}, User: "65535:65535", StopSignal: "SIGRTMIN+3"}
	var digests []string
	for i, p := range []string{"a.tar", "b.tar"} {
		dst := filepath.Join(dir, p)
		if _, err := writeArchive(dst, s, cfg, refs); err != nil {
			t.Fatal(err)
		}
		for _, r := range refs {
			tag, _ := name.NewTag(r)
			img, err := tarball.ImageFromPath(dst, &tag)
			if err != nil {
				t.Fatalf("%s in %s: %v", r, p, err)
			}
			cf, err := img.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			if cf.Config.Entrypoint[0] != "/pause" || cf.Config.User != "65535:65535" || cf.Config.StopSignal != "SIGRTMIN+3" || cf.OS != "linux" || cf.Architecture != "amd64" {
				t.Errorf("config: %+v", cf.Config)
			}
			layers, err := img.Layers()
			if err != nil || len(layers) != 1 {
				t.Fatalf("layers: %v %v", layers, err)
			}
			d, _ := img.Digest()
			if i == 0 && r == refs[0] {
				digests = append(digests, d.String())
			} else if i == 1 && r == refs[0] {
				digests = append(digests, d.String())
			}
		}
	}
	if digests[0] != digests[1] {
		t.Errorf("same inputs, digests %s and %s", digests[0], digests[1])
	}
}

func TestWriteLayerSortsAndAddsParents(t *testing.T) {
	s := layerSet{}
	s.put(layerEntry{path: "/sbin/init", mode: fs.ModeSymlink | 0o777, target: "/usr/lib/systemd/systemd"})
	s.put(layerEntry{path: "a/b/c", mode: 0o644, data: []byte("x")})
	var buf countingWriter
	buf.w = discard{}
	if err := writeLayer(&buf, s); err != nil {
		t.Fatal(err)
	}
	if _, ok := s["usr/sbin/init"]; !ok {
		t.Errorf("merged-/usr path not canonical: %v", s)
	}
	if comparePaths("usr/bin/x", "usr/bin-foo") >= 0 {
		t.Error("children must follow their directory")
	}
}

type discard struct{}

func (discard) Write(b []byte) (int, error) { return len(b), nil }
