package nodeimage

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	kgzip "github.com/klauspost/compress/gzip"
)

// imageConfig is the runtime part of an image's config.
type imageConfig struct {
	Entrypoint []string
	Env        []string
	User       string
	StopSignal string
}

// layerStats are the sizes of one written layer.
type layerStats struct {
	Uncompressed, Compressed int64
}

// writeArchive writes s as a one-layer image tagged with every ref into
// the docker-archive at dst. The layer is gzip'ed once, here, with a fixed
// header, so equal inputs give an equal digest; go-containerregistry then
// only hashes it.
func writeArchive(dst string, s layerSet, cfg imageConfig, refs []string) (layerStats, error) {
	var st layerStats
	layerPath := dst + ".layer.tar.gz"
	defer os.Remove(layerPath)
	f, err := os.Create(layerPath)
	if err != nil {
		return st, err
	}
	defer f.Close()
	out := &countingWriter{w: f}
	zw, err := kgzip.NewWriterLevel(out, kgzip.DefaultCompression)
	if err != nil {
		return st, err
	}
	raw := &countingWriter{w: zw}
	if err := writeLayer(raw, s); err != nil {
		return st, err
	}
	if err := zw.Close(); err != nil {
		return st, fmt.Errorf("compress layer: %w", err)
	}
	if err := f.Close(); err != nil {
		return st, err
	}
	st = layerStats{Uncompressed: raw.n, Compressed: out.n}

	layer, err := tarball.LayerFromFile(layerPath)
	if err != nil {
		return st, fmt.Errorf("layer: %w", err)
	}
	img, err := mutate.Append(empty.Image, mutate.Addendum{Layer: layer, History: v1.History{CreatedBy: "rolloutlab harness/nodeimage", Created: v1.Time{Time: layerTime}}})
	if err != nil {
		return st, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return st, err
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS = "amd64", "linux"
	cf.Created = v1.Time{Time: layerTime}
	cf.Config.Entrypoint = cfg.Entrypoint
	cf.Config.Env = cfg.Env
	cf.Config.User = cfg.User
	cf.Config.StopSignal = cfg.StopSignal
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return st, err
	}
	tagged := map[name.Reference]v1.Image{}
	for _, r := range refs {
		tag, err := name.NewTag(r)
		if err != nil {
			return st, fmt.Errorf("tag %q: %w", r, err)
		}
		tagged[tag] = img
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return st, err
	}
	if err := tarball.MultiRefWriteToFile(dst, tagged); err != nil {
		return st, fmt.Errorf("write %s: %w", dst, err)
	}
	return st, nil
}

type countingWriter struct {
	w interface{ Write([]byte) (int, error) }
	n int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}

// stepTimer prints one line per build step with its duration.
type stepTimer struct {
	log   func(format string, args ...any)
	start time.Time
}

func (s *stepTimer) done(format string, args ...any) {
	s.log("nodeimage: "+format+" (%s)\n", append(args, time.Since(s.start).Round(time.Millisecond))...)
	s.start = time.Now()
}
