package kernel

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/rolloutlab/rolloutlab/harness/kbuild"
	"github.com/rolloutlab/rolloutlab/kernels"
	"github.com/rolloutlab/rolloutlab/scenario"
)

// LocalKernel is a kernel the user built: a tree (its source, and the
// build output: the same directory, or an O= directory) or a bare bzImage.
type LocalKernel struct {
	Path string // as given, made absolute
	Src  string // source tree ("" for a bare bzImage): Kconfig, IPVS sources
	Obj  string // build output: arch/x86/boot/bzImage, .config, modules
	// BzImage and Config ("" for a bare bzImage: the booted guest is
	// the judge) are the files booted and checked.
	BzImage string
	Config  string
	// Key covers the bzImage, the config and the module list, so a
	// rebuilt tree prepares anew.
	Key string
}

// Tree reports whether this is a built tree rather than a bare bzImage.
func (lk *LocalKernel) Tree() bool { return lk.Obj != "" }

// IsLocalKernel reports whether a KERNEL value names a path rather than a
// catalog kernel: catalog names never hold a '/'.
func IsLocalKernel(s string) bool {
	return strings.Contains(s, "/") || s == "." || s == ".."
}

// ConfigError lists the options a local kernel's config lacks, with the
// fragment that adds them.
type ConfigError struct {
	Config  string
	Missing []MissingOption
}

// MissingOption is one option the scenarios need that the config lacks.
type MissingOption struct {
	Name     string // CONFIG_IP_VS
	Want     string // "y"
	Got      string // "n", "" when absent
	Fragment string // kernels/config file that asks for it
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s lacks %d option(s) the scenarios need:\n", e.Config, len(e.Missing))
	for _, m := range e.Missing {
		got := m.Got
		if got == "" {
			got = "not set"
		}
		fmt.Fprintf(&b, "  %s=%s (is %s; from %s)\n", m.Name, m.Want, got, m.Fragment)
	}
	b.WriteString("merge them with: rolloutlab kconfig-fragment > rolloutlab.config && scripts/kconfig/merge_config.sh -m .config rolloutlab.config && make olddefconfig, then rebuild")
	return b.String()
}

// LocalEntry makes an entry for a kernel the user built. A tree must hold
// a built arch/x86/boot/bzImage and its .config, which is checked against
// the catalog's local fragments here, before anything boots; its IPVS fixes
// are read from the source. A bare bzImage has no config and unknown fixes.
func (c *Catalog) LocalEntry(p string) (*Entry, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return nil, err
	}
	st, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("KERNEL=%s: %w (a path must name a built kernel tree or a bzImage file)", p, err)
	}
	lk := &LocalKernel{Path: abs, BzImage: abs}
	e := &Entry{Source: SourceLocal, Local: lk, Modules: slices.Clone(c.Modules), EngineModules: slices.Clone(c.EngineModules)}
	if st.IsDir() {
		if err := lk.findTree(p); err != nil {
			return nil, err
		}
		if err := c.CheckLocalConfig(lk.Config, lk.Src); err != nil {
			return nil, err
		}
		// The fixes are read from the source as it is now; a bzImage
		// built before the IPVS files last changed (a checkout since the
		// last make) would be credited with fixes it does not carry.
		if err := ipvsNotNewer(lk.Src, lk.BzImage); err != nil {
			return nil, fmt.Errorf("KERNEL=%s: %w", p, err)
		}
		fx, err := kbuild.DetectFixes(lk.Src)
		if err != nil {
			return nil, fmt.Errorf("KERNEL=%s: %w", p, err)
		}
		e.Fixes = scenario.FixSet{scenario.FixA: fx.A, scenario.FixB: fx.B, scenario.FixC: fx.C}
		e.FixesSource = "detected in the source tree " + lk.Src
	} else {
		e.FixesSource = "unknown: a bare bzImage, no source to read"
	}
	img, err := os.ReadFile(lk.BzImage)
	if err != nil {
		return nil, fmt.Errorf("KERNEL=%s: %w", p, err)
	}
	ver, err := BzImageVersion(img)
	if err != nil {
		return nil, fmt.Errorf("KERNEL=%s: %s: %w", p, lk.BzImage, err)
	}
	e.UnameR, _, _ = strings.Cut(ver, " ")
	e.Release = releaseOf(e.UnameR)
	if lk.Tree() {
		// The tree's own word for the release, when it has one, is what
		// modules are installed under.
		if b, err := os.ReadFile(filepath.Join(lk.Obj, "include", "config", "kernel.release")); err == nil && strings.TrimSpace(string(b)) != e.UnameR {
			return nil, fmt.Errorf("KERNEL=%s: bzImage says %q, include/config/kernel.release says %q: the bzImage is stale, run make again", p, e.UnameR, strings.TrimSpace(string(b)))
		}
	}
	h := sha256.New()
	h.Write(img)
	for _, f := range []string{lk.Config, filepath.Join(lk.Obj, "modules.order")} {
		if !lk.Tree() {
			continue
		}
		b, _ := os.ReadFile(f) // modules.order is absent without CONFIG_MODULES
		fmt.Fprintf(h, "\n%s %d\n", filepath.Base(f), len(b))
		h.Write(b)
	}
	lk.Key = hex.EncodeToString(h.Sum(nil))
	e.Name = "local-" + sanitizeName(filepath.Base(abs)) + "-" + lk.Key[:8]
	e.Description = "built by the user: " + abs
	return e, nil
}

