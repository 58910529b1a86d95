package nodeimage

import (
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// fileNode is one filesystem object unpacked from a package.
type fileNode struct {
	mode   fs.FileMode // type bits + permissions
	data   []byte      // regular files
	target string      // symlinks, as packaged
	pkg    string      // origin package
}

// tree is an in-memory root filesystem keyed by canonical path (no leading
// slash). Trixie is merged-/usr: /bin, /sbin, /lib, /lib64 are symlinks into
// /usr, so paths under them are stored under usr/.
type tree map[string]*fileNode

var mergedDirs = []string{"bin", "sbin", "lib", "lib64"}

// canon cleans p, drops the leading slash and maps merged-/usr directories.
func canon(p string) string {
	p = strings.TrimPrefix(path.Clean("/"+p), "/")
	for _, d := range mergedDirs {
		if p == d || strings.HasPrefix(p, d+"/") {
			return "usr/" + p
		}
	}
	return p
}

// add stores n at p unless an earlier package put something there: the
// first package in lock order wins, so the result never depends on map order.
func (t tree) add(p string, n *fileNode) {
	p = canon(p)
	if p == "" || p == "." {
		return
	}
	if _, ok := t[p]; !ok {
		t[p] = n
	}
}

// resolve follows symlinks in every component of p as the kernel would and
// returns the canonical path of the final object, the object, and every
// symlink passed on the way.
func (t tree) resolve(p string) (string, *fileNode, []string, error) {
	var links []string
	p = canon(p)
	for hops := 0; hops < 40; hops++ {
		parts := strings.Split(p, "/")
		followed := false
		for i := range parts {
			prefix := strings.Join(parts[:i+1], "/")
			n, ok := t[prefix]
			if !ok && i == len(parts)-1 {
				return p, nil, links, fmt.Errorf("/%s: %w", prefix, fs.ErrNotExist)
			}
			if !ok || n.mode.Type() != fs.ModeSymlink {
				continue
			}
			links = append(links, prefix)
			tgt := n.target
			if !path.IsAbs(tgt) {
				tgt = path.Join(path.Dir("/"+prefix), tgt)
			}
			p = canon(path.Join(append([]string{tgt}, parts[i+1:]...)...))
			followed = true
			break
		}
		if !followed {
			return p, t[p], links, nil
		}
	}
	return p, nil, links, fmt.Errorf("/%s: too many levels of symbolic links", p)
}
