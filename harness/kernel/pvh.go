package kernel

import (
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"context"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/ulikunitz/xz"
	"github.com/ulikunitz/xz/lzma"

	"github.com/rolloutlab/rolloutlab/harness/cache"
)

// A bzImage decompresses itself before the kernel's clock starts; under
// TCG that is 0.3-0.4 s of every boot (6.1's 14 MB LZ4 image, 53 MB
// unpacked). QEMU can instead load the uncompressed vmlinux, an ELF, and
// enter it through the PVH boot protocol when the kernel has the entry
// (CONFIG_PVH, which Debian's kernels set). The vmlinux is the bzImage's
// own payload, unpacked once on the host and cached by the bzImage's hash.

// ErrNoPVH says a kernel can only be booted as its bzImage.
var ErrNoPVH = errors.New("no PVH entry")

// xenElfnotePhys32Entry is the ELF note (owner "Xen") holding the PVH entry.
const xenElfnotePhys32Entry = 18

// FileVmlinux is the uncompressed kernel in a PVH cache entry.
const FileVmlinux = "vmlinux"

// PVH is a kernel's uncompressed ELF for QEMU's PVH entry.
type PVH struct {
	Path   string // cacheDir/pvh/<vmlinuz sha256[:16]>/vmlinux
	Format string // the bzImage payload's compression: gzip, xz, lz4, ...
}

// PreparePVH returns p's vmlinux for a PVH boot, unpacking it from the
// bzImage the first time. An error wrapping ErrNoPVH means the kernel must
// boot as its bzImage (no PVH note, a compression this code cannot read);
// other errors are the cache's.
func PreparePVH(ctx context.Context, cacheDir string, p *Prepared) (*PVH, error) {
	if len(p.VmlinuzSHA256) < 16 {
		return nil, fmt.Errorf("%w: the kernel's sha256 is unknown", ErrNoPVH)
	}
	dir := filepath.Join(cacheDir, "pvh", p.VmlinuzSHA256[:16])
	var format string
	err := cache.Publish(ctx, dir, func(tmp string) error {
		bz, err := os.ReadFile(p.Vmlinuz)
		if err != nil {
			return err
		}
		vmlinux, f, err := ExtractVmlinux(bz)
		if err != nil {
			return err
		}
		format = f
		if err := os.WriteFile(filepath.Join(tmp, FileVmlinux), vmlinux, 0o644); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(tmp, "format"), []byte(f), 0o644)
	})
	if err != nil {
		return nil, err
	}
	if format == "" { // published earlier
		b, err := os.ReadFile(filepath.Join(dir, "format"))
		if err != nil {
			return nil, fmt.Errorf("%s: %w (remove the directory)", dir, err)
		}
		format = string(b)
	}
	return &PVH{Path: filepath.Join(dir, FileVmlinux), Format: format}, nil
}

// ExtractVmlinux unpacks a bzImage's payload (boot protocol >= 2.08 gives
// its place) and checks it is an ELF with a PVH entry note. It returns
// the ELF and the payload's compression.
func ExtractVmlinux(bz []byte) ([]byte, string, error) {
	payload, err := bzImagePayload(bz)
	if err != nil {
		return nil, "", err
	}
	// The kernel build appends the unpacked size, little-endian u32.
	if len(payload) < 8 {
		return nil, "", fmt.Errorf("%w: a payload of %d bytes", ErrNoPVH, len(payload))
	}
	stream, size := payload[:len(payload)-4], binary.LittleEndian.Uint32(payload[len(payload)-4:])
	format, r, err := decompressor(stream)
	if err != nil {
		return nil, "", err
	}
	if c, ok := r.(io.Closer); ok {
		defer c.Close() // zstd's decoder runs goroutines until closed
	}
	// Read one byte past the recorded size: more means the size is wrong.
	out, err := io.ReadAll(io.LimitReader(r, int64(size)+1))
	if err != nil && !(format == "lz4" && len(out) == int(size)) {
		return nil, format, fmt.Errorf("%w: unpack the %s payload: %v", ErrNoPVH, format, err)
	}
	if len(out) != int(size) {
		return nil, format, fmt.Errorf("%w: the %s payload unpacks to %d bytes, the image says %d", ErrNoPVH, format, len(out), size)
	}
	if ok, err := hasPVHNote(out); err != nil || !ok {
		return nil, format, fmt.Errorf("%w: the payload is no ELF with a Xen PHYS32_ENTRY note (CONFIG_PVH): %v", ErrNoPVH, err)
	}
	return out, format, nil
}

