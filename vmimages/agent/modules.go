package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// moduleIndex maps module names to their file and dependencies, read from
// modules.dep (paths relative to /lib/modules/<release>).
type moduleIndex struct {
	root    string
	path    map[string]string
	deps    map[string][]string
	builtin map[string]bool
	listed  []string // modules.dep's modules, in its order
}

// modName normalises "kernel/net/ip_vs-x.ko" or "ip-vs" to "ip_vs" form,
// as the kernel treats '-' and '_' alike in module names.
func modName(p string) string {
	b := filepath.Base(p)
	b = strings.TrimSuffix(b, ".ko")
	return strings.ReplaceAll(b, "-", "_")
}

func readModuleIndex(release string) (*moduleIndex, error) {
	return readModuleIndexAt("/lib/modules", release)
}

func readModuleIndexAt(base, release string) (*moduleIndex, error) {
	root := filepath.Join(base, release)
	idx := &moduleIndex{root: root, path: map[string]string{}, deps: map[string][]string{}, builtin: map[string]bool{}}
	if f, err := os.Open(filepath.Join(root, "modules.builtin")); err == nil {
		s := bufio.NewScanner(f)
		for s.Scan() {
			idx.builtin[modName(strings.TrimSpace(s.Text()))] = true
		}
		f.Close()
	}
	f, err := os.Open(filepath.Join(root, "modules.dep"))
	if err != nil {
		return idx, fmt.Errorf("no module index for kernel %s: %w", release, err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 64*1024), 1024*1024)
	for s.Scan() {
		mod, deps, ok := strings.Cut(s.Text(), ":")
		if !ok {
			continue
		}
		n := modName(mod)
		idx.path[n] = mod
		idx.listed = append(idx.listed, n)
		for _, d := range strings.Fields(deps) {
			idx.deps[n] = append(idx.deps[n], modName(d))
		}
	}
	return idx, s.Err()
}

// all is every module in the index, dependencies first (see loadOrder),
// in modules.dep's order otherwise.
func (idx *moduleIndex) all() []string {
	order, _, _ := idx.loadOrder(idx.listed)
	return order
}

// loadOrder returns the modules to insert for names, dependencies first,
// each once. Built-in and unknown names are reported separately.
func (idx *moduleIndex) loadOrder(names []string) (order, builtin, missing []string) {
	seen := map[string]bool{}
	var visit func(n string)
	visit = func(n string) {
		if seen[n] {
			return
		}
		seen[n] = true
		if _, ok := idx.path[n]; !ok {
			if idx.builtin[n] {
				builtin = append(builtin, n)
			} else {
				missing = append(missing, n)
			}
			return
		}
		// modules.dep lists a module's full dependency closure; loading the
		// list back to front puts every dependency before its users.
		deps := idx.deps[n]
		for i := len(deps) - 1; i >= 0; i-- {
			visit(deps[i])
		}
		order = append(order, n)
	}
	for _, n := range names {
		visit(modName(n))
	}
	return order, builtin, missing
}

// insertAll loads order (as loadOrder returns it) with up to workers
// finit_module calls at once: a module starts once every dependency of it
// in order is in. Under TCG module loading is most of the agent's part of
// the boot (see moduleLoaders for how many at once). It returns the modules loaded, in
// order, and the first error; a module whose dependency failed is skipped.
func (idx *moduleIndex) insertAll(order []string, workers int, insert func(string) error) ([]string, error) {
	type state struct {
		done chan struct{}
		err  error
	}
	st := make(map[string]*state, len(order))
	for _, n := range order {
		st[n] = &state{done: make(chan struct{})}
	}
	sem := make(chan struct{}, max(workers, 1))
	for _, n := range order {
		go func() {
			s := st[n]
			defer close(s.done)
			for _, d := range idx.deps[n] {
				if ds, ok := st[d]; ok {
					<-ds.done
					if ds.err != nil {
						s.err = fmt.Errorf("module %s: dependency %s failed", n, d)
						return
					}
				}
			}
			sem <- struct{}{}
			s.err = insert(n)
			<-sem
		}()
	}
	var loaded []string
	var first error
	for _, n := range order {
		<-st[n].done
		if err := st[n].err; err != nil {
			if first == nil {
				first = err
			}
			continue
		}
		loaded = append(loaded, n)
	}
	return loaded, first
}

func (idx *moduleIndex) insert(name string) error {
	f, err := os.Open(filepath.Join(idx.root, idx.path[name]))
	if err != nil {
		return fmt.Errorf("open module %s: %w", name, err)
	}
	defer f.Close()
	if err := unix.FinitModule(int(f.Fd()), "", 0); err != nil && err != unix.EEXIST {
		return fmt.Errorf("load module %s: %w", name, err)
	}
	return nil
}
