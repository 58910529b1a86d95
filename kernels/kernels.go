// Package kernels holds the kernel catalog and the files it refers to
// (config fragments under config/, patches under patches/), embedded so the
// harness binary carries them wherever it runs.
package kernels

import "embed"

// CatalogFile is the catalog's path inside FS.
const CatalogFile = "catalog.json"

// FS holds catalog.json, config/... and patches/... . The pattern is "*"
// rather than naming config and patches: a directory absent from a checkout
// (git keeps no empty ones) must not break the build. An existing directory
// with no files in it still does (a go:embed rule).
//
//go:embed *
var FS embed.FS
