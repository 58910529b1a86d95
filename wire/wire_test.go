package wire

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rolloutlab/rolloutlab/scenario"
)

func TestMessagesRoundTrip(t *testing.T) {
	res := &scenario.CellResult{Cell: scenario.Cell{Name: "ipvs-reuse0", ProxyMode: scenario.ModeIPVS}}
	res.Counts.Requests = 1290
	for _, m := range []Message{
		Hello(Facts{KernelRelease: "6.1.0-50-cloud-amd64", BootToAgent: scenario.Duration(2500 * time.Millisecond)}),
		Log("cell ipvs-reuse0: start"),
		Exec(ExecResult{Stdout: "ok\n", ExitCode: 3}),
		CellDone(res),
		FileMsg("ipvs-reuse0.records.jsonl.gz", []byte{0x1f, 0x8b, 0}),
		Fail(ErrKernel, "modules", errors.New("ip_vs missing")),
		Done(),
	} {
		line, err := Encode(m)
		if err != nil {
			t.Fatalf("%s: encode: %v", m.Kind, err)
		}
		// Console noise before the frame must not matter.
		got, ok, err := Decode(append([]byte("[   3.1] random kernel text "), line...))
		if !ok || err != nil {
			t.Fatalf("%s: decode: ok=%v err=%v", m.Kind, ok, err)
		}
		a, _ := json.Marshal(m)
		b, _ := json.Marshal(got)
		if string(a) != string(b) {
			t.Errorf("%s: round trip changed the message:\n%s\n%s", m.Kind, a, b)
		}
	}
}

func TestDecodeRefusesWhatItCannotRead(t *testing.T) {
	if _, ok, _ := Decode([]byte("plain console line")); ok {
		t.Error("unframed line decoded as a message")
	}
	for name, body := range map[string]string{
		"corrupt json":       `{not json`,
		"unknown kind":       `{"kind":"telemetry","time":"2026-12-02T00:00:00Z"}`,
		"payload of another": `{"kind":"cell-result","time":"2026-12-02T00:00:00Z","exec":{"stdout":"","stderr":"","exit_code":0}}`,
		"missing payload":    `{"kind":"cell-result","time":"2026-12-02T00:00:00Z"}`,
		"cell without name":  `{"kind":"cell-result","time":"2026-12-02T00:00:00Z","cell":{"cell":{"proxy_mode":"ipvs"}}}`,
		"unknown field":      `{"kind":"done","time":"2026-12-02T00:00:00Z","data":"eyJ9"}`,
		"bad error kind":     `{"kind":"error","time":"2026-12-02T00:00:00Z","error":{"kind":"cosmic-ray","op":"x","message":"y"}}`,
		"truncated":          `{"kind":"cell-result","time":"2026-12-02T00:00:00Z","cell":{"cell":{"name":"ipvs`,
	} {
		_, ok, err := Decode([]byte(FramePrefix + body))
		var de *DecodeError
		if !ok || !errors.As(err, &de) {
			t.Errorf("%s: ok=%v err=%v, want a framed line with a *DecodeError", name, ok, err)
		}
	}
}

func TestEncodeRefusesAnInvalidMessage(t *testing.T) {
	if _, err := Encode(Message{Kind: KindCellResult}); err == nil {
		t.Error("encoded a cell result without a cell")
	}
}

