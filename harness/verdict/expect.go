package verdict

import (
	"fmt"
	"slices"

	"github.com/rolloutlab/rolloutlab/scenario"
)

// Expectation is what the IPVS code a kernel carries predicts for a cell.
type Expectation struct {
	Symptoms []Symptom `json:"symptoms"` // empty: the cell must be clean
	Why      string    `json:"why"`
}

// Expect predicts a cell's symptoms from the fixes the kernel carries
// (A, B, C of the README) and the sysctls in effect. ok is false when a fix
// the prediction depends on is not known for this kernel.
//
// The rules follow ip_vs_in()'s port-reuse branch (ip_vs_core.c):
//   - iptables, nftables: conntrack replaces a TIME_WAIT entry on a new SYN
//     and NAT is decided afresh: clean on every kernel.
//   - ipvs, conn_reuse_mode=0, expire_nodest_conn=0: the reuse branch is
//     never taken, a reused port sticks to its old real server: stale on
//     every kernel (the control).
//   - ipvs, mode 0, expire_nodest_conn=1: without C the branch is guarded
//     by `conn_reuse_mode &&`, so the same stickiness (81775). With C the
//     connection to the weight-0 server is rescheduled, but without A a
//     packet carrying any conntrack is dropped first: 1 s SYN retransmits.
//   - ipvs, mode 1 or 2: a reused TIME_WAIT entry is rescheduled; without A
//     the SYN is dropped whenever the packet has conntrack (the 1 s drop).
//
// Fix B acts when a real server is deleted, which graceful termination
// defers until its connections are gone: it changes no default cell.
func Expect(r *scenario.CellResult, fixes scenario.FixSet) (Expectation, bool) {
	c := r.Cell
	if c.ProxyMode != scenario.ModeIPVS {
		return Expectation{Why: string(c.ProxyMode) + " mode: conntrack re-NATs a reused TIME_WAIT tuple"}, true
	}
	mode, nodest, err := effectiveIPVS(r)
	if err != nil {
		return Expectation{Why: err.Error()}, false
	}
	a, knownA := fixes.Has(scenario.FixA)
	cfix, knownC := fixes.Has(scenario.FixC)
	switch {
	case mode == "0" && nodest == "0":
		return Expectation{Symptoms: []Symptom{StaleBackend}, Why: "conn_reuse_mode=0 with expire_nodest_conn=0 keeps reused ports on their old real server on every kernel"}, true
	case mode == "0":
		if !knownC {
			return Expectation{Why: "fix C unknown for this kernel"}, false
		}
		if !cfix {
			return Expectation{Symptoms: []Symptom{StaleBackend}, Why: "without fix C, conn_reuse_mode=0 skips the reuse branch: reused ports stick to the weight-0 pod"}, true
		}
		if !knownA {
			return Expectation{Why: "fix A unknown for this kernel"}, false
		}
		if !a {
			return Expectation{Symptoms: []Symptom{SYNDrop}, Why: "fix C reschedules reused ports of the weight-0 pod, but without fix A the SYN is dropped first"}, true
		}
		return Expectation{Why: "fixes A and C: reused ports of the weight-0 pod are rescheduled at once"}, true
	default:
		if !knownA {
			return Expectation{Why: "fix A unknown for this kernel"}, false
		}
		if !a {
			return Expectation{Symptoms: []Symptom{SYNDrop}, Why: fmt.Sprintf("conn_reuse_mode=%s without fix A drops a SYN that reuses a tracked tuple", mode)}, true
		}
		return Expectation{Why: fmt.Sprintf("conn_reuse_mode=%s with fix A reschedules reused tuples without a drop", mode)}, true
	}
}

// effectiveIPVS reads conn_reuse_mode and expire_nodest_conn as the guest
// read them back, falling back to what the cell asked for.
func effectiveIPVS(r *scenario.CellResult) (mode, nodest string, err error) {
	mode = r.Effective.Sysctls["net/ipv4/vs/conn_reuse_mode"]
	if mode == "" && slices.Contains(scenario.ReuseModes(), r.Cell.ConnReuseMode) {
		mode = r.Cell.ConnReuseMode
	}
	nodest = r.Effective.Sysctls["net/ipv4/vs/expire_nodest_conn"]
	if nodest == "" && r.Cell.ExpireNodestConn != nil {
		nodest = fmt.Sprint(*r.Cell.ExpireNodestConn)
	}
	if mode == "" || nodest == "" {
		return "", "", fmt.Errorf("cell %s: conn_reuse_mode %q / expire_nodest_conn %q not read back", r.Cell.Name, mode, nodest)
	}
	return mode, nodest, nil
}
