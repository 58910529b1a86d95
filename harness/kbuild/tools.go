package kbuild

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// tool is a build prerequisite and the Debian package that provides it:
// a command on PATH, or, when files is set, headers that must all exist.
type tool struct {
	name  string
	pkg   string
	files []string
}

// buildTools are what a kernel build runs. The libelf headers are there
// because objtool (x86-64 stack validation / ORC) includes them.
func buildTools() []tool {
	return []tool{
		{name: "gcc", pkg: "gcc"}, {name: "make", pkg: "make"}, {name: "bison", pkg: "bison"},
		{name: "flex", pkg: "flex"}, {name: "bc", pkg: "bc"}, {name: "patch", pkg: "patch"},
		{name: "tar", pkg: "tar"}, {name: "xz", pkg: "xz-utils"}, {name: "perl", pkg: "perl-base"},
		{name: "libelf", pkg: "libelf-dev", files: []string{"/usr/include/libelf.h", "/usr/include/gelf.h"}},
	}
}

// hostProbe answers what the host has, so missingTools can be tested
// without touching PATH or the file system.
type hostProbe struct {
	hasCommand func(name string) bool
	hasFile    func(path string) bool
}

// realHost looks at PATH and the file system.
func realHost() hostProbe {
	return hostProbe{
		hasCommand: func(name string) bool { _, err := exec.LookPath(name); return err == nil },
		hasFile:    func(path string) bool { _, err := os.Stat(path); return err == nil },
	}
}

// MissingToolsError lists every missing prerequisite at once and the apt-get
// command that installs them.
type MissingToolsError struct {
	Missing  []string // e.g. "bison", "libelf (/usr/include/libelf.h)"
	Packages []string // Debian packages, in the order of Missing, no duplicates
}

func (e *MissingToolsError) Error() string {
	return fmt.Sprintf("kernel build prerequisites missing: %s; install with: %s",
		strings.Join(e.Missing, ", "), strings.Join(aptInstallArgv(e.Packages), " "))
}

// missingTools checks tools against host; nil when nothing is missing.
func missingTools(tools []tool, host hostProbe) *MissingToolsError {
	var e MissingToolsError
	seen := map[string]bool{}
	for _, t := range tools {
		what, ok := t.name, true
		if len(t.files) == 0 {
			ok = host.hasCommand(t.name)
		}
		for _, f := range t.files {
			if !host.hasFile(f) {
				what, ok = t.name+" ("+f+")", false
				break
			}
		}
		if ok {
			continue
		}
		e.Missing = append(e.Missing, what)
		if !seen[t.pkg] {
			seen[t.pkg] = true
			e.Packages = append(e.Packages, t.pkg)
		}
	}
	if len(e.Missing) == 0 {
		return nil
	}
	return &e
}

// aptInstallArgv is the command that installs pkgs, printed and run alike.
func aptInstallArgv(pkgs []string) []string {
	return append([]string{"apt-get", "install", "-y", "--no-install-recommends"}, pkgs...)
}

// CheckTools reports every missing prerequisite at once (a
// *MissingToolsError naming the apt-get command), installing nothing.
func CheckTools() error {
	if e := missingTools(buildTools(), realHost()); e != nil {
		return e
	}
	return nil
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
