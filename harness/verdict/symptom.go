package verdict

import "github.com/rolloutlab/rolloutlab/enum"

// Symptom names one way a kernel misbehaves during a rollout.
type Symptom string

const (
	// StaleBackend: new connections still reached a pod after its
	// endpoint was removed (kubernetes issue 81775), or failed after the
	// removal because they were sent to a pod that was gone.
	StaleBackend Symptom = "81775-stale-backend"
	// SYNDrop: connects that took >= 1 s, IPVS dropping the first SYN of
	// a reused port (kubernetes issues 70747, 93297).
	SYNDrop Symptom = "syn-drop-1s"
)

// Symptoms lists every symptom in the order Judge reports them.
func Symptoms() []Symptom { return []Symptom{StaleBackend, SYNDrop} }

func (s Symptom) String() string { return string(s) }

// Valid reports whether s is a symptom this harness detects.
func (s Symptom) Valid() error { return enum.Check("symptom", s, Symptoms()) }

// ParseSymptom reads a symptom id as result files and users write it.
func ParseSymptom(s string) (Symptom, error) {
	v := Symptom(s)
	return v, v.Valid()
}
