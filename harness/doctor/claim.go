package doctor

import (
	"fmt"

	"github.com/rolloutlab/rolloutlab/enum"
	"github.com/rolloutlab/rolloutlab/scenario"
)

// State is what is known about one fix on this node.
type State string

const (
	Present State = "present"
	Absent  State = "absent"
	Unknown State = "unknown"
)

// States lists every state.
func States() []State { return []State{Present, Absent, Unknown} }

// Valid reports whether s is a known state.
func (s State) Valid() error { return enum.Check("fix state", s, States()) }

// Source says where a claim comes from.
type Source string

const (
	ByVersion   Source = "version"
	ByChangelog Source = "changelog"
	ByProbe     Source = "probe"
)

// Sources lists every source, weakest first.
func Sources() []Source { return []Source{ByVersion, ByChangelog, ByProbe} }

// Valid reports whether s is a known source.
func (s Source) Valid() error { return enum.Check("claim source", s, Sources()) }

// Claim is one fix's state with its reason.
type Claim struct {
	Fix    scenario.Fix `json:"fix"`
	State  State        `json:"state"`
	Source Source       `json:"source"`
	Reason string       `json:"reason"`
}

// Claims is a claim per fix, in scenario.Fixes order.
type Claims []Claim

// FixSet is the claims as the harness's FixSet (unknown fixes left out).
func (cs Claims) FixSet() scenario.FixSet {
	s := scenario.FixSet{}
	for _, c := range cs {
		if c.State != Unknown {
			s[c.Fix] = c.State == Present
		}
	}
	return s
}

// Get returns f's claim (unknown when there is none).
func (cs Claims) Get(f scenario.Fix) Claim {
	for _, c := range cs {
		if c.Fix == f {
			return c
		}
	}
	return Claim{Fix: f, State: Unknown, Source: ByVersion, Reason: "no claim"}
}

// Override replaces the claims of fixes that c decides (a stronger source
// replaces a weaker or unknown one).
func (cs Claims) Override(more Claims) Claims {
	out := append(Claims{}, cs...)
	for _, m := range more {
		if m.State == Unknown {
			continue
		}
		for i := range out {
			if out[i].Fix == m.Fix {
				out[i] = m
			}
		}
	}
	return out
}

// ClaimsByVersion says what the upstream version alone tells about each
// fix. Only what follows from the table is claimed:
//   - the fix's mainline series or later (an rc of a later series too): present;
//   - an rc of the fix's own series: unknown (which rc took it is not recorded);
//   - an older series: a stable series with a known first point release
//     decides by the patch level; a mainline release (patch 0) predates the
//     fix: absent; any other stable release, or a distribution kernel whose
//     patch level is not known: unknown.
func ClaimsByVersion(v KernelVersion) Claims {
	var out Claims
	for _, f := range FixFacts() {
		out = append(out, claimByVersion(v, f))
	}
	return out
}

func claimByVersion(v KernelVersion, f FixFact) Claim {
	c := Claim{Fix: f.ID, Source: ByVersion}
	set := func(s State, format string, a ...any) Claim {
		c.State, c.Reason = s, fmt.Sprintf(format, a...)
		return c
	}
	cmp := v.seriesCmp(f.Mainline)
	switch {
	case cmp > 0 || (cmp == 0 && v.RC == 0):
		return set(Present, "%s present (%s is %s or later)", f.ID, v, f.Mainline)
	case cmp == 0:
		return set(Unknown, "%s unknown (%s is a release candidate of %s: which rc took it is not recorded)", f.ID, v, f.Mainline)
	}
	for _, b := range f.Stable {
		if b.Series != v.Series() {
			continue
		}
		first, ok := parseSeries(b.FirstPoint)
		switch {
		case v.PatchKnown && v.Patch == 0:
			return set(Absent, "%s absent (%s is a mainline release before %s)", f.ID, v, f.Mainline)
		case !v.PatchKnown:
			return set(Unknown, "%s unknown (backported to %s stable from %s on, but this kernel's patch level is not known)", f.ID, b.Series, b.Point())
		case !ok:
			return set(Unknown, "%s unknown (%s is a stable release before %s: backports to %s exist, %s)", f.ID, v, f.Mainline, b.Series, UnknownPoint)
		case v.Patch >= first[2]:
			return set(Present, "%s present (%s is %s or later in the %s stable series)", f.ID, v, b.FirstPoint, b.Series)
		default:
			return set(Absent, "%s absent (%s is before %s, the first %s stable release with it)", f.ID, v, b.FirstPoint, b.Series)
		}
	}
	switch {
	case v.PatchKnown && v.Patch == 0:
		return set(Absent, "%s absent (%s is a mainline release before %s)", f.ID, v, f.Mainline)
	case !v.PatchKnown:
		return set(Unknown, "%s unknown (a %s kernel whose patch level and backports are not known; no %s stable backport recorded)", f.ID, v.Series(), v.Series())
	}
	return set(Unknown, "%s unknown (%s is a stable release before %s: backports cannot be told from the version)", f.ID, v, f.Mainline)
}
