package run

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rolloutlab/rolloutlab/harness/image"
	"github.com/rolloutlab/rolloutlab/harness/kernel"
	"github.com/rolloutlab/rolloutlab/harness/qemu"
	"github.com/rolloutlab/rolloutlab/harness/resultfile"
	"github.com/rolloutlab/rolloutlab/harness/verdict"
	"github.com/rolloutlab/rolloutlab/scenario"
	"github.com/rolloutlab/rolloutlab/wire"
)

// cannedGuest plays a fixed control stream through the VM seam exactly as
// qemu.Run hands lines over (framed lines decoded, console noise skipped,
// undecodable lines reported), then ends the way its end says.
type cannedGuest struct {
	lines []string
	end   error
	// gotRequest is the request the guest would have found in its initrd.
	gotRequest *wire.Request
}

func (g *cannedGuest) Run(ctx context.Context, cfg qemu.Config, w qemu.Watch) (*qemu.Outcome, error) {
	out := &qemu.Outcome{}
	for _, l := range g.lines {
		m, ok, err := wire.Decode([]byte(l))
		if !ok {
			continue
		}
		var de *wire.DecodeError
		if errors.As(err, &de) {
			w.OnUndecodable(de)
			continue
		}
		out.Messages = append(out.Messages, m)
		switch m.Kind {
		case wire.KindHello:
			out.Hello = &m
		case wire.KindDone:
			out.Done = true
		}
		w.OnMessage(m)
	}
	return out, g.end
}