// findTree sets Src and Obj from a directory that is a built source tree
// or an O= build directory (whose "source" link kbuild made names the tree).
func (lk *LocalKernel) findTree(p string) error {
	lk.Src, lk.Obj = lk.Path, lk.Path
	if link, err := filepath.EvalSymlinks(filepath.Join(lk.Path, "source")); err == nil {
		lk.Src = link
	}
	lk.BzImage = filepath.Join(lk.Obj, "arch", "x86", "boot", "bzImage")
	lk.Config = filepath.Join(lk.Obj, ".config")
	for _, f := range []string{"Makefile", "Kconfig"} {
		if _, err := os.Stat(filepath.Join(lk.Src, f)); err != nil {
			return fmt.Errorf("KERNEL=%s: not a kernel source tree or O= build directory (no %s)", p, f)
		}
	}
	if _, err := os.Stat(lk.BzImage); err != nil {
		return fmt.Errorf("KERNEL=%s: no arch/x86/boot/bzImage: build it first (make bzImage, plus make modules with CONFIG_MODULES=y)", p)
	}
	return nil
}

// releaseOf keeps the numeric head of a uname -r: "5.10.223-dirty" -> "5.10.223".
func releaseOf(unameR string) string {
	end := 0
	for end < len(unameR) && (unameR[end] == '.' || unameR[end] >= '0' && unameR[end] <= '9') {
		end++
	}
	return strings.TrimRight(unameR[:end], ".")
}

func sanitizeName(s string) string {
	out := []rune{}
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-' {
			out = append(out, r)
		} else {
			out = append(out, '_')
		}
	}
	return string(out)
}

// BzImageVersion reads the kernel version string of an x86 bzImage from
// its setup header (boot protocol 2.00+: "HdrS" at 0x202, the string's
// offset minus 0x200 at 0x20e), e.g. "5.10.223 (user@host) #1 SMP ...".
func BzImageVersion(img []byte) (string, error) {
	if len(img) < 0x210 || string(img[0x202:0x206]) != "HdrS" {
		return "", errors.New("not an x86 bzImage (no HdrS setup header)")
	}
	off := int(binary.LittleEndian.Uint16(img[0x20e:])) + 0x200
	if off <= 0x200 || off >= len(img) {
		return "", errors.New("bzImage has no kernel version string")
	}
	end := bytes.IndexByte(img[off:], 0)
	if end <= 0 {
		return "", errors.New("bzImage kernel version string is empty or unterminated")
	}
	return string(img[off : off+end]), nil
}

