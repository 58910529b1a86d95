package kernel

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/rolloutlab/rolloutlab/harness/kbuild"
)

// localFiles copies a user-built kernel into unpack (the user's files are
// never moved) and indexes its modules: the tree's built .ko files from
// modules.order when CONFIG_MODULES=y, else what modules.builtin lists. A
// bare bzImage tells nothing: its modules are taken as built in and the
// guest finds out.
func localFiles(e *Entry, unpack string, logf func(string, ...any)) (vmlinuz, config string, tree *diskTree, depFrom string, err error) {
	lk := e.Local
	if err := os.MkdirAll(unpack, 0o755); err != nil {
		return "", "", nil, "", err
	}
	vmlinuz = filepath.Join(unpack, "vmlinuz")
	if err := copyFile(lk.BzImage, vmlinuz); err != nil {
		return "", "", nil, "", err
	}
	config = filepath.Join(unpack, "config")
	if lk.Config == "" {
		if err := os.WriteFile(config, []byte("# unknown: a bare bzImage carries no config\n"), 0o644); err != nil {
			return "", "", nil, "", err
		}
		var names []string
		for _, m := range append(append([]string{}, e.Modules...), e.EngineModules...) {
			names = append(names, "kernel/"+m+".ko")
		}
		t := emptyTree(strings.Join(names, "\n") + "\n")
		logf("bare bzImage: modules assumed built in")
		return vmlinuz, config, t, "none (bare bzImage: assumed built in)", nil
	}
	if err := copyFile(lk.Config, config); err != nil {
		return "", "", nil, "", err
	}
	cfgText, err := os.ReadFile(lk.Config)
	if err != nil {
		return "", "", nil, "", err
	}
	cfg, err := kbuild.ParseConfig(lk.Config, string(cfgText))
	if err != nil {
		return "", "", nil, "", err
	}
	builtin, _ := os.ReadFile(filepath.Join(lk.Obj, "modules.builtin")) // absent without CONFIG_MODULES
	if v, _ := cfg.Get("CONFIG_MODULES"); v != "y" {
		return vmlinuz, config, emptyTree(string(builtin)), "none (built in)", nil
	}
	order, err := os.ReadFile(filepath.Join(lk.Obj, "modules.order"))
	if err != nil {
		return "", "", nil, "", fmt.Errorf("CONFIG_MODULES=y but %w: run make modules", err)
	}
	modRoot := filepath.Join(unpack, "modules")
	n := 0
	for _, line := range strings.Fields(string(order)) {
		rel := strings.TrimPrefix(line, "kernel/")
		src := filepath.Join(lk.Obj, filepath.FromSlash(rel))
		if strings.HasSuffix(src, ".o") { // 5.x lists some objects as .o
			src = strings.TrimSuffix(src, ".o") + ".ko"
			rel = strings.TrimSuffix(rel, ".o") + ".ko"
		}
		dst := filepath.Join(modRoot, "kernel", filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return "", "", nil, "", err
		}
		if err := copyFile(src, dst); err != nil {
			return "", "", nil, "", fmt.Errorf("module listed in modules.order: %w (run make modules)", err)
		}
		n++
	}
	if err := os.WriteFile(filepath.Join(modRoot, "modules.builtin"), builtin, 0o644); err != nil {
		return "", "", nil, "", err
	}
	logf("%d modules from the tree", n)
	tree, depFrom, _, err = loadTree(modRoot)
	return vmlinuz, config, tree, depFrom, err
}

// emptyTree has no loadable modules, only the built-in list.
func emptyTree(builtinText string) *diskTree {
	t := &diskTree{builtinText: builtinText, plainCache: map[string][]byte{}}
	t.Paths = map[string]string{}
	t.Builtin = ParseModulesBuiltin(builtinText)
	t.Deps = func(string) ([]string, error) { return nil, nil }
	return t
}