func TestRequestRoundTripCarriesTypedCells(t *testing.T) {
	cells, err := scenario.ParseSpecs("ipvs:0/nodest=0,nftables")
	if err != nil {
		t.Fatal(err)
	}
	b, err := EncodeRequest(Request{Mode: ModeScenario, Cells: cells, Deadline: scenario.Duration(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	r, err := DecodeRequest(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Cells) != 2 || r.Cells[0].Name != "ipvs-reuse0-nodest0" || *r.Cells[0].ExpireNodestConn != 0 ||
		r.Cells[1].ProxyMode != scenario.ModeNFTables || time.Duration(r.Deadline) != time.Minute {
		t.Errorf("request changed on the way: %+v", r)
	}
}

func TestRequestValid(t *testing.T) {
	good, _ := scenario.ParseSpecs("ipvs:1")
	undefaulted := []scenario.Cell{{ProxyMode: scenario.ModeIPVS}}
	bad := good[0]
	bad.ProxyMode = "userspace"
	for name, tt := range map[string]struct {
		r    Request
		want string
	}{
		"unknown mode":          {Request{Mode: "reboot"}, `mode "reboot"`},
		"exec no command":       {Request{Mode: ModeExec}, "without a command"},
		"scenario no cells":     {Request{Mode: ModeScenario}, "without cells"},
		"cells not defaulted":   {Request{Mode: ModeScenario, Cells: undefaulted}, "defaults not filled in"},
		"invalid cell":          {Request{Mode: ModeScenario, Cells: []scenario.Cell{bad}}, `proxy mode "userspace"`},
		"duplicate cell":        {Request{Mode: ModeScenario, Cells: append(good, good...)}, "given twice"},
		"too many side by side": {Request{Mode: ModeScenario, Cells: good, ParallelCells: MaxParallelCells + 1}, "parallel cells"},
	} {
		err := tt.r.Valid()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err %v, want %q", name, err, tt.want)
		}
	}
	if _, err := DecodeRequest([]byte(`{"mode":"probe","cells_v0":[]}`)); err == nil {
		t.Error("a request with an unknown field was accepted")
	}
	if err := (Request{Mode: ModeScenario, Cells: good}).Valid(); err != nil {
		t.Errorf("valid request refused: %v", err)
	}
	if err := (Request{Mode: ModeScenario, Cells: good, ParallelCells: 2}).Valid(); err != nil {
		t.Errorf("two cells side by side refused: %v", err)
	}
}

func TestGuestErrorMessage(t *testing.T) {
	e := &GuestError{Kind: ErrKernel, Op: "modules", Message: "ip_vs missing"}
	if e.Error() != "guest kernel error during modules: ip_vs missing" {
		t.Errorf("got %q", e.Error())
	}
}

func TestKindRequestValid(t *testing.T) {
	cells, _ := scenario.ParseSpecs("ipvs:0/tier=kind,iptables/tier=kind")
	spec := KindSpec{NodeImage: "kindest/node:v1.34.2-rolloutlab", AppImage: "rolloutlab/app:abc", Policy: KindPolicyAuto,
		Wait: scenario.Duration(time.Minute), SystemdWait: scenario.Duration(time.Minute),
		Modes: []scenario.ProxyMode{scenario.ModeIPVS, scenario.ModeIPTables}}
	root := &RootSpec{Lower: "/dev/vda", Scratch: "/dev/vdb", Engine: true}
	good := Request{Mode: ModeScenario, Cells: cells, Root: root, Kind: &spec}
	if err := good.Valid(); err != nil {
		t.Fatalf("valid kind request refused: %v", err)
	}
	b, err := EncodeRequest(good)
	if err != nil {
		t.Fatal(err)
	}
	if back, err := DecodeRequest(b); err != nil || back.Kind == nil || back.Kind.AppImage != spec.AppImage {
		t.Fatalf("round trip: %+v %v", back.Kind, err)
	}
	noEngine := *root
	noEngine.Engine = false
	oneMode := spec
	oneMode.Modes = oneMode.Modes[:1]
	badPolicy := spec
	badPolicy.Policy = "newest"
	dp, _ := scenario.ParseSpecs("ipvs:0")
	for name, tt := range map[string]struct {
		r    Request
		want string
	}{
		"no spec":       {Request{Mode: ModeScenario, Cells: cells, Root: root}, "no kind spec"},
		"no engine":     {Request{Mode: ModeScenario, Cells: cells, Root: &noEngine, Kind: &spec}, "container engine"},
		"no config":     {Request{Mode: ModeScenario, Cells: cells, Root: root, Kind: &oneMode}, "no kind config seeded for mode iptables"},
		"bad policy":    {Request{Mode: ModeScenario, Cells: cells, Root: root, Kind: &badPolicy}, `kind policy "newest"`},
		"spec, no cell": {Request{Mode: ModeScenario, Cells: dp, Root: root, Kind: &spec}, "without kind tier cells"},
	} {
		if err := tt.r.Valid(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err %v, want %q", name, err, tt.want)
		}
	}
}
