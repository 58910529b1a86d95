package nodeimage

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/ulikunitz/xz"

	"github.com/rolloutlab/rolloutlab/harness/image"
)

// indexEntry is one stanza of a Debian Packages index.
type indexEntry struct {
	image.LockEntry
	deps     string // Pre-Depends and Depends, comma-joined
	provides []string
}

// fetchIndex downloads and parses dists/<suite>/main/binary-amd64/Packages.xz.
func fetchIndex(ctx context.Context, url string) (map[string]*indexEntry, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
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

// parseIndex reads Packages stanzas (blank-line separated, RFC 822 style).
// Of several versions of one package the first listed is kept.
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
			continue // continuation of a field not used here
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

// resolveDepends returns the Pre-Depends/Depends closure of roots, sorted by
// package (no Recommends, as `apt-get install --no-install-recommends`). Of
// alternatives the first real package wins, else the first provider by
// name; avoid lets a root set steer away from a heavy alternative.
func resolveDepends(idx map[string]*indexEntry, roots, avoid []string) ([]image.LockEntry, error) {
	providers := map[string][]string{}
	for name, e := range idx {
		for _, p := range e.provides {
			providers[p] = append(providers[p], name)
		}
	}
	for _, v := range providers {
		slices.Sort(v)
	}
	for _, r := range roots {
		if idx[r] == nil {
			return nil, fmt.Errorf("root package %s is not in the index", r)
		}
	}
	// seen holds every package chosen so far, queued or visited, so a later
	// alternative prefers what is already in (mawk over gawk for awk).
	seen := map[string]bool{}
	for _, r := range roots {
		seen[r] = true
	}
	queue := slices.Clone(roots)
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		for _, group := range strings.Split(idx[name].deps, ",") {
			if strings.TrimSpace(group) == "" {
				continue
			}
			pick := pickAlternative(idx, providers, strings.Split(group, "|"), seen, avoid)
			if pick == "" {
				return nil, fmt.Errorf("%s depends on %q: no package in the index satisfies it", name, strings.TrimSpace(group))
			}
			if !seen[pick] {
				seen[pick] = true
				queue = append(queue, pick)
			}
		}
	}
	out := make([]image.LockEntry, 0, len(seen))
	for name := range seen {
		out = append(out, idx[name].LockEntry)
	}
	slices.SortFunc(out, func(a, b image.LockEntry) int { return strings.Compare(a.Package, b.Package) })
	return out, nil
}

// pickAlternative chooses the package satisfying one dependency group: one
// already chosen if any, else the first alternative not avoided.
func pickAlternative(idx map[string]*indexEntry, providers map[string][]string, alts []string, seen map[string]bool, avoid []string) string {
	var cands []string
	for _, alt := range alts {
		n := depName(alt)
		if idx[n] != nil {
			cands = append(cands, n)
		}
		cands = append(cands, providers[n]...)
	}
	for _, c := range cands {
		if seen[c] {
			return c
		}
	}
	for _, c := range cands {
		if !slices.Contains(avoid, c) {
			return c
		}
	}
	if len(cands) > 0 {
		return cands[0]
	}
	return ""
}
