// Package vmimages holds the pinned inputs of the guest image so the harness
// binary carries them: packages.lock lists the Debian packages it is built from.
package vmimages

import (
	_ "embed"
)

//go:embed packages.lock
var packagesLock string

// PackagesLock returns the content of vmimages/packages.lock.
func PackagesLock() []byte { return []byte(packagesLock) }

//go:embed engine.lock
var engineLock string

// EngineLock returns the content of vmimages/engine.lock: the packages of
// the engine root disk (container engine and its run-time tools).
func EngineLock() []byte { return []byte(engineLock) }
