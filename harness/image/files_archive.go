package image

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path"
	"strings"

	"github.com/rolloutlab/rolloutlab/harness/debtree"
)

// FilesArchive returns a gzip-compressed newc cpio holding host files under
// guest paths (guest path -> host path), each with its host permission bits
// (an executable stays executable), plus their parent directories (0755).
// It is an initramfs fragment for run.Env.WithExtra: compressed, it may
// start at any offset of the initrd (an uncompressed one must be 4-byte
// aligned, which a fragment after others cannot promise).
//
// As in RequestArchive, paths under /bin, /sbin, /lib and /lib64 are stored
// under /usr/ so the base image's merged-/usr symlinks survive.
func FilesArchive(files map[string]string) ([]byte, error) {
	entries := make([]cpioEntry, 0, len(files))
	for name, src := range files {
		rel := strings.TrimPrefix(name, "/")
		if rel == "" || path.Clean(rel) != rel || rel == ".." || strings.HasPrefix(rel, "../") {
			return nil, fmt.Errorf("files archive: bad guest path %q (want a clean absolute path)", name)
		}
		st, err := os.Stat(src)
		if err != nil {
			return nil, fmt.Errorf("files archive: %w", err)
		}
		if !st.Mode().IsRegular() {
			return nil, fmt.Errorf("files archive: %s is not a regular file", src)
		}
		data, err := os.ReadFile(src)
		if err != nil {
			return nil, fmt.Errorf("files archive: %w", err)
		}
		entries = append(entries, cpioEntry{name: debtree.Canon(rel), mode: st.Mode().Perm(), data: data})
	}
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, gzip.BestSpeed) // the guest unpacks it, maybe under TCG
	if err != nil {
		return nil, err
	}
	if err := writeCPIO(zw, entries); err != nil {
		return nil, fmt.Errorf("files archive: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
