package e2e

import (
	"fmt"
	"os"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/rolloutlab/rolloutlab/harness/results"
	"github.com/rolloutlab/rolloutlab/harness/scenario"
)

// kubeProxyTierWanted: the tier builds Kubernetes from source (minutes), so
// it runs only when asked, e.g. ROLLOUTLAB_TIER=dataplane,kube-proxy.
func kubeProxyTierWanted() bool {
	for _, t := range strings.Split(os.Getenv("ROLLOUTLAB_TIER"), ",") {
		if strings.TrimSpace(t) == scenario.TierKubeProxy {
			return true
		}
	}
	return false
}

var _ = Describe("kube-proxy tier", Label("kube-proxy"), func() {
	BeforeEach(func() {
		if !kubeProxyTierWanted() {
			Skip("set ROLLOUTLAB_TIER to include kube-proxy to build and run the real kube-proxy")
		}
	})

	It("runs a rollout through a real API server and the current kube-proxy in IPVS mode", func(ctx SpecContext) {
		// The current release as it is, and the pre-1.22 policy
		// (conn_reuse_mode=0 on every kernel) set by hand after it started:
		// no pre-1.22 kube-apiserver builds from the module proxy (its
		// generated OpenAPI code is not in the module zip).
		// Under TCG the control plane competes with the load: 30/s with 200
		// client ports still reuses ports within the rollout.
		load := "/rate=30/ports=40000-40199"
		spec := "ipvs/k8s=" + scenario.DefaultKubernetesVersion + load + ",ipvs:0/k8s=" + scenario.DefaultKubernetesVersion + load
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
			eff := c.Result.Effective

			By(c.Name + ": kube-proxy runs in the mode asked for, as it reports itself")
			Expect(eff.Sysctls).To(HaveKeyWithValue("kube-proxy:proxyMode", "ipvs"))
			Expect(eff.IPVS).To(ContainSubstring("10.96.0.10:80"))
			Expect(eff.Sysctls).To(HaveKeyWithValue("net/ipv4/vs/expire_nodest_conn", "1"))
			if c.Result.Cell.ConnReuseMode == "0" {
				Expect(eff.Sysctls).To(HaveKeyWithValue("net/ipv4/vs/conn_reuse_mode", "0"))
			} else if newerThan59(f.Facts.KernelRelease) {
				By(c.Name + ": conn_reuse_mode is left at the kernel default (1) on a kernel >= 5.9")
				Expect(eff.Sysctls).To(HaveKeyWithValue("net/ipv4/vs/conn_reuse_mode", "1"))
				Expect(c.Result.ConnReuse.Set).To(BeFalse(), c.Result.ConnReuse.Reason)
			}

			By(c.Name + ": the symptoms are the ones the kernel's fixes predict")
			Expect(c.Result.Counts.Requests).To(BeNumerically(">", 0))
			Expect(c.Verdict.Status).NotTo(Equal(results.Error), strings.Join(c.Verdict.Reasons, "; "))
			expectPredictedSymptoms(f, &c)

			if fd := eff.Fidelity; fd != nil {
				AddReportEntry(c.Name+" fidelity differences", strings.Join(fd.Differences, "\n"))
			}
			AddReportEntry(c.Name+" control plane ready (s)", eff.Sysctls["kube-proxy:control_plane_ready_s"])
		}
	}, SpecTimeout(60*time.Minute))
})

// newerThan59 reads "6.1.0-30-cloud-amd64" as 6.1 >= 5.9.
func newerThan59(release string) bool {
	var major, minor int
	if _, err := fmt.Sscanf(release, "%d.%d", &major, &minor); err != nil {
		return false
	}
	return major > 5 || (major == 5 && minor >= 9)
}
