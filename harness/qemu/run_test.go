package qemu

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rolloutlab/rolloutlab/wire"
)

// fakeRun is one Run against the fake QEMU playing steps.
type fakeRun struct {
	dir  string
	cfg  Config
	got  []wire.Message      // as OnMessage saw them
	bad  []*wire.DecodeError // as OnUndecodable saw them
	took time.Duration
}

func newFakeRun(t *testing.T, steps ...string) *fakeRun {
	t.Helper()
	dir := t.TempDir()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	play := filepath.Join(dir, "play")
	steps = append([]string{"pidfile " + filepath.Join(dir, "qemu.pid")}, steps...)
	if err := os.WriteFile(play, []byte(strings.Join(steps, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// exec keeps the pid, so the fake is the process Run started. Under
	// -race a binary exiting 0 sleeps 1 s for late reports; not the fake.
	bin := filepath.Join(dir, "qemu-system-x86_64")
	script := "#!/bin/sh\nexec env GORACE=atexit_sleep_ms=0 " + fakeEnv + "=" + shellQuote(play) + " " + shellQuote(exe) + ` "$@"` + "\n"
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return &fakeRun{dir: dir, cfg: Config{
		Binary: bin, Accel: AccelTCG, Kernel: "vmlinuz", Initrd: "initrd",
		ConsoleLog: filepath.Join(dir, "console.log"), ControlLog: filepath.Join(dir, "control.log"),
	}}
}

func (f *fakeRun) run(t *testing.T, ctx context.Context, w Watch) (*Outcome, error) {
	t.Helper()
	next := w.OnMessage
	w.OnMessage = func(m wire.Message) {
		f.got = append(f.got, m)
		if next != nil {
			next(m)
		}
	}
	w.OnUndecodable = func(e *wire.DecodeError) { f.bad = append(f.bad, e) }
	start := time.Now()
	out, err := Run(ctx, f.cfg, w)
	f.took = time.Since(start)
	f.assertGone(t)
	return out, err
}

// assertGone checks that the fake no longer exists (not even as a zombie)
// and that the control socket was removed.
func (f *fakeRun) assertGone(t *testing.T) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(f.dir, "qemu.pid"))
	if err != nil {
		t.Fatalf("fake qemu never ran: %v", err)
	}
	pid, err := strconv.Atoi(string(b))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("fake qemu pid %d survived Run: kill(pid, 0) = %v", pid, err)
	}
	if _, err := os.Lstat(ControlSocket(f.cfg)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("control socket left behind: %v", err)
	}
}

