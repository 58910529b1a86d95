// Package kernel resolves a user's kernel choice against the catalog
// (kernels/catalog.json) and prepares what a boot needs: vmlinuz, the
// kernel's config and an initramfs archive holding only the modules the
// harness loads, decompressed, with a matching modules.dep.
//
// Downloads come from http://deb.debian.org/debian unless
// ROLLOUTLAB_DEBIAN_MIRROR names other base URLs (comma-separated); see
// mirror.go for the Ubuntu mainline and kernel.org equivalents.
package kernel

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/rolloutlab/rolloutlab/kernels"
	"github.com/rolloutlab/rolloutlab/scenario"
)

// Source kinds of a catalog entry.
const (
	SourceDebian         = "debian"          // binary .debs from a Debian mirror
	SourceUbuntuMainline = "ubuntu-mainline" // binary .debs from kernel.ubuntu.com/mainline
	SourceKernelOrg      = "kernel.org"      // a source tarball, built with Build
	SourceBuild          = "build"           // a Debian source package + patches, built
	// SourceLocal is a kernel the user built (KERNEL=<path>); never in
	// the catalog file.
	SourceLocal = "local"
)

var sourceKinds = []string{SourceDebian, SourceUbuntuMainline, SourceKernelOrg, SourceBuild}

// Catalog is the parsed kernels/catalog.json.
type Catalog struct {
	Format  int    `json:"format"`
	Default string `json:"default"`
	// FixesKnown are the fix ids an entry may mention (domain.md: A, B, C).
	FixesKnown []scenario.Fix `json:"fixes_known"`
	// Modules are the modules a guest needs; Prepare packs their closure.
	Modules []string `json:"modules"`
	// EngineModules are what a guest with a disk root and a container
	// engine needs beyond Modules (virtio, overlay, docker's netfilter).
	// Prepare packs modules + engine modules as a second archive, used only
	// by boots that ask for a disk root, so the dataplane initramfs is unchanged.
	EngineModules []string `json:"engine_modules"`
	// LocalConfigFragments (in kernels/config) are what the config of a
	// kernel the user built must carry: the control kernels' fragments
	// minus the kind tier's container set.
	LocalConfigFragments []string `json:"local_config_fragments"`
	Kernels              []*Entry `json:"kernels"`
}

// Entry is one kernel the harness can boot.
type Entry struct {
	Name        string `json:"name"`        // what users type: "6.1", "5.10-revert-AC"
	Description string `json:"description"` // "Debian bookworm cloud"
	Release     string `json:"release"`     // upstream version: "6.1.176"
	UnameR      string `json:"uname_r"`     // `uname -r` in the guest: "6.1.0-50-cloud-amd64"
	Source      string `json:"source"`      // one of the Source* kinds
	Suite       string `json:"suite,omitempty"`
	// Packages are the binary packages to unpack (debian, ubuntu-mainline),
	// or the source tarball (kernel.org), paths relative to the mirror.
	Packages []Package  `json:"packages,omitempty"`
	Build    *BuildSpec `json:"build,omitempty"`
	// Fixes says which IPVS fixes (domain.md) the kernel carries, and
	// FixesSource where that claim comes from.
	Fixes       scenario.FixSet `json:"fixes"`
	FixesSource string          `json:"fixes_source"`
	// Modules to pack; Parse fills in the catalog's list when empty.
	Modules []string `json:"modules,omitempty"`
	// EngineModules: as Modules, for the engine archive.
	EngineModules []string `json:"engine_modules,omitempty"`
	// UserPatches are the user's patches (PATCHES=), never in the catalog
	// file; see WithPatches.
	UserPatches []UserPatch `json:"-"`
	// Local is set on a kernel the user built (KERNEL=<path>).
	Local *LocalKernel `json:"-"`

	// mainline is set on entries Resolve made for a version outside the
	// catalog; Prepare looks up their UnameR and Packages at the mirror.
	mainline *kernelVersion
}

