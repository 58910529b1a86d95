package verdict

import (
	"encoding/json"
	"testing"
)

// The result files' JSON is the strings themselves: typing them must not
// change a byte of result.json.
func TestStatusAndSymptomJSON(t *testing.T) {
	b, err := json.Marshal(Verdict{Status: Affected, Symptoms: []Symptom{StaleBackend, SYNDrop}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"status":"affected","symptoms":["81775-stale-backend","syn-drop-1s"]}`; string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
	for _, s := range Statuses() {
		if got, err := ParseStatus(s.String()); err != nil || got != s {
			t.Errorf("ParseStatus(%s) = %s, %v", s, got, err)
		}
	}
	for _, s := range Symptoms() {
		if got, err := ParseSymptom(s.String()); err != nil || got != s {
			t.Errorf("ParseSymptom(%s) = %s, %v", s, got, err)
		}
	}
	if _, err := ParseStatus("passed"); err == nil {
		t.Error("ParseStatus accepted passed")
	}
	if _, err := ParseSymptom("81775"); err == nil {
		t.Error("ParseSymptom accepted 81775")
	}
}
