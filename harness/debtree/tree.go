// Package debtree unpacks Debian packages, in pure Go, into an in-memory
// root filesystem that the guest image and the kind node image are
// assembled from.
package debtree

import (
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// Node is one filesystem object unpacked from a package or generated.
type Node struct {
	Mode   fs.FileMode // type bits + permissions
	Data   []byte      // regular files
	Target string      // symlinks, exactly as packaged
	Dev    [2]uint32   // device nodes: major, minor
	Pkg    string      // origin package ("" for generated entries)
}

// Tree is an in-memory root filesystem keyed by canonical path (no leading
// slash). Debian (bookworm, trixie) is merged-/usr: /bin, /sbin, /lib and
// /lib64 are symlinks into /usr, so paths under them are stored under usr/.
type Tree map[string]*Node

// mergedDirs are the top-level directories that are symlinks into usr/.
var mergedDirs = []string{"bin", "sbin", "lib", "lib64"}

// Canon cleans p, drops the leading slash and maps merged-/usr directories.
func Canon(p string) string {
	p = strings.TrimPrefix(path.Clean("/"+p), "/")
	for _, d := range mergedDirs {
		if p == d || strings.HasPrefix(p, d+"/") {
			return "usr/" + p
		}
	}
	return p
}

// Add stores n at p unless something is there already: the first package
// in lock order wins, so the result never depends on map order. The root
// itself is not an entry.
func (t Tree) Add(p string, n *Node) {
	p = Canon(p)
	if p == "" || p == "." {
		return
	}
	if _, ok := t[p]; !ok {
		t[p] = n
	}
}

// Resolve follows symlinks in every component of p, as the kernel would,
// and returns the canonical path of the final object, the object, and every
// symlink passed on the way (an image must carry them too).
func (t Tree) Resolve(p string) (string, *Node, []string, error) {
	var links []string
	p = Canon(p)
	for hops := 0; hops < 40; hops++ {
		parts := strings.Split(p, "/")
		followed := false
		for i := range parts {
			prefix := strings.Join(parts[:i+1], "/")
			n, ok := t[prefix]
			if !ok && i == len(parts)-1 {
				return p, nil, links, fmt.Errorf("/%s: %w", prefix, fs.ErrNotExist)
			}
			// A missing inner component is a directory no package listed.
			if !ok || n.Mode.Type() != fs.ModeSymlink {
				continue
			}
			links = append(links, prefix)
			tgt := n.Target
			if !path.IsAbs(tgt) {
				tgt = path.Join(path.Dir("/"+prefix), tgt)
			}
			p = Canon(path.Join(append([]string{tgt}, parts[i+1:]...)...))
			followed = true
			break
		}
		if !followed {
			return p, t[p], links, nil
		}
	}
	return p, nil, links, fmt.Errorf("/%s: too many levels of symbolic links", p)
}
