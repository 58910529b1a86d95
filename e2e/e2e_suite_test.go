// Package e2e is the main job: Ginkgo specs that boot the kernel named by
// $KERNEL (the catalog default when unset) under QEMU and check what a
// correct kernel must do. Run it with `make e2e KERNEL=6.1`.
package e2e

import (
	"context"
	"os"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/rolloutlab/rolloutlab/harness/run"
)

func TestE2E(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "rolloutlab e2e")
}

// env is prepared once per suite: kernel, image and accelerator are shared
// by every spec; each spec boots its own guest.
var env *run.Env

var _ = BeforeSuite(func(ctx SpecContext) {
	var err error
	env, err = run.Prepare(ctx, run.Options{
		Kernel:   os.Getenv("KERNEL"),
		Patches:  os.Getenv("PATCHES"),
		Accel:    os.Getenv("ACCEL"),
		Progress: GinkgoWriter,
	})
	Expect(err).NotTo(HaveOccurred(), "prepare kernel %q", os.Getenv("KERNEL"))
	AddReportEntry("kernel", env.Kernel.Entry.Name+" ("+env.Kernel.UnameR+")")
	AddReportEntry("accelerator", string(env.Accel)+": "+env.AccelReason)
}, NodeTimeout(30*60e9))

// bootDir gives each guest its own log directory, kept under the spec's
// temp dir unless ROLLOUTLAB_KEEP names a place to keep them.
func bootDir() string {
	if keep := os.Getenv("ROLLOUTLAB_KEEP"); keep != "" {
		d, err := os.MkdirTemp(keep, "boot-")
		Expect(err).NotTo(HaveOccurred())
		return d
	}
	return GinkgoT().TempDir()
}

var _ context.Context // keep the import stable for specs using ctx helpers
