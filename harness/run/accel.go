package run

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rolloutlab/rolloutlab/harness/cache"
	"github.com/rolloutlab/rolloutlab/harness/qemu"
	"github.com/rolloutlab/rolloutlab/wire"
)

// accelVerdict is cached per host boot: a reboot or a new QEMU may change
// whether KVM works, nothing else does.
type accelVerdict struct {
	Accel  qemu.Accel `json:"accel"`
	Reason string     `json:"reason"`
}

// chooseAccel honours an explicit choice, and otherwise proves KVM with a
// real guest (clocksource kvm-clock) before trusting it; /dev/kvm alone
// has been seen to hang guests forever.
func chooseAccel(ctx context.Context, env *Env, want string) (qemu.Accel, string, error) {
	switch want {
	case "tcg":
		return qemu.AccelTCG, "requested (ACCEL=tcg)", nil
	case "kvm":
		return qemu.AccelKVM, "requested (ACCEL=kvm), not probed", nil
	case "", "auto":
	default:
		return "", "", fmt.Errorf("unknown accelerator %q: valid values are auto, kvm, tcg", want)
	}
	cpuinfo, _ := os.ReadFile("/proc/cpuinfo")
	ok, reason := qemu.KVMCandidate(cpuinfo)
	if !ok {
		return qemu.AccelTCG, "TCG: " + reason, nil
	}
	bootID, _ := os.ReadFile("/proc/sys/kernel/random/boot_id")
	key := strings.TrimSpace(string(bootID)) + "|" + env.QEMUVersion
	path := filepath.Join(env.CacheDir, "accel", fmt.Sprintf("%x.json", hashString(key)))
	if b, err := os.ReadFile(path); err == nil {
		var v accelVerdict
		if json.Unmarshal(b, &v) == nil && v.Accel != "" {
			return v.Accel, v.Reason + " (cached for this host boot)", nil
		}
	}
	v := probeKVM(ctx, env)
	if b, err := json.Marshal(v); err == nil {
		_ = cache.WriteFileAtomic(path, b, 0o644)
	}
	return v.Accel, v.Reason, nil
}

func probeKVM(ctx context.Context, env *Env) accelVerdict {
	dir, err := os.MkdirTemp("", "rolloutlab-kvm-probe-")
	if err != nil {
		return accelVerdict{qemu.AccelTCG, "TCG: cannot create probe dir: " + err.Error()}
	}
	defer os.RemoveAll(dir)
	probe := *env
	probe.Accel = qemu.AccelKVM
	res, err := probe.Boot(ctx, wire.Request{Mode: wire.ModeProbe}, BootOptions{OutDir: dir, BootTimeout: 20 * time.Second, Timeout: 30 * time.Second})
	switch {
	case err != nil && errors.Is(ctx.Err(), context.Canceled):
		return accelVerdict{qemu.AccelTCG, "TCG: KVM probe interrupted"}
	case err != nil:
		return accelVerdict{qemu.AccelTCG, "TCG: KVM probe boot failed: " + firstLine(err.Error())}
	case res.Facts.Clocksource != "kvm-clock":
		return accelVerdict{qemu.AccelTCG, fmt.Sprintf("TCG: KVM guest booted but its clocksource is %q, not kvm-clock", res.Facts.Clocksource)}
	}
	return accelVerdict{qemu.AccelKVM, fmt.Sprintf("KVM proven by a probe guest (clocksource kvm-clock, agent after %s)", res.Outcome.BootToHello.Round(time.Millisecond))}
}

func firstLine(s string) string { l, _, _ := strings.Cut(s, "\n"); return l }
