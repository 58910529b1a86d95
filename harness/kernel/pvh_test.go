package kernel

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/ulikunitz/xz"
)

// fakeELF is a minimal ELF64 with one PT_NOTE segment holding a note of
// owner "Xen" and type typ, padded with filler.
func fakeELF(typ uint32, filler int) []byte {
	note := make([]byte, 12, 24)
	binary.LittleEndian.PutUint32(note[0:], 4) // "Xen\0"
	binary.LittleEndian.PutUint32(note[4:], 8)
	binary.LittleEndian.PutUint32(note[8:], typ)
	note = append(note, "Xen\x00"...)
	note = append(note, 0, 0, 0, 1, 0, 0, 0, 0) // the entry address
	b := make([]byte, 64+56)
	copy(b, "\x7fELF\x02\x01\x01")
	le := binary.LittleEndian
	le.PutUint16(b[16:], 2)  // ET_EXEC
	le.PutUint16(b[18:], 62) // EM_X86_64
	le.PutUint32(b[20:], 1)  // EV_CURRENT
	le.PutUint64(b[32:], 64) // e_phoff
	le.PutUint16(b[52:], 64) // e_ehsize
	le.PutUint16(b[54:], 56) // e_phentsize
	le.PutUint16(b[56:], 1)  // e_phnum
	ph := b[64:]
	le.PutUint32(ph[0:], 4)   // PT_NOTE
	le.PutUint64(ph[8:], 120) // p_offset
	le.PutUint64(ph[32:], uint64(len(note)))
	le.PutUint64(ph[40:], uint64(len(note)))
	b = append(b, note...)
	return append(b, bytes.Repeat([]byte("kernel text "), filler)...)
}

// pvhBzImage wraps a compressed payload as boot protocol 2.15 does, with
// the unpacked size appended as the kernel build does.
func pvhBzImage(payload []byte, size int) []byte {
	const setupSects = 3
	bz := make([]byte, (setupSects+1)*512)
	bz[0x1f1] = setupSects
	copy(bz[0x202:], "HdrS")
	binary.LittleEndian.PutUint16(bz[0x206:], 0x20f)
	bz = append(bz, []byte("decompressor stub")...)
	binary.LittleEndian.PutUint32(bz[0x248:], uint32(len("decompressor stub")))
	payload = binary.LittleEndian.AppendUint32(append([]byte{}, payload...), uint32(size))
	binary.LittleEndian.PutUint32(bz[0x24c:], uint32(len(payload)))
	return append(append(bz, payload...), "trailing"...)
}

func compress(t *testing.T, format string, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	var w io.WriteCloser
	var err error
	switch format {
	case "gzip":
		w = gzip.NewWriter(&buf)
	case "lz4":
		zw := lz4.NewWriter(&buf)
		err = zw.Apply(lz4.LegacyOption(true))
		w = zw
	case "zstd":
		w, err = zstd.NewWriter(&buf)
	case "xz":
		w, err = xz.NewWriter(&buf)
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestExtractVmlinux(t *testing.T) {
	elfPVH := fakeELF(xenElfnotePhys32Entry, 5000)
	for _, format := range []string{"gzip", "lz4", "zstd", "xz"} {
		got, f, err := ExtractVmlinux(pvhBzImage(compress(t, format, elfPVH), len(elfPVH)))
		if err != nil || f != format || !bytes.Equal(got, elfPVH) {
			t.Errorf("%s: format %q, %d bytes, err %v", format, f, len(got), err)
		}
	}
	noPVH := fakeELF(5, 10) // a Xen note, not the PVH entry
	for name, bz := range map[string][]byte{
		"no PVH note":          pvhBzImage(compress(t, "gzip", noPVH), len(noPVH)),
		"wrong unpacked size":  pvhBzImage(compress(t, "gzip", elfPVH), len(elfPVH)-1),
		"not an ELF":           pvhBzImage(compress(t, "gzip", []byte("not an elf at all")), 17),
		"unknown compression":  pvhBzImage([]byte{0x89, 0x4c, 0x5a, 0x4f, 0, 0, 0, 0}, 100),
		"no setup header":      make([]byte, 4096),
		"boot protocol < 2.08": func() []byte { b := pvhBzImage(compress(t, "gzip", elfPVH), len(elfPVH)); b[0x206] = 0x06; return b }(),
	} {
		if _, _, err := ExtractVmlinux(bz); !errors.Is(err, ErrNoPVH) {
			t.Errorf("%s: err %v, want ErrNoPVH", name, err)
		}
	}
}

// PreparePVH unpacks once and then serves the cached file.
func TestPreparePVHCaches(t *testing.T) {
	dir := t.TempDir()
	elfPVH := fakeELF(xenElfnotePhys32Entry, 100)
	vmlinuz := filepath.Join(dir, "vmlinuz")
	if err := os.WriteFile(vmlinuz, pvhBzImage(compress(t, "lz4", elfPVH), len(elfPVH)), 0o644); err != nil {
		t.Fatal(err)
	}
	p := &Prepared{Vmlinuz: vmlinuz, VmlinuzSHA256: "0123456789abcdef0123"}
	first, err := PreparePVH(t.Context(), dir, p)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(vmlinuz) // a second call must not need it
	second, err := PreparePVH(t.Context(), dir, p)
	if err != nil || *second != *first || first.Format != "lz4" {
		t.Fatalf("first %+v, second %+v, %v", first, second, err)
	}
	if b, _ := os.ReadFile(first.Path); !bytes.Equal(b, elfPVH) {
		t.Error("cached vmlinux differs from the payload")
	}
}
