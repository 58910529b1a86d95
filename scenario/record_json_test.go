package scenario

import (
	"encoding/json"
	"testing"
)

// AppendJSON must write exactly what encoding/json writes: the host parses
// records with encoding/json, and records files written either way must be
// the same bytes.
func TestRecordAppendJSONMatchesEncodingJSON(t *testing.T) {
	recs := []Record{
		{},
		{Seq: 1, Intended: 123456789012, Start: 123456789999, Connect: 250000, Total: 1500000, Pod: "web-v1-0", LocalPort: 40123},
		{Seq: -3, Intended: 1, Start: 2, Err: ErrTimeout, Phase: "connect", LocalPort: 65535},
		{Seq: 7, Err: ErrOther, Phase: "read", Errno: "EMFILE"},
		{Seq: 8, Pod: `we"ird\pod<&>`},
		{Seq: 9, Pod: "pöd\u2028\x01"},
	}
	for _, r := range recs {
		want, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.AppendJSON(nil); string(got) != string(want) {
			t.Errorf("AppendJSON(%+v)\n got %s\nwant %s", r, got, want)
		}
	}
}
