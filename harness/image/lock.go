package image

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
)

// LockEntry pins one Debian package: the exact .deb under the mirror's pool
// with its size and SHA-256 from the suite's Packages index.
type LockEntry struct {
	Package  string
	Version  string
	PoolPath string // e.g. pool/main/i/iptables/iptables_1.8.9-2_amd64.deb
	Size     int64
	SHA256   string // lower-case hex
}

// ParseLock reads packages.lock: one "package version pool-path size sha256"
// per line; blank lines and lines starting with '#' are ignored. Errors name
// the line so a hand-edited lock is easy to fix.
func ParseLock(data []byte) ([]LockEntry, error) {
	var out []LockEntry
	seen := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		e, err := parseLockLine(line)
		if err != nil {
			return nil, fmt.Errorf("packages.lock line %d %q: %w", n, line, err)
		}
		if prev, ok := seen[e.Package]; ok {
			return nil, fmt.Errorf("packages.lock line %d %q: package %s already pinned on line %d", n, line, e.Package, prev)
		}
		seen[e.Package] = n
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read packages.lock: %w", err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("packages.lock pins no package (regenerate it with vmimages/lock.sh)")
	}
	return out, nil
}

func parseLockLine(line string) (LockEntry, error) {
	f := strings.Fields(line)
	if len(f) != 5 {
		return LockEntry{}, fmt.Errorf("want 5 fields (package version pool-path size sha256), got %d", len(f))
	}
	e := LockEntry{Package: f[0], Version: f[1], PoolPath: f[2], SHA256: strings.ToLower(f[4])}
	size, err := strconv.ParseInt(f[3], 10, 64)
	if err != nil || size <= 0 {
		return LockEntry{}, fmt.Errorf("size %q is not a positive integer", f[3])
	}
	e.Size = size
	if b, err := hex.DecodeString(e.SHA256); err != nil || len(b) != 32 {
		return LockEntry{}, fmt.Errorf("sha256 %q is not 64 hex digits", f[4])
	}
	// The pool path is joined onto a mirror URL: refuse anything that could
	// climb out of the mirror or is not a .deb.
	if !strings.HasPrefix(e.PoolPath, "pool/") || path.Clean(e.PoolPath) != e.PoolPath || !strings.HasSuffix(e.PoolPath, ".deb") {
		return LockEntry{}, fmt.Errorf("pool path %q must be a clean pool/... path to a .deb", f[2])
	}
	return e, nil
}

// FormatLock renders entries in the lock format, sorted by package, after the
// given comment lines (each written as "# line").
func FormatLock(header []string, entries []LockEntry) []byte {
	var b bytes.Buffer
	for _, h := range header {
		fmt.Fprintf(&b, "# %s\n", h)
	}
	sorted := slices.Clone(entries)
	slices.SortFunc(sorted, func(a, b LockEntry) int { return strings.Compare(a.Package, b.Package) })
	for _, e := range sorted {
		fmt.Fprintf(&b, "%s %s %s %d %s\n", e.Package, e.Version, e.PoolPath, e.Size, e.SHA256)
	}
	return b.Bytes()
}
