package doctor

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rolloutlab/rolloutlab/harness/verdict"
	"github.com/rolloutlab/rolloutlab/scenario"
)

// remedies lists the changes that remove a symptom some world of this
// node shows (or may show), each with the matrix cells that back it.
func remedies(f Facts, up Upstream, claims Claims, outs []outcome) []Remedy {
	var stale0, staleNodest0, syn, any bool
	for _, o := range outs {
		if o.w.mode != scenario.ModeIPVS || (o.known && len(o.symptoms) == 0) {
			continue
		}
		any = true
		mayStale := !o.known || slices.Contains(o.symptoms, verdict.StaleBackend)
		maySyn := !o.known || slices.Contains(o.symptoms, verdict.SYNDrop)
		switch {
		case mayStale && o.w.reuse == "0" && o.w.nodest == "0":
			staleNodest0 = true
		case mayStale && o.w.reuse == "0":
			stale0 = true
		}
		syn = syn || maySyn
	}
	var out []Remedy
	if staleNodest0 {
		out = append(out, Remedy{ID: "expire-nodest-conn",
			Text:  "set net.ipv4.vs.expire_nodest_conn=1 (kube-proxy in IPVS mode sets it; with 0 a reused port sticks to its old pod on every kernel)",
			Cells: []string{"6.1 ipvs-reuse0-nodest0 (affected)", "6.1 ipvs-reuse0 (clean)"}})
	}
	if stale0 && claims.Get(scenario.FixC).State != Present {
		out = append(out, Remedy{ID: "kernel-fix-c", Text: "run a kernel with fix C " + fixWhere(scenario.FixC),
			Cells: []string{"5.10-revert-C ipvs-reuse0 (affected, C reverted)", "5.10 ipvs-reuse0 (clean)"}})
	}
	if stale0 && claims.Get(scenario.FixA).State != Absent {
		out = append(out, Remedy{ID: "conn-reuse-mode-1", Text: reuseRemedy(f, up),
			Cells: []string{"5.10-revert-C ipvs-reuse1 (clean)", "5.10-revert-C ipvs-kp1.34.2 (clean)", "5.10-revert-C ipvs-kp1.21.8 (affected)"}})
	}
	if syn && claims.Get(scenario.FixA).State != Present {
		out = append(out, Remedy{ID: "kernel-fix-a", Text: "run a kernel with fix A " + fixWhere(scenario.FixA) +
			"; conn_reuse_mode=0 does not avoid the drop on a kernel with C but without A",
			Cells: []string{"5.10-revert-A ipvs-reuse1 (affected, A reverted)", "5.10-revert-A ipvs-reuse0 (affected)", "5.10 ipvs-reuse1 (clean)"}})
	}
	if any {
		out = append(out, Remedy{ID: "proxy-mode", Text: modeRemedy(up),
			Cells: []string{"5.10-revert-ABC iptables (clean)", "5.10-revert-ABC nftables (clean)", "6.1 nftables (clean)"}})
	}
	return out
}

// fixWhere says where a fix is, from the table.
func fixWhere(id scenario.Fix) string {
	ff, _ := FixFactFor(id)
	var st []string
	for _, b := range ff.Stable {
		st = append(st, b.Series+": "+b.Point())
	}
	s := fmt.Sprintf("(%s %q, mainline %s", ff.Commit, ff.Title, ff.Mainline)
	if len(st) > 0 {
		s += "; stable " + strings.Join(st, ", ")
	}
	return s + "; a distribution kernel has it when its changelog names that title)"
}

// reuseRemedy is conn_reuse_mode=1 as kube-proxy decides it for this kernel.
func reuseRemedy(f Facts, up Upstream) string {
	s := "use conn_reuse_mode=1 (needs fix A, else the 1 s SYN drop replaces 81775): "
	if f.KubeProxyVersion != "" {
		if d, err := scenario.KubeProxyConnReuse(f.KubeProxyVersion, f.KernelRelease); err == nil {
			s += fmt.Sprintf("kube-proxy %s on this kernel: %s; ", f.KubeProxyVersion, d.Reason)
		}
	}
	if up.Version.Major == 0 || up.Version.seriesCmp("5.9") >= 0 {
		return s + "kube-proxy 1.22.0, 1.21.9, 1.20.15 and later leave it at the kernel default 1 on kernels >= 5.9 (PR 102122): upgrade kube-proxy"
	}
	return s + "every kube-proxy sets 0 on kernels below 5.9 (PR 102122 keys on the version), so this needs a kernel >= 5.9"
}

func modeRemedy(up Upstream) string {
	s := "run kube-proxy in nftables or iptables mode: conntrack re-NATs a reused port on every kernel (IPVS mode is deprecated since 1.35)"
	switch {
	case up.Version.Major == 0:
		return s + "; nftables mode needs kernel >= 5.13 for kube-proxy 1.34"
	case up.Version.seriesCmp("5.13") < 0:
		return s + "; nftables mode is refused by kube-proxy 1.34 below kernel 5.13, so on this kernel: iptables"
	}
	return s
}

// suggestions say what would decide an unknown answer.
func suggestions(f Facts, r Report, probe *ProbeReport) []string {
	var out []string
	if r.Answer == AnswerUnknown && (probe == nil || !probe.Trusted) {
		out = append(out, "run `sudo rolloutlab doctor --probe`: it measures the cells "+ProbeCells+" on this running kernel in throwaway network namespaces and answers from the measurement")
	}
	if f.ProxyMode == "" {
		out = append(out, "pass --proxy-mode (kube-proxy's metrics endpoint 127.0.0.1:10249 did not answer)")
	}
	if f.KubeProxyVersion == "" && f.Sysctls[SysctlConnReuse] == "" {
		out = append(out, "pass --kube-proxy-version: with ip_vs not loaded, the conn_reuse_mode kube-proxy will set depends on it")
	}
	return out
}
