package verdict

import (
	"slices"
	"testing"

	"github.com/rolloutlab/rolloutlab/scenario"
)

func cellResult(t *testing.T, spec string, sysctls map[string]string) *scenario.CellResult {
	t.Helper()
	cells, err := scenario.ParseSpecs(spec)
	if err != nil {
		t.Fatal(err)
	}
	return &scenario.CellResult{Cell: cells[0], Effective: scenario.Effective{Sysctls: sysctls}}
}

func fixes(s string) scenario.FixSet {
	return scenario.FixSet{"A": s[0] == 'A', "B": s[1] == 'B', "C": s[2] == 'C'}
}

func TestExpect(t *testing.T) {
	stale, drop := []Symptom{StaleBackend}, []Symptom{SYNDrop}
	for _, tt := range []struct {
		spec  string
		fixes string
		want  []Symptom
	}{
		{"iptables", "---", nil},
		{"nftables", "---", nil},
		{"ipvs:0", "ABC", nil},
		{"ipvs:1", "ABC", nil},
		{"ipvs:2", "ABC", nil},
		{"ipvs:0/nodest=0", "ABC", stale}, // the control: on every kernel
		{"ipvs:0/nodest=0", "---", stale},
		{"ipvs:0", "-B-", stale}, // 5.10-revert-AC
		{"ipvs:0", "---", stale}, // 5.10-revert-ABC
		{"ipvs:0", "AB-", stale}, // 5.10-revert-C
		{"ipvs:0", "-BC", drop},  // 5.10-revert-A: C reschedules, no A drops
		{"ipvs:1", "-B-", drop},  // mode 1 without A
		{"ipvs:2", "---", drop},  // mode 2 without A
		{"ipvs:1", "A-C", nil},   // 5.10-revert-B
		{"ipvs:1/nodest=0", "-BC", drop},
	} {
		r := cellResult(t, tt.spec, nil)
		got, ok := Expect(r, fixes(tt.fixes))
		if !ok || !slices.Equal(got.Symptoms, tt.want) || got.Why == "" {
			t.Errorf("Expect(%s, %s) = %+v, %v; want %v", tt.spec, tt.fixes, got, ok, tt.want)
		}
	}
}

func TestExpectReadsEffectiveSysctls(t *testing.T) {
	// kernel-default asks for nothing; what the guest read back decides.
	r := cellResult(t, "ipvs:kernel-default", map[string]string{
		"net/ipv4/vs/conn_reuse_mode": "0", "net/ipv4/vs/expire_nodest_conn": "1"})
	got, ok := Expect(r, fixes("AB-"))
	if !ok || !slices.Equal(got.Symptoms, []Symptom{StaleBackend}) {
		t.Errorf("got %+v %v", got, ok)
	}
	r = cellResult(t, "ipvs:kernel-default", nil)
	if _, ok := Expect(r, fixes("ABC")); ok {
		t.Error("kernel-default with nothing read back must be unknown")
	}
	if _, ok := Expect(cellResult(t, "ipvs:1", nil), scenario.FixSet{}); ok {
		t.Error("unknown fix A must make the prediction unknown")
	}
}
