package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/rolloutlab/rolloutlab/harness/verdict"
	"github.com/rolloutlab/rolloutlab/scenario"
)

// tierWanted reports whether ROLLOUTLAB_TIER lists t (the kube-proxy and
// kind tiers build Kubernetes and images first, minutes each, so they run
// only when asked).
func tierWanted(t scenario.Tier) bool {
	for _, s := range strings.Split(os.Getenv("ROLLOUTLAB_TIER"), ",") {
		if scenario.Tier(strings.TrimSpace(s)) == t {
			return true
		}
	}
	return false
}

// kindCells are the kind tier's default cells on a kernel: ipvs with
// conn_reuse_mode=0 (81775 on a kernel without fix C), iptables, and
// nftables where kube-proxy has that mode (kernel >= 5.13). KIND_CELLS
// replaces the list: tier=kind is added to each item, and the tier's load
// (30 requests/s, 200 client ports) and preStop unless the item sets its own.
func kindCells() string {
	load := "/tier=kind/rate=30/ports=40000-40199/prestop=" + kindPreStop
	if s := os.Getenv("KIND_CELLS"); s != "" {
		var items []string
		for _, it := range strings.Split(s, ",") {
			items = append(items, withKindLoad(strings.TrimSpace(it)))
		}
		return strings.Join(items, ",")
	}
	spec := "ipvs:0" + load + ",iptables" + load
	if atLeast(env.Kernel.UnameR, 5, 13) {
		spec += ",nftables" + load
	} else {
		AddReportEntry("nftables cell", "not run: kube-proxy's nftables mode requires kernel 5.13 or later, this is "+env.Kernel.UnameR)
	}
	return spec
}

// kindPreStop is the kind tier's preStop sleep, the usual remedy for a proxy
// that programs an endpoint's removal after the pod has exited. The other
// tiers need none (their proxy is programmed before SIGTERM or within a
// second); in a TCG kind node kube-proxy removed the first old pod 44 s
// after it exited (5.10-revert-C, iptables, 20261203T185334Z), and every
// SYN sent to the dead pod left a SYN_SENT conntrack entry that kept its
// reused client port DNATed to that pod for 120 s: 3083 of 3098 later
// requests on those ports timed out. With a CPU request of its own
// (kindtier.KubeProxyCPURequest) kube-proxy took a terminating pod out
// 2.7-5.5 s later in iptables mode, 3.3-4.9 s in nftables mode and 9.9-22.6 s
// in ipvs mode (6.1, 20261204T193942Z); with a 15 s preStop the ipvs cell's
// first old pod closed its listener 7 s before kube-proxy took it out.
const kindPreStop = "30s"

// withKindLoad adds tier=kind and the kind tier's load keys an item lacks:
// under TCG the client Pod keeps a 30/s schedule beside a whole control
// plane, not the other tiers' 100/s.
func withKindLoad(item string) string {
	item += "/tier=kind"
	if !strings.Contains(item, "/prestop=") {
		item += "/prestop=" + kindPreStop
	}
	if !strings.Contains(item, "/rate=") {
		item += "/rate=30"
	}
	if !strings.Contains(item, "/ports=") {
		item += "/ports=40000-40199"
	}
	return item
}

