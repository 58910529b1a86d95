package e2e

import (
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/rolloutlab/rolloutlab/harness/verdict"
	"github.com/rolloutlab/rolloutlab/scenario"
)

var _ = Describe("kube-proxy tier", Label("kube-proxy"), func() {
	BeforeEach(func() {
		if !tierWanted(scenario.TierKubeProxy) {
			Skip("set ROLLOUTLAB_TIER to include kube-proxy to build and run the real kube-proxy")
		}
	})

	It("runs the rollout through a real API server and real kube-proxy releases, each mode", func(ctx SpecContext) {
		// Both sides of the conn_reuse_mode policy change (PR 102122): the
		// pre-1.22 release sets the sysctl itself; the current one, in each
		// proxy mode it has. Under TCG the control plane competes with the
		// load: 30/s with 200 client ports still reuses ports within the
		// rollout.
		load := "/rate=30/ports=40000-40199"
		cur, old := scenario.DefaultKubernetesVersion, scenario.KubeProxyLegacy
		spec := "ipvs/k8s=" + old + load + ",ipvs/k8s=" + cur + load + ",iptables/k8s=" + cur + load
		if atLeast(env.Kernel.UnameR, 5, 13) {
			spec += ",nftables/k8s=" + cur + load
		} else {
			// kube-proxy refuses: "nftables mode requires kernel 5.13 or later"
			AddReportEntry("nftables cell", "not run: kube-proxy's nftables mode requires kernel 5.13 or later, this is "+env.Kernel.UnameR)
		}
		cells, err := scenario.ParseSpecs(spec)
		Expect(err).NotTo(HaveOccurred())
		kenv, _, err := env.ForCells(ctx, cells)
		Expect(err).NotTo(HaveOccurred())
		f, path, err := kenv.Scenario(ctx, cells, bootDir())
		GinkgoWriter.Printf("result: %s\n", path)
		Expect(err).NotTo(HaveOccurred())
		Expect(f.Cells).To(HaveLen(len(cells)))
		for _, c := range f.Cells {
			Expect(c.Result).NotTo(BeNil(), "cell %s error: %s", c.Name, c.Error)
			r := c.Result
			eff := r.Effective
			mode := r.Cell.ProxyMode

			By(c.Name + ": kube-proxy " + r.Cell.KubernetesVersion + " runs in the mode asked for, as it reports itself")
			Expect(eff.Sysctls).To(HaveKeyWithValue("kube-proxy:version", r.Cell.KubernetesVersion))
			Expect(eff.Sysctls).To(HaveKeyWithValue("kube-proxy:proxyMode", mode))
			switch mode {
			case scenario.ModeIPVS:
				Expect(eff.IPVS).To(ContainSubstring("10.96.0.10:80"))
				Expect(eff.Sysctls).To(HaveKeyWithValue("net/ipv4/vs/expire_nodest_conn", "1"))
				By(c.Name + ": the conn_reuse_mode kube-proxy left in effect is the one its release's policy gives for this kernel")
				Expect(r.ConnReuse.Set).To(Equal(!newerThan59(f.Facts.KernelRelease) || r.Cell.KubernetesVersion == old), r.ConnReuse.Reason)
				want := "1" // the kernel's default, restored before every cell
				if r.ConnReuse.Set {
					want = fmt.Sprint(r.ConnReuse.Value)
				}
				if r.Cell.KubernetesVersion == old {
					want = "0" // pre-1.22: on every kernel
				}
				Expect(eff.Sysctls).To(HaveKeyWithValue("net/ipv4/vs/conn_reuse_mode", want))
			case scenario.ModeIPTables:
				Expect(eff.Rules).To(ContainSubstring("10.96.0.10/32"))
			case scenario.ModeNFTables:
				Expect(eff.Rules).To(ContainSubstring("table ip kube-proxy"))
			}

			By(c.Name + ": the symptoms are the ones the kernel's fixes predict")
			Expect(r.Counts.Requests).To(BeNumerically(">", 0))
			Expect(c.Verdict.Status).NotTo(Equal(verdict.Error), strings.Join(c.Verdict.Reasons, "; "))
			expectPredictedSymptoms(f, &c)

			By(c.Name + ": fidelity: what kube-proxy programmed against what the dataplane tier programs")
			fd := eff.Fidelity
			Expect(fd).NotTo(BeNil())
			Expect(fd.Error).To(BeEmpty())
			AddReportEntry(c.Name+" fidelity", fmt.Sprintf("compared %v, ignored %d, explained %d, unexplained %d:\n%s\nexplained:\n%s",
				fd.Compared, fd.Ignored, len(fd.Explained), len(fd.Differences), strings.Join(fd.Differences, "\n"), strings.Join(fd.Explained, "\n")))
			for _, d := range fd.Differences {
				// the IPVS services and weights kube-proxy programs are the
				// dataplane tier's in every release it models or not
				Expect(d).NotTo(HavePrefix("ipvs:"), "IPVS tables differ")
			}
			if fd.KubeProxy == fd.Model {
				Expect(fd.Differences).To(BeEmpty(), "kube-proxy %s (the release the dataplane tier models) programmed differently, unexplained", fd.Model)
			}
			AddReportEntry(c.Name+" control plane ready (s)", eff.Sysctls["kube-proxy:control_plane_ready_s"])
		}
	}, SpecTimeout(60*time.Minute))
})

// newerThan59 reads "6.1.0-30-cloud-amd64" as 6.1 >= 5.9.
func newerThan59(release string) bool { return atLeast(release, 5, 9) }

// atLeast compares a kernel release's MAJOR.MINOR with wantMajor.wantMinor.
func atLeast(release string, wantMajor, wantMinor int) bool {
	var major, minor int
	if _, err := fmt.Sscanf(release, "%d.%d", &major, &minor); err != nil {
		return false
	}
	return major > wantMajor || (major == wantMajor && minor >= wantMinor)
}
