package kernel

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rolloutlab/rolloutlab/harness/fetch"
)

// Environment variables overriding where pinned files are downloaded from.
// Each may hold several base URLs separated by commas, tried in order; the
// pinned sha256 decides whether what came back is right. A base without a
// scheme is a local directory, so a kernel can be provided offline.
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

// Public defaults of the mirrors above.
const (
	defaultDebian         = "http://deb.debian.org/debian"
	defaultUbuntuMainline = "https://kernel.ubuntu.com/mainline"
	defaultKernelOrg      = "https://cdn.kernel.org/pub/linux/kernel"
)

// Mirrors returns the base URLs to fetch a source kind's packages from:
// the environment override if set, else the public default.
func Mirrors(source string) []string {
	env, def := EnvDebianMirror, defaultDebian
	switch source {
	case SourceUbuntuMainline:
		env, def = EnvUbuntuMainlineMirror, defaultUbuntuMainline
	case SourceKernelOrg:
		env, def = EnvKernelOrgMirror, defaultKernelOrg
	}
	var out []string
	for _, m := range strings.Split(os.Getenv(env), ",") {
		if m = strings.TrimRight(strings.TrimSpace(m), "/"); m != "" {
			out = append(out, localMirrorURL(m))
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

// localMirrorURL turns a directory path into a file:// URL; URLs pass.
func localMirrorURL(m string) string {
	if strings.Contains(m, "://") {
		return m
	}
	if abs, err := filepath.Abs(m); err == nil {
		m = abs
	}
	return "file://" + filepath.ToSlash(m)
}

// httpClient fetches from http(s) mirrors and from file:// ones. Time-outs
// bound a mirror that accepts connections but never answers; a large body
// may still take as long as it needs.
func httpClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ResponseHeaderTimeout = time.Minute
	t.RegisterProtocol("file", http.NewFileTransport(http.Dir("/")))
	return &http.Client{Transport: t}
}

// newStore is the download store under cacheDir.
func newStore(cacheDir string, client *http.Client, progress io.Writer) *fetch.Store {
	return &fetch.Store{Dir: filepath.Join(cacheDir, "downloads"), Client: client, Progress: progress}
}
