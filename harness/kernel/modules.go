package kernel

import (
	"bufio"
	"bytes"
	"debug/elf"
	"fmt"
	"path"
	"slices"
	"strings"
)

// The guest agent loads modules with finit_module, following modules.dep.
// Debian's packages ship no modules.dep (their postinst runs depmod), so it
// is either rewritten from the tree's own (kernels installed with
// `make modules_install`) or generated from each module's modinfo
// "depends=", which modpost derives from the same symbol references depmod
// reads. The functions here are pure so they can be tested on text.

// moduleSuffixes are the file endings a module may have, longest first.
var moduleSuffixes = []string{".ko.xz", ".ko.zst", ".ko.gz", ".ko"}

// ModuleName is the kernel's name for a module file: the base name without
// suffix, '-' read as '_' (as the kernel and kmod do).
func ModuleName(file string) string {
	base := path.Base(file)
	for _, s := range moduleSuffixes {
		if strings.HasSuffix(base, s) {
			base = strings.TrimSuffix(base, s)
			break
		}
	}
	return strings.ReplaceAll(base, "-", "_")
}

// isModuleFile reports whether a file name ends like a kernel module.
func isModuleFile(name string) bool {
	for _, s := range moduleSuffixes {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}

// PlainModulePath rewrites a module path's compressed suffix to ".ko":
// the archive holds modules decompressed.
func PlainModulePath(p string) string {
	for _, s := range moduleSuffixes[:3] {
		if strings.HasSuffix(p, s) {
			return strings.TrimSuffix(p, s) + ".ko"
		}
	}
	return p
}

// ParseModulesDep reads modules.dep text into module name -> (path,
// dependency names as listed). Lines are "path: dep dep ...".
func ParseModulesDep(text string) (paths map[string]string, deps map[string][]string, err error) {
	paths, deps = map[string]string{}, map[string][]string{}
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		mod, rest, ok := strings.Cut(line, ":")
		if !ok {
			return nil, nil, fmt.Errorf("modules.dep line %d: no ':' in %q", n, line)
		}
		name := ModuleName(mod)
		paths[name] = mod
		var ds []string
		for _, d := range strings.Fields(rest) {
			ds = append(ds, ModuleName(d))
		}
		deps[name] = ds
	}
	return paths, deps, sc.Err()
}

