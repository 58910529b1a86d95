package image

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"io/fs"
	"strings"
	"testing"

	"github.com/rolloutlab/rolloutlab/harness/debtree"
)

// fakeELF returns a minimal x86-64 ELF with an optional PT_INTERP and a
// .dynamic section listing needed; enough for debug/elf and readELFDeps.
func fakeELF(interp string, needed ...string) []byte {
	strtab := []byte{0}
	var offs []uint64
	for _, n := range needed {
		offs = append(offs, uint64(len(strtab)))
		strtab = append(append(strtab, n...), 0)
	}
	shstr := []byte("\x00.dynstr\x00.dynamic\x00.shstrtab\x00")
	var dyn bytes.Buffer
	for _, o := range offs {
		binary.Write(&dyn, binary.LittleEndian, [2]uint64{uint64(elf.DT_NEEDED), o})
	}
	binary.Write(&dyn, binary.LittleEndian, [2]uint64{uint64(elf.DT_NULL), 0})

	const ehsize, phsize, shsize = 64, 56, 64
	interpB := []byte(interp + "\x00")
	nph := 0
	if interp != "" {
		nph = 1
	}
	off := uint64(ehsize + nph*phsize)
	interpOff := off
	off += uint64(len(interpB))
	strOff := off
	off += uint64(len(strtab))
	off = (off + 7) &^ 7
	dynOff := off
	off += uint64(dyn.Len())
	shstrOff := off
	off += uint64(len(shstr))
	off = (off + 7) &^ 7
	shOff := off

	var b bytes.Buffer
	ident := [16]byte{0x7f, 'E', 'L', 'F', byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), byte(elf.EV_CURRENT)}
	binary.Write(&b, binary.LittleEndian, elf.Header64{
		Ident: ident, Type: uint16(elf.ET_DYN), Machine: uint16(elf.EM_X86_64), Version: uint32(elf.EV_CURRENT),
		Phoff: ehsize, Shoff: shOff, Ehsize: ehsize, Phentsize: phsize, Phnum: uint16(nph),
		Shentsize: shsize, Shnum: 4, Shstrndx: 3,
	})
	if interp != "" {
		binary.Write(&b, binary.LittleEndian, elf.Prog64{Type: uint32(elf.PT_INTERP), Off: interpOff, Filesz: uint64(len(interpB)), Memsz: uint64(len(interpB))})
	}
	b.Write(interpB)
	b.Write(strtab)
	for uint64(b.Len()) < dynOff {
		b.WriteByte(0)
	}
	b.Write(dyn.Bytes())
	b.Write(shstr)
	for uint64(b.Len()) < shOff {
		b.WriteByte(0)
	}
	for _, sh := range []elf.Section64{
		{},
		{Name: 1, Type: uint32(elf.SHT_STRTAB), Off: strOff, Size: uint64(len(strtab)), Addralign: 1},
		{Name: 9, Type: uint32(elf.SHT_DYNAMIC), Off: dynOff, Size: uint64(dyn.Len()), Link: 1, Entsize: 16, Addralign: 8},
		{Name: 18, Type: uint32(elf.SHT_STRTAB), Off: shstrOff, Size: uint64(len(shstr)), Addralign: 1},
	} {
		binary.Write(&b, binary.LittleEndian, sh)
	}
	return b.Bytes()
}

func file(data []byte) *debtree.Node { return &debtree.Node{Mode: 0o755, Data: data, Pkg: "p"} }
func link(target string) *debtree.Node {
	return &debtree.Node{Mode: fs.ModeSymlink | 0o777, Target: target, Pkg: "p"}
}

func fakeTree() debtree.Tree {
	const lib = "usr/lib/x86_64-linux-gnu/"
	return debtree.Tree{
		"usr/bin/tool":                   file(fakeELF("/lib64/ld-linux-x86-64.so.2", "liba.so.1")),
		"usr/sbin/tool":                  link("/bin/tool"),
		"usr/lib64/ld-linux-x86-64.so.2": link("/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"),
		lib + "ld-linux-x86-64.so.2":     file(fakeELF("")),
		lib + "liba.so.1":                link("liba.so.1.2.3"),
		lib + "liba.so.1.2.3":            file(fakeELF("", "libb.so.2")),
		lib + "libb.so.2":                file(fakeELF("")),
		lib + "libunused.so.9":           file(fakeELF("")),
	}
}

func TestReadELFDeps(t *testing.T) {
	d, err := readELFDeps("x", fakeELF("/lib64/ld.so", "liba.so.1", "libb.so.2"))
	if err != nil {
		t.Fatal(err)
	}
	if d.interp != "/lib64/ld.so" || strings.Join(d.needed, ",") != "liba.so.1,libb.so.2" {
		t.Fatalf("got %+v", d)
	}
}

func TestELFClosure(t *testing.T) {
	s := newSelection(fakeTree())
	if err := s.pick("/sbin/tool"); err != nil {
		t.Fatal(err)
	}
	if err := s.closeELF(); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"usr/sbin/tool", "usr/bin/tool", "usr/lib64/ld-linux-x86-64.so.2",
		"usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", "usr/lib/x86_64-linux-gnu/liba.so.1",
		"usr/lib/x86_64-linux-gnu/liba.so.1.2.3", "usr/lib/x86_64-linux-gnu/libb.so.2",
	}
	for _, w := range want {
		if !s.picked[w] {
			t.Errorf("%s not picked", w)
		}
	}
	if len(s.picked) != len(want) {
		t.Errorf("picked %d paths, want %d: %v", len(s.picked), len(want), s.picked)
	}
}

func TestELFClosureMissingLibrary(t *testing.T) {
	tr := fakeTree()
	delete(tr, "usr/lib/x86_64-linux-gnu/libb.so.2")
	s := newSelection(tr)
	if err := s.pick("/usr/bin/tool"); err != nil {
		t.Fatal(err)
	}
	err := s.closeELF()
	if err == nil || !strings.Contains(err.Error(), "liba.so.1.2.3 needs libb.so.2") {
		t.Fatalf("error %v, want it to name the library and its user", err)
	}
}

func TestResolveLoop(t *testing.T) {
	tr := debtree.Tree{"usr/bin/a": link("b"), "usr/bin/b": link("a")}
	if _, _, _, err := tr.Resolve("/bin/a"); err == nil {
		t.Fatal("symlink loop not detected")
	}
}
