package scenario

import (
	"encoding/json"
	"testing"
	"time"
)

// Port exhaustion after a removal, on a port whose last answer came from
// the removed pod, is still the client's limit: no loss, no 81775.
func TestAnalyzePortExhaustedIsNoLoss(t *testing.T) {
	s := int64(time.Second)
	recs := []Record{
		{Start: 0, Pod: "web-a", LocalPort: 40000},
		{Start: 2 * s, Err: ErrPortExhausted, Phase: "connect", LocalPort: 40000},
		{Start: 3 * s, Err: ErrPortExhausted, Phase: "connect"},
		{Start: 4 * s, Err: ErrOther, Phase: "socket", Errno: "EMFILE"},
	}
	for i := range recs {
		recs[i].Intended = recs[i].Start
	}
	var res CellResult
	Analyze(&res, recs, []Event{{T: 1 * s, Kind: EvEndpointRemoved, Pod: "web-a"}})
	c := res.Counts
	if c.Errors[ErrPortExhausted] != 2 || c.ErrorsToRemoved != 0 || c.ErrorsAfterRemoval != 1 {
		t.Errorf("port-exhausted %d (want 2), to removed %d (want 0), after removal %d (want 1: the EMFILE)",
			c.Errors[ErrPortExhausted], c.ErrorsToRemoved, c.ErrorsAfterRemoval)
	}
	if c.OtherErrnos["EMFILE"] != 1 {
		t.Errorf("other errnos %v", c.OtherErrnos)
	}
}

// A record written before Errno existed decodes and counts as "unknown".
func TestAnalyzeOldOtherRecord(t *testing.T) {
	var r Record
	if err := json.Unmarshal([]byte(`{"n":1,"i":5,"s":5,"c":0,"t":9,"e":"other","ph":"connect"}`), &r); err != nil {
		t.Fatal(err)
	}
	var res CellResult
	Analyze(&res, []Record{r}, nil)
	if res.Counts.Errors[ErrOther] != 1 || res.Counts.OtherErrnos["unknown"] != 1 {
		t.Errorf("counts %+v", res.Counts)
	}
}
