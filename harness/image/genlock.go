package image

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/rolloutlab/rolloutlab/harness/debindex"
)

// DefaultRoots are the packages the image's tools come from.
var DefaultRoots = []string{
	"busybox-static", "iptables", "nftables", "ipset", "iproute2",
	"conntrack", "ipvsadm", "apache2-utils", "netbase", "libc6",
}

// LockRequest says how to regenerate packages.lock.
type LockRequest struct {
	Mirror   string   // "" means Mirror()
	Suite    string   // "" means bookworm
	Roots    []string // nil means DefaultRoots
	CacheDir string   // where .debs are downloaded; "" means cache.Dir()
	// Full keeps the whole Depends closure (the engine root is a real
	// Debian tree) instead of only the packages the base image's ELF
	// closure uses.
	Full     bool
	Title    string // first header line; "" means the base image's
	Progress io.Writer
}

// GenerateLock resolves the roots' Depends closure from the suite's main
// Packages index (the first alternative wins), then keeps only the packages that supply a file to the
// image (the ELF closure decides), and returns the new packages.lock content.
func GenerateLock(ctx context.Context, req LockRequest) ([]byte, error) {
	if req.Mirror == "" {
		req.Mirror = Mirror()
	}
	if req.Suite == "" {
		req.Suite = "bookworm"
	}
	if req.Roots == nil {
		req.Roots = DefaultRoots
	}
	if req.CacheDir == "" {
		var err error
		if req.CacheDir, err = cacheDir(); err != nil {
			return nil, err
		}
	}
	url, closure, err := ResolveLock(ctx, req.Mirror, req.Suite, req.Roots, debindex.First, req.Progress)
	if err != nil {
		return nil, err
	}
	logf(req.Progress, "lock: %d packages in the Depends closure of %s\n", len(closure), strings.Join(req.Roots, " "))
	t, err := Unpack(ctx, req.CacheDir, strings.TrimRight(req.Mirror, "/"), closure, req.Progress)
	if err != nil {
		return nil, err
	}
	kept := closure
	if !req.Full {
		_, used, err := selectFiles(t, nil)
		if err != nil {
			return nil, err
		}
		kept = nil
		for _, e := range closure {
			if slices.Contains(used, e.Package) {
				kept = append(kept, e)
			}
		}
	}
	title := req.Title
	if title == "" {
		title = "Debian packages of the guest base image (harness/image). Regenerate: vmimages/lock.sh"
	}
	header := []string{
		title,
		fmt.Sprintf("from %s on %s", url, time.Now().UTC().Format("2006-01-02")),
		"roots: " + strings.Join(req.Roots, " "),
		"package version pool-path size sha256",
	}
	return FormatLock(header, kept), nil
}

// ResolveLock reads the suite's Packages index from mirror and returns its
// URL and the pins of the Depends closure of roots, alternatives chosen by
// pick.
func ResolveLock(ctx context.Context, mirror, suite string, roots []string, pick debindex.Pick, progress io.Writer) (string, []LockEntry, error) {
	url := debindex.URL(mirror, suite)
	logf(progress, "lock: reading %s\n", url)
	idx, err := debindex.Fetch(ctx, url)
	if err != nil {
		return "", nil, err
	}
	closure, err := idx.Closure(roots, pick)
	if err != nil {
		return "", nil, err
	}
	out := make([]LockEntry, len(closure))
	for i, p := range closure {
		out[i] = LockEntry{Package: p.Name, Version: p.Version, PoolPath: p.Filename, Size: p.Size, SHA256: p.SHA256}
	}
	return url, out, nil
}
