package k8s

import (
	"fmt"
	"sort"
	"strings"

	"github.com/rolloutlab/rolloutlab/scenario"
	"golang.org/x/mod/modfile"
)

// GoMod writes the go.mod of the throwaway build module for b. depMod is the
// go.mod of b.Module itself: its replace directives are ignored when it is a
// dependency, so they are copied here. Local ones (k8s.io/kubernetes points
// its staging modules at ./staging/src/...) become the published staging
// version v0.MINOR.PATCH; pinned ones are kept as they are. goLang is the
// go directive ("1.26").
func GoMod(b Binary, depMod []byte, goLang string) ([]byte, error) {
	f, err := modfile.Parse("go.mod", depMod, nil) // ParseLax would drop the replaces
	if err != nil {
		return nil, fmt.Errorf("parse go.mod of %s@%s: %w", b.Module, b.Version, err)
	}
	var out strings.Builder
	fmt.Fprintf(&out, "module rolloutlab.local/k8sbuild\n\ngo %s\n\nrequire %s %s\n", goLang, b.Module, b.Version)
	for _, o := range b.Overrides {
		fmt.Fprintf(&out, "require %s\n", o)
	}
	overridden := map[string]bool{}
	for _, o := range b.Overrides {
		p, _, _ := strings.Cut(o, " ")
		overridden[p] = true
	}
	var lines []string
	for _, r := range f.Replace {
		if r.Old.Version != "" || overridden[r.Old.Path] {
			continue // version-specific replaces do not apply to what we select
		}
		target := r.New.Path + " " + r.New.Version
		if r.New.Version == "" {
			if !strings.HasPrefix(r.New.Path, "./staging/") {
				// etcd points its sibling modules at ../api etc.; its
				// requirements already name the published release of each.
				continue
			}
			v, err := stagingVersion(b.Version)
			if err != nil {
				return nil, err
			}
			target = r.Old.Path + " " + v
		}
		lines = append(lines, fmt.Sprintf("replace %s => %s\n", r.Old.Path, target))
	}
	if b.Patch != nil {
		// The patched copy in the build dir stands in for the module.
		lines = append(lines, fmt.Sprintf("replace %s => ./%s\n", b.Module, PatchedSourceDir))
	}
	sort.Strings(lines)
	out.WriteString("\n")
	out.WriteString(strings.Join(lines, ""))
	return []byte(out.String()), nil
}

// stagingVersion maps v1.34.2 to v0.34.2, the tag staging modules get.
func stagingVersion(version string) (string, error) {
	if _, err := scenario.ParseKubernetesRelease(version); err != nil {
		return "", err
	}
	return "v0." + strings.SplitN(strings.TrimPrefix(version, "v"), ".", 2)[1], nil
}
