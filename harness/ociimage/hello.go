// Package ociimage writes container images the harness builds itself, as
// docker-archives (`docker load -i`): no registry, no docker on the host.
package ociimage

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// HelloRef is the hello image's tag.
const HelloRef = "rolloutlab/hello:v1"

// HelloPackage is the Go package built into the image as /hello.
const HelloPackage = "./vmimages/guest/hello"

// WriteHello builds the hello binary (static, from repoRoot) and writes a
// docker-archive of a one-layer image running it to out.
func WriteHello(ctx context.Context, repoRoot, out string) error {
	bin, err := os.CreateTemp(filepath.Dir(out), ".hello-bin-")
	if err != nil {
		return err
	}
	bin.Close()
	defer os.Remove(bin.Name())
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w -buildid=", "-o", bin.Name(), HelloPackage)
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build hello: %w\n%s", err, b)
	}
	data, err := os.ReadFile(bin.Name())
	if err != nil {
		return err
	}
	img, err := Image(map[string][]byte{"hello": data}, []string{"/hello"})
	if err != nil {
		return err
	}
	return WriteArchive(out, HelloRef, img)
}

// Image is a single-layer linux/amd64 image with files (name -> content,
// mode 0755 at /) and the given entrypoint.
func Image(files map[string][]byte, entrypoint []string) (v1.Image, error) {
	layerTar, err := tarOf(files)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	})
	if err != nil {
		return nil, fmt.Errorf("layer: %w", err)
	}
	img, err := mutate.Append(empty.Image, mutate.Addendum{Layer: layer})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.Config.Entrypoint = entrypoint
	return mutate.ConfigFile(img, cf)
}

// WriteArchive writes img tagged ref as a docker-archive, atomically.
func WriteArchive(out, ref string, img v1.Image) error {
	tag, err := name.NewTag(ref)
	if err != nil {
		return err
	}
	tmp := out + ".tmp"
	if err := tarball.WriteToFile(tmp, tag, img); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", out, err)
	}
	return os.Rename(tmp, out)
}

func tarOf(files map[string][]byte) ([]byte, error) {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, n := range sortedKeys(files) {
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o755, Size: int64(len(files[n])), Typeflag: tar.TypeReg}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(files[n]); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
