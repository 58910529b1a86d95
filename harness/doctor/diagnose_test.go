package doctor

import (
	"strings"
	"testing"

	"github.com/rolloutlab/rolloutlab/harness/verdict"
	"github.com/rolloutlab/rolloutlab/scenario"
)

func kpSysctls(reuse, nodest string) map[string]string {
	return map[string]string{SysctlConnReuse: reuse, SysctlExpireNodest: nodest, SysctlExpireQuiescent: "1", SysctlVSConntrack: "1", SysctlIPForward: "1"}
}

func TestDiagnose(t *testing.T) {
	debian61 := "#1 SMP PREEMPT_DYNAMIC Debian 6.1.176-1 (2025-01-01)"
	clean := verdict.Verdict{Status: verdict.Clean}
	stale := verdict.Verdict{Status: verdict.Affected, Symptoms: []verdict.Symptom{verdict.StaleBackend}}
	tests := []struct {
		name          string
		f             Facts
		m             *Measurement
		stale, syn    Answer
		answer        Answer
		remedies      []string
		reasonHas     string
		suggestsProbe bool
	}{
		{name: "6.1 ipvs with kube-proxy's sysctls",
			f:     Facts{KernelRelease: "6.1.0-50-cloud-amd64", KernelVersion: debian61, Sysctls: kpSysctls("1", "1"), ProxyMode: scenario.ModeIPVS},
			stale: NotAffected, syn: NotAffected, answer: NotAffected, reasonHas: "fix C present, by version: C present (6.1.176 is 5.16 or later)"},
		{name: "5.4.0 distribution kernel without backport info",
			f:     Facts{KernelRelease: "5.4.0-42-generic", Sysctls: kpSysctls("0", "1"), ProxyMode: scenario.ModeIPVS},
			stale: AnswerUnknown, syn: AnswerUnknown, answer: AnswerUnknown, suggestsProbe: true,
			remedies: []string{"kernel-fix-c", "conn-reuse-mode-1", "kernel-fix-a", "proxy-mode"}},
		{name: "5.4.0 mainline release: both fixes absent",
			f:     Facts{KernelRelease: "5.4.0", Sysctls: kpSysctls("0", "1"), ProxyMode: scenario.ModeIPVS},
			stale: Affected, syn: NotAffected, answer: Affected, remedies: []string{"kernel-fix-c", "proxy-mode"}},
		{name: "unknown distribution string",
			f:     Facts{KernelRelease: "linux-custom", Sysctls: kpSysctls("1", "1"), ProxyMode: scenario.ModeIPVS},
			stale: NotAffected, syn: AnswerUnknown, answer: AnswerUnknown, suggestsProbe: true},
		{name: "unknown distribution string, mode 0",
			f:     Facts{KernelRelease: "linux-custom", Sysctls: kpSysctls("0", "1"), ProxyMode: scenario.ModeIPVS},
			stale: AnswerUnknown, syn: AnswerUnknown, answer: AnswerUnknown, suggestsProbe: true},
		{name: "iptables on an old kernel",
			f:     Facts{KernelRelease: "4.19.0", Sysctls: kpSysctls("0", "0"), ProxyMode: scenario.ModeIPTables},
			stale: NotAffected, syn: NotAffected, answer: NotAffected},
		{name: "nftables on an unknown kernel",
			f:     Facts{KernelRelease: "weird", ProxyMode: scenario.ModeNFTables},
			stale: NotAffected, syn: NotAffected, answer: NotAffected},
		{name: "nodest=0 on 6.1",
			f:     Facts{KernelRelease: "6.1.0-50-cloud-amd64", KernelVersion: debian61, Sysctls: kpSysctls("0", "0"), ProxyMode: scenario.ModeIPVS},
			stale: Affected, syn: NotAffected, answer: Affected, remedies: []string{"expire-nodest-conn", "proxy-mode"}},
		{name: "nodest=0 on an unknown kernel",
			f:     Facts{KernelRelease: "weird", Sysctls: kpSysctls("0", "0"), ProxyMode: scenario.ModeIPVS},
			stale: Affected, syn: NotAffected, answer: Affected},
		{name: "5.10.223 mode 0 by version: C unknown",
			f:     Facts{KernelRelease: "5.10.223", Sysctls: kpSysctls("0", "1"), ProxyMode: scenario.ModeIPVS, KubeProxyVersion: "v1.21.8"},
			stale: AnswerUnknown, syn: NotAffected, answer: AnswerUnknown, suggestsProbe: true,
			remedies: []string{"kernel-fix-c", "conn-reuse-mode-1", "proxy-mode"}, reasonHas: "C unknown"},
		{name: "5.10.223 mode 0, the probe measured 81775",
			f: Facts{KernelRelease: "5.10.223", Sysctls: kpSysctls("0", "1"), ProxyMode: scenario.ModeIPVS},
			m: &Measurement{Cells: []MeasuredCell{{Name: "ipvs-reuse0", ConnReuse: "0", Nodest: "1", Requests: 1000, Verdict: stale},
				{Name: "ipvs-reuse1", ConnReuse: "1", Nodest: "1", Requests: 1000, Verdict: clean},
				{Name: "ipvs-reuse0-nodest0", ConnReuse: "0", Nodest: "0", Requests: 1000, Verdict: stale}}},
			stale: Affected, syn: NotAffected, answer: Affected, remedies: []string{"kernel-fix-c", "conn-reuse-mode-1", "proxy-mode"}, reasonHas: "the cell showed 81775-stale-backend"},
		{name: "a probe whose control stayed clean is not used",
			f: Facts{KernelRelease: "5.10.223", Sysctls: kpSysctls("0", "1"), ProxyMode: scenario.ModeIPVS},
			m: &Measurement{Cells: []MeasuredCell{{Name: "ipvs-reuse0", ConnReuse: "0", Nodest: "1", Verdict: clean},
				{Name: "ipvs-reuse0-nodest0", ConnReuse: "0", Nodest: "0", Verdict: clean}}},
			stale: AnswerUnknown, syn: NotAffected, answer: AnswerUnknown, suggestsProbe: true},
		{name: "ip_vs not loaded, old kube-proxy, Debian changelog names C",
			f: Facts{KernelRelease: "5.10.0-32-cloud-amd64", ProxyMode: scenario.ModeIPVS, KubeProxyVersion: "v1.21.8",
				Changelog: Claims{{Fix: scenario.FixC, State: Present, Source: ByChangelog, Reason: "C present (changelog)"}}},
			stale: NotAffected, syn: NotAffected, answer: NotAffected, reasonHas: "sets 0 on every kernel"},
		{name: "proxy mode unknown on an unknown kernel",
			f:     Facts{KernelRelease: "weird", Sysctls: kpSysctls("1", "1")},
			stale: NotAffected, syn: AnswerUnknown, answer: AnswerUnknown, suggestsProbe: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Diagnose(tt.f, tt.m)
			if err != nil {
				t.Fatal(err)
			}
			got := map[verdict.Symptom]SymptomAnswer{}
			for _, s := range r.Symptoms {
				got[s.Symptom] = s
				if err := s.Answer.Valid(); err != nil {
					t.Error(err)
				}
			}
			if got[verdict.StaleBackend].Answer != tt.stale || got[verdict.SYNDrop].Answer != tt.syn || r.Answer != tt.answer {
				t.Errorf("81775 %s, syn %s, answer %s; want %s, %s, %s\n%s", got[verdict.StaleBackend].Answer, got[verdict.SYNDrop].Answer, r.Answer,
					tt.stale, tt.syn, tt.answer, strings.Join(append(got[verdict.StaleBackend].Reasons, got[verdict.SYNDrop].Reasons...), "\n"))
			}
			var ids []string
			for _, m := range r.Remedies {
				ids = append(ids, m.ID)
				if len(m.Cells) == 0 {
					t.Errorf("remedy %s backed by no cell", m.ID)
				}
			}
			if tt.remedies != nil && strings.Join(ids, ",") != strings.Join(tt.remedies, ",") {
				t.Errorf("remedies %v, want %v", ids, tt.remedies)
			}
			if tt.answer == NotAffected && len(ids) > 0 {
				t.Errorf("remedies %v for a node that is not affected", ids)
			}
			all := strings.Join(append(got[verdict.StaleBackend].Reasons, got[verdict.SYNDrop].Reasons...), "\n")
			if tt.reasonHas != "" && !strings.Contains(all, tt.reasonHas) {
				t.Errorf("reasons lack %q:\n%s", tt.reasonHas, all)
			}
			probe := strings.Contains(strings.Join(r.Suggestions, "\n"), "--probe")
			if probe != tt.suggestsProbe {
				t.Errorf("suggests --probe %v, want %v: %v", probe, tt.suggestsProbe, r.Suggestions)
			}
			if r.Answer.ExitCode() != map[Answer]int{NotAffected: 0, Affected: 1, AnswerUnknown: 2}[r.Answer] {
				t.Errorf("exit code %d for %s", r.Answer.ExitCode(), r.Answer)
			}
		})
	}
}

// TestNodestZeroAffectedEverywhere: the control cell ipvs:0/nodest=0 shows
// 81775 on every kernel, so doctor must say so whatever the version says.
func TestNodestZeroAffectedEverywhere(t *testing.T) {
	for _, rel := range []string{"4.14.0", "5.4.0-42-generic", "5.10.223", "6.1.0-50-cloud-amd64", "6.12.117+deb13-cloud-amd64", "7.2.13", "???"} {
		r, err := Diagnose(Facts{KernelRelease: rel, Sysctls: kpSysctls("0", "0"), ProxyMode: scenario.ModeIPVS}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if r.Symptoms[0].Answer != Affected {
			t.Errorf("%s: 81775 %s, want affected", rel, r.Symptoms[0].Answer)
		}
	}
}

func TestFactsValid(t *testing.T) {
	if _, err := Diagnose(Facts{}, nil); err == nil {
		t.Error("empty facts accepted")
	}
	if _, err := Diagnose(Facts{KernelRelease: "6.1.0", ProxyMode: "userspace"}, nil); err == nil {
		t.Error("bad proxy mode accepted")
	}
}
