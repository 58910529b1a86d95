package kernel

import (
	"fmt"
	"strings"
)

// UnknownKernelError is returned by Resolve when s names no kernel, or
// several. Valid lists every accepted value so a CLI can print it as is.
type UnknownKernelError struct {
	Query     string
	Ambiguous []string // names matched when the query was ambiguous
	Valid     []string // "6.1 (6.1.176, Debian bookworm cloud)", one per kernel
	// Hint says what else is accepted (versions outside the catalog) and,
	// when Query looked like a version, why it was not tried upstream.
	Hint string
}

func (e *UnknownKernelError) Error() string {
	what := "unknown kernel"
	if len(e.Ambiguous) > 0 {
		what = fmt.Sprintf("ambiguous kernel (matches %s)", strings.Join(e.Ambiguous, ", "))
	}
	msg := fmt.Sprintf("%s %q: valid values are %s", what, e.Query, strings.Join(e.Valid, ", "))
	if e.Hint != "" {
		msg += "; " + e.Hint
	}
	return msg
}

// Resolve maps what a user typed to an entry: "" is the default; an exact
// name wins; otherwise s must be a version prefix of exactly one entry's
// release on a dot boundary ("6.1" matches 6.1.176, not 6.12.117), or equal
// its uname -r. Failing that, a Linux version outside the catalog's series
// ("5.9", "4.19.220", "6.13-rc2", or "mainline-6.1.17" for one inside)
// resolves to Ubuntu's mainline build of it, which Prepare looks up at the
// mirror. Resolve itself never touches the network or disk.
func (c *Catalog) Resolve(s string) (*Entry, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		s = c.Default
	}
	for _, e := range c.Kernels {
		if e.Name == s {
			return e, nil
		}
	}
	// A version names a stock kernel; control kernels (source builds with
	// fixes reverted) share their base's version and are asked for by name.
	var matches []*Entry
	for _, e := range c.Kernels {
		if e.Source == SourceBuild {
			continue
		}
		if e.UnameR == s || versionPrefix(s, e.Release) {
			matches = append(matches, e)
		}
	}
	if len(matches) == 1 {
		return matches[0], nil
	}
	err := &UnknownKernelError{Query: s, Valid: c.validValues()}
	if len(matches) == 0 {
		e, why := c.mainlineFor(s)
		if e != nil {
			return e, nil
		}
		err.Hint = mainlineHint
		if why != "" {
			err.Hint += ": " + why
		}
	}
	for _, e := range matches {
		err.Ambiguous = append(err.Ambiguous, e.Name)
	}
	return nil, err
}

// versionPrefix reports whether prefix is release or a leading run of its
// dot-separated components.
func versionPrefix(prefix, release string) bool {
	return prefix == release || strings.HasPrefix(release, prefix+".")
}

func (c *Catalog) validValues() []string {
	var out []string
	for _, e := range c.Kernels {
		v := fmt.Sprintf("%s (%s, %s)", e.Name, e.Release, e.Description)
		if e.Name == c.Default {
			v += " [default]"
		}
		out = append(out, v)
	}
	return out
}
