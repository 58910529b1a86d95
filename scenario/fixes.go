package scenario

import "strings"

// Fix names one of the IPVS kernel fixes a result attributes (README, "The
// kernel fixes a result attributes").
type Fix string

const (
	FixA Fix = "A" // f0a5e4d7a594 ipvs: allow connection reuse for unconfirmed conntrack (5.9)
	FixB Fix = "B" // ipvs: queue delayed work to expire no destination connections (5.9)
	FixC Fix = "C" // c95c07836fa4 netfilter: ipvs: Fix reuse connection if RS weight is 0 (5.16)
)

// Fixes lists every fix in report order.
func Fixes() []Fix { return []Fix{FixA, FixB, FixC} }

// FixSet says per fix whether a kernel carries it; a fix absent from the
// set is unknown (a bare bzImage, a mainline build whose version does not
// decide), never assumed either way.
type FixSet map[Fix]bool

// FixState is what a FixSet knows about one fix.
type FixState int

const (
	FixUnknown FixState = iota
	FixPresent
	FixMissing
)

// State is what the set knows about f.
func (s FixSet) State(f Fix) FixState {
	present, known := s[f]
	switch {
	case !known:
		return FixUnknown
	case present:
		return FixPresent
	}
	return FixMissing
}

// Has reports f as present and known, the two things a prediction needs.
func (s FixSet) Has(f Fix) (present, known bool) {
	present, known = s[f]
	return present, known
}

// With returns the fixes in state st, in report order.
func (s FixSet) With(st FixState) []Fix {
	var out []Fix
	for _, f := range Fixes() {
		if s.State(f) == st {
			out = append(out, f)
		}
	}
	return out
}

// Mark is the one-character form of f's state: "+" present, "-" missing,
// "?" unknown. Every report uses it.
func (s FixSet) Mark(f Fix) string {
	switch s.State(f) {
	case FixPresent:
		return "+"
	case FixMissing:
		return "-"
	}
	return "?"
}

// String is the one textual form of a fix set: "A+ B+ C-", "A? B? C?".
func (s FixSet) String() string {
	parts := make([]string, 0, len(Fixes()))
	for _, f := range Fixes() {
		parts = append(parts, string(f)+s.Mark(f))
	}
	return strings.Join(parts, " ")
}

// JoinFixes renders a list of fixes as "A,C" ("none" when empty).
func JoinFixes(fs []Fix) string {
	if len(fs) == 0 {
		return "none"
	}
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = string(f)
	}
	return strings.Join(parts, ",")
}
