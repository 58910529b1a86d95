package kbuild

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Fixes says which of the IPVS fixes (docs: shared/domain.md) a source tree
// carries. The version number alone does not decide this, so the harness
// reads the source.
type Fixes struct {
	// A: f0a5e4d7a594 "ipvs: allow connection reuse for unconfirmed conntrack"
	// (nf_ct_is_confirmed in ip_vs_conn_uses_old_conntrack).
	A bool `json:"a"`
	// B: "ipvs: queue delayed work to expire no destination connections if
	// expire_nodest_conn=1" (expire_nodest_conn_work exists).
	B bool `json:"b"`
	// C: c95c07836fa4 "netfilter: ipvs: Fix reuse connection if RS weight is 0"
	// (the port-reuse test no longer starts with `conn_reuse_mode &&`).
	C bool `json:"c"`
}

// String is "A+B+C", "A+C", ... or "none".
func (f Fixes) String() string {
	var p []string
	for _, x := range []struct {
		on   bool
		name string
	}{{f.A, "A"}, {f.B, "B"}, {f.C, "C"}} {
		if x.on {
			p = append(p, x.name)
		}
	}
	if len(p) == 0 {
		return "none"
	}
	return strings.Join(p, "+")
}

// Files DetectFixes reads, relative to the source root.
const (
	ipvsHeader = "include/net/ip_vs.h"
	ipvsDir    = "net/netfilter/ipvs"
	ipvsCore   = "net/netfilter/ipvs/ip_vs_core.c"
)

// FixSources lists the files DetectFixes reads in srcDir: whoever caches
// or checks its answer against a build watches these.
func FixSources(srcDir string) ([]string, error) {
	cs, err := filepath.Glob(filepath.Join(srcDir, ipvsDir, "*.c"))
	if err != nil {
		return nil, fmt.Errorf("detect fixes: %w", err)
	}
	return append([]string{filepath.Join(srcDir, ipvsHeader)}, cs...), nil
}

// DetectFixes reads an unpacked kernel source tree.
func DetectFixes(srcDir string) (Fixes, error) {
	hdr, err := os.ReadFile(filepath.Join(srcDir, ipvsHeader))
	if err != nil {
		return Fixes{}, fmt.Errorf("detect fixes: %w", err)
	}
	core, err := os.ReadFile(filepath.Join(srcDir, ipvsCore))
	if err != nil {
		return Fixes{}, fmt.Errorf("detect fixes: %w", err)
	}
	others := []string{string(hdr)}
	cs, err := filepath.Glob(filepath.Join(srcDir, ipvsDir, "*.c"))
	if err != nil {
		return Fixes{}, fmt.Errorf("detect fixes: %w", err)
	}
	for _, p := range cs {
		b, err := os.ReadFile(p)
		if err != nil {
			return Fixes{}, fmt.Errorf("detect fixes: %w", err)
		}
		others = append(others, string(b))
	}
	f, err := DetectFixesText(string(hdr), string(core), others...)
	if err != nil {
		return Fixes{}, fmt.Errorf("detect fixes in %s: %w", srcDir, err)
	}
	return f, nil
}

// DetectFixesText applies the rules to file contents: header = ip_vs.h,
// core = ip_vs_core.c, rest = any other IPVS sources (searched for B).
func DetectFixesText(header, core string, rest ...string) (Fixes, error) {
	var f Fixes
	// A: before the fix the helper was ip_vs_conn_uses_conntrack and had no
	// nf_ct_is_confirmed; a missing helper therefore means "not fixed".
	if body, ok := funcBody(header, "ip_vs_conn_uses_old_conntrack"); ok {
		f.A = strings.Contains(body, "nf_ct_is_confirmed(ct)")
	}
	for _, s := range append([]string{core}, rest...) {
		if strings.Contains(s, "expire_nodest_conn_work") {
			f.B = true
			break
		}
	}
	body, ok := funcBody(core, "ip_vs_in_hook")
	if !ok {
		body, ok = funcBody(core, "ip_vs_in")
	}
	if !ok {
		return f, errors.New("no ip_vs_in/ip_vs_in_hook definition in ip_vs_core.c")
	}
	cond, ok := portReuseCond(body)
	if !ok {
		return f, errors.New("no port-reuse test (is_new_conn) in ip_vs_in")
	}
	f.C = !strings.HasPrefix(cond, "conn_reuse_mode &&")
	return f, nil
}

// funcBody returns the braces-delimited body of the definition of name: the
// first "name(" at the start of a line or after a return type whose
// parameter list is followed by "{" (a prototype ends in ";" and is skipped).
func funcBody(src, name string) (string, bool) {
	re := regexp.MustCompile(`(?m)(^|[\s*])` + regexp.QuoteMeta(name) + `\(`)
	for _, loc := range re.FindAllStringIndex(src, -1) {
		i := loc[1] - 1 // at '('
		end, ok := matchParen(src, i, '(', ')')
		if !ok {
			continue
		}
		j := end + 1
		for j < len(src) && (src[j] == ' ' || src[j] == '\t' || src[j] == '\n') {
			j++
		}
		if j >= len(src) || src[j] != '{' {
			continue
		}
		close, ok := matchParen(src, j, '{', '}')
		if !ok {
			return "", false
		}
		return src[j : close+1], true
	}
	return "", false
}

func matchParen(s string, open int, o, c byte) (int, bool) {
	depth := 0
	for k := open; k < len(s); k++ {
		switch s[k] {
		case o:
			depth++
		case c:
			depth--
			if depth == 0 {
				return k, true
			}
		}
	}
	return 0, false
}

var spaces = regexp.MustCompile(`\s+`)

// portReuseCond returns the whitespace-normalised condition of the first
// `if (...)` in body that calls is_new_conn(.
func portReuseCond(body string) (string, bool) {
	re := regexp.MustCompile(`\bif\s*\(`)
	for _, loc := range re.FindAllStringIndex(body, -1) {
		open := loc[1] - 1
		end, ok := matchParen(body, open, '(', ')')
		if !ok {
			return "", false
		}
		cond := spaces.ReplaceAllString(strings.TrimSpace(body[open+1:end]), " ")
		if strings.Contains(cond, "is_new_conn(") {
			return cond, true
		}
	}
	return "", false
}
