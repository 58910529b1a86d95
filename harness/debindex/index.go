// Package debindex reads a Debian suite's Packages index and resolves the
// Pre-Depends/Depends closure of a set of root packages, for the lock files
// the guest image and the kind node image are built from.
package debindex

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
)

// Package is one stanza of a Packages index.
type Package struct {
	Name     string
	Version  string
	Filename string // pool path under the mirror
	Size     int64
	SHA256   string   // lower-case hex
	Depends  string   // Pre-Depends and Depends, comma-joined
	Provides []string // virtual packages, without versions
}

// Index is a parsed Packages index.
type Index struct {
	Packages  map[string]*Package
	providers map[string][]string // virtual name -> real packages, sorted
}

// URL is where a suite's main amd64 Packages index lies on mirror.
func URL(mirror, suite string) string {
	return fmt.Sprintf("%s/dists/%s/main/binary-amd64/Packages.xz", strings.TrimRight(mirror, "/"), suite)
}

// Fetch downloads and parses the xz-compressed Packages index at url.
func Fetch(ctx context.Context, url string) (*Index, error) {
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
	idx, err := Parse(xr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", url, err)
	}
	return idx, nil
}

// Parse reads Packages stanzas (RFC 822 style, blank-line separated). Of
// several versions of one package the first listed is kept.
func Parse(r io.Reader) (*Index, error) {
	idx := &Index{Packages: map[string]*Package{}, providers: map[string][]string{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	cur := &Package{}
	var depends, predepends string
	flush := func() error {
		if cur.Name == "" {
			return nil
		}
		if cur.Filename == "" || cur.SHA256 == "" || cur.Size <= 0 {
			return fmt.Errorf("package %s: missing Filename, SHA256 or Size", cur.Name)
		}
		cur.Depends = strings.Trim(predepends+","+depends, ",")
		if _, ok := idx.Packages[cur.Name]; !ok {
			idx.Packages[cur.Name] = cur
		}
		cur, depends, predepends = &Package{}, "", ""
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
			cur.Name = v
		case "Version":
			cur.Version = v
		case "Filename":
			cur.Filename = v
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
				cur.Provides = append(cur.Provides, depName(p))
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if err := flush(); err != nil {
		return nil, err
	}
	for name, p := range idx.Packages {
		for _, v := range p.Provides {
			idx.providers[v] = append(idx.providers[v], name)
		}
	}
	for _, v := range idx.providers {
		slices.Sort(v)
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
