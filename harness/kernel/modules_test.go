package kernel

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"strings"
	"testing"
)

// fakeKO builds a minimal ELF64 relocatable with a .modinfo section holding
// the given key=value strings: enough for debug/elf and ModinfoDepends.
func fakeKO(modinfo ...string) []byte {
	info := []byte(strings.Join(modinfo, "\x00") + "\x00")
	shstr := []byte("\x00.modinfo\x00.shstrtab\x00")
	const ehsize, shentsize = 64, 64
	infoOff := uint64(ehsize)
	strOff := infoOff + uint64(len(info))
	shoff := (strOff + uint64(len(shstr)) + 7) &^ 7
	var b bytes.Buffer
	le := binary.LittleEndian
	b.Write([]byte{0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	binary.Write(&b, le, uint16(1))  // ET_REL
	binary.Write(&b, le, uint16(62)) // EM_X86_64
	binary.Write(&b, le, uint32(1))
	binary.Write(&b, le, uint64(0)) // entry
	binary.Write(&b, le, uint64(0)) // phoff
	binary.Write(&b, le, shoff)
	binary.Write(&b, le, uint32(0))
	binary.Write(&b, le, uint16(ehsize))
	binary.Write(&b, le, uint16(0)) // phentsize
	binary.Write(&b, le, uint16(0)) // phnum
	binary.Write(&b, le, uint16(shentsize))
	binary.Write(&b, le, uint16(3)) // shnum
	binary.Write(&b, le, uint16(2)) // shstrndx
	b.Write(info)
	b.Write(shstr)
	for uint64(b.Len()) < shoff {
		b.WriteByte(0)
	}
	sh := func(name, typ uint32, off, size uint64) {
		binary.Write(&b, le, name)
		binary.Write(&b, le, typ)
		binary.Write(&b, le, uint64(0)) // flags
		binary.Write(&b, le, uint64(0)) // addr
		binary.Write(&b, le, off)
		binary.Write(&b, le, size)
		binary.Write(&b, le, uint32(0)) // link
		binary.Write(&b, le, uint32(0)) // info
		binary.Write(&b, le, uint64(1)) // addralign
		binary.Write(&b, le, uint64(0)) // entsize
	}
	sh(0, 0, 0, 0)
	sh(1, 1, infoOff, uint64(len(info)))  // .modinfo, PROGBITS
	sh(10, 3, strOff, uint64(len(shstr))) // .shstrtab, STRTAB
	return b.Bytes()
}

func TestModinfoDepends(t *testing.T) {
	got, err := ModinfoDepends(fakeKO("license=GPL", "depends=nf_conntrack,libcrc32c,nf-defrag-ipv6", "name=ip_vs"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"nf_conntrack", "libcrc32c", "nf_defrag_ipv6"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	got, err = ModinfoDepends(fakeKO("depends=", "name=x"))
	if err != nil || len(got) != 0 {
		t.Errorf("empty depends: %v, %v", got, err)
	}
	if _, err := ModinfoDepends([]byte("not elf")); err == nil {
		t.Error("no error for non-ELF")
	}
}

func TestModuleNames(t *testing.T) {
	for in, want := range map[string]string{
		"kernel/net/netfilter/ipvs/ip_vs.ko.xz":     "ip_vs",
		"kernel/arch/x86/crypto/aegis128-aesni.ko":  "aegis128_aesni",
		"kernel/net/netfilter/xt_MASQUERADE.ko.zst": "xt_MASQUERADE",
		"ip_vs_rr.ko.gz": "ip_vs_rr",
	} {
		if got := ModuleName(in); got != want {
			t.Errorf("ModuleName(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"kernel/a.ko.xz": "kernel/a.ko", "kernel/a.ko.zst": "kernel/a.ko", "kernel/a.ko.gz": "kernel/a.ko", "kernel/a.ko": "kernel/a.ko",
	} {
		if got := PlainModulePath(in); got != want {
			t.Errorf("PlainModulePath(%q) = %q, want %q", in, got, want)
		}
	}
}

const sampleDep = `kernel/net/netfilter/ipvs/ip_vs.ko.xz: kernel/net/netfilter/nf_conntrack.ko.xz kernel/net/ipv6/netfilter/nf_defrag_ipv6.ko.xz kernel/net/ipv4/netfilter/nf_defrag_ipv4.ko.xz kernel/lib/libcrc32c.ko.xz
kernel/net/netfilter/ipvs/ip_vs_rr.ko.xz: kernel/net/netfilter/ipvs/ip_vs.ko.xz kernel/net/netfilter/nf_conntrack.ko.xz kernel/net/ipv6/netfilter/nf_defrag_ipv6.ko.xz kernel/net/ipv4/netfilter/nf_defrag_ipv4.ko.xz kernel/lib/libcrc32c.ko.xz
kernel/net/netfilter/nf_conntrack.ko.xz: kernel/net/ipv6/netfilter/nf_defrag_ipv6.ko.xz kernel/net/ipv4/netfilter/nf_defrag_ipv4.ko.xz kernel/lib/libcrc32c.ko.xz
kernel/net/ipv6/netfilter/nf_defrag_ipv6.ko.xz:
kernel/net/ipv4/netfilter/nf_defrag_ipv4.ko.xz:
kernel/lib/libcrc32c.ko.xz:
kernel/drivers/net/dummy.ko.zst:
kernel/drivers/net/unrelated.ko.xz: kernel/lib/libcrc32c.ko.xz
`

func TestRewriteModulesDep(t *testing.T) {
	got := RewriteModulesDep(sampleDep, map[string]bool{"dummy": true, "nf_defrag_ipv4": true, "nf_conntrack": true})
	want := "kernel/net/netfilter/nf_conntrack.ko: kernel/net/ipv6/netfilter/nf_defrag_ipv6.ko kernel/net/ipv4/netfilter/nf_defrag_ipv4.ko kernel/lib/libcrc32c.ko\n" +
		"kernel/net/ipv4/netfilter/nf_defrag_ipv4.ko:\n" +
		"kernel/drivers/net/dummy.ko:\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if all := RewriteModulesDep(sampleDep, nil); strings.Contains(all, ".xz") || strings.Count(all, "\n") != 8 {
		t.Errorf("keep=nil: %s", all)
	}
}

func treeFromDep(t *testing.T, text string, builtin ...string) ModuleTree {
	t.Helper()
	paths, deps, err := ParseModulesDep(text)
	if err != nil {
		t.Fatal(err)
	}
	b := map[string]bool{}
	for _, m := range builtin {
		b[m] = true
	}
	return ModuleTree{Paths: paths, Builtin: b, Deps: func(n string) ([]string, error) { return deps[n], nil }}
}

func TestSelect(t *testing.T) {
	tree := treeFromDep(t, sampleDep, "veth", "bridge")
	sel, err := Select([]string{"ip_vs_rr", "veth", "dummy", "nft_masq", "ip_vs"}, tree)
	if err != nil {
		t.Fatal(err)
	}
	wantOrder := []string{"nf_defrag_ipv6", "nf_defrag_ipv4", "libcrc32c", "nf_conntrack", "ip_vs", "ip_vs_rr", "veth", "dummy"}
	if !reflect.DeepEqual(sel.Order, wantOrder) {
		t.Errorf("order %v, want %v", sel.Order, wantOrder)
	}
	if !reflect.DeepEqual(sel.Builtin, []string{"veth"}) || !reflect.DeepEqual(sel.Missing, []string{"nft_masq"}) {
		t.Errorf("builtin %v missing %v", sel.Builtin, sel.Missing)
	}
	if want := []string{"nf_defrag_ipv6", "nf_defrag_ipv4", "libcrc32c", "nf_conntrack"}; !reflect.DeepEqual(sel.Added, want) {
		t.Errorf("added %v, want %v", sel.Added, want)
	}
	for _, m := range sel.Loadable {
		if m == "unrelated" || m == "veth" {
			t.Errorf("%s should not be loadable", m)
		}
	}
	// Generated modules.dep matches depmod's convention: deps listed with
	// the first to load last.
	dep := FormatModulesDep(sel, tree.Paths)
	wantLine := "kernel/net/netfilter/ipvs/ip_vs_rr.ko: kernel/net/netfilter/ipvs/ip_vs.ko kernel/net/netfilter/nf_conntrack.ko kernel/lib/libcrc32c.ko kernel/net/ipv4/netfilter/nf_defrag_ipv4.ko kernel/net/ipv6/netfilter/nf_defrag_ipv6.ko\n"
	if !strings.Contains(dep, wantLine) || strings.Count(dep, "\n") != 7 {
		t.Errorf("modules.dep:\n%s\nwant line %s", dep, wantLine)
	}
}

func TestSelectModinfoStyle(t *testing.T) {
	// Direct deps only (modinfo "depends="): transitive ones must still be
	// listed in DepsOf.
	direct := map[string][]string{"a": {"b"}, "b": {"c"}, "c": nil}
	tree := ModuleTree{
		Paths: map[string]string{"a": "kernel/a.ko.xz", "b": "kernel/b.ko.xz", "c": "kernel/c.ko.xz"},
		Deps:  func(n string) ([]string, error) { return direct[n], nil },
	}
	sel, err := Select([]string{"a"}, tree)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(sel.DepsOf["a"], []string{"c", "b"}) {
		t.Errorf("DepsOf[a] = %v", sel.DepsOf["a"])
	}
	if got := FormatModulesDep(sel, tree.Paths); got != "kernel/c.ko:\nkernel/b.ko: kernel/c.ko\nkernel/a.ko: kernel/b.ko kernel/c.ko\n" {
		t.Errorf("modules.dep:\n%s", got)
	}
}

func TestSelectErrors(t *testing.T) {
	tree := treeFromDep(t, "kernel/a.ko: kernel/gone.ko\n")
	if _, err := Select([]string{"a"}, tree); err == nil || !strings.Contains(err.Error(), "gone") {
		t.Errorf("missing dependency: %v", err)
	}
	cyc := ModuleTree{
		Paths: map[string]string{"a": "kernel/a.ko", "b": "kernel/b.ko"},
		Deps:  func(n string) ([]string, error) { return map[string][]string{"a": {"b"}, "b": {"a"}}[n], nil },
	}
	if _, err := Select([]string{"a"}, cyc); err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Errorf("cycle: %v", err)
	}
}

func TestParseModulesDepErrors(t *testing.T) {
	if _, _, err := ParseModulesDep("kernel/a.ko kernel/b.ko\n"); err == nil {
		t.Error("no error for line without ':'")
	}
}
