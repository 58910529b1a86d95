package image

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ulikunitz/xz"
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

// indexEntry is one stanza of a Packages index.
type indexEntry struct {
	LockEntry
	deps     string // Pre-Depends and Depends, comma-joined
	provides []string
}

// GenerateLock resolves the roots' Depends closure from the suite's main
// Packages index, then keeps only the packages that supply a file to the
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
	url := fmt.Sprintf("%s/dists/%s/main/binary-amd64/Packages.xz", strings.TrimRight(req.Mirror, "/"), req.Suite)
	logf(req.Progress, "lock: reading %s\n", url)
	idx, err := fetchIndex(ctx, url)
	if err != nil {
		return nil, err
	}
	closure, err := resolveDepends(idx, req.Roots)
	if err != nil {
		return nil, err
	}
	logf(req.Progress, "lock: %d packages in the Depends closure of %s\n", len(closure), strings.Join(req.Roots, " "))
	t, err := unpackAll(ctx, req.CacheDir, req.Progress, closure, strings.TrimRight(req.Mirror, "/"))
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

func fetchIndex(ctx context.Context, url string) (map[string]*indexEntry, error) {
	r, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: HTTP %s", url, resp.Status)
	}
	xr, err := xz.NewReader(bufio.NewReader(resp.Body))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", url, err)
	}
	idx, err := parseIndex(xr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", url, err)
	}
	return idx, nil
}

// parseIndex reads Packages stanzas (RFC 822 style, blank-line separated).
func parseIndex(r io.Reader) (map[string]*indexEntry, error) {
	idx := map[string]*indexEntry{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	cur := &indexEntry{}
	var depends, predepends string
	flush := func() error {
		if cur.Package == "" {
			return nil
		}
		if cur.PoolPath == "" || cur.SHA256 == "" || cur.Size <= 0 {
			return fmt.Errorf("package %s: missing Filename, SHA256 or Size", cur.Package)
		}
		cur.deps = strings.Trim(predepends+","+depends, ",")
		// Several versions of one package: keep the first listed.
		if _, ok := idx[cur.Package]; !ok {
			idx[cur.Package] = cur
		}
		cur, depends, predepends = &indexEntry{}, "", ""
		return nil
	}
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			if err := flush(); err != nil {
				return nil, err
			}
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			continue // continuation of a field we do not use
		}
		k, v, _ := strings.Cut(line, ":")
		v = strings.TrimSpace(v)
		switch k {
		case "Package":
			cur.Package = v
		case "Version":
			cur.Version = v
		case "Filename":
			cur.PoolPath = v
		case "Size":
			cur.Size, _ = strconv.ParseInt(v, 10, 64)
		case "SHA256":
			cur.SHA256 = strings.ToLower(v)
		case "Depends":
			depends = v
		case "Pre-Depends":
			predepends = v
		case "Provides":
			for _, p := range strings.Split(v, ",") {
				cur.provides = append(cur.provides, depName(p))
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return idx, nil
}

// depName strips version constraints and architecture qualifiers.
func depName(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, " ("); i >= 0 {
		s = s[:i]
	}
	s, _, _ = strings.Cut(s, ":")
	return s
}

// resolveDepends returns the Depends/Pre-Depends closure of roots, sorted by
// package. For alternatives the first real package wins, else the first
// provider by name; versions are not checked (one suite is self-consistent).
func resolveDepends(idx map[string]*indexEntry, roots []string) ([]LockEntry, error) {
	providers := map[string][]string{}
	for name, e := range idx {
		for _, p := range e.provides {
			providers[p] = append(providers[p], name)
		}
	}
	for _, v := range providers {
		slices.Sort(v)
	}
	seen := map[string]bool{}
	queue := append([]string(nil), roots...)
	for _, r := range roots {
		if idx[r] == nil {
			return nil, fmt.Errorf("root package %s is not in the index", r)
		}
	}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		if seen[name] {
			continue
		}
		seen[name] = true
		for _, group := range strings.Split(idx[name].deps, ",") {
			if strings.TrimSpace(group) == "" {
				continue
			}
			pick := ""
			for _, alt := range strings.Split(group, "|") {
				n := depName(alt)
				if idx[n] != nil {
					pick = n
				} else if p := providers[n]; len(p) > 0 {
					pick = p[0]
				}
				if pick != "" {
					break
				}
			}
			if pick == "" {
				return nil, fmt.Errorf("%s depends on %q: no package in the index satisfies it", name, strings.TrimSpace(group))
			}
			queue = append(queue, pick)
		}
	}
	out := make([]LockEntry, 0, len(seen))
	for name := range seen {
		out = append(out, idx[name].LockEntry)
	}
	slices.SortFunc(out, func(a, b LockEntry) int { return strings.Compare(a.Package, b.Package) })
	return out, nil
}
