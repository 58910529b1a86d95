package kernel

import (
	"os"
	"strings"
)

// Environment variables overriding where pinned files are downloaded from.
// Each may hold several base URLs separated by commas, tried in order; the
// pinned sha256 decides whether what came back is right.
const (
	// EnvDebianMirror: base of a Debian archive (holding pool/...).
	// Default http://deb.debian.org/debian.
	EnvDebianMirror = "ROLLOUTLAB_DEBIAN_MIRROR"
	// EnvUbuntuMainlineMirror: base of Ubuntu's mainline kernel builds
	// (holding v5.9/amd64/...). Default https://kernel.ubuntu.com/mainline.
	EnvUbuntuMainlineMirror = "ROLLOUTLAB_UBUNTU_MAINLINE_MIRROR"
	// EnvKernelOrgMirror: base of kernel.org's tarballs (holding
	// v5.x/linux-5.9.tar.xz). Default https://cdn.kernel.org/pub/linux/kernel.
	EnvKernelOrgMirror = "ROLLOUTLAB_KERNELORG_MIRROR"
)

// Mirrors returns the base URLs to fetch a source kind's packages from:
// the environment override if set, else the public default.
func Mirrors(source string) []string {
	env, def := EnvDebianMirror, "http://deb.debian.org/debian"
	switch source {
	case SourceUbuntuMainline:
		env, def = EnvUbuntuMainlineMirror, "https://kernel.ubuntu.com/mainline"
	case SourceKernelOrg:
		env, def = EnvKernelOrgMirror, "https://cdn.kernel.org/pub/linux/kernel"
	}
	var out []string
	for _, m := range strings.Split(os.Getenv(env), ",") {
		if m = strings.TrimRight(strings.TrimSpace(m), "/"); m != "" {
			out = append(out, m)
		}
	}
	if len(out) == 0 {
		out = []string{def}
	}
	return out
}

// packageURLs are the places p can be fetched from.
func packageURLs(source string, p Package) []string {
	var out []string
	for _, m := range Mirrors(source) {
		out = append(out, m+"/"+p.Path)
	}
	return out
}
