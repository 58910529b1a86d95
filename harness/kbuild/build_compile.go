package kbuild

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// compile builds bzImage (and modules, which writes modules.builtin, when
// CONFIG_MODULES=y) and asks make for the release it built.
func (b *buildRun) compile(ctx context.Context) error {
	targets := []string{"bzImage"}
	if v, _ := b.final.Get("CONFIG_MODULES"); v == "y" {
		b.modules = true
		targets = append(targets, "modules")
	}
	b.p.printf("make -j%d %s (ccache: %v)", b.md.Jobs, strings.Join(targets, " "), b.md.CCache)
	args := append([]string{"ARCH=x86_64", "-j" + strconv.Itoa(b.md.Jobs)}, b.ccArgs...)
	args = append(args, targets...)
	watch := &makeWatcher{p: b.p, interval: 30 * time.Second, last: time.Now()}
	if err := runCmd(ctx, b.src, b.env, io.MultiWriter(b.log, watch), "make", args...); err != nil {
		return err
	}
	var rel strings.Builder
	if err := runCmd(ctx, b.src, b.env, &rel, "make", "-s", "ARCH=x86_64", "kernelrelease"); err != nil {
		return fmt.Errorf("kernelrelease: %w", err)
	}
	b.md.KernelRelease = strings.TrimSpace(rel.String())
	return nil
}
