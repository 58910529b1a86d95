package resultfiletest

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Day is when the fixtures' runs started: a fixed time keeps reports of
// them byte-identical.
func Day() time.Time { return time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC) }

// Tree writes a results root with 6.1 (clean) and 5.10 (81775 in
// ipvs-reuse0 and its control) runs, and a killed boot: 6.1/killed has no
// result.json.
func Tree(t testing.TB) string {
	t.Helper()
	root := t.TempDir()
	// Written newest kernel first: the matrix must still order by version.
	WriteRun(t, root, "6.1", "6.1.176", "r1", Day(), Fixture{Spec: "ipvs:0", Seed: 1}, Fixture{Spec: "iptables", Seed: 2})
	WriteRun(t, root, "5.10", "5.10.223", "r1", Day(), Fixture{Spec: "ipvs:0", StaleShare: 0.4, Seed: 3}, Fixture{Spec: "iptables", Seed: 4},
		Fixture{Spec: "ipvs:0/nodest=0", StaleShare: 0.4, Seed: 5})
	if err := os.MkdirAll(filepath.Join(root, "6.1", "killed", "boot"), 0o755); err != nil {
		t.Fatal(err)
	}
	return root
}
