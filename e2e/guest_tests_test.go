package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/rolloutlab/rolloutlab/harness/image"
	"github.com/rolloutlab/rolloutlab/harness/run"
	"github.com/rolloutlab/rolloutlab/wire"
)

// guestTestPackages are the packages whose tests need a real node (root,
// network namespaces, nft/iptables/ipset, IPVS): on the host they skip, so
// their test binaries run here, inside a guest, where they must not. Each
// lists the tests that must PASS there (not skip, not be absent).
var guestTestPackages = []struct {
	name, pkg string
	mustPass  []string
}{
	{"proxy", "./vmimages/guest/proxy", []string{"TestNFTablesRulesApply", "TestIPTablesRulesApply", "TestIPVSModeCompanionsApply"}},
	{"runner", "./vmimages/guest/runner", []string{"TestRunCellsHost"}},
	{"kindtier", "./vmimages/guest/kindtier", []string{"TestRunModelInNewNetns"}},
}

// guestTestDir is where the test binaries land in the guest.
const guestTestDir = "/opt/rolloutlab-tests"

// inGuestEnv tells the guest-side tests they run in a guest: a missing tool,
// root or netns is then a failure instead of a skip.
const inGuestEnv = "ROLLOUTLAB_IN_GUEST=1"

// buildGuestTests compiles each package's test binary static, as the agent
// is built (run.BuildAgent), and returns guest path -> host path. One go
// command builds them all (in parallel); with -o naming a directory it
// writes <package>.test there, and each name equals its package's.
func buildGuestTests(ctx SpecContext, dir string) map[string]string {
	root, err := run.ModuleRoot()
	Expect(err).NotTo(HaveOccurred())
	args := []string{"test", "-c", "-trimpath", "-ldflags=-s -w -buildid=", "-o", dir + "/"}
	for _, p := range guestTestPackages {
		Expect(path.Base(p.pkg)).To(Equal(p.name), "guest test package %s: its name must be its directory's", p.pkg)
		args = append(args, p.pkg)
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	b, err := cmd.CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), "go %s:\n%s", strings.Join(args, " "), b)
	files := map[string]string{}
	for _, p := range guestTestPackages {
		out := filepath.Join(dir, p.name+".test")
		Expect(out).To(BeAnExistingFile(), "go test -c %s wrote no binary (no tests?)", p.pkg)
		files[path.Join(guestTestDir, p.name+".test")] = out
	}
	return files
}

// guestTestScript runs every binary in turn, its output (stdout and stderr)
// between markers that carry its exit code.
func guestTestScript() string {
	var s strings.Builder
	s.WriteString("cd /tmp\n")
	for _, p := range guestTestPackages {
		fmt.Fprintf(&s, "echo '=== guest-test %[1]s'\n%[2]s %[3]s/%[1]s.test -test.v -test.count=1 -test.timeout=3m 2>&1\necho \"=== guest-test-exit %[1]s $?\"\n",
			p.name, inGuestEnv, guestTestDir)
	}
	return s.String()
}

// guestTestSection is one binary's output and exit code; exit -1 = no marker.
func guestTestSection(stdout, name string) (string, int) {
	start := "=== guest-test " + name + "\n"
	i := strings.Index(stdout, start)
	if i < 0 {
		return "", -1
	}
	rest := stdout[i+len(start):]
	m := regexp.MustCompile(`(?m)^=== guest-test-exit ` + regexp.QuoteMeta(name) + ` (\d+)$`).FindStringSubmatchIndex(rest)
	if m == nil {
		return rest, -1
	}
	var code int
	fmt.Sscan(rest[m[2]:m[3]], &code)
	return rest[:m[0]], code
}

// guestTestsArchive builds the guest test binaries into an initramfs
// fragment under dir and says how long the build took.
func guestTestsArchive(ctx SpecContext, dir string) (string, time.Duration) {
	start := time.Now()
	files := buildGuestTests(ctx, dir)
	archive, err := image.FilesArchive(files)
	Expect(err).NotTo(HaveOccurred())
	frag := filepath.Join(dir, "guest-tests.cpio.gz")
	Expect(os.WriteFile(frag, archive, 0o644)).To(Succeed())
	return frag, time.Since(start)
}

// expectGuestTestsPassed judges every guest test binary's section of the
// boot's output: exit 0, each must-pass test passed, nothing skipped.
func expectGuestTestsPassed(res *wire.ExecResult) {
	for _, p := range guestTestPackages {
		section, code := guestTestSection(res.Stdout, p.name)
		show := fmt.Sprintf("%s.test in the guest:\n%s\n--- stderr\n%s", p.name, section, res.Stderr)
		Expect(code).To(Equal(0), "exit code of %s", show)
		for _, name := range p.mustPass {
			Expect(section).To(MatchRegexp(`(?m)^--- PASS: `+regexp.QuoteMeta(name)+` `), "%s did not pass (skipped, failed or absent) in %s", name, show)
		}
		Expect(section).NotTo(ContainSubstring("--- SKIP"), "a test skipped inside the guest in %s", show)
	}
}
