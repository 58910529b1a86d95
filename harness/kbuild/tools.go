package kbuild

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// tool is a build prerequisite and the Debian package that provides it.
type tool struct{ name, pkg string }

var buildTools = []tool{
	{"gcc", "gcc"}, {"make", "make"}, {"bison", "bison"}, {"flex", "flex"},
	{"bc", "bc"}, {"patch", "patch"}, {"tar", "tar"}, {"xz", "xz-utils"},
	{"perl", "perl-base"},
}

// libelf headers: objtool (x86-64 stack validation / ORC) needs them.
var libelfHeaders = []string{"/usr/include/libelf.h", "/usr/include/gelf.h"}

// CheckTools reports every missing prerequisite at once, with the apt-get
// command that installs them.
func CheckTools() error {
	var missing, pkgs []string
	for _, t := range buildTools {
		if _, err := exec.LookPath(t.name); err != nil {
			missing = append(missing, t.name)
			pkgs = append(pkgs, t.pkg)
		}
	}
	for _, h := range libelfHeaders {
		if _, err := os.Stat(h); err != nil {
			missing = append(missing, "libelf ("+h+")")
			pkgs = append(pkgs, "libelf-dev")
			break
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("kernel build prerequisites missing: %s; install with: apt-get install -y --no-install-recommends %s",
		strings.Join(missing, ", "), strings.Join(pkgs, " "))
}

// CompilerVersion is the first line of `gcc --version` (part of the cache key).
func CompilerVersion(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "gcc", "--version").Output()
	if err != nil {
		return "", fmt.Errorf("gcc --version: %w", err)
	}
	line, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(line), nil
}

// ccachePath returns the ccache binary, or "" when it is not installed
// (the build then runs without it).
func ccachePath() string {
	p, err := exec.LookPath("ccache")
	if err != nil {
		return ""
	}
	return p
}
