package kernel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/rolloutlab/rolloutlab/harness/cache"
)

// Kernels outside the catalog: a version like 5.9, 4.19.220 or 6.13-rc2
// resolves (offline) to an entry for Ubuntu's mainline build of it; Prepare
// then looks its packages up at the mirror and pins them by the mirror's
// CHECKSUMS.

// mainlineNamePrefix names synthesized entries, and lets a user ask for
// Ubuntu's build of a version whose series the catalog pins.
const mainlineNamePrefix = "mainline-"

// mainlineHint is what Resolve's error adds to the catalog's valid values.
const mainlineHint = "or a Linux version not in the catalog (e.g. 5.9, 4.19.220, 6.13-rc2, mainline-6.1.17) for Ubuntu's mainline build"

// mainlineFor returns the entry for Ubuntu's mainline build of s, or why s
// is not worth asking a mirror for ("" when s does not look like a
// version at all).
func (c *Catalog) mainlineFor(s string) (*Entry, string) {
	q, explicit := strings.CutPrefix(s, mainlineNamePrefix)
	if !explicit {
		q, explicit = strings.CutPrefix(s, "mainline:")
	}
	v, ok := parseVersion(q)
	if !ok {
		if explicit {
			return nil, fmt.Sprintf("%q is not a version like 5.9, 4.19.220 or 6.13-rc2", q)
		}
		return nil, ""
	}
	if why := v.plausible(c.maxCatalogMajor()); why != "" {
		return nil, why
	}
	if !explicit {
		// A different point release of a series the catalog pins is more
		// likely a typo of the pinned one than a wish for a 100 MB download
		// of another build; asking with the prefix says it is not.
		if e := c.stockInSeries(v); e != nil {
			return nil, fmt.Sprintf("%s is in the %s series the catalog pins as %s (%s); ask for %s%s to get Ubuntu's mainline build instead",
				v, v.Series(), e.Name, e.Release, mainlineNamePrefix, v)
		}
	}
	return c.mainlineEntry(v), ""
}

// stockInSeries is a stock (not source-built) catalog kernel of v's series.
func (c *Catalog) stockInSeries(v kernelVersion) *Entry {
	for _, e := range c.Kernels {
		if e.Source != SourceBuild && versionPrefix(v.Series(), e.Release) {
			return e
		}
	}
	return nil
}

// mainlineEntry is the not yet resolved entry for v: no uname -r and no
// packages until Prepare has asked the mirror.
func (c *Catalog) mainlineEntry(v kernelVersion) *Entry {
	fixes, src := fixesByVersion(v)
	return &Entry{
		Name:          mainlineNamePrefix + v.String(),
		Description:   "Ubuntu mainline build " + v.Dir() + ", not in the catalog",
		Release:       v.Release(),
		Source:        SourceUbuntuMainline,
		Fixes:         fixes,
		FixesSource:   src,
		Modules:       slices.Clone(c.Modules),
		EngineModules: slices.Clone(c.EngineModules),
		mainline:      &v,
	}
}

// mainlinePins is what a lookup at the mirror found. Prepare keeps it under
// cacheDir/mainline once the kernel is prepared, so the next run finds the
// same pins (and the prepared directory) without any network.
type mainlinePins struct {
	Format   int       `json:"format"`
	Version  string    `json:"version"`
	UnameR   string    `json:"uname_r"`
	Packages []Package `json:"packages"`
}

const mainlinePinsFormat = 1

func mainlinePinsPath(cacheDir string, v kernelVersion) string {
	return filepath.Join(cacheDir, "mainline", v.Dir()+".json")
}

// resolveMainline returns a copy of e with UnameR and Packages filled in,
// from cached pins or else from the first mirror that has the build, and
// a function that records the pins; call it once the kernel is prepared,
// so a failed download leaves no pins behind.
func resolveMainline(ctx context.Context, e *Entry, cacheDir string, client *http.Client, logf func(string, ...any)) (*Entry, func() error, error) {
	v := *e.mainline
	pinsPath := mainlinePinsPath(cacheDir, v)
	pins, err := loadMainlinePins(pinsPath, v)
	if err == nil {
		logf("%s pinned by %s", v.Dir(), pinsPath)
		return withPins(e, pins), func() error { return nil }, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		logf("ignoring %s: %v", pinsPath, err)
	}
	merr := &MirrorError{Version: v.String(), Dir: v.Dir()}
	for _, base := range Mirrors(SourceUbuntuMainline) {
		pins, tried := lookupMainline(ctx, client, base, v)
		merr.Tried = append(merr.Tried, tried...)
		if pins != nil {
			logf("%s at %s: uname -r %s, %d package(s)", v.Dir(), base, pins.UnameR, len(pins.Packages))
			save := func() error {
				b, err := json.MarshalIndent(pins, "", "  ")
				if err != nil {
					return err
				}
				return cache.WriteFileAtomic(pinsPath, append(b, '\n'), 0o644)
			}
			return withPins(e, pins), save, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
	}
	return nil, nil, merr
}

func withPins(e *Entry, p *mainlinePins) *Entry {
	r := *e
	r.UnameR, r.Packages, r.mainline = p.UnameR, p.Packages, nil
	return &r
}

func loadMainlinePins(p string, v kernelVersion) (*mainlinePins, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	var pins mainlinePins
	if err := json.Unmarshal(b, &pins); err != nil {
		return nil, err
	}
	if pins.Format != mainlinePinsFormat || pins.Version != v.String() || pins.UnameR == "" || len(pins.Packages) == 0 {
		return nil, fmt.Errorf("format %d, version %q, uname_r %q, %d packages: want format %d for %s with packages",
			pins.Format, pins.Version, pins.UnameR, len(pins.Packages), mainlinePinsFormat, v)
	}
	for _, pkg := range pins.Packages {
		if len(pkg.SHA256) != 64 || pkg.Path == "" || strings.Contains(pkg.Path, "..") {
			return nil, fmt.Errorf("package %q: bad sha256 or path", pkg.Package)
		}
	}
	return &pins, nil
}