// RewriteModulesDep rewrites every module path in modules.dep text to its
// plain ".ko" form and keeps only lines for modules in keep (nil: all).
func RewriteModulesDep(text string, keep map[string]bool) string {
	var b strings.Builder
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		mod, rest, ok := strings.Cut(line, ":")
		if !ok || (keep != nil && !keep[ModuleName(mod)]) {
			continue
		}
		b.WriteString(PlainModulePath(mod))
		b.WriteString(":")
		for _, d := range strings.Fields(rest) {
			b.WriteString(" ")
			b.WriteString(PlainModulePath(d))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// ModinfoDepends returns the "depends=" list of a module's .modinfo
// section (a plain, decompressed ELF).
func ModinfoDepends(ko []byte) ([]string, error) {
	f, err := elf.NewFile(bytes.NewReader(ko))
	if err != nil {
		return nil, fmt.Errorf("not an ELF module: %w", err)
	}
	sec := f.Section(".modinfo")
	if sec == nil {
		return nil, fmt.Errorf("no .modinfo section")
	}
	data, err := sec.Data()
	if err != nil {
		return nil, fmt.Errorf("read .modinfo: %w", err)
	}
	for _, kv := range bytes.Split(data, []byte{0}) {
		if v, ok := bytes.CutPrefix(kv, []byte("depends=")); ok {
			var out []string
			for _, d := range strings.Split(string(v), ",") {
				if d = strings.TrimSpace(d); d != "" {
					out = append(out, ModuleName(d))
				}
			}
			return out, nil
		}
	}
	return nil, nil
}

// ParseModulesBuiltin reads modules.builtin (one path per line) into a set
// of module names.
func ParseModulesBuiltin(text string) map[string]bool {
	out := map[string]bool{}
	for _, line := range strings.Fields(text) {
		out[ModuleName(line)] = true
	}
	return out
}

// ModuleTree is what Select needs to know about a kernel's modules.
type ModuleTree struct {
	Paths   map[string]string // loadable module name -> path under lib/modules/<uname -r>
	Builtin map[string]bool   // names from modules.builtin
	// Deps returns a loadable module's dependencies (direct or transitive).
	Deps func(name string) ([]string, error)
}

// Selection is the outcome of Select.
type Selection struct {
	Requested []string `json:"requested"`
	// Order is every present module, dependencies before dependents: the
	// order to load them in. Builtin ones are included (a loader skips them).
	Order    []string `json:"load_order"`
	Loadable []string `json:"loadable"` // Order entries that are files
	Builtin  []string `json:"builtin"`  // Order entries built into vmlinuz
	Missing  []string `json:"missing"`  // requested, but neither file nor builtin
	Added    []string `json:"added"`    // not requested, pulled in as dependencies
	// DepsOf holds each loadable module's transitive dependencies in load
	// order, for writing modules.dep.
	DepsOf map[string][]string `json:"-"`
}

// Select computes the closure of want under the tree's dependencies.
// Requested names the kernel lacks are recorded, not errors (kernels differ:
// some fold nft_masq into nf_nat, some build things in); a dependency that
// is missing is an error, as the module could not load.
func Select(want []string, t ModuleTree) (*Selection, error) {
	s := &Selection{Requested: slices.Clone(want), DepsOf: map[string][]string{}}
	requested := map[string]bool{}
	for _, w := range want {
		requested[strings.ReplaceAll(w, "-", "_")] = true
	}
	done := map[string]bool{}
	visiting := map[string]bool{}
	var visit func(name string, chain []string) error
	visit = func(name string, chain []string) error {
		if done[name] {
			return nil
		}
		if visiting[name] {
			return fmt.Errorf("module dependency cycle: %s", strings.Join(append(chain, name), " -> "))
		}
		if _, ok := t.Paths[name]; !ok {
			if t.Builtin[name] {
				done[name] = true
				s.Order = append(s.Order, name)
				s.Builtin = append(s.Builtin, name)
				return nil
			}
			return fmt.Errorf("module %s (needed by %s) is neither a module file nor built in", name, strings.Join(chain, " -> "))
		}
		visiting[name] = true
		deps, err := t.Deps(name)
		if err != nil {
			return fmt.Errorf("dependencies of %s: %w", name, err)
		}
		for _, d := range deps {
			if err := visit(d, append(slices.Clip(chain), name)); err != nil {
				return err
			}
		}
		visiting[name] = false
		done[name] = true
		// Transitive deps, in load order: everything before us in Order that
		// we reach.
		s.DepsOf[name] = transitive(name, deps, s.DepsOf, s.Order)
		s.Order = append(s.Order, name)
		s.Loadable = append(s.Loadable, name)
		if !requested[name] {
			s.Added = append(s.Added, name)
		}
		return nil
	}
	for _, w := range want {
		name := strings.ReplaceAll(w, "-", "_")
		if _, file := t.Paths[name]; !file && !t.Builtin[name] {
			s.Missing = append(s.Missing, w)
			continue
		}
		if err := visit(name, nil); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func transitive(name string, direct []string, depsOf map[string][]string, order []string) []string {
	reach := map[string]bool{}
	for _, d := range direct {
		reach[d] = true
		for _, dd := range depsOf[d] {
			reach[dd] = true
		}
	}
	var out []string
	for _, o := range order {
		if reach[o] && o != name {
			out = append(out, o)
		}
	}
	return out
}

// FormatModulesDep writes modules.dep for the selection's loadable modules
// with plain ".ko" paths. As depmod does, each line lists the transitive
// dependencies with the one to load first last (modprobe walks it backwards).
func FormatModulesDep(s *Selection, paths map[string]string) string {
	var b strings.Builder
	for _, m := range s.Loadable {
		b.WriteString(PlainModulePath(paths[m]))
		b.WriteString(":")
		deps := s.DepsOf[m]
		for i := len(deps) - 1; i >= 0; i-- {
			if p, ok := paths[deps[i]]; ok { // builtin deps have no line
				b.WriteString(" ")
				b.WriteString(PlainModulePath(p))
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}
