package doctor

import (
	"fmt"
	"io"
	"strings"
)

// Render writes the report in plain words.
func Render(w io.Writer, r Report) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	p("%s", r.Summary)
	p("")
	p("node")
	p("  kernel          %s (upstream %s: %s)", r.Node.KernelRelease, orUnknown(r.Node.Upstream.Text), r.Node.Upstream.From)
	p("  proxy mode      %s (%s)", r.Node.ProxyMode, orNone(r.Node.ProxyModeFrom))
	p("  kube-proxy      %s (%s)", r.Node.KubeProxyVersion, orNone(r.Node.KubeProxyFrom))
	for _, s := range Sysctls() {
		p("  %-48s %s", s, r.Node.Sysctls[s])
	}
	if r.Node.Changelog != "" {
		p("  changelog       %s", r.Node.Changelog)
	}
	for _, n := range r.Node.Notes {
		p("  note: %s", n)
	}
	p("fixes")
	for _, c := range r.Fixes {
		p("  %s %-8s by %-9s %s", c.Fix, c.State, c.Source, c.Reason)
	}
	for _, s := range r.Symptoms {
		p("%s: %s", s.Symptom, strings.ToUpper(string(s.Answer)))
		for _, why := range s.Reasons {
			p("  - %s", why)
		}
		if len(s.Cells) > 0 {
			p("  matrix cells: %s", strings.Join(s.Cells, ", "))
		}
	}
	if len(r.Remedies) > 0 {
		p("remedies for this node")
		for _, m := range r.Remedies {
			p("  [%s] %s", m.ID, m.Text)
			p("      backed by: %s", strings.Join(m.Cells, ", "))
		}
	}
	if r.Probe != nil {
		renderProbe(p, r.Probe)
	}
	for _, s := range r.Suggestions {
		p("suggestion: %s", s)
	}
	p("answer: %s (exit %d)", r.Answer, r.ExitCode)
}

func renderProbe(p func(string, ...any), pr *ProbeReport) {
	p("probe (measured on this kernel, in throwaway network namespaces)")
	for _, c := range pr.Cells {
		p("  %-22s %-8s %d requests %s", c.Name, c.Verdict.Status, c.Requests, strings.Join(c.Verdict.Reasons, "; "))
	}
	p("  trusted: %v (%s)", pr.Trusted, pr.Why)
	p("  modules loaded by the probe: %s", orUnknownAs(strings.Join(pr.ModulesLoaded, ", "), "none"))
	if len(pr.Appeared) > 0 {
		p("  appeared with those modules (new, not changed): %s", strings.Join(pr.Appeared, ", "))
	}
	if pr.HostUnchanged {
		p("  host network namespace unchanged: %s compared before and after", strings.Join(pr.Snapshot, ", "))
		return
	}
	p("  HOST NETWORK NAMESPACE CHANGED:")
	for _, d := range pr.HostDiff {
		p("    %s", d)
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func orUnknownAs(s, empty string) string {
	if s == "" {
		return empty
	}
	return s
}