// bzImagePayload finds the compressed kernel in a bzImage.
func bzImagePayload(bz []byte) ([]byte, error) {
	if len(bz) < 0x250 || string(bz[0x202:0x206]) != "HdrS" {
		return nil, fmt.Errorf("%w: not a bzImage (no HdrS header)", ErrNoPVH)
	}
	if v := binary.LittleEndian.Uint16(bz[0x206:]); v < 0x208 {
		return nil, fmt.Errorf("%w: boot protocol %#x has no payload fields (want >= 2.08)", ErrNoPVH, v)
	}
	setupSects := int(bz[0x1f1])
	if setupSects == 0 {
		setupSects = 4
	}
	off := (setupSects+1)*512 + int(binary.LittleEndian.Uint32(bz[0x248:]))
	n := int(binary.LittleEndian.Uint32(bz[0x24c:]))
	if off < 0 || n <= 0 || off+n > len(bz) {
		return nil, fmt.Errorf("%w: payload %d+%d outside the %d-byte image", ErrNoPVH, off, n, len(bz))
	}
	return bz[off : off+n], nil
}

// decompressor names the payload's format by its magic and opens it.
func decompressor(b []byte) (string, io.Reader, error) {
	in := bytes.NewReader(b)
	switch {
	case bytes.HasPrefix(b, []byte{0x1f, 0x8b}):
		r, err := gzip.NewReader(in)
		return "gzip", r, err
	case bytes.HasPrefix(b, []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}):
		r, err := xz.NewReader(in)
		return "xz", r, err
	case bytes.HasPrefix(b, []byte{0x02, 0x21, 0x4c, 0x18}):
		return "lz4", lz4.NewReader(in), nil
	case bytes.HasPrefix(b, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		r, err := zstd.NewReader(in)
		if err != nil {
			return "zstd", nil, err
		}
		return "zstd", r.IOReadCloser(), nil
	case bytes.HasPrefix(b, []byte("BZh")):
		return "bzip2", bzip2.NewReader(in), nil
	case bytes.HasPrefix(b, []byte{0x5d, 0x00, 0x00}):
		r, err := lzma.NewReader(in)
		return "lzma", r, err
	}
	return "", nil, fmt.Errorf("%w: payload compression not readable here (magic % x; lzo?)", ErrNoPVH, b[:min(6, len(b))])
}

// hasPVHNote reports whether an ELF carries Xen's PHYS32_ENTRY note.
func hasPVHNote(b []byte) (bool, error) {
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		return false, err
	}
	for _, p := range f.Progs {
		if p.Type != elf.PT_NOTE {
			continue
		}
		notes, err := io.ReadAll(p.Open())
		if err != nil {
			return false, err
		}
		for len(notes) >= 12 {
			nameSz, descSz, typ := f.ByteOrder.Uint32(notes), f.ByteOrder.Uint32(notes[4:]), f.ByteOrder.Uint32(notes[8:])
			name := notes[12:min(len(notes), 12+int(nameSz))]
			if typ == xenElfnotePhys32Entry && string(bytes.TrimRight(name, "\x00")) == "Xen" {
				return true, nil
			}
			next := 12 + align4(int(nameSz)) + align4(int(descSz))
			if next > len(notes) {
				break
			}
			notes = notes[next:]
		}
	}
	return false, nil
}

func align4(n int) int { return (n + 3) &^ 3 }
