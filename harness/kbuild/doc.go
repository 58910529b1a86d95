// Package kbuild builds a Linux kernel (bzImage) from a source tarball, config
// fragments and patches, checks that every requested config option survived
// olddefconfig, and detects which IPVS fixes a source tree carries. Control
// kernels for the rollout experiments are built this way because no pre-5.9
// kernel package is reachable; the fixes are reverted by patches instead.
package kbuild