// Package is one pinned download.
type Package struct {
	Package string `json:"package"`
	Version string `json:"version"`
	Path    string `json:"path"` // relative to the mirror base URL
	Size    int64  `json:"size"`
	SHA256  string `json:"sha256"`
}

// BuildSpec describes a kernel built from source (source "build"; also the
// build half of "kernel.org").
type BuildSpec struct {
	// Source is the source package (e.g. linux-source-5.10) to take the
	// tarball from; for kernel.org the tarball is in Entry.Packages.
	Source *Package `json:"source,omitempty"`
	// Patches are paths inside kernels/patches, applied in order.
	Patches []string `json:"patches,omitempty"`
	// ConfigFragments are paths inside kernels/config, merged in order.
	ConfigFragments []string `json:"config_fragments,omitempty"`
}

// Load parses and validates the embedded catalog, including that the
// patches and config fragments it names are embedded.
func Load() (*Catalog, error) {
	data, err := fs.ReadFile(kernels.FS, kernels.CatalogFile)
	if err != nil {
		return nil, fmt.Errorf("read embedded kernel catalog: %w", err)
	}
	c, err := Parse(data)
	if err != nil {
		return nil, err
	}
	if err := c.checkFiles(kernels.FS); err != nil {
		return nil, err
	}
	return c, nil
}

// Parse decodes and validates catalog JSON. Unknown fields are errors: a
// typo in a pin must not be silently ignored.
func Parse(data []byte) (*Catalog, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var c Catalog
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("kernel catalog: %w", err)
	}
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("kernel catalog: %w", err)
	}
	for _, e := range c.Kernels {
		if len(e.Modules) == 0 {
			e.Modules = slices.Clone(c.Modules)
		}
		if len(e.EngineModules) == 0 {
			e.EngineModules = slices.Clone(c.EngineModules)
		}
	}
	return &c, nil
}

