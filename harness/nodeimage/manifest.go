package nodeimage

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// EntryKind is what a manifest entry creates.
type EntryKind string

const (
	KindFile    EntryKind = "file"
	KindDir     EntryKind = "dir"
	KindSymlink EntryKind = "symlink"
)

// Source says where a file's bytes come from; exactly one field is set.
type Source struct {
	Inline   []byte // generated here
	Input    string // an input binary, by guest name (Inputs.Binaries key)
	KindFile string // a file of the kind module, relative to its root
	Package  string // a path in the unpacked Debian packages
	Image    string // a component image's docker-archive, by image name
}

func (s Source) String() string {
	switch {
	case s.Input != "":
		return "input:" + s.Input
	case s.KindFile != "":
		return "kind:" + s.KindFile
	case s.Package != "":
		return "package:" + s.Package
	case s.Image != "":
		return "image:" + s.Image
	}
	return fmt.Sprintf("inline:%x", sha256.Sum256(s.Inline))
}

// Entry is one path of an image.
type Entry struct {
	Path   string // absolute, clean
	Kind   EntryKind
	Mode   fs.FileMode // permission bits (+ setuid/sticky)
	Target string      // symlinks
	Source Source      // files
}

// Manifest describes an image's files: path -> entry. Building it reads
// nothing; tests check it without building.
type Manifest struct {
	entries map[string]Entry
	// Remove are globs of packaged paths dropped before the entries are
	// laid over the packages (kind's Dockerfile `rm -f ...wants/*`).
	Remove []string
	// PackageGlobs are packaged paths taken whole (matched at build time).
	PackageGlobs []string
}

func newManifest() *Manifest { return &Manifest{entries: map[string]Entry{}} }

func (m *Manifest) put(e Entry) {
	e.Path = path.Clean("/" + e.Path)
	m.entries[e.Path] = e
}

// File adds a regular file.
func (m *Manifest) File(p string, mode fs.FileMode, src Source) {
	m.put(Entry{Path: p, Kind: KindFile, Mode: mode, Source: src})
}

// Text adds a regular file with inline content.
func (m *Manifest) Text(p string, mode fs.FileMode, body string) {
	m.File(p, mode, Source{Inline: []byte(body)})
}

// Dir adds a directory.
func (m *Manifest) Dir(p string, mode fs.FileMode) { m.put(Entry{Path: p, Kind: KindDir, Mode: mode}) }

// Link adds a symlink.
func (m *Manifest) Link(p, target string) {
	m.put(Entry{Path: p, Kind: KindSymlink, Mode: 0o777, Target: target})
}

// Get returns the entry at p.
func (m *Manifest) Get(p string) (Entry, bool) {
	e, ok := m.entries[path.Clean("/"+p)]
	return e, ok
}

// Entries returns every entry sorted by path.
func (m *Manifest) Entries() []Entry {
	out := make([]Entry, 0, len(m.entries))
	for _, e := range m.entries {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b Entry) int { return strings.Compare(a.Path, b.Path) })
	return out
}

// Describe renders the manifest as text, one line per entry (inline content
// by hash): the cache key covers it, so any change of the rules rebuilds.
func (m *Manifest) Describe() string {
	var b strings.Builder
	for _, r := range m.Remove {
		fmt.Fprintf(&b, "remove %s\n", r)
	}
	for _, g := range m.PackageGlobs {
		fmt.Fprintf(&b, "package-glob %s\n", g)
	}
	for _, e := range m.Entries() {
		switch e.Kind {
		case KindSymlink:
			fmt.Fprintf(&b, "%s %s -> %s\n", e.Kind, e.Path, e.Target)
		case KindDir:
			fmt.Fprintf(&b, "%s %s %04o\n", e.Kind, e.Path, e.Mode)
		default:
			fmt.Fprintf(&b, "%s %s %04o %s\n", e.Kind, e.Path, e.Mode, e.Source)
		}
	}
	return b.String()
}
