package image

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/rolloutlab/rolloutlab/harness/debtree"
)

// cpioEntry is one archive member; parents are added by writeCPIO.
type cpioEntry struct {
	name   string // relative, no leading slash
	mode   fs.FileMode
	data   []byte
	target string    // symlinks
	dev    [2]uint32 // device nodes
}

// writeCPIO writes a newc ("070701") archive that depends only on the
// entries: sorted names (parents first), inode = position, uid/gid 0, mtime 0,
// one link per entry. Missing parent directories are added with mode 0755.
func writeCPIO(w io.Writer, entries []cpioEntry) error {
	byName := make(map[string]cpioEntry, len(entries))
	for _, e := range entries {
		name := path.Clean(e.name)
		if name == "." || name == "" || strings.HasPrefix(name, "/") || name == ".." || strings.HasPrefix(name, "../") {
			return fmt.Errorf("cpio: bad entry name %q", e.name)
		}
		if _, dup := byName[name]; dup {
			return fmt.Errorf("cpio: duplicate entry %q", name)
		}
		e.name = name
		byName[name] = e
	}
	for name := range byName {
		for d := path.Dir(name); d != "."; d = path.Dir(d) {
			if _, ok := byName[d]; !ok {
				byName[d] = cpioEntry{name: d, mode: fs.ModeDir | 0o755}
			}
		}
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	// Byte order puts "a" before "a/b", so a directory precedes its contents.
	slices.Sort(names)

	bw := bufio.NewWriter(w)
	for i, n := range names {
		e := byName[n]
		body := e.data
		if e.mode.Type() == fs.ModeSymlink {
			body = []byte(e.target)
		}
		nlink := 1
		if e.mode.IsDir() {
			nlink = 2
		}
		if err := writeRecord(bw, uint32(i+1), unixMode(e.mode), uint32(nlink), e.dev, n, body); err != nil {
			return err
		}
	}
	if err := writeRecord(bw, 0, 0, 1, [2]uint32{}, "TRAILER!!!", nil); err != nil {
		return err
	}
	return bw.Flush()
}

func writeRecord(w *bufio.Writer, ino, mode, nlink uint32, dev [2]uint32, name string, body []byte) error {
	// ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor rdevminor namesize check
	_, err := fmt.Fprintf(w, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		ino, mode, 0, 0, nlink, 0, len(body), 0, 0, dev[0], dev[1], len(name)+1, 0)
	if err != nil {
		return fmt.Errorf("cpio: write %s: %w", name, err)
	}
	w.WriteString(name)
	w.WriteByte(0)
	pad(w, 110+len(name)+1)
	w.Write(body)
	pad(w, len(body))
	return nil
}

func pad(w *bufio.Writer, n int) {
	for ; n%4 != 0; n++ {
		w.WriteByte(0)
	}
}

// unixMode converts Go file mode bits to the st_mode bits cpio stores.
func unixMode(m fs.FileMode) uint32 {
	u := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		u |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		u |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		u |= 0o1000
	}
	switch {
	case m.IsDir():
		u |= 0o040000
	case m.Type() == fs.ModeSymlink:
		u |= 0o120000
	case m&fs.ModeCharDevice != 0:
		u |= 0o020000
	case m&fs.ModeDevice != 0:
		u |= 0o060000
	case m&fs.ModeNamedPipe != 0:
		u |= 0o010000
	default:
		u |= 0o100000
	}
	return u
}

// RequestArchive returns an uncompressed newc cpio holding files (mode 0644)
// and their parent directories, to append after base.cpio (Linux unpacks
// concatenated archives). Keys are paths such as "/rolloutlab/request.json".
//
// Appended after a compressed archive, it must start at a 4-byte aligned
// offset of the whole initrd: the kernel skips zero bytes between archives
// but ignores an uncompressed "070701" at an unaligned offset, so pad the
// preceding data with zeros to a multiple of 4.
//
// Paths under /bin, /sbin, /lib and /lib64 are stored under /usr/: in the base
// image those are symlinks, and the kernel replaces a symlink by a directory
// when a later archive lists one there (a "lib" entry would hide the loader).
func RequestArchive(files map[string][]byte) ([]byte, error) {
	entries := make([]cpioEntry, 0, len(files))
	for name, data := range files {
		rel := strings.TrimPrefix(name, "/")
		if rel == "" || path.Clean(rel) != rel || rel == ".." || strings.HasPrefix(rel, "../") {
			return nil, fmt.Errorf("request archive: bad path %q (want a clean path like /rolloutlab/request.json)", name)
		}
		entries = append(entries, cpioEntry{name: debtree.Canon(rel), mode: 0o644, data: data})
	}
	var b bytes.Buffer
	if err := writeCPIO(&b, entries); err != nil {
		return nil, fmt.Errorf("request archive: %w", err)
	}
	return b.Bytes(), nil
}
