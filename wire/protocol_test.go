package wire

import (
	"encoding/json"
	"testing"
	"time"
)

func TestEncodeDecodeRoundTrip(t *testing.T) {
	data, _ := json.Marshal(Facts{KernelRelease: "6.1.0-50-cloud-amd64", BootToAgent: Duration(2500 * time.Millisecond)})
	line, err := Encode(Message{Kind: KindHello, Data: data})
	if err != nil {
		t.Fatal(err)
	}
	// Console noise before the frame must not matter.
	m, ok, err := Decode(append([]byte("[   3.1] random kernel text "), line...))
	if !ok || err != nil {
		t.Fatalf("decode: ok=%v err=%v", ok, err)
	}
	var f Facts
	if err := json.Unmarshal(m.Data, &f); err != nil {
		t.Fatal(err)
	}
	if m.Kind != KindHello || f.KernelRelease != "6.1.0-50-cloud-amd64" || time.Duration(f.BootToAgent) != 2500*time.Millisecond {
		t.Errorf("round trip lost data: %+v %+v", m, f)
	}
}

func TestDecodeRejects(t *testing.T) {
	if _, ok, _ := Decode([]byte("plain console line")); ok {
		t.Error("unframed line decoded as a message")
	}
	if _, ok, err := Decode([]byte(FramePrefix + "{not json")); !ok || err == nil {
		t.Errorf("corrupt frame: ok=%v err=%v, want ok with error", ok, err)
	}
}

func TestDurationJSON(t *testing.T) {
	var d Duration
	if err := json.Unmarshal([]byte(`"1m30s"`), &d); err != nil || time.Duration(d) != 90*time.Second {
		t.Errorf("string form: %v %v", d, err)
	}
	if err := json.Unmarshal([]byte(`1000`), &d); err != nil || time.Duration(d) != time.Microsecond {
		t.Errorf("number form: %v %v", d, err)
	}
	if err := json.Unmarshal([]byte(`"soon"`), &d); err == nil {
		t.Error("bad duration accepted")
	}
	b, _ := json.Marshal(Duration(1500 * time.Millisecond))
	if string(b) != `"1.5s"` {
		t.Errorf("marshal: %s", b)
	}
}

func TestGuestErrorMessage(t *testing.T) {
	e := &GuestError{Kind: ErrKernel, Op: "modules", Message: "ip_vs missing"}
	if e.Error() != "guest kernel error during modules: ip_vs missing" {
		t.Errorf("got %q", e.Error())
	}
}
