package kernel

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Attempt is one URL tried at a mirror and why it did not do.
type Attempt struct {
	URL    string
	Status int // HTTP status that came back; 0 when none did (unreachable)
	Err    error
}

// MirrorError reports that no configured Ubuntu mainline mirror served a
// version: every URL tried with its failure, and how to provide the kernel
// without network access. Prepare returns it wrapped; use errors.As.
type MirrorError struct {
	Version string // as asked: "5.9"
	Dir     string // the mirror directory looked up: "v5.9"
	Tried   []Attempt
}

// Unreachable reports whether no URL tried answered over HTTP at all (no
// network, DNS failure, connection refused), as opposed to a mirror that
// answered without the build.
func (e *MirrorError) Unreachable() bool {
	for _, a := range e.Tried {
		if a.Status != 0 {
			return false
		}
	}
	return true
}

func (e *MirrorError) Unwrap() []error {
	var errs []error
	for _, a := range e.Tried {
		errs = append(errs, a.Err)
	}
	return errs
}

func (e *MirrorError) Error() string {
	var b strings.Builder
	if e.Unreachable() {
		fmt.Fprintf(&b, "Ubuntu mainline kernel %s: mirror unreachable; tried:\n", e.Version)
	} else {
		fmt.Fprintf(&b, "Ubuntu mainline kernel %s: no usable build at the mirror; tried:\n", e.Version)
	}
	for _, a := range e.Tried {
		fmt.Fprintf(&b, "  %s: %v\n", a.URL, a.Err)
	}
	fmt.Fprintf(&b, "to provide it offline, either\n"+
		"  - set %s to a local directory (a path or file:// URL) or an http:// server laid out like %s: "+
		"%s/amd64/ holding CHECKSUMS (sha256 lines), linux-image-unsigned-<uname>_*_amd64.deb and linux-modules-<uname>_*_amd64.deb "+
		"with <uname> like %sNNNNNN-generic (older releases: the same files directly in %s/), each directory with an HTML index; or\n"+
		"  - add an entry for it to kernels/catalog.json (source %q or %q with pinned packages, or %q to build it from a tarball)",
		EnvUbuntuMainlineMirror, defaultUbuntuMainline, e.Dir, kernelVersionPrefix(e.Dir), e.Dir,
		SourceUbuntuMainline, SourceDebian, SourceKernelOrg)
	return b.String()
}

// kernelVersionPrefix is the uname -r prefix for a mirror directory name,
// for the advice text; "" if dir is not a version.
func kernelVersionPrefix(dir string) string {
	if v, ok := parseVersion(dir); ok {
		return v.unamePrefix()
	}
	return ""
}

// statusError is an HTTP answer other than 200.
type statusError struct {
	Code   int
	Status string // "404 Not Found"
}

func (e *statusError) Error() string { return "HTTP " + e.Status }

// attemptFor turns a failed request into an Attempt. A bare *url.Error
// repeats the URL the Attempt already names, so only its cause is kept.
func attemptFor(u string, err error) Attempt {
	a := Attempt{URL: u, Err: err}
	var se *statusError
	var ans *answeredError
	switch {
	case errors.As(err, &se):
		a.Status = se.Code
	case errors.As(err, &ans):
		a.Status = 200
	}
	if ue, ok := err.(*url.Error); ok {
		a.Err = ue.Err
	}
	return a
}

// answeredError marks a failure after the mirror answered 200: the layout
// or content was wrong.
type answeredError struct{ err error }

func (e *answeredError) Error() string { return e.err.Error() }
func (e *answeredError) Unwrap() error { return e.err }
