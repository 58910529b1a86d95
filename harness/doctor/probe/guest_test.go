package probe_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rolloutlab/rolloutlab/harness/doctor"
	"github.com/rolloutlab/rolloutlab/harness/image"
	"github.com/rolloutlab/rolloutlab/harness/run"
	"github.com/rolloutlab/rolloutlab/wire"
)

const guestBin = "/opt/rolloutlab-doctor/rolloutlab"

// TestProbeInGuest boots a guest acting as the node and runs
// `rolloutlab doctor --probe` there. It boots QEMU, so it runs only when
// asked (one guest slot on a machine: wrap it in flock):
//
//	ROLLOUTLAB_DOCTOR_GUEST=1 KERNEL=6.1 DOCTOR_REUSE=1 DOCTOR_WANT=not-affected \
//	  flock /tmp/rolloutlab-guest.lock go test -run TestProbeInGuest -v -timeout 30m ./harness/doctor/probe/
func TestProbeInGuest(t *testing.T) {
	if os.Getenv("ROLLOUTLAB_DOCTOR_GUEST") != "1" {
		t.Skip("boots a guest: set ROLLOUTLAB_DOCTOR_GUEST=1 (and KERNEL, DOCTOR_REUSE, DOCTOR_KP, DOCTOR_WANT)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 28*time.Minute)
	defer cancel()
	dir := t.TempDir()
	root, err := run.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "rolloutlab")
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w -buildid=", "-o", bin, "./harness/cmd/rolloutlab")
	build.Dir, build.Env = root, append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, b)
	}
	archive, err := image.FilesArchive(map[string]string{guestBin: bin})
	if err != nil {
		t.Fatal(err)
	}
	frag := filepath.Join(dir, "doctor.cpio.gz")
	if err := os.WriteFile(frag, archive, 0o644); err != nil {
		t.Fatal(err)
	}
	env, err := run.Prepare(ctx, run.Options{Kernel: os.Getenv("KERNEL"), Accel: envOr("ACCEL", "auto"), CPUs: 2, MemoryMiB: 1024, Progress: os.Stderr})
	if err != nil {
		t.Fatal(err)
	}
	res, err := env.WithExtra([]string{frag}, 0).Boot(ctx, wire.Request{Mode: wire.ModeExec, Command: []string{script(envOr("DOCTOR_REUSE", "1"), envOr("DOCTOR_KP", "v1.34.2"))}},
		run.BootOptions{OutDir: filepath.Join(dir, "boot"), Timeout: 25 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	out := res.Exec.Stdout
	t.Logf("--- stdout\n%s\n--- stderr (tail)\n%s", out, tail(res.Exec.Stderr, 4000))
	i := strings.Index(out, "=== report\n")
	if i < 0 {
		t.Fatal("no report in the output")
	}
	var rep doctor.Report
	if err := json.Unmarshal([]byte(out[i+len("=== report\n"):]), &rep); err != nil {
		t.Fatalf("report: %v", err)
	}
	if rep.Probe == nil || !rep.Probe.HostUnchanged || len(rep.Probe.HostDiff) > 0 {
		t.Errorf("the probe changed the node's namespace: %+v", rep.Probe)
	}
	if !rep.Probe.Trusted {
		t.Errorf("probe not trusted: %s", rep.Probe.Why)
	}
	if want := envOr("DOCTOR_WANT", "not-affected"); string(rep.Answer) != want {
		t.Errorf("answer %s, want %s", rep.Answer, want)
	}
}

// script makes the guest look like a kube-proxy IPVS node (kube-proxy's
// sysctls, the given conn_reuse_mode), then runs the probe once.
func script(reuse, kp string) string {
	return `set -u
modprobe ip_vs 2>/dev/null
for s in expire_nodest_conn expire_quiescent_template conntrack; do echo 1 > /proc/sys/net/ipv4/vs/$s; done
echo ` + reuse + ` > /proc/sys/net/ipv4/vs/conn_reuse_mode
echo 1 > /proc/sys/net/ipv4/ip_forward
echo '=== doctor (read-only)'
` + guestBin + ` doctor --proxy-mode ipvs --kube-proxy-version ` + kp + `; echo "=== exit $?"
echo '=== doctor --probe'
` + guestBin + ` doctor --probe --proxy-mode ipvs --kube-proxy-version ` + kp + ` --report /tmp/doctor.json; echo "=== exit $?"
echo '=== report'
cat /tmp/doctor.json
`
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
