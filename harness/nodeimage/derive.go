package nodeimage

import (
	"bufio"
	"bytes"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/rolloutlab/rolloutlab/harness/debtree"
)

// The derive steps do, from the unpacked packages, the first-boot work of
// maintainer scripts whose output depends on what the packages contain:
// base-passwd's preinst (/etc/passwd, /etc/group from the .master files),
// systemd-sysusers (system users and groups of /usr/lib/sysusers.d), and
// update-ca-certificates (the CA bundle).

// deriveAccounts returns /etc/passwd and /etc/group.
func deriveAccounts(t debtree.Tree) (passwd, group []byte, err error) {
	pw, ok1 := t["usr/share/base-passwd/passwd.master"]
	gr, ok2 := t["usr/share/base-passwd/group.master"]
	if !ok1 || !ok2 {
		return nil, nil, fmt.Errorf("base-passwd's passwd.master/group.master missing from the packages")
	}
	users := parseColonFile(pw.Data)
	groups := parseColonFile(gr.Data)
	var confs []string
	for k := range t {
		if path.Dir(k) == "usr/lib/sysusers.d" && strings.HasSuffix(k, ".conf") {
			confs = append(confs, k)
		}
	}
	slices.Sort(confs)
	alloc := newIDAllocator(users, groups)
	for _, c := range confs {
		sc := bufio.NewScanner(bytes.NewReader(t[c].Data))
		for sc.Scan() {
			f := splitSysusers(sc.Text())
			if len(f) < 2 {
				continue
			}
			name, id := f[1], "-"
			if len(f) > 2 {
				id = f[2]
			}
			switch f[0] {
			case "g":
				if !has(groups, name) {
					groups = append(groups, []string{name, "x", alloc.gid(id), ""})
				}
			case "u":
				if has(users, name) {
					continue
				}
				uid := alloc.uid(id)
				gid := uid
				if g := lookup(groups, name); g != nil {
					gid = g[2]
				} else {
					groups = append(groups, []string{name, "x", uid, ""})
				}
				gecos, home, shell := field(f, 3, ""), field(f, 4, "/"), field(f, 5, "/usr/sbin/nologin")
				users = append(users, []string{name, "x", uid, gid, gecos, home, shell})
			}
		}
	}
	return joinColonFile(users), joinColonFile(groups), nil
}

// idAllocator hands out system ids downward from 999, like systemd-sysusers.
type idAllocator struct {
	used map[string]bool
	next int
}

func newIDAllocator(users, groups [][]string) *idAllocator {
	a := &idAllocator{used: map[string]bool{}, next: 999}
	for _, u := range users {
		a.used[u[2]] = true
	}
	for _, g := range groups {
		a.used[g[2]] = true
	}
	return a
}

func (a *idAllocator) pick(spec string) string {
	if n, err := strconv.Atoi(strings.SplitN(spec, ":", 2)[0]); err == nil {
		a.used[strconv.Itoa(n)] = true
		return strconv.Itoa(n)
	}
	for a.used[strconv.Itoa(a.next)] {
		a.next--
	}
	id := strconv.Itoa(a.next)
	a.used[id] = true
	return id
}

func (a *idAllocator) uid(spec string) string { return a.pick(spec) }
func (a *idAllocator) gid(spec string) string { return a.pick(spec) }

// splitSysusers splits a sysusers.d line, honouring double quotes.
func splitSysusers(line string) []string {
	line = strings.TrimSpace(line)
	if line == "" || line[0] == '#' {
		return nil
	}
	var out []string
	var cur strings.Builder
	quoted, inField := false, false
	for _, r := range line {
		switch {
		case r == '"':
			quoted, inField = !quoted, true
		case (r == ' ' || r == '\t') && !quoted:
			if inField {
				out = append(out, cur.String())
				cur.Reset()
				inField = false
			}
		default:
			cur.WriteRune(r)
			inField = true
		}
	}
	if inField {
		out = append(out, cur.String())
	}
	return out
}

func field(f []string, i int, def string) string {
	if i < len(f) && f[i] != "-" {
		return f[i]
	}
	return def
}

func parseColonFile(b []byte) [][]string {
	var out [][]string
	for _, l := range strings.Split(string(b), "\n") {
		if l != "" {
			out = append(out, strings.Split(l, ":"))
		}
	}
	return out
}

func joinColonFile(rows [][]string) []byte {
	var b bytes.Buffer
	for _, r := range rows {
		b.WriteString(strings.Join(r, ":") + "\n")
	}
	return b.Bytes()
}

func lookup(rows [][]string, name string) []string {
	for _, r := range rows {
		if r[0] == name {
			return r
		}
	}
	return nil
}

func has(rows [][]string, name string) bool { return lookup(rows, name) != nil }

// deriveCABundle concatenates the packaged certificates as
// update-ca-certificates does for the default (all enabled) selection.
func deriveCABundle(t debtree.Tree) ([]byte, error) {
	var certs []string
	for k, n := range t {
		if strings.HasPrefix(k, "usr/share/ca-certificates/") && strings.HasSuffix(k, ".crt") && n.Mode.IsRegular() {
			certs = append(certs, k)
		}
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("no certificates under /usr/share/ca-certificates")
	}
	slices.Sort(certs)
	var b bytes.Buffer
	for _, c := range certs {
		d := t[c].Data
		b.Write(d)
		if len(d) > 0 && d[len(d)-1] != '\n' {
			b.WriteByte('\n')
		}
	}
	return b.Bytes(), nil
}
