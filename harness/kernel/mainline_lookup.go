package kernel

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// mainlineDeb is one .deb of a mainline build, from its file name
// <package>_<version>_<arch>.deb.
type mainlineDeb struct {
	file, pkg, version, arch string
}

func parseDebName(file string) (mainlineDeb, bool) {
	base, ok := strings.CutSuffix(file, ".deb")
	parts := strings.Split(base, "_")
	if !ok || len(parts) != 3 || parts[0] == "" {
		return mainlineDeb{}, false
	}
	return mainlineDeb{file: file, pkg: parts[0], version: parts[1], arch: parts[2]}, true
}

// lookupMainline finds v's generic amd64 build at one mirror base: the
// index of base/vX/ links to amd64/ (current layout) or holds the .debs
// itself (older builds). Each .deb is pinned by the sha256 CHECKSUMS lists
// for it and the size a HEAD request reports. On failure it returns the
// URLs that failed and why.
func lookupMainline(ctx context.Context, client *http.Client, base string, v kernelVersion) (*mainlinePins, []Attempt) {
	fail := func(u string, err error) (*mainlinePins, []Attempt) { return nil, []Attempt{attemptFor(u, err)} }
	dirURL := base + "/" + v.Dir() + "/"
	top, err := listing(ctx, client, dirURL)
	if err != nil {
		var se *statusError
		if errors.As(err, &se) && se.Code == http.StatusNotFound {
			err = fmt.Errorf("%w: no build of %s at this mirror (its versions are listed at %s/)", err, v, base)
		}
		return fail(dirURL, err)
	}
	debURL, debRel, names := dirURL, v.Dir()+"/", top
	if slices.Contains(top, "amd64/") {
		debURL, debRel = dirURL+"amd64/", v.Dir()+"/amd64/"
		if names, err = listing(ctx, client, debURL); err != nil {
			return fail(debURL, err)
		}
	}
	debs, uname, err := pickMainlineDebs(names, v)
	if err != nil {
		return fail(debURL, &answeredError{err})
	}
	// CHECKSUMS sits beside the .debs; some builds keep one for all
	// architectures in the version directory.
	sumsURL := debURL + "CHECKSUMS"
	if !slices.Contains(names, "CHECKSUMS") && slices.Contains(top, "CHECKSUMS") {
		sumsURL = dirURL + "CHECKSUMS"
	}
	text, err := getSmall(ctx, client, sumsURL)
	if err != nil {
		return fail(sumsURL, fmt.Errorf("%w (the .debs cannot be verified without it)", err))
	}
	sums, err := parseChecksums(string(text))
	if err != nil {
		return fail(sumsURL, &answeredError{err})
	}
	pins := &mainlinePins{Format: mainlinePinsFormat, Version: v.String(), UnameR: uname}
	for _, d := range debs {
		sum, ok := sums[d.file]
		if !ok {
			return fail(sumsURL, &answeredError{fmt.Errorf("no sha256 for %s: it cannot be verified", d.file)})
		}
		pins.Packages = append(pins.Packages, Package{
			Package: d.pkg, Version: d.version, Path: debRel + d.file,
			Size: contentLength(ctx, client, debURL+d.file), SHA256: sum,
		})
	}
	return pins, nil
}

func listing(ctx context.Context, client *http.Client, dirURL string) ([]string, error) {
	page, err := getSmall(ctx, client, dirURL)
	if err != nil {
		return nil, err
	}
	names, err := listingEntries(page, dirURL)
	if err != nil {
		return nil, &answeredError{err}
	}
	return names, nil
}

// pickMainlineDebs chooses the generic amd64 image and its modules package
// among an index's names, and the uname -r their names carry
// (linux-image-unsigned-5.9.0-050900-generic -> 5.9.0-050900-generic).
// Builds from before the unsigned/signed split name the image
// linux-image-<uname>; before linux-modules existed, the image holds the
// modules, so the modules package is optional.
func pickMainlineDebs(names []string, v kernelVersion) ([]mainlineDeb, string, error) {
	var unsigned, plain []mainlineDeb
	var found []string
	for _, n := range names {
		d, ok := parseDebName(n)
		if !ok {
			continue
		}
		found = append(found, n)
		if d.arch != "amd64" {
			continue
		}
		if u, ok := strings.CutPrefix(d.pkg, "linux-image-unsigned-"); ok && isGenericUname(u, v) {
			unsigned = append(unsigned, d)
		} else if u, ok := strings.CutPrefix(d.pkg, "linux-image-"); ok && isGenericUname(u, v) {
			plain = append(plain, d)
		}
	}
	images := unsigned
	if len(images) == 0 {
		images = plain
	}
	want := fmt.Sprintf("linux-image-unsigned-%s*-generic_*_amd64.deb", v.unamePrefix())
	switch len(images) {
	case 0:
		return nil, "", fmt.Errorf("no %s in the index (.debs listed: %s)", want, orNone(found))
	case 1:
	default:
		var files []string
		for _, d := range images {
			files = append(files, d.file)
		}
		return nil, "", fmt.Errorf("several builds match %s: %s; pin the one wanted in kernels/catalog.json", want, strings.Join(files, ", "))
	}
	img := images[0]
	uname := strings.TrimPrefix(strings.TrimPrefix(img.pkg, "linux-image-unsigned-"), "linux-image-")
	debs := []mainlineDeb{img}
	for _, n := range names {
		if d, ok := parseDebName(n); ok && d.arch == "amd64" && d.pkg == "linux-modules-"+uname {
			debs = append(debs, d)
			break
		}
	}
	return debs, uname, nil
}

// isGenericUname: the generic flavour (not lowlatency, not 64k) of v.
func isGenericUname(u string, v kernelVersion) bool {
	return strings.HasPrefix(u, v.unamePrefix()) && strings.HasSuffix(u, "-generic")
}

func orNone(list []string) string {
	if len(list) == 0 {
		return "none"
	}
	return strings.Join(list, ", ")
}
