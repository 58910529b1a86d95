package verdict

import (
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rolloutlab/rolloutlab/scenario"
)

// The client running out of local ports (ipvs:1/ports=40000-40000) must not
// be blamed on the rollout: from the errno through Analyze to the verdict.
func TestPortExhaustionIsNotARolloutFailure(t *testing.T) {
	class := scenario.Classify(os.NewSyscallError("connect", syscall.EADDRNOTAVAIL))
	ms := int64(time.Millisecond)
	var recs []scenario.Record
	for i := int64(0); i < 400; i++ {
		r := scenario.Record{Seq: i, Intended: i * 10 * ms, Start: i * 10 * ms, Connect: ms, Total: 2 * ms, Pod: "web-a", LocalPort: 40000}
		if i >= 100 && i%2 == 1 { // half the requests after the removal find no port
			r = scenario.Record{Seq: i, Intended: i * 10 * ms, Start: i * 10 * ms, Total: ms, Err: class, Phase: "connect", LocalPort: 40000}
		} else if i >= 100 {
			r.Pod = "web-b"
		}
		recs = append(recs, r)
	}
	res := &scenario.CellResult{Cell: scenario.Cell{Load: scenario.Load{Rate: 100, ClientPortRange: "40000 40000"}}}
	scenario.Analyze(res, recs, []scenario.Event{{T: 990 * ms, Kind: scenario.EvEndpointRemoved, Pod: "web-a"}})
	v := Judge(res)
	c := res.Counts
	if c.Errors[scenario.ErrPortExhausted] != 150 || c.ErrorsAfterRemoval != 0 || c.ErrorsToRemoved != 0 {
		t.Fatalf("counts: port-exhausted %d, after removal %d, to removed %d", c.Errors[scenario.ErrPortExhausted], c.ErrorsAfterRemoval, c.ErrorsToRemoved)
	}
	why := strings.Join(v.Reasons, "; ")
	if v.Status != Clean || len(v.Symptoms) != 0 || strings.Contains(why, "after a removal") {
		t.Errorf("port exhaustion judged as a rollout failure: %+v", v)
	}
	if !strings.Contains(why, "150 of 400 requests never left the client") || !strings.Contains(why, "client's limit") {
		t.Errorf("reasons should name the client's limit: %q", why)
	}
}

func TestOtherNamesItsErrno(t *testing.T) {
	c := scenario.Counts{Requests: 100, ErrorsAfterRemoval: 3,
		Errors:      map[scenario.ErrorClass]int{scenario.ErrOther: 3},
		OtherErrnos: map[string]int{"EMFILE": 2, "unknown": 1}}
	v := Judge(&scenario.CellResult{Counts: c})
	if !slices.ContainsFunc(v.Reasons, func(s string) bool { return strings.Contains(s, "other 3 (EMFILE 2, unknown 1)") }) {
		t.Errorf("reasons %q", v.Reasons)
	}
}
