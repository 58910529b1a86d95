package image

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/rolloutlab/rolloutlab/harness/debtree"
)

// What dpkg's maintainer scripts would have done that the engine needs;
// the .debs are unpacked without running them (see engineLayout).

// engineAlternatives are update-alternatives' choices: bookworm's default
// iptables backend is nft (what docker and kube-proxy call as "iptables").
var engineAlternatives = map[string]string{
	"usr/sbin/iptables":          "xtables-nft-multi",
	"usr/sbin/iptables-save":     "xtables-nft-multi",
	"usr/sbin/iptables-restore":  "xtables-nft-multi",
	"usr/sbin/ip6tables":         "xtables-nft-multi",
	"usr/sbin/ip6tables-save":    "xtables-nft-multi",
	"usr/sbin/ip6tables-restore": "xtables-nft-multi",
	"usr/bin/awk":                "gawk", // gawk's postinst
}

// engineCopies are files a postinst copies from a template (base-passwd
// would, it is not in the closure: base-files' templates serve).
var engineCopies = map[string][]string{
	"etc/passwd": {"usr/share/base-passwd/passwd.master"},
	"etc/group":  {"usr/share/base-passwd/group.master"},
}

// engineDirs are mount points and state directories the agent and the
// engine expect; /usr/lib/modules is where the agent binds the kernel's
// modules (kind mounts it into its node).
var engineDirs = map[string]fs.FileMode{
	"var/lib/docker": 0o710, "var/lib/containerd": 0o711, "var/log": 0o755, "etc/docker": 0o755,
	"usr/lib/modules": 0o755, "seed": 0o755, "etc/containerd": 0o755,
}

// engineFixups edits t in place: merged-/usr links, empty mount points,
// alternatives, account files, and what nothing ships (nsswitch, hosts).
func engineFixups(t debtree.Tree) error {
	for name, m := range generatedDirs {
		if _, ok := t[name]; !ok {
			t.Add(name, &debtree.Node{Mode: fs.ModeDir | m})
		}
	}
	for name, m := range engineDirs {
		t.Add(name, &debtree.Node{Mode: fs.ModeDir | m})
	}
	for name, tgt := range generatedLinks {
		t[name] = &debtree.Node{Mode: fs.ModeSymlink | 0o777, Target: tgt}
	}
	for name, tgt := range engineAlternatives {
		if _, ok := t[filepath.Join(filepath.Dir(name), tgt)]; !ok {
			return fmt.Errorf("alternative %s -> %s: target not packaged", name, tgt)
		}
		t[name] = &debtree.Node{Mode: fs.ModeSymlink | 0o777, Target: tgt}
	}
	for name, body := range generatedFiles {
		src := engineCopies[name]
		if len(src) > 0 {
			if n, ok := t[src[0]]; ok {
				t[name] = &debtree.Node{Mode: 0o644, Data: n.Data}
				continue
			}
		}
		if _, ok := t[name]; !ok {
			t[name] = &debtree.Node{Mode: 0o644, Data: []byte(body)}
		}
	}
	for _, need := range []string{"usr/sbin/dockerd", "usr/bin/containerd", "usr/sbin/runc", "usr/bin/docker-init", "usr/bin/sh"} {
		if _, _, _, err := t.Resolve(need); err != nil {
			return fmt.Errorf("engine root lacks %s: %w", need, err)
		}
	}
	return nil
}

// writeTree writes t under dir and returns the number of entries and the
// bytes of regular files. Directory modes are set last so a read-only
// directory can still be filled.
func writeTree(t debtree.Tree, dir string) (int, int64, error) {
	keys := make([]string, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	slices.Sort(keys) // parents before children
	var total int64
	var dirs []string
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, 0, err
	}
	for _, k := range keys {
		n, p := t[k], filepath.Join(dir, k)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return 0, 0, err
		}
		switch n.Mode.Type() {
		case fs.ModeDir:
			if err := os.MkdirAll(p, 0o755); err != nil {
				return 0, 0, err
			}
			dirs = append(dirs, k)
		case fs.ModeSymlink:
			if err := os.Symlink(n.Target, p); err != nil {
				return 0, 0, err
			}
		case 0:
			if err := os.WriteFile(p, n.Data, 0o600); err != nil {
				return 0, 0, err
			}
			// Chmod, not WriteFile's perm: the umask would drop bits and
			// setuid needs an explicit chmod anyway.
			if err := os.Chmod(p, n.Mode.Perm()|n.Mode&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)); err != nil {
				return 0, 0, err
			}
			total += int64(len(n.Data))
		default:
			// Device nodes come from devtmpfs at run time.
		}
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		m := t[dirs[i]].Mode
		if err := os.Chmod(filepath.Join(dir, dirs[i]), m.Perm()|m&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)); err != nil {
			return 0, 0, err
		}
	}
	return len(keys), total, nil
}