// LocalFragment is the catalog's local fragments, concatenated: what a
// user merges into their config (scripts/kconfig/merge_config.sh).
func (c *Catalog) LocalFragment() (string, error) {
	var b strings.Builder
	b.WriteString("# What rolloutlab's scenarios need from a kernel (rolloutlab kconfig-fragment).\n")
	for _, f := range c.LocalConfigFragments {
		data, err := fs.ReadFile(kernels.FS, path.Join("config", f))
		if err != nil {
			return "", fmt.Errorf("config fragment: %w", err)
		}
		fmt.Fprintf(&b, "\n# --- %s\n", f)
		b.Write(data)
	}
	return b.String(), nil
}

// CheckLocalConfig checks a .config against the local fragments: every
// option they set to y must be y, or m when the kernel has modules (the
// harness packs them). Numeric and string values are preferences, not
// needs, and options this tree's Kconfig does not define (renamed or
// gone in its version) are skipped; tree may be "" to check everything.
func (c *Catalog) CheckLocalConfig(configPath, tree string) error {
	b, err := os.ReadFile(configPath)
	if err != nil {
		return fmt.Errorf("kernel config: %w (a tree needs its .config)", err)
	}
	have, err := kbuild.ParseConfig(configPath, string(b))
	if err != nil {
		return err
	}
	var defined map[string]bool
	if tree != "" {
		if defined, err = kconfigSymbols(tree); err != nil {
			return err
		}
	}
	modules, _ := have.Get("CONFIG_MODULES")
	var missing []MissingOption
	seen := map[string]bool{}
	for _, f := range c.LocalConfigFragments {
		data, err := fs.ReadFile(kernels.FS, path.Join("config", f))
		if err != nil {
			return fmt.Errorf("config fragment: %w", err)
		}
		want, err := kbuild.ParseConfig(f, string(data))
		if err != nil {
			return err
		}
		for _, o := range want.Options() {
			if o.Value != "y" || seen[o.Name] {
				continue
			}
			seen[o.Name] = true
			if defined != nil && !defined[strings.TrimPrefix(o.Name, "CONFIG_")] {
				continue
			}
			got, _ := have.Get(o.Name)
			if got == "y" || got == "m" && modules == "y" {
				continue
			}
			missing = append(missing, MissingOption{Name: o.Name, Want: "y", Got: got, Fragment: f})
		}
	}
	if len(missing) > 0 {
		return &ConfigError{Config: configPath, Missing: missing}
	}
	return nil
}

// kconfigSymbols lists the symbols the tree's Kconfig files define.
func kconfigSymbols(tree string) (map[string]bool, error) {
	syms := map[string]bool{}
	err := filepath.WalkDir(tree, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); n == ".git" || n == "Documentation" || n == "tools" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasPrefix(d.Name(), "Kconfig") {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		return scanKconfig(f, syms)
	})
	if err != nil {
		return nil, fmt.Errorf("read the tree's Kconfig files: %w", err)
	}
	return syms, nil
}

func scanKconfig(r io.Reader, syms map[string]bool) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 2 && (fields[0] == "config" || fields[0] == "menuconfig") {
			syms[fields[1]] = true
		}
	}
	return sc.Err()
}

// ipvsNotNewer fails when an IPVS source file is newer than the bzImage.
func ipvsNotNewer(src, bzImage string) error {
	img, err := os.Stat(bzImage)
	if err != nil {
		return err
	}
	files, err := kbuild.FixSources(src)
	if err != nil {
		return err
	}
	for _, f := range files {
		if st, err := os.Stat(f); err == nil && st.ModTime().After(img.ModTime()) {
			return fmt.Errorf("%s is newer than %s: the bzImage was built from other IPVS code, run make again", f, bzImage)
		}
	}
	return nil
}
