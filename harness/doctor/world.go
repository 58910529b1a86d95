package doctor

import (
	"fmt"
	"strings"

	"github.com/rolloutlab/rolloutlab/harness/verdict"
	"github.com/rolloutlab/rolloutlab/scenario"
)

// A world is one way the node could be, given what is not known: proxy
// mode, the IPVS sysctls in effect and the fixes. Diagnose predicts each
// world and answers "unknown" where the worlds disagree.
type world struct {
	mode          scenario.ProxyMode
	reuse, nodest string // ipvs only
	fixes         scenario.FixSet
	measured      *MeasuredCell // the probe's cell for this world, if any
}

// outcome is one world's prediction.
type outcome struct {
	w        world
	symptoms []verdict.Symptom
	known    bool
	why      string
}

func (w world) String() string {
	if w.mode != scenario.ModeIPVS {
		return string(w.mode) + " mode"
	}
	s := fmt.Sprintf("ipvs, conn_reuse_mode=%s, expire_nodest_conn=%s", w.reuse, w.nodest)
	if w.measured != nil {
		return s + ", measured on this kernel (cell " + w.measured.Name + ")"
	}
	var fs []string
	for _, f := range []scenario.Fix{scenario.FixA, scenario.FixC} {
		if p, ok := w.fixes.Has(f); ok {
			fs = append(fs, string(f)+map[bool]string{true: "+", false: "-"}[p])
		}
	}
	if len(fs) > 0 {
		s += ", fixes " + strings.Join(fs, " ")
	}
	return s
}

// predict uses the harness's own rules (verdict.Expect), or the
// measurement when the probe ran this world's cell.
func (w world) predict() outcome {
	if w.measured != nil {
		v := w.measured.Verdict
		if v.Status != verdict.Clean && v.Status != verdict.Affected {
			return outcome{w: w, why: "the probe could not measure it: " + strings.Join(v.Reasons, "; ")}
		}
		// Name what the cell showed: this reason also backs the other
		// symptom's answer, where "affected" alone would read as a yes.
		shown := "clean"
		if len(v.Symptoms) > 0 {
			names := make([]string, len(v.Symptoms))
			for i, sy := range v.Symptoms {
				names[i] = string(sy)
			}
			shown = "showed " + strings.Join(names, ", ")
		}
		why := fmt.Sprintf("measured over %d requests, the cell %s", w.measured.Requests, shown)
		if len(v.Reasons) > 0 {
			why += ": " + strings.Join(v.Reasons, "; ")
		}
		return outcome{w: w, symptoms: v.Symptoms, known: true, why: why}
	}
	r := &scenario.CellResult{Cell: scenario.Cell{Name: "node", ProxyMode: w.mode},
		Effective: scenario.Effective{Sysctls: map[string]string{SysctlConnReuse: w.reuse, SysctlExpireNodest: w.nodest}}}
	e, ok := verdict.Expect(r, w.fixes)
	return outcome{w: w, symptoms: e.Symptoms, known: ok, why: e.Why}
}

// worlds enumerates what is not known: the proxy mode, the IPVS sysctls,
// and fixes A and C (B changes no prediction, verdict.Expect).
func worlds(f Facts, claims Claims, m []MeasuredCell) ([]world, []string) {
	modes := scenario.ProxyModes()
	if f.ProxyMode != "" {
		modes = []scenario.ProxyMode{f.ProxyMode}
	}
	settings, why := ipvsSettings(f)
	var out []world
	for _, mode := range modes {
		if mode != scenario.ModeIPVS {
			out = append(out, world{mode: mode})
			continue
		}
		for _, s := range settings {
			if mc := measuredFor(m, s[0], s[1]); mc != nil {
				out = append(out, world{mode: mode, reuse: s[0], nodest: s[1], measured: mc})
				continue
			}
			for _, fx := range fixCompletions(claims) {
				out = append(out, world{mode: mode, reuse: s[0], nodest: s[1], fixes: fx})
			}
		}
	}
	return out, why
}

// ipvsSettings are the possible (conn_reuse_mode, expire_nodest_conn) in
// IPVS mode: as read when ip_vs is loaded, else what kube-proxy would set.
func ipvsSettings(f Facts) ([][2]string, []string) {
	reuse, rok := f.Sysctls[SysctlConnReuse]
	nodest, nok := f.Sysctls[SysctlExpireNodest]
	if rok && nok {
		return [][2]string{{reuse, nodest}}, []string{fmt.Sprintf("conn_reuse_mode=%s and expire_nodest_conn=%s as read in the host network namespace", reuse, nodest)}
	}
	const ks = "ip_vs is not loaded (no net/ipv4/vs sysctls): assuming what kube-proxy sets in IPVS mode, expire_nodest_conn=1"
	if f.KubeProxyVersion == "" {
		return [][2]string{{"0", "1"}, {"1", "1"}}, []string{ks + "; conn_reuse_mode 0 or 1 (kube-proxy version unknown)"}
	}
	d, err := scenario.KubeProxyConnReuse(f.KubeProxyVersion, f.KernelRelease)
	if err != nil {
		return [][2]string{{"0", "1"}, {"1", "1"}}, []string{ks + "; conn_reuse_mode 0 or 1 (" + err.Error() + ")"}
	}
	v := "1" // the kernel default kube-proxy leaves
	if d.Set {
		v = fmt.Sprint(d.Value)
	}
	return [][2]string{{v, "1"}}, []string{fmt.Sprintf("%s; conn_reuse_mode=%s (kube-proxy %s: %s)", ks, v, f.KubeProxyVersion, d.Reason)}
}

func measuredFor(m []MeasuredCell, reuse, nodest string) *MeasuredCell {
	for i := range m {
		if m[i].ConnReuse == reuse && m[i].Nodest == nodest {
			return &m[i]
		}
	}
	return nil
}

// fixCompletions are the fix sets consistent with the claims.
func fixCompletions(claims Claims) []scenario.FixSet {
	sets := []scenario.FixSet{claims.FixSet()}
	for _, f := range []scenario.Fix{scenario.FixA, scenario.FixC} {
		if claims.Get(f).State != Unknown {
			continue
		}
		var next []scenario.FixSet
		for _, s := range sets {
			for _, v := range []bool{true, false} {
				c := scenario.FixSet{}
				for k, x := range s {
					c[k] = x
				}
				c[f] = v
				next = append(next, c)
			}
		}
		sets = next
	}
	return sets
}
