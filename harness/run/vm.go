package run

import (
	"context"

	"github.com/rolloutlab/rolloutlab/harness/qemu"
)

// VM is the seam between the run layer and the hypervisor: it runs one
// guest to its end and hands over every control message as it arrives
// (qemu.Watch). QEMU is the real one; tests drive the run layer through
// canned guests that play a message stream and end the way a real guest
// can (power-off, panic, hang, early exit).
type VM interface {
	Run(ctx context.Context, cfg qemu.Config, w qemu.Watch) (*qemu.Outcome, error)
}

// QEMU runs guests with qemu-system-x86_64 (qemu.Run).
type QEMU struct{}

func (QEMU) Run(ctx context.Context, cfg qemu.Config, w qemu.Watch) (*qemu.Outcome, error) {
	return qemu.Run(ctx, cfg, w)
}

func (env *Env) vm() VM {
	if env.VM != nil {
		return env.VM
	}
	return QEMU{}
}
