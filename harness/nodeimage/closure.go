package nodeimage

import (
	"bytes"
	"debug/elf"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/rolloutlab/rolloutlab/harness/debtree"
)

// libDirs are where the loader looks without an ld.so.cache (component
// images carry none): Debian's multiarch directories.
var libDirs = []string{"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu"}

// elfDeps is what the loader needs to start one ELF file.
type elfDeps struct {
	interp  string
	needed  []string
	runpath []string
}

func readELFDeps(name string, data []byte) (elfDeps, bool, error) {
	if !bytes.HasPrefix(data, []byte(elf.ELFMAG)) {
		return elfDeps{}, false, nil
	}
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return elfDeps{}, true, fmt.Errorf("parse ELF %s: %w", name, err)
	}
	defer f.Close()
	var d elfDeps
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b := make([]byte, p.Filesz)
			if _, err := p.ReadAt(b, 0); err != nil {
				return d, true, fmt.Errorf("read interpreter of %s: %w", name, err)
			}
			d.interp = string(bytes.TrimRight(b, "\x00"))
		}
	}
	if f.Section(".dynamic") == nil {
		return d, true, nil
	}
	if d.needed, err = f.ImportedLibraries(); err != nil {
		return d, true, fmt.Errorf("read NEEDED of %s: %w", name, err)
	}
	for _, tag := range []elf.DynTag{elf.DT_RUNPATH, elf.DT_RPATH} {
		vals, _ := f.DynString(tag)
		for _, v := range vals {
			for _, dir := range strings.Split(v, ":") {
				if dir != "" {
					d.runpath = append(d.runpath, dir)
				}
			}
		}
	}
	return d, true, nil
}

// addELFClosure completes a component manifest: package globs expanded,
// then for every ELF file (input binaries read from inputs, packaged files
// from t) the loader and each NEEDED library, with the symlinks on the way,
// as the image's loader would resolve them. It fails naming the binary and
// the library that would not load.
func addELFClosure(m *Manifest, t debtree.Tree, inputs map[string]string) error {
	keys := make([]string, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, g := range m.PackageGlobs {
		n := 0
		for _, k := range keys {
			ok, _ := path.Match(debtree.Canon(g), k)
			switch {
			case !ok:
			case t[k].Mode.IsRegular():
				m.File("/"+k, t[k].Mode.Perm(), Source{Package: "/" + k})
				n++
			case t[k].Mode&fs.ModeSymlink != 0:
				// iptables 1.8.11 packages libxt_MASQUERADE.so, DNAT, SNAT,
				// REDIRECT as links to libxt_NAT.so: without them kube-proxy's
				// iptables-restore fails ("unknown option --random-fully")
				m.Link("/"+k, t[k].Target)
				n++
			}
		}
		if n == 0 {
			return fmt.Errorf("no packaged file matches %s", g)
		}
	}
	var queue []string
	for _, e := range m.Entries() {
		if e.Kind == KindFile && (e.Source.Input != "" || e.Source.Package != "") {
			queue = append(queue, e.Path)
		}
	}
	done := map[string]bool{}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if done[p] {
			continue
		}
		done[p] = true
		e, _ := m.Get(p)
		data, err := entryBytes(e, t, inputs)
		if err != nil {
			return err
		}
		d, isELF, err := readELFDeps(p, data)
		if err != nil || !isELF {
			if err != nil {
				return err
			}
			continue
		}
		var wanted []string
		if d.interp != "" {
			wanted = append(wanted, d.interp)
		}
		for _, so := range d.needed {
			lib, err := findLib(t, p, so, d.runpath)
			if err != nil {
				return err
			}
			wanted = append(wanted, lib)
		}
		for _, w := range wanted {
			real, err := pickPackaged(m, t, w)
			if err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
			queue = append(queue, real)
		}
	}
	return nil
}

func findLib(t debtree.Tree, from, soname string, runpath []string) (string, error) {
	if strings.Contains(soname, "/") {
		return soname, nil
	}
	dirs := append(slices.Clone(runpath), libDirs...)
	for _, dir := range dirs {
		dir = strings.ReplaceAll(strings.ReplaceAll(dir, "${ORIGIN}", path.Dir(from)), "$ORIGIN", path.Dir(from))
		cand := path.Join(dir, soname)
		if _, n, _, err := t.Resolve(cand); err == nil && n != nil {
			return cand, nil
		}
	}
	return "", fmt.Errorf("%s needs %s, found in none of %s (add its package to vmimages/kind-node.lock)", from, soname, strings.Join(dirs, ", "))
}

// pickPackaged adds a packaged path to m, with the symlinks leading to it,
// and returns the path of the file itself.
func pickPackaged(m *Manifest, t debtree.Tree, p string) (string, error) {
	real, n, links, err := t.Resolve(p)
	if err != nil {
		return "", err
	}
	if n == nil || !n.Mode.IsRegular() {
		return "", fmt.Errorf("%s: not a regular file in the packages", p)
	}
	for _, l := range links {
		m.Link("/"+l, t[l].Target)
	}
	if _, ok := m.Get("/" + real); !ok {
		m.File("/"+real, n.Mode.Perm(), Source{Package: "/" + real})
	}
	return "/" + real, nil
}

// entryBytes reads a file entry's content.
func entryBytes(e Entry, t debtree.Tree, inputs map[string]string) ([]byte, error) {
	switch {
	case e.Source.Input != "":
		p, ok := inputs[e.Source.Input]
		if !ok {
			return nil, fmt.Errorf("%s: no input binary %q", e.Path, e.Source.Input)
		}
		return os.ReadFile(p)
	case e.Source.Package != "":
		_, n, _, err := t.Resolve(e.Source.Package)
		if err != nil {
			return nil, err
		}
		if n == nil || n.Mode.Type()&fs.ModeType != 0 {
			return nil, fmt.Errorf("%s: %s is not a packaged file", e.Path, e.Source.Package)
		}
		return n.Data, nil
	}
	return e.Source.Inline, nil
}
