package e2e

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/rolloutlab/rolloutlab/harness/qemu"
	"github.com/rolloutlab/rolloutlab/harness/run"
	"github.com/rolloutlab/rolloutlab/wire"
)

// guestSysctls collects the "sysctl NAME=VALUE" lines of a script's output.
func guestSysctls(stdout string) map[string]string {
	got := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^sysctl ([a-z_]+)=(.*)$`).FindAllStringSubmatch(stdout, -1) {
		got[m[1]] = strings.TrimSpace(m[2])
	}
	return got
}

// smokeScripts are the smoke checks that run as shell in the guest. They
// share one boot: each runs in its own subshell, in order, its output
// between markers carrying its exit code (see guestTestSection), so every
// spec below judges only its own script.
var smokeScripts = []struct{ name, script string }{
	// As kube-proxy does: lo up and the VIP on kube-ipvs0, or IPVS
	// refuses the real server ("address not unicast"). Then the sysctls
	// its ipvs proxier writes, in its order, and every value read back:
	// a sysctl this kernel lacks or refuses fails the script.
	{"ipvs", `set -e
/sbin/ip link set lo up
/sbin/ip link add kube-ipvs0 type dummy
/sbin/ip addr add 10.96.0.10/32 dev kube-ipvs0
ipvsadm -A -t 10.96.0.10:80 -s rr
ipvsadm -a -t 10.96.0.10:80 -r 10.244.0.5:8080 -m -w 1
ipvsadm -Ln
for s in conntrack expire_nodest_conn expire_quiescent_template; do
  echo 1 > /proc/sys/net/ipv4/vs/$s || { echo "cannot write net.ipv4.vs.$s" >&2; exit 3; }
done
for s in conn_reuse_mode expire_nodest_conn expire_quiescent_template conntrack; do
  v=$(cat /proc/sys/net/ipv4/vs/$s) || { echo "cannot read net.ipv4.vs.$s" >&2; exit 4; }
  printf 'sysctl %s=%s\n' $s "$v"
done`},
	// Conntrack stays idle in a namespace until something registers its
	// hooks, as kube-proxy's ct-state rules do (domain.md). An empty nat
	// chain is not enough under iptables-nft: it takes no conntrack
	// reference, so the rule must match on conntrack state.
	{"conntrack", `set -e
/sbin/ip link set lo up
iptables -A OUTPUT -p tcp --dport 7777 -m conntrack --ctstate NEW,ESTABLISHED -j ACCEPT
busybox nc -l -p 7777 >/dev/null &
sleep 0.3
echo ping | busybox nc -w 2 127.0.0.1 7777 || true
conntrack -L -p tcp --dport 7777 2>/dev/null`},
}

// smokeScript joins smokeScripts into one guest command.
func smokeScript() string {
	var b strings.Builder
	for _, s := range smokeScripts {
		fmt.Fprintf(&b, "echo '=== guest-test %s'\n( %s\n) 2>&1\necho \"=== guest-test-exit %s $?\"\n", s.name, s.script, s.name)
	}
	return b.String()
}

var _ = Describe("smoke", Label("smoke"), Ordered, func() {
	// One boot for all four: the guest packages' test binaries first (they
	// work in namespaces of their own and leave the root one torn down),
	// then the smoke scripts; the probe's facts come with every boot's
	// hello, and each spec judges only its own section of the output.
	var boot *run.Result
	BeforeAll(func(ctx SpecContext) {
		start := time.Now()
		frag, built := guestTestsArchive(ctx, GinkgoT().TempDir())
		var err error
		boot, err = env.WithExtra([]string{frag}, 0).Boot(ctx,
			wire.Request{Mode: wire.ModeExec, Command: []string{guestTestScript() + smokeScript()}}, run.BootOptions{OutDir: bootDir()})
		Expect(err).NotTo(HaveOccurred())
		Expect(boot.Exec).NotTo(BeNil(), "guest sent no exec result")
		AddReportEntry("smoke boot", fmt.Sprintf("guest tests built in %s, build + boot %s", built.Round(time.Millisecond), time.Since(start).Round(time.Millisecond)))
		GinkgoWriter.Printf("--- stdout\n%s--- stderr\n%s", boot.Exec.Stdout, boot.Exec.Stderr)
	}, NodeTimeout(8*time.Minute))

	It("runs the guest packages' test binaries inside a guest, where none may skip", func() {
		expectGuestTestsPassed(boot.Exec)
	})

	// section returns one script's output; a missing marker or a non-zero
	// exit fails the spec that asked.
	section := func(name string) string {
		out, code := guestTestSection(boot.Exec.Stdout, name)
		Expect(code).To(Equal(0), "smoke script %s in the guest exited %d:\n%s", name, code, out)
		return out
	}

	It("boots exactly the requested kernel and reports the accelerator it really used", func() {
		Expect(boot.Facts.KernelRelease).To(Equal(env.Kernel.UnameR), "guest runs a different kernel than requested")
		if env.Accel == qemu.AccelKVM {
			Expect(boot.Facts.Clocksource).To(Equal("kvm-clock"))
		} else {
			Expect(boot.Facts.Clocksource).NotTo(Equal("kvm-clock"))
		}
		AddReportEntry("boot-to-agent", time.Duration(boot.Facts.BootToAgent).String())
	})

	It("has a usable IPVS with the sysctls kube-proxy sets", func() {
		out := section("ipvs")
		Expect(out).To(ContainSubstring("TCP  10.96.0.10:80 rr"))
		Expect(out).To(MatchRegexp(`->\s+10\.244\.0\.5:8080\s+Masq\s+1`))
		got := guestSysctls(out)
		// kube-proxy sets these three to 1. conn_reuse_mode it sets (to 0)
		// only below kernel 5.9; left as booted here, it must still read
		// as a mode.
		for name, want := range map[string]int{"conntrack": 1, "expire_nodest_conn": 1, "expire_quiescent_template": 1} {
			Expect(got).To(HaveKey(name), "net.ipv4.vs.%s not reported", name)
			Expect(strconv.Atoi(got[name])).To(Equal(want), "net.ipv4.vs.%s", name)
		}
		Expect(got).To(HaveKey("conn_reuse_mode"))
		Expect(strconv.Atoi(got["conn_reuse_mode"])).To(BeNumerically(">=", 0), "net.ipv4.vs.conn_reuse_mode")
	})

	It("tracks connections in conntrack once a ct rule registers its hooks", func() {
		out := section("conntrack")
		Expect(strings.Count(out, "dport=7777")).To(BeNumerically(">=", 1), "no conntrack entry for the test connection")
	})
})