func line(t *testing.T, m wire.Message) string {
	t.Helper()
	b, err := wire.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// measured is a cell result a clean kernel would give.
func measured(c scenario.Cell) *scenario.CellResult {
	r := &scenario.CellResult{Cell: c}
	r.Counts = scenario.Counts{Requests: 1200, Successes: 1200, Errors: map[scenario.ErrorClass]int{}}
	r.Total = scenario.Summary{Count: 1200, P50: 2, P99: 9, Max: 20}
	r.Connect = r.Total
	r.Lag = scenario.Summary{Count: 1200, P99: 3}
	return r
}

func testEnv(t *testing.T, vm VM) *Env {
	t.Helper()
	dir := t.TempDir()
	img := filepath.Join(dir, "base.cpio")
	if err := os.WriteFile(img, []byte("070701 stand-in"), 0o644); err != nil {
		t.Fatal(err)
	}
	return &Env{
		Kernel: &kernel.Prepared{Entry: &kernel.Entry{Name: "6.1", Release: "6.1.176-1",
			Fixes: scenario.FixSet{scenario.FixA: true, scenario.FixB: true, scenario.FixC: true}}, Vmlinuz: filepath.Join(dir, "vmlinuz"), UnameR: "6.1.0-50-cloud-amd64"},
		Image: &image.Image{Path: img, SHA256: "img"},
		Accel: qemu.AccelTCG, CPUs: 2, MemoryMiB: 1024, VM: vm, progress: io.Discard,
	}
}

func TestScenarioThroughTheSeam(t *testing.T) {
	cells, err := scenario.ParseSpecs("ipvs:1,iptables")
	if err != nil {
		t.Fatal(err)
	}
	ipvs, ipt := cells[0], cells[1]
	hello := func(t *testing.T) string {
		return line(t, wire.Hello(wire.Facts{KernelRelease: "6.1.0-50-cloud-amd64"}))
	}
	cellLines := func(t *testing.T, c scenario.Cell) []string {
		return []string{line(t, wire.CellDone(measured(c))), line(t, wire.FileMsg(c.Name+".records.jsonl.gz", []byte("gz")))}
	}
	type want struct {
		status   resultfile.RunStatus
		errHas   string // in the returned error and result.Error
		errType  any    // pointer to the error type errors.As must find
		measured []string
		errored  map[string]string // cell -> text in its reason
	}
	cases := []struct {
		name  string
		lines func(t *testing.T) []string
		end   error
		want  want
	}{
		{
			name: "hello, every cell, done",
			lines: func(t *testing.T) []string {
				l := []string{"[    0.0] Linux version 6.1", hello(t)}
				l = append(l, cellLines(t, ipvs)...)
				l = append(l, cellLines(t, ipt)...)
				return append(l, line(t, wire.Done()))
			},
			want: want{status: resultfile.StatusOK, measured: []string{"ipvs-reuse1", "iptables"}},
		},
		{
			name: "kernel panic after the first cell",
			lines: func(t *testing.T) []string {
				return append([]string{hello(t)}, cellLines(t, ipvs)...)
			},
			end:  &qemu.BootError{Reason: "kernel panic: Kernel panic - not syncing: Fatal exception in interrupt"},
			want: want{status: resultfile.StatusBootError, errHas: "kernel panic", errType: new(*qemu.BootError), measured: []string{"ipvs-reuse1"}, errored: map[string]string{"iptables": "no result"}},
		},
		{
			name:  "hung guest, no hello",
			lines: func(t *testing.T) []string { return []string{"Booting from ROM..."} },
			end:   &qemu.HangError{Phase: "boot (no agent hello)", After: "90s"},
			want:  want{status: resultfile.StatusBootError, errHas: "boot (no agent hello)", errType: new(*qemu.HangError), errored: map[string]string{"ipvs-reuse1": "no result", "iptables": "no result"}},
		},
		{
			name:  "QEMU could not start",
			lines: func(t *testing.T) []string { return nil },
			end:   &qemu.InfraError{Op: "start QEMU", Err: errors.New("exec format error")},
			want:  want{status: resultfile.StatusInfraError, errHas: "start QEMU", errType: new(*qemu.InfraError), errored: map[string]string{"ipvs-reuse1": "no result", "iptables": "no result"}},
		},
		{
			name: "truncated cell result",
			lines: func(t *testing.T) []string {
				full := line(t, wire.CellDone(measured(ipvs)))
				l := []string{hello(t), full[:len(full)/2]}
				l = append(l, cellLines(t, ipt)...)
				return append(l, line(t, wire.Done()))
			},
			want: want{status: resultfile.StatusInfraError, errHas: "could not be decoded", errType: new(*ProtocolError), measured: []string{"iptables"}, errored: map[string]string{"ipvs-reuse1": "undecodable control line"}},
		},
		{
			name: "undecodable message beside complete results",
			lines: func(t *testing.T) []string {
				l := []string{hello(t), wire.FramePrefix + `{"kind":"cell-result","time":"2026-12-02T00:00:00Z","data":"e30="}`}
				l = append(l, cellLines(t, ipvs)...)
				l = append(l, cellLines(t, ipt)...)
				return append(l, line(t, wire.Done()))
			},
			want: want{status: resultfile.StatusInfraError, errHas: "unknown field", errType: new(*ProtocolError), measured: []string{"ipvs-reuse1", "iptables"}},
		},
		{
			name: "missing cell, guest silent about it",
			lines: func(t *testing.T) []string {
				return append(append([]string{hello(t)}, cellLines(t, ipvs)...), line(t, wire.Done()))
			},
			want: want{status: resultfile.StatusInfraError, errHas: "without reporting cell(s) iptables", errType: new(*ProtocolError), measured: []string{"ipvs-reuse1"}, errored: map[string]string{"iptables": "no result"}},
		},
		{
			name: "a cell nobody asked for",
			lines: func(t *testing.T) []string {
				stray := ipt
				stray.Name = "nftables-stray"
				l := append([]string{hello(t)}, cellLines(t, ipvs)...)
				l = append(l, cellLines(t, ipt)...)
				l = append(l, line(t, wire.CellDone(measured(stray))))
				return append(l, line(t, wire.Done()))
			},
			want: want{status: resultfile.StatusOK, measured: []string{"ipvs-reuse1", "iptables"}, errored: map[string]string{"nftables-stray": "not asked for"}},
		},
		{
			name: "guest reports a missing kernel feature",
			lines: func(t *testing.T) []string {
				return []string{hello(t), line(t, wire.Fail(wire.ErrKernel, "modules", errors.New("ip_vs: not found"))), line(t, wire.Done())}
			},
			want: want{status: resultfile.StatusBootError, errHas: "ip_vs: not found", errType: new(*GuestFailed), errored: map[string]string{"ipvs-reuse1": "ip_vs: not found", "iptables": "ip_vs: not found"}},
		},
		{
			name: "guest reports a scenario failure in one cell",
			lines: func(t *testing.T) []string {
				l := append([]string{hello(t)}, cellLines(t, ipvs)...)
				return append(l, line(t, wire.Fail(wire.ErrScenario, "scenario", errors.New("cell iptables: node setup: no veth"))), line(t, wire.Done()))
			},
			want: want{status: resultfile.StatusGuestError, errHas: "no veth", errType: new(*GuestFailed), measured: []string{"ipvs-reuse1"}, errored: map[string]string{"iptables": "no veth"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := testEnv(t, &cannedGuest{lines: tc.lines(t), end: tc.end})
			out := filepath.Join(t.TempDir(), "result")
			f, path, err := env.Scenario(context.Background(), cells, out)
			if tc.want.errType == nil && err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if tc.want.errType != nil && !errors.As(err, tc.want.errType) {
				t.Fatalf("error %v (%T), want a %T", err, err, tc.want.errType)
			}
			if err != nil && !strings.Contains(err.Error(), tc.want.errHas) {
				t.Errorf("error %q lacks %q", err, tc.want.errHas)
			}
			if path == "" {
				t.Fatal("no result file written")
			}
			onDisk, rerr := resultfile.Read(path)
			if rerr != nil {
				t.Fatal(rerr)
			}
			if onDisk.Status != tc.want.status || f.Status != tc.want.status {
				t.Errorf("status %q on disk, %q returned; want %q (error %q)", onDisk.Status, f.Status, tc.want.status, onDisk.Error)
			}
			if tc.want.errHas != "" && !strings.Contains(onDisk.Error, tc.want.errHas) {
				t.Errorf("result.json error %q lacks %q", onDisk.Error, tc.want.errHas)
			}
			byName := map[string]resultfile.Cell{}
			for _, c := range onDisk.Cells {
				byName[c.Name] = c
			}
			if len(onDisk.Cells) != len(tc.want.measured)+len(tc.want.errored) {
				t.Errorf("%d cells written, want %d measured + %d error cells: %+v", len(onDisk.Cells), len(tc.want.measured), len(tc.want.errored), onDisk.Cells)
			}
			for _, name := range tc.want.measured {
				c, ok := byName[name]
				switch {
				case !ok || c.Result == nil:
					t.Errorf("cell %s: no measured result written", name)
				case c.Verdict.Status != verdict.Clean:
					t.Errorf("cell %s: verdict %+v, want clean", name, c.Verdict)
				case c.Records == "":
					t.Errorf("cell %s: records file not linked", name)
				default:
					if _, err := os.Stat(filepath.Join(out, c.Records)); err != nil {
						t.Errorf("cell %s: records file: %v", name, err)
					}
				}
			}
			for name, reason := range tc.want.errored {
				c, ok := byName[name]
				if !ok || c.Verdict.Status != verdict.Error || !strings.Contains(strings.Join(c.Verdict.Reasons, " "), reason) {
					t.Errorf("cell %s: %+v, want an error cell whose reason names %q", name, c, reason)
				}
			}
		})
	}
}

// The request reaches the guest typed and checked: an invalid one never boots.
func TestBootRefusesAnInvalidRequest(t *testing.T) {
	g := &cannedGuest{}
	env := testEnv(t, g)
	_, err := env.Boot(context.Background(), wire.Request{Mode: wire.ModeScenario, Cells: []scenario.Cell{{ProxyMode: "userspace"}}}, BootOptions{OutDir: t.TempDir(), Timeout: time.Minute})
	var ie *qemu.InfraError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "defaults not filled in") {
		t.Fatalf("err %v, want an infra error naming the bad cell", err)
	}
}