var (
	nameRE    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]*$`)
	releaseRE = regexp.MustCompile(`^[0-9]+\.[0-9]+(\.[0-9]+)?$`)
	moduleRE  = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
)

func (c *Catalog) validate() error {
	var errs []error
	if c.Format != 1 {
		errs = append(errs, fmt.Errorf("format: %d is not supported (want 1)", c.Format))
	}
	if len(c.Kernels) == 0 {
		errs = append(errs, errors.New("kernels: empty"))
	}
	for i, m := range c.Modules {
		if !moduleRE.MatchString(m) {
			errs = append(errs, fmt.Errorf("modules[%d]: bad module name %q", i, m))
		}
	}
	for i, m := range c.EngineModules {
		if !moduleRE.MatchString(m) {
			errs = append(errs, fmt.Errorf("engine_modules[%d]: bad module name %q", i, m))
		}
	}
	seen := map[string]bool{}
	for i, e := range c.Kernels {
		if e == nil {
			errs = append(errs, fmt.Errorf("kernels[%d]: null", i))
			continue
		}
		label := fmt.Sprintf("kernels[%d] %q", i, e.Name)
		if seen[e.Name] {
			errs = append(errs, fmt.Errorf("%s: name: duplicate", label))
		}
		seen[e.Name] = true
		for _, err := range c.validateEntry(e) {
			errs = append(errs, fmt.Errorf("%s: %w", label, err))
		}
	}
	if c.Default == "" {
		errs = append(errs, errors.New("default: empty"))
	} else if !seen[c.Default] {
		errs = append(errs, fmt.Errorf("default: %q names no kernel", c.Default))
	}
	return errors.Join(errs...)
}

func (c *Catalog) validateEntry(e *Entry) []error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if !nameRE.MatchString(e.Name) {
		bad("name", "%q must be letters, digits, '.', '_', '+', '-'", e.Name)
	}
	if !releaseRE.MatchString(e.Release) {
		bad("release", "%q is not a version like 6.1.176", e.Release)
	}
	if e.UnameR == "" || strings.ContainsAny(e.UnameR, "/ ") {
		bad("uname_r", "%q is empty or has '/' or a space", e.UnameR)
	}
	if !slices.Contains(sourceKinds, e.Source) {
		bad("source", "unknown kind %q (valid: %s)", e.Source, strings.Join(sourceKinds, ", "))
	}
	switch e.Source {
	case SourceDebian, SourceUbuntuMainline, SourceKernelOrg:
		if len(e.Packages) == 0 {
			bad("packages", "empty (source %q downloads pinned files)", e.Source)
		}
	case SourceBuild:
		if e.Build == nil {
			bad("build", "missing (source %q needs a build spec)", e.Source)
		} else if e.Build.Source == nil {
			bad("build.source", "missing")
		}
	}
	for i, p := range e.Packages {
		for _, err := range validatePackage(p) {
			errs = append(errs, fmt.Errorf("packages[%d]: %w", i, err))
		}
	}
	if e.Build != nil {
		if e.Build.Source != nil {
			for _, err := range validatePackage(*e.Build.Source) {
				errs = append(errs, fmt.Errorf("build.source: %w", err))
			}
		}
		for i, p := range e.Build.Patches {
			if !fs.ValidPath(p) {
				bad(fmt.Sprintf("build.patches[%d]", i), "%q is not a relative path", p)
			}
		}
		for i, p := range e.Build.ConfigFragments {
			if !fs.ValidPath(p) {
				bad(fmt.Sprintf("build.config_fragments[%d]", i), "%q is not a relative path", p)
			}
		}
	}
	for i, m := range e.Modules {
		if !moduleRE.MatchString(m) {
			bad(fmt.Sprintf("modules[%d]", i), "bad module name %q", m)
		}
	}
	for i, m := range e.EngineModules {
		if !moduleRE.MatchString(m) {
			bad(fmt.Sprintf("engine_modules[%d]", i), "bad module name %q", m)
		}
	}
	for id := range e.Fixes {
		if !slices.Contains(c.FixesKnown, id) {
			bad("fixes", "unknown fix %q (known: %s)", id, scenario.JoinFixes(c.FixesKnown))
		}
	}
	if len(e.Fixes) > 0 && strings.TrimSpace(e.FixesSource) == "" {
		bad("fixes_source", "empty: say where the fixes claim comes from")
	}
	return errs
}

func validatePackage(p Package) []error {
	var errs []error
	if p.Package == "" {
		errs = append(errs, errors.New("package: empty"))
	}
	if p.Path == "" || strings.HasPrefix(p.Path, "/") || slices.Contains(strings.Split(p.Path, "/"), "..") {
		errs = append(errs, fmt.Errorf("path: %q must be relative to the mirror, without ..", p.Path))
	}
	if p.Size <= 0 {
		errs = append(errs, fmt.Errorf("size: %d must be positive", p.Size))
	}
	if b, err := hex.DecodeString(p.SHA256); err != nil || len(b) != 32 || strings.ToLower(p.SHA256) != p.SHA256 {
		errs = append(errs, fmt.Errorf("sha256: %q is not 64 lower-case hex digits", p.SHA256))
	}
	return errs
}

// checkFiles fails on build entries naming patches or fragments that are
// not embedded.
func (c *Catalog) checkFiles(files fs.FS) error {
	var errs []error
	if len(c.LocalConfigFragments) == 0 {
		errs = append(errs, errors.New("local_config_fragments: empty"))
	}
	for _, f := range c.LocalConfigFragments {
		if _, err := fs.Stat(files, path.Join("config", f)); err != nil {
			errs = append(errs, fmt.Errorf("local_config_fragments: %w", err))
		}
	}
	for _, e := range c.Kernels {
		if e.Build == nil {
			continue
		}
		for _, p := range e.Build.Patches {
			if _, err := fs.Stat(files, path.Join("patches", p)); err != nil {
				errs = append(errs, fmt.Errorf("kernel %q: build.patches: %w", e.Name, err))
			}
		}
		for _, p := range e.Build.ConfigFragments {
			if _, err := fs.Stat(files, path.Join("config", p)); err != nil {
				errs = append(errs, fmt.Errorf("kernel %q: build.config_fragments: %w", e.Name, err))
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("kernel catalog: %w", errors.Join(errs...))
	}
	return nil
}