func (f *fakeRun) file(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(f.dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func kinds(ms []wire.Message) string {
	var s []string
	for _, m := range ms {
		s = append(s, string(m.Kind))
	}
	return strings.Join(s, ",")
}

var quick = Watch{BootTimeout: 5 * time.Second, Timeout: 10 * time.Second}

func TestRunDone(t *testing.T) {
	t.Parallel()
	f := newFakeRun(t, "open", "msg 1 hello", "line 0 Booting Linux", "msg 1 log", "msg 1 done", "exit 0")
	out, err := f.run(t, context.Background(), quick)
	if err != nil {
		t.Fatalf("want nil error, got %v", err)
	}
	if !out.Done || out.Hello == nil || out.Hello.Kind != wire.KindHello {
		t.Errorf("Done %v, Hello %+v", out.Done, out.Hello)
	}
	if out.BootToHello <= 0 || out.BootToHello > out.Wall {
		t.Errorf("BootToHello %v, Wall %v", out.BootToHello, out.Wall)
	}
	if k := kinds(out.Messages); k != "hello,log,done" {
		t.Errorf("Messages %s", k)
	}
	if k := kinds(f.got); k != "hello,log,done" {
		t.Errorf("OnMessage saw %s", k)
	}
	if len(out.Undecodable) != 0 {
		t.Errorf("Undecodable %q", out.Undecodable)
	}
	// Every byte of each port is kept.
	ctl := f.file(t, "control.log")
	if n := strings.Count(ctl, "\n"); n != 3 || !strings.HasPrefix(ctl, wire.FramePrefix+`{"kind":"hello"`) {
		t.Errorf("control.log (%d lines):\n%s", n, ctl)
	}
	if con := f.file(t, "console.log"); con != "Booting Linux\n" {
		t.Errorf("console.log %q", con)
	}
}

// The agent frames its messages on the console when ttyS1 is unusable.
func TestRunConsoleFallback(t *testing.T) {
	t.Parallel()
	f := newFakeRun(t, "open", "line 0 agent: control port /dev/ttyS1 unusable", "msg 0 hello", "msg 0 done")
	out, err := f.run(t, context.Background(), quick)
	if err != nil || !out.Done || out.Hello == nil {
		t.Fatalf("err %v, Done %v, Hello %v", err, out.Done, out.Hello)
	}
	if len(out.Undecodable) != 0 {
		t.Errorf("plain console lines are not undecodable: %q", out.Undecodable)
	}
}

func TestRunKernelPanic(t *testing.T) {
	t.Parallel()
	f := newFakeRun(t, "open", "line 0 Run /init as init process",
		"line 0 Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)", "line 0 ---[ end Kernel panic ]---", "exit 0")
	_, err := f.run(t, context.Background(), quick)
	var be *BootError
	if !errors.As(err, &be) {
		t.Fatalf("want *BootError, got %T %v", err, err)
	}
	if want := "kernel panic: Kernel panic - not syncing: VFS: Unable to mount root fs"; !strings.HasPrefix(be.Reason, want) {
		t.Errorf("Reason %q, want prefix %q", be.Reason, want)
	}
	if !strings.Contains(be.ConsoleTail, "Run /init") || !strings.Contains(be.ConsoleTail, "end Kernel panic") {
		t.Errorf("ConsoleTail %q", be.ConsoleTail)
	}
	if !IsBootError(err) {
		t.Error("IsBootError false")
	}
}

func TestRunHangBeforeHello(t *testing.T) {
	t.Parallel()
	f := newFakeRun(t, "open", "line 0 Booting Linux", "hang")
	_, err := f.run(t, context.Background(), Watch{BootTimeout: 300 * time.Millisecond, Timeout: 10 * time.Second})
	var he *HangError
	if !errors.As(err, &he) {
		t.Fatalf("want *HangError, got %T %v", err, err)
	}
	if !strings.HasPrefix(he.Phase, "boot") || he.After != "300ms" || he.ConsoleTail != "Booting Linux" {
		t.Errorf("got %+v", he)
	}
	if f.took < 300*time.Millisecond || f.took > 3*time.Second {
		t.Errorf("watchdog fired after %v, want just after 300ms", f.took)
	}
}

// A guest that hangs before hello gets an NMI on QEMU's QMP socket before
// it is killed: its kernel's panic output (unknown_nmi_panic) is in the
// hang's console tail, and the hang says the NMI worked. Without QMP (the
// test above) the watchdog still kills it at once.
func TestRunHangTracedByNMI(t *testing.T) {
	t.Parallel()
	f := newFakeRun(t, "open", "qmp", "line 0 Booting Linux", "hang")
	_, err := f.run(t, context.Background(), Watch{BootTimeout: 300 * time.Millisecond, Timeout: 10 * time.Second})
	var he *HangError
	if !errors.As(err, &he) {
		t.Fatalf("want *HangError, got %T %v", err, err)
	}
	if !strings.Contains(he.ConsoleTail, "NMI: Not continuing") || !strings.Contains(he.Trace, "NMI made the kernel print") {
		t.Errorf("got %+v", he)
	}
	if _, err := os.Lstat(QMPSocket(f.cfg)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("QMP socket left behind: %v", err)
	}
}

func TestRunHangAfterHello(t *testing.T) {
	t.Parallel()
	// The hello disarms the boot watchdog: only the run timeout may fire.
	f := newFakeRun(t, "open", "msg 1 hello", "hang")
	out, err := f.run(t, context.Background(), Watch{BootTimeout: 200 * time.Millisecond, Timeout: 600 * time.Millisecond})
	var he *HangError
	if !errors.As(err, &he) {
		t.Fatalf("want *HangError, got %T %v", err, err)
	}
	if !strings.HasPrefix(he.Phase, "run") || he.After != "600ms" {
		t.Errorf("got %+v", he)
	}
	if out.Hello == nil || out.Done {
		t.Errorf("Hello %v, Done %v", out.Hello, out.Done)
	}
	if f.took < 600*time.Millisecond || f.took > 3*time.Second {
		t.Errorf("watchdog fired after %v, want just after 600ms", f.took)
	}
}

// QEMU itself failed: nothing on the console, a non-zero status. It exits
// before opening its ports, so no control connection ever comes.
func TestRunQEMUFails(t *testing.T) {
	t.Parallel()
	f := newFakeRun(t, "stderr qemu-system-x86_64: could not load kernel 'vmlinuz'", "exit 1")
	_, err := f.run(t, context.Background(), quick)
	var ie *InfraError
	if !errors.As(err, &ie) {
		t.Fatalf("want *InfraError, got %T %v", err, err)
	}
	var xe *exec.ExitError
	if ie.Op != "run QEMU" || !errors.As(err, &xe) || xe.ExitCode() != 1 || !strings.Contains(err.Error(), "could not load kernel") {
		t.Errorf("got %v", err)
	}
	if IsBootError(err) {
		t.Error("an infra error blames the kernel")
	}
	if f.took > time.Second {
		t.Errorf("took %v to notice QEMU's exit", f.took)
	}
}

func TestRunStoppedBeforeHello(t *testing.T) {
	t.Parallel()
	for _, code := range []string{"0", "1"} {
		t.Run("exit"+code, func(t *testing.T) {
			t.Parallel()
			f := newFakeRun(t, "open", "line 0 Linux version 6.1", "exit "+code)
			_, err := f.run(t, context.Background(), quick)
			var be *BootError
			if !errors.As(err, &be) {
				t.Fatalf("want *BootError, got %T %v", err, err)
			}
			if !strings.Contains(be.Reason, "stopped before the agent started") || be.ConsoleTail != "Linux version 6.1" {
				t.Errorf("got %+v", be)
			}
		})
	}
}

func TestRunStoppedBeforeDone(t *testing.T) {
	t.Parallel()
	f := newFakeRun(t, "open", "msg 1 hello", "line 0 reboot: Power down", "exit 0")
	out, err := f.run(t, context.Background(), quick)
	var be *BootError
	if !errors.As(err, &be) {
		t.Fatalf("want *BootError, got %T %v", err, err)
	}
	if !strings.Contains(be.Reason, "stopped before the agent finished") || out.Hello == nil {
		t.Errorf("got %+v, Hello %v", be, out.Hello)
	}
}

// Bad lines never vanish: each is listed, handed to OnUndecodable and kept
// byte for byte in control.log.
func TestRunUndecodable(t *testing.T) {
	t.Parallel()
	f := newFakeRun(t, "open", "msg 1 hello",
		"line 1 \x01garbage",
		`line 1 @@rolloutlab {"kind":`,
		`line 0 @@rolloutlab {"kind":"log" cut by a printk`,
		"line 0 an ordinary console line",
		"line 1 ",
		"msg 1 done",
		`raw 1 @@rolloutlab {"kind":"lo`)
	out, err := f.run(t, context.Background(), quick)
	if err != nil || !out.Done {
		t.Fatalf("err %v, Done %v", err, out.Done)
	}
	// The two ports are separate streams: order only holds within one.
	want := []string{`ttyS0: {"kind":"log" cut by a printk: invalid character`, "ttyS1: \x01garbage: unframed text", `ttyS1: {"kind":: unexpected EOF`, `ttyS1: {"kind":"lo: unexpected EOF`}
	var got []string
	for _, de := range out.Undecodable {
		got = append(got, de.Line+": "+de.Err.Error())
	}
	slices.SortStableFunc(got, func(a, b string) int { return strings.Compare(a[:5], b[:5]) })
	if len(got) != len(want) {
		t.Fatalf("Undecodable %q, want %d entries", got, len(want))
	}
	for i, w := range want {
		if !strings.HasPrefix(got[i], w) {
			t.Errorf("Undecodable (by port) [%d] = %q, want prefix %q", i, got[i], w)
		}
	}
	if len(f.bad) != len(want) {
		t.Errorf("OnUndecodable saw %d lines, want %d", len(f.bad), len(want))
	}
	for _, m := range f.got {
		if m.Kind == wire.KindError {
			t.Errorf("a bad line became a message: %+v", m)
		}
	}
	ctl := f.file(t, "control.log")
	if !strings.Contains(ctl, "\n\x01garbage\n") || !strings.HasSuffix(ctl, `{"kind":"lo`) {
		t.Errorf("control.log lost bytes:\n%q", ctl)
	}
}

func TestRunInterrupted(t *testing.T) {
	t.Parallel()
	f := newFakeRun(t, "open", "msg 1 hello", "hang")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Cancel once the guest is up, so the fake is surely running.
	_, err := f.run(t, ctx, Watch{BootTimeout: 5 * time.Second, Timeout: 10 * time.Second, OnMessage: func(m wire.Message) {
		if m.Kind == wire.KindHello {
			cancel()
		}
	}})
	var ie *InfraError
	if !errors.As(err, &ie) {
		t.Fatalf("want *InfraError, got %T %v", err, err)
	}
	if !strings.Contains(ie.Error(), "interrupted") || !errors.Is(err, context.Canceled) {
		t.Errorf("got %v", err)
	}
	if f.took > 3*time.Second {
		t.Errorf("took %v", f.took)
	}
}

// A socket left by a killed harness is replaced; any other file is not.
func TestRunControlSocketInTheWay(t *testing.T) {
	t.Parallel()
	f := newFakeRun(t, "open", "msg 1 hello", "msg 1 done")
	stale, err := listenControl(ControlSocket(f.cfg))
	if err != nil {
		t.Fatal(err)
	}
	stale.SetUnlinkOnClose(false)
	stale.Close()
	if _, err := f.run(t, context.Background(), quick); err != nil {
		t.Fatalf("stale socket: %v", err)
	}

	g := newFakeRun(t, "open")
	if err := os.WriteFile(ControlSocket(g.cfg), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Run(context.Background(), g.cfg, quick)
	var ie *InfraError
	if !errors.As(err, &ie) || ie.Op != "open control channel" {
		t.Fatalf("want *InfraError opening the control channel, got %T %v", err, err)
	}
	if b, _ := os.ReadFile(ControlSocket(g.cfg)); string(b) != "mine" {
		t.Errorf("a file in the socket's place was touched")
	}
}
