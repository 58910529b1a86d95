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

// ParseRecords must read every line exactly as encoding/json does: the
// fast path for AppendJSON's shape, encoding/json for the rest.
func TestParseRecordsMatchesEncodingJSON(t *testing.T) {
	lines := []string{
		`{}`,
		`{"n":0,"i":3276921641,"s":3277347983,"c":7753558,"t":10467932,"p":"web-v1-0","lp":40814}`,
		`{"n":-3,"i":1,"s":2,"c":0,"t":0,"e":"timeout","ph":"connect","lp":65535}`,
		`{"n":7,"i":0,"s":0,"c":0,"t":0,"e":"other","ph":"read","en":"EMFILE"}`,
		`{"n":8,"i":0,"s":0,"c":0,"t":0,"p":"we\"ird\\pod\u003c\u0026\u003e"}`,
		`{"n":9,"i":0,"s":0,"c":0,"t":0,"p":"pöd\u2028\u0001"}`,
		`{"n":1, "i":2}`, `{ "n":1}`, `{"N":5}`, `{"\u006e":5}`, `{"n":01}`, `{"n":1e3}`, `{"n":-0}`,
		`{"n":1.0}`, `{"n":null}`, `{"p":null}`, `{"p":5}`, `{"n":"5"}`, `{"n":1,}`, `{"n":1,"n":2}`,
		`{"x":1}`, `{"n":9223372036854775808}`, `{"lp":9223372036854775807}`, `{"p":"a"x,"n":1}`,
		`{"n":}`, `{"n"}`, `{"p":"unterminated}`, `{"n":1`, `[1]`, `{"ph":"ok","en":""}`,
	}
	for _, l := range lines {
		var want Record
		wantErr := json.Unmarshal([]byte(l), &want)
		got, err := ParseRecords([]byte(l + "\n"))
		switch {
		case (err != nil) != (wantErr != nil):
			t.Errorf("%s: error %v, encoding/json says %v", l, err, wantErr)
		case err == nil && (len(got) != 1 || got[0] != want):
			t.Errorf("%s: got %+v, want %+v", l, got, want)
		}
	}
	// and every record AppendJSON writes takes the fast path
	for _, r := range []Record{{Seq: 1, Intended: 2, Start: 3, Connect: 4, Total: 5, Pod: "web-v2-1", Err: ErrReset, Phase: "read", Errno: "EPIPE", LocalPort: 1}, {}} {
		if got, ok := parseRecordLine(r.AppendJSON(nil)); !ok || got != r {
			t.Errorf("AppendJSON(%+v) read back as %+v (fast path %v)", r, got, ok)
		}
	}
}