var _ = Describe("kind tier", Label("kind"), func() {
	BeforeEach(func() {
		if !tierWanted(scenario.TierKind) {
			Skip("set ROLLOUTLAB_TIER to include kind to build the node image and run real kind clusters")
		}
	})

	It("rolls a real Deployment with kubectl rollout restart in a kind cluster per cell, load from a client Pod", func(ctx SpecContext) {
		cells, err := scenario.ParseSpecs(kindCells())
		Expect(err).NotTo(HaveOccurred())
		kenv, _, err := env.ForCells(ctx, cells)
		Expect(err).NotTo(HaveOccurred())
		// ROLLOUTLAB_RESULTS=results keeps the run for the matrix
		out := bootDir()
		if d := os.Getenv("ROLLOUTLAB_RESULTS"); d != "" {
			out = filepath.Join(d, env.Kernel.Entry.Name, time.Now().UTC().Format("20060102T150405Z")+"-kind")
		}
		f, path, err := kenv.Scenario(ctx, cells, out)
		GinkgoWriter.Printf("result: %s\n", path)
		Expect(err).NotTo(HaveOccurred(), statusOf(f))
		Expect(f.Kind).NotTo(BeNil())
		Expect(f.Cells).To(HaveLen(len(cells)))
		for _, c := range f.Cells {
			Expect(c.Result).NotTo(BeNil(), "cell %s error: %s", c.Name, c.Error)
			r := c.Result
			eff := r.Effective
			mode := r.Cell.ProxyMode

			By(c.Name + ": the node's kube-proxy runs in the mode asked for, as it reports itself")
			Expect(eff.Sysctls).To(HaveKeyWithValue("kube-proxy:proxyMode", string(mode)))
			Expect(eff.Sysctls).To(HaveKey("kind:create_s"))
			Expect(eff.Sysctls).To(HaveKey("kube-proxy:iptables.minSyncPeriod"), "kind's kube-proxy configuration is recorded")
			vip := eff.Sysctls["kind:service"]
			Expect(vip).To(HaveSuffix(":80"))
			switch mode {
			case scenario.ModeIPVS:
				Expect(eff.IPVS).To(ContainSubstring("TCP " + vip))
				Expect(eff.IPSets).To(ContainSubstring("KUBE-CLUSTER-IP"))
				Expect(eff.Sysctls).To(HaveKeyWithValue("net/ipv4/vs/expire_nodest_conn", "1"))
				if r.Cell.ConnReuseMode == "0" {
					Expect(eff.Sysctls).To(HaveKeyWithValue("net/ipv4/vs/conn_reuse_mode", "0"), "read back in the node's netns")
				}
			case scenario.ModeIPTables:
				Expect(eff.Rules).To(ContainSubstring(strings.TrimSuffix(vip, ":80") + "/32"))
			case scenario.ModeNFTables:
				Expect(eff.Rules).To(ContainSubstring("table ip kube-proxy"))
			}

			By(c.Name + ": the node's read-back was compared with the dataplane tier's for the same endpoints")
			Expect(eff.Fidelity).NotTo(BeNil(), "no fidelity report")
			Expect(eff.Fidelity.Error).To(BeEmpty(), "fidelity not compared")
			Expect(eff.Fidelity.Compared["rules"]).To(BeNumerically(">", 0))
			Expect(eff.Fidelity.Endpoints).To(Equal(r.Cell.Rollout.Replicas))
			AddReportEntry(c.Name+" fidelity", fmt.Sprintf("%d differences explained, %d unexplained: %q", len(eff.Fidelity.Explained), len(eff.Fidelity.Differences), eff.Fidelity.Differences))

			By(c.Name + ": the rollout came from kubectl rollout restart and the API's watch, the records from the client Pod")
			Expect(eventPods(r, scenario.EvTerminating)).To(HaveLen(r.Cell.Rollout.Replicas), "every old pod got its deletion timestamp")
			Expect(eventPods(r, scenario.EvPodDeleted)).To(HaveLen(r.Cell.Rollout.Replicas))
			Expect(eventPods(r, scenario.EvEndpointRemoved)).To(HaveLen(r.Cell.Rollout.Replicas), "the dataplane let every old pod go")
			Expect(eventPods(r, scenario.EvSliceNotReady)).NotTo(BeEmpty())
			Expect(len(r.PerPod)).To(BeNumerically(">", r.Cell.Rollout.Replicas), "old and new pods answered: %v", r.PerPod)
			Expect(r.Counts.Requests).To(BeNumerically(">", 0))

			By(c.Name + ": the symptoms are the ones the kernel's fixes predict")
			Expect(c.Verdict.Status).NotTo(Equal(verdict.Error), strings.Join(c.Verdict.Reasons, "; "))
			expectPredictedSymptoms(f, &c)
			AddReportEntry(c.Name+" kind", fmt.Sprintf("create %ss, rollout %ss, kind %s %s", eff.Sysctls["kind:create_s"], eff.Sysctls["kind:rollout_s"], eff.Sysctls["kind:binary"], eff.Sysctls["kind:deviation"]))
		}
	}, SpecTimeout(120*time.Minute))
})
