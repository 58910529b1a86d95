package kernel

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// UserPatch is a patch a user adds on top of a catalog kernel built from
// source (PATCHES=): applied after the catalog's own patches, hashed into
// the cache key, recorded in every result with its SHA-256.
type UserPatch struct {
	Name   string `json:"name"` // file name as given
	SHA256 string `json:"sha256"`
	Path   string `json:"-"`
	data   []byte
}

// PatchesError says which PATCHES entry was wrong and what is accepted.
type PatchesError struct {
	Entry string
	Why   string
}

func (e *PatchesError) Error() string {
	return fmt.Sprintf("PATCHES entry %q: %s (accepted: patch files, or directories of *.patch / *.diff files applied in name order, comma-separated)", e.Entry, e.Why)
}

// LoadUserPatches reads a PATCHES value: comma-separated files or
// directories; a directory stands for its *.patch and *.diff files in name
// order. "" is no patches.
func LoadUserPatches(spec string) ([]UserPatch, error) {
	var out []UserPatch
	for _, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		st, err := os.Stat(item)
		if err != nil {
			return nil, &PatchesError{Entry: item, Why: "not found"}
		}
		files := []string{item}
		if st.IsDir() {
			files = nil
			for _, glob := range []string{"*.patch", "*.diff"} {
				m, err := filepath.Glob(filepath.Join(item, glob))
				if err != nil {
					return nil, err
				}
				files = append(files, m...)
			}
			slices.Sort(files)
			if len(files) == 0 {
				return nil, &PatchesError{Entry: item, Why: "directory holds no *.patch or *.diff file"}
			}
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				return nil, fmt.Errorf("PATCHES: %w", err)
			}
			if !looksLikePatch(b) {
				return nil, &PatchesError{Entry: f, Why: "not a unified diff (no '--- ' / '+++ ' header)"}
			}
			sum := sha256.Sum256(b)
			out = append(out, UserPatch{Name: filepath.Base(f), SHA256: hex.EncodeToString(sum[:]), Path: f, data: b})
		}
	}
	return out, nil
}

func looksLikePatch(b []byte) bool {
	s := string(b)
	return (strings.HasPrefix(s, "--- ") || strings.Contains(s, "\n--- ")) && strings.Contains(s, "\n+++ ")
}

// userPatchesID is the patches' combined content hash, in order.
func userPatchesID(ps []UserPatch) string {
	h := sha256.New()
	for _, p := range ps {
		fmt.Fprintf(h, "%s\n", p.SHA256)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// WithPatches returns a copy of e that builds with ps after its own
// patches. Only kernels the harness compiles can take patches. The copy's
// name carries the patches' hash (results of different patches never mix)
// and its fixes are no longer claimed: the build detects them in the
// patched source.
func (e *Entry) WithPatches(ps []UserPatch) (*Entry, error) {
	if len(ps) == 0 {
		return e, nil
	}
	if e.Source == SourceLocal {
		return nil, fmt.Errorf("PATCHES: %s is a kernel you built: apply the patches to its tree and rebuild", e.Local.Path)
	}
	if e.Source != SourceBuild && e.Source != SourceKernelOrg {
		return nil, fmt.Errorf("PATCHES: kernel %q is a prebuilt %s package and cannot be patched; patches apply to kernels built here from source (the catalog's control kernels, e.g. 5.10-revert-C, or kernel.org versions)", e.Name, e.Source)
	}
	c := *e
	c.UserPatches = slices.Clone(ps)
	c.Name = e.Name + "+patch-" + userPatchesID(ps)[:8]
	c.Fixes = nil
	var names []string
	for _, p := range ps {
		names = append(names, p.Name)
	}
	c.FixesSource = fmt.Sprintf("detected in the patched source (%s plus %s)", e.Name, strings.Join(names, ", "))
	c.Description = e.Description + " + " + strings.Join(names, ", ")
	return &c, nil
}
