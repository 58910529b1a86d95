package wire

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"time"

	"github.com/rolloutlab/rolloutlab/scenario"
)

// Seed file names of the kind tier on the scratch disk (under SeedMount).
const (
	SeedKindNodeImage  = "node.tar"
	SeedKindAppImage   = "app.tar"
	SeedKind           = "kind"
	SeedKindPatched    = "kind-patched"
	SeedKubectl        = "kubectl"
	SeedKindConfigStem = "kind-config-" // + proxy mode + ".yaml"
	KindClusterName    = "rolloutlab"
	// KindCheckCommand is the agent subcommand `make kind-check` runs.
	KindCheckCommand  = "kind-check"
	KindSharedDir     = "/var/lib/rolloutlab-kind" // guest dir mounted into the node
	KindNodeSharedDir = "/rolloutlab"              // the same dir inside the node
	// KindNodeKubeadmPatches is kubeadm's patches directory in the node
	// image; the kind config's InitConfiguration names it.
	KindNodeKubeadmPatches = "/kind/rolloutlab/kubeadm-patches"
)

// KindPolicy picks the kind binary: stock kind, the patched build with a
// longer systemd wait (KIND_SYSTEMD_WAIT), or stock first and the patched
// build only after the node missed stock kind's 30 s systemd wait.
type KindPolicy string

const (
	KindPolicyStock   KindPolicy = "stock"
	KindPolicyPatched KindPolicy = "patched"
	KindPolicyAuto    KindPolicy = "auto"
)

// Valid names the accepted policies when p is not one of them.
func (p KindPolicy) Valid() error {
	switch p {
	case KindPolicyStock, KindPolicyPatched, KindPolicyAuto:
		return nil
	}
	return fmt.Errorf("kind policy %q: want %s, %s or %s", string(p), KindPolicyStock, KindPolicyPatched, KindPolicyAuto)
}

// NeedsSystemdWait says whether the patched kind may run, which needs a wait.
func (p KindPolicy) NeedsSystemdWait() bool { return p != KindPolicyStock }

// KindConfigSeed names the kind cluster config for a proxy mode.
func KindConfigSeed(m scenario.ProxyMode) string { return SeedKindConfigStem + string(m) + ".yaml" }

// KindSpec is what the kind tier's cells share in one boot: the images the
// host built, which kind binary to use and how long each wait may take
// (scaled by the host for the accelerator).
type KindSpec struct {
	NodeImage string `json:"node_image"` // tag inside node.tar
	AppImage  string `json:"app_image"`  // tag inside app.tar: the server and load generator
	// Policy: stock kind, the patched kind (KIND_SYSTEMD_WAIT), or auto
	// (stock first, patched only after the node missed stock kind's wait).
	Policy      KindPolicy        `json:"policy"`
	Wait        scenario.Duration `json:"wait"`         // kind --wait, and each later wait
	SystemdWait scenario.Duration `json:"systemd_wait"` // KIND_SYSTEMD_WAIT of the patched kind
	// Modes lists the proxy modes a config was seeded for.
	Modes []scenario.ProxyMode `json:"modes"`
	// Keep leaves each cell's cluster running (the guest still powers off).
	Keep bool `json:"keep,omitempty"`
}

// Valid checks the spec.
func (k KindSpec) Valid() error {
	if err := k.Policy.Valid(); err != nil {
		return err
	}
	if k.NodeImage == "" || k.AppImage == "" {
		return errors.New("kind spec needs the node image's and the app image's tags")
	}
	if k.Wait <= 0 || k.Policy.NeedsSystemdWait() && k.SystemdWait <= 0 {
		return fmt.Errorf("kind waits %s / systemd %s: want > 0", time.Duration(k.Wait), time.Duration(k.SystemdWait))
	}
	for _, m := range k.Modes {
		if err := m.Valid(); err != nil {
			return err
		}
	}
	return nil
}

// SeedPath is where the guest finds a seed file.
func SeedPath(name string) string { return path.Join(SeedMount, name) }

// validKind checks that kind cells come with a kind spec, a disk root with
// the engine, and a cluster config for their mode.
func (r Request) validKind() error {
	var kind []scenario.Cell
	for _, c := range r.Cells {
		if c.Tier == scenario.TierKind {
			kind = append(kind, c)
		}
	}
	if len(kind) == 0 {
		if r.Kind != nil {
			return errors.New("kind spec without kind tier cells")
		}
		return nil
	}
	if r.Kind == nil {
		return fmt.Errorf("cell %s is of the kind tier, but the request has no kind spec", kind[0].Name)
	}
	if err := r.Kind.Valid(); err != nil {
		return err
	}
	if r.Root == nil || !r.Root.Engine {
		return fmt.Errorf("cell %s is of the kind tier: it needs a disk root with the container engine", kind[0].Name)
	}
	for _, c := range kind {
		if !slices.Contains(r.Kind.Modes, c.ProxyMode) {
			return fmt.Errorf("cell %s: no kind config seeded for mode %s (have %v)", c.Name, c.ProxyMode, r.Kind.Modes)
		}
	}
	return nil
}
