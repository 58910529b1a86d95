package run

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/rolloutlab/rolloutlab/harness/image"
)

// FloorInitrd builds the boot benchmark's floor: an initramfs holding only
// vmimages/guest/floorinit as /init, which reports its uptime over the
// control port and powers off. It is written into dir.
func FloorInitrd(ctx context.Context, cacheDir, dir string) (string, error) {
	bin, err := BuildGuestBinary(ctx, cacheDir, "./vmimages/guest/floorinit", "floorinit")
	if err != nil {
		return "", err
	}
	archive, err := image.FilesArchive(map[string]string{"/init": bin})
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "floor.cpio.gz")
	if err := os.WriteFile(path, archive, 0o644); err != nil {
		return "", fmt.Errorf("write floor initrd: %w", err)
	}
	return path, nil
}
