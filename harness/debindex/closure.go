package debindex

import (
	"fmt"
	"slices"
	"strings"
)

// Pick chooses the package that satisfies one dependency group ("a | b").
// cands are its candidates in order: each alternative the index has, then
// that alternative's providers by name; chosen holds every package picked
// so far. An empty cands gets "".
type Pick func(cands []string, chosen map[string]bool) string

// First takes the first candidate: the first real alternative, else the
// first provider by name.
func First(cands []string, _ map[string]bool) string {
	if len(cands) == 0 {
		return ""
	}
	return cands[0]
}

// PreferChosen takes a candidate already chosen if there is one (mawk is in,
// so "awk" adds no gawk), else the first not in avoid, else the first.
func PreferChosen(avoid ...string) Pick {
	return func(cands []string, chosen map[string]bool) string {
		for _, c := range cands {
			if chosen[c] {
				return c
			}
		}
		for _, c := range cands {
			if !slices.Contains(avoid, c) {
				return c
			}
		}
		return First(cands, chosen)
	}
}

// Closure returns the Pre-Depends/Depends closure of roots, sorted by name:
// no Recommends (as apt-get --no-install-recommends), and versions are not
// checked (one suite is self-consistent).
func (idx *Index) Closure(roots []string, pick Pick) ([]*Package, error) {
	for _, r := range roots {
		if idx.Packages[r] == nil {
			return nil, fmt.Errorf("root package %s is not in the index", r)
		}
	}
	chosen := map[string]bool{}
	for _, r := range roots {
		chosen[r] = true
	}
	queue := slices.Clone(roots)
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		for _, group := range strings.Split(idx.Packages[name].Depends, ",") {
			if strings.TrimSpace(group) == "" {
				continue
			}
			p := pick(idx.candidates(group), chosen)
			if p == "" {
				return nil, fmt.Errorf("%s depends on %q: no package in the index satisfies it", name, strings.TrimSpace(group))
			}
			if !chosen[p] {
				chosen[p] = true
				queue = append(queue, p)
			}
		}
	}
	out := make([]*Package, 0, len(chosen))
	for name := range chosen {
		out = append(out, idx.Packages[name])
	}
	slices.SortFunc(out, func(a, b *Package) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// candidates lists what can satisfy group, in the order Pick documents.
func (idx *Index) candidates(group string) []string {
	var out []string
	for _, alt := range strings.Split(group, "|") {
		n := depName(alt)
		if idx.Packages[n] != nil {
			out = append(out, n)
		}
		out = append(out, idx.providers[n]...)
	}
	return out
}
