package image

import (
	"bytes"
	"debug/elf"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/rolloutlab/rolloutlab/harness/debtree"
)

// libDirs is where the guest's dynamic loader looks when there is no
// ld.so.cache (the image has none): Debian's multiarch system directories.
var libDirs = []string{"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu"}

// elfDeps is what the loader needs to start one ELF file.
type elfDeps struct {
	interp  string   // PT_INTERP, "" for static binaries
	needed  []string // DT_NEEDED sonames
	runpath []string // DT_RUNPATH / DT_RPATH directories, $ORIGIN expanded
}

func isELF(data []byte) bool { return bytes.HasPrefix(data, []byte(elf.ELFMAG)) }

// readELFDeps parses the dynamic section of the ELF stored at p.
func readELFDeps(p string, data []byte) (elfDeps, error) {
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return elfDeps{}, fmt.Errorf("parse ELF /%s: %w", p, err)
	}
	defer f.Close()
	var d elfDeps
	for _, prog := range f.Progs {
		if prog.Type != elf.PT_INTERP {
			continue
		}
		b := make([]byte, prog.Filesz)
		if _, err := prog.ReadAt(b, 0); err != nil {
			return elfDeps{}, fmt.Errorf("read interpreter of /%s: %w", p, err)
		}
		d.interp = string(bytes.TrimRight(b, "\x00"))
	}
	if f.Section(".dynamic") == nil {
		return d, nil // static
	}
	if d.needed, err = f.ImportedLibraries(); err != nil {
		return elfDeps{}, fmt.Errorf("read NEEDED of /%s: %w", p, err)
	}
	for _, tag := range []elf.DynTag{elf.DT_RUNPATH, elf.DT_RPATH} {
		vals, _ := f.DynString(tag)
		for _, v := range vals {
			for _, dir := range strings.Split(v, ":") {
				dir = strings.ReplaceAll(dir, "$ORIGIN", path.Dir("/"+p))
				dir = strings.ReplaceAll(dir, "${ORIGIN}", path.Dir("/"+p))
				if dir != "" {
					d.runpath = append(d.runpath, dir)
				}
			}
		}
	}
	return d, nil
}

// selection is the set of tree paths going into the image. pick adds a path
// with the symlinks leading to it; closeELF then adds, transitively, the
// loader and every NEEDED library of every ELF picked.
type selection struct {
	t      debtree.Tree
	picked map[string]bool
	queue  []string // ELF files whose dependencies are not resolved yet
}

func newSelection(t debtree.Tree) *selection { return &selection{t: t, picked: map[string]bool{}} }

func (s *selection) pick(p string) error {
	real, n, links, err := s.t.Resolve(p)
	if err != nil {
		return fmt.Errorf("pick %s: %w", p, err)
	}
	if n == nil {
		return fmt.Errorf("pick %s: %w", p, fs.ErrNotExist)
	}
	for _, l := range links {
		s.picked[l] = true
	}
	if s.picked[real] {
		return nil
	}
	s.picked[real] = true
	if n.Mode.IsRegular() && isELF(n.Data) {
		s.queue = append(s.queue, real)
	}
	return nil
}

// closeELF resolves dependencies like the guest's ld.so would, and fails
// naming the binary and the soname that would not load.
func (s *selection) closeELF() error {
	for len(s.queue) > 0 {
		p := s.queue[0]
		s.queue = s.queue[1:]
		d, err := readELFDeps(p, s.t[p].Data)
		if err != nil {
			return err
		}
		if d.interp != "" {
			if err := s.pick(d.interp); err != nil {
				return fmt.Errorf("/%s: interpreter: %w", p, err)
			}
		}
		for _, so := range d.needed {
			if err := s.pickLib(p, so, d.runpath); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *selection) pickLib(from, soname string, runpath []string) error {
	if strings.Contains(soname, "/") {
		return s.pick(soname)
	}
	dirs := append(append([]string(nil), runpath...), libDirs...)
	for _, dir := range dirs {
		cand := path.Join(dir, soname)
		if _, n, _, err := s.t.Resolve(cand); err == nil && n != nil {
			return s.pick(cand)
		}
	}
	return fmt.Errorf("/%s needs %s, found in none of %s (add its package to the lock)", from, soname, strings.Join(dirs, ", "))
}
