package kbuild

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Spec describes one kernel build.
type Spec struct {
	SourceTarball string // local path to the kernel source tarball (.tar.xz/.tar.gz/...)
	SourceSHA256  string // expected sha256 of SourceTarball, hex
	// ConfigFragments are applied in order on top of `make tinyconfig`. An
	// entry containing a newline or starting with "CONFIG_" or "# CONFIG_" is
	// fragment text; anything else is a file path.
	ConfigFragments []string
	Patches         []string // patch file paths (-p1), applied in order
}

// Output is a finished build; every path is inside Dir.
type Output struct {
	Dir            string
	BzImage        string
	Config         string // final .config
	SystemMap      string
	ModulesBuiltin string // "" unless CONFIG_MODULES=y
	Log            string // full make/patch output
	MetadataFile   string // Metadata as JSON
	Metadata       Metadata
}

// Metadata records what was built and how long it took.
type Metadata struct {
	CacheKey      string    `json:"cache_key"`
	SourceTarball string    `json:"source_tarball"`
	SourceSHA256  string    `json:"source_sha256"`
	Fragments     []string  `json:"fragments"` // file names, or "inline#N"
	Patches       []string  `json:"patches"`   // file names, in order
	Compiler      string    `json:"compiler"`  // first line of gcc --version
	CCache        bool      `json:"ccache"`
	Jobs          int       `json:"jobs"`
	KernelRelease string    `json:"kernel_release"`
	Fixes         Fixes     `json:"fixes"` // detected in the patched tree
	Durations     Durations `json:"durations"`
}

// Durations of the build phases, in seconds.
type Durations struct {
	Unpack  float64 `json:"unpack_s"`
	Patch   float64 `json:"patch_s"`
	Config  float64 `json:"config_s"`
	Compile float64 `json:"compile_s"`
	Total   float64 `json:"total_s"`
}

// fragment is a loaded config fragment.
type fragment struct {
	name string
	text []byte
}

func isInlineFragment(s string) bool {
	return strings.Contains(s, "\n") || strings.HasPrefix(s, "CONFIG_") || strings.HasPrefix(s, "# CONFIG_")
}

func loadFragments(entries []string) ([]fragment, error) {
	out := make([]fragment, 0, len(entries))
	for i, e := range entries {
		if isInlineFragment(e) {
			out = append(out, fragment{name: fmt.Sprintf("inline#%d", i), text: []byte(e)})
			continue
		}
		b, err := os.ReadFile(e)
		if err != nil {
			return nil, fmt.Errorf("config fragment: %w", err)
		}
		out = append(out, fragment{name: filepath.Base(e), text: b})
	}
	return out, nil
}

// requestedConfig parses and merges the fragments in order.
func requestedConfig(frags []fragment) (*Config, error) {
	cfgs := make([]*Config, 0, len(frags))
	for _, f := range frags {
		c, err := ParseConfig(f.name, string(f.text))
		if err != nil {
			return nil, fmt.Errorf("config fragment: %w", err)
		}
		cfgs = append(cfgs, c)
	}
	return MergeConfigs(nil, cfgs...), nil
}

func loadPatches(paths []string) ([][]byte, error) {
	out := make([][]byte, 0, len(paths))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("patch: %w", err)
		}
		out = append(out, b)
	}
	return out, nil
}
