package nodeimage

import (
	"archive/tar"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/rolloutlab/rolloutlab/harness/debtree"
)

// layerTime is every entry's mtime: the same inputs give the same bytes.
var layerTime = time.Unix(0, 0).UTC()

// layerEntry is one object of a layer, path canonical (no leading slash,
// merged-/usr applied). Content is data, or the host file at hostPath.
type layerEntry struct {
	path     string
	mode     fs.FileMode // type bits + permissions
	data     []byte
	hostPath string
	target   string
}

// layerSet collects entries; later puts replace earlier ones (the manifest
// overrides the packages).
type layerSet map[string]layerEntry

func (s layerSet) put(e layerEntry) { e.path = debtree.Canon(e.path); s[e.path] = e }

// mergedUsrLinks are the root symlinks of a merged-/usr system.
var mergedUsrLinks = map[string]string{"bin": "usr/bin", "sbin": "usr/sbin", "lib": "usr/lib", "lib64": "usr/lib64"}

// writeLayer writes s as one tar stream: sorted, parents before children,
// missing parent directories created 0755, owner root, fixed mtime.
func writeLayer(w io.Writer, s layerSet) error {
	all := layerSet{}
	for k, e := range s {
		all[k] = e
	}
	for name, tgt := range mergedUsrLinks {
		all[name] = layerEntry{path: name, mode: fs.ModeSymlink | 0o777, target: tgt}
	}
	for k := range s {
		for d := path.Dir(k); d != "." && d != "/"; d = path.Dir(d) {
			if _, ok := all[d]; !ok {
				all[d] = layerEntry{path: d, mode: fs.ModeDir | 0o755}
			}
		}
	}
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, comparePaths)
	tw := tar.NewWriter(w)
	for _, k := range keys {
		if err := writeLayerEntry(tw, all[k]); err != nil {
			return fmt.Errorf("layer entry /%s: %w", k, err)
		}
	}
	return tw.Close()
}

// comparePaths sorts by path components, so a directory's children follow
// it directly (usr/bin/x before usr/bin-foo).
func comparePaths(a, b string) int {
	return slices.Compare(strings.Split(a, "/"), strings.Split(b, "/"))
}

func writeLayerEntry(tw *tar.Writer, e layerEntry) error {
	h := &tar.Header{
		Name:    e.path,
		Mode:    int64(e.mode.Perm()),
		ModTime: layerTime,
		Format:  tar.FormatPAX,
	}
	if e.mode&fs.ModeSetuid != 0 {
		h.Mode |= 0o4000
	}
	if e.mode&fs.ModeSetgid != 0 {
		h.Mode |= 0o2000
	}
	if e.mode&fs.ModeSticky != 0 {
		h.Mode |= 0o1000
	}
	switch {
	case e.mode.IsDir():
		h.Typeflag, h.Name = tar.TypeDir, e.path+"/"
		return tw.WriteHeader(h)
	case e.mode.Type() == fs.ModeSymlink:
		h.Typeflag, h.Linkname = tar.TypeSymlink, e.target
		return tw.WriteHeader(h)
	case e.hostPath != "":
		f, err := os.Open(e.hostPath)
		if err != nil {
			return err
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return err
		}
		h.Typeflag, h.Size = tar.TypeReg, st.Size()
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		n, err := io.Copy(tw, f)
		if err == nil && n != st.Size() {
			err = fmt.Errorf("%s changed size while being read", e.hostPath)
		}
		return err
	default:
		h.Typeflag, h.Size = tar.TypeReg, int64(len(e.data))
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		_, err := tw.Write(e.data)
		return err
	}
}
