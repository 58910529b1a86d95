package doctor

import (
	"fmt"
	"slices"

	"github.com/rolloutlab/rolloutlab/harness/verdict"
	"github.com/rolloutlab/rolloutlab/scenario"
)

// Diagnose turns the node's facts (and, after --probe, what was measured
// on its kernel) into the report. It is pure: no files, no clock.
func Diagnose(f Facts, m *Measurement) (Report, error) {
	if err := f.Valid(); err != nil {
		return Report{}, err
	}
	up, ok := UpstreamOf(f.KernelRelease, f.KernelVersion, f.VersionSignature)
	var claims Claims
	if ok {
		claims = ClaimsByVersion(up.Version)
	} else {
		for _, fx := range scenario.Fixes() {
			claims = append(claims, Claim{Fix: fx, State: Unknown, Source: ByVersion, Reason: fmt.Sprintf("%s unknown (%s)", fx, up.From)})
		}
	}
	claims = claims.Override(f.Changelog)
	probe, measured := judgeProbe(m)
	if probe != nil && probe.Trusted {
		claims = claims.Override(measuredClaims(measured))
	}
	ws, settingWhy := worlds(f, claims, measured)
	var outs []outcome
	for _, w := range ws {
		outs = append(outs, w.predict())
	}
	r := Report{Schema: Schema, Node: node(f, up), Fixes: claims, Probe: probe}
	inputs := append(modeReasons(f), settingWhy...)
	if f.ProxyMode == "" || f.ProxyMode == scenario.ModeIPVS {
		for _, fx := range []scenario.Fix{scenario.FixA, scenario.FixC} {
			c := claims.Get(fx)
			inputs = append(inputs, fmt.Sprintf("fix %s %s, by %s: %s", fx, c.State, c.Source, c.Reason))
		}
	}
	for _, s := range verdict.Symptoms() {
		r.Symptoms = append(r.Symptoms, answerFor(s, outs, inputs))
	}
	r.Answer = overall(r.Symptoms)
	r.ExitCode = r.Answer.ExitCode()
	r.Summary = summary(r)
	r.Remedies = remedies(f, up, claims, outs)
	r.Suggestions = suggestions(f, r, probe)
	return r, nil
}

func node(f Facts, up Upstream) Node {
	n := Node{KernelRelease: f.KernelRelease, Upstream: up, Sysctls: map[string]string{},
		ProxyMode: "unknown", ProxyModeFrom: f.ProxyModeFrom, KubeProxyVersion: "unknown", KubeProxyFrom: f.KubeProxyFrom,
		Changelog: f.ChangelogPath, Notes: f.Notes}
	for _, s := range Sysctls() {
		n.Sysctls[s] = f.Sysctl(s)
	}
	if f.ProxyMode != "" {
		n.ProxyMode = string(f.ProxyMode)
	}
	if f.KubeProxyVersion != "" {
		n.KubeProxyVersion = f.KubeProxyVersion
	}
	return n
}

func modeReasons(f Facts) []string {
	if f.ProxyMode == "" {
		return []string{"proxy mode unknown (" + orNone(f.ProxyModeFrom) + "): every mode considered"}
	}
	return []string{fmt.Sprintf("proxy mode %s (%s)", f.ProxyMode, orNone(f.ProxyModeFrom))}
}

func orNone(s string) string {
	if s == "" {
		return "no source"
	}
	return s
}

// answerFor is affected when every world shows s, not affected when none
// does, unknown otherwise; the reasons name the inputs and each distinct
// prediction.
func answerFor(s verdict.Symptom, outs []outcome, inputs []string) SymptomAnswer {
	a := SymptomAnswer{Symptom: s, Reasons: append([]string{}, inputs...)}
	var yes, no, unknown int
	for _, o := range outs {
		has := slices.Contains(o.symptoms, s)
		switch {
		case !o.known:
			unknown++
		case has:
			yes++
		default:
			no++
		}
		verb := "no " + string(s)
		switch {
		case !o.known:
			verb = "cannot tell"
		case has:
			verb = string(s)
		}
		line := fmt.Sprintf("%s: %s (%s)", o.w, verb, o.why)
		if !slices.Contains(a.Reasons, line) {
			a.Reasons = append(a.Reasons, line)
		}
		for _, c := range cellsFor(o.w) {
			if !slices.Contains(a.Cells, c) {
				a.Cells = append(a.Cells, c)
			}
		}
	}
	switch {
	case unknown == 0 && no == 0 && yes > 0:
		a.Answer = Affected
	case unknown == 0 && yes == 0:
		a.Answer = NotAffected
	default:
		a.Answer = AnswerUnknown
	}
	return a
}

func overall(ss []SymptomAnswer) Answer {
	out := NotAffected
	for _, s := range ss {
		switch s.Answer {
		case Affected:
			return Affected
		case AnswerUnknown:
			out = AnswerUnknown
		}
	}
	return out
}

// symptomWords are the plain-words names of the symptoms.
func symptomWords(s verdict.Symptom) string {
	if s == verdict.StaleBackend {
		return "kubernetes#81775 (new connections keep reaching removed pods during rollouts)"
	}
	return "the 1 s SYN drop (connections reusing a port wait 1 s for a SYN retransmit; kubernetes#70747, #93297)"
}

func summary(r Report) string {
	var aff, unk []string
	for _, s := range r.Symptoms {
		switch s.Answer {
		case Affected:
			aff = append(aff, symptomWords(s.Symptom))
		case AnswerUnknown:
			unk = append(unk, symptomWords(s.Symptom))
		}
	}
	out := ""
	switch r.Answer {
	case NotAffected:
		return "Not affected: rollouts on this node lose no connections to kubernetes#81775 and see no 1 s SYN drop."
	case Affected:
		out = "Affected during rollouts by " + join(aff) + "."
	default:
		out = "Unknown: what this node knows does not decide."
	}
	if len(unk) > 0 {
		out += " Not decided: " + join(unk) + "."
	}
	return out
}

func join(xs []string) string {
	switch len(xs) {
	case 0:
		return ""
	case 1:
		return xs[0]
	}
	return xs[0] + " and " + xs[1]
}
