package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestLoadOrder(t *testing.T) {
	root := t.TempDir()
	rel := "6.1.0-test"
	dir := filepath.Join(root, rel)
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "modules.dep"), []byte(
		"kernel/net/netfilter/ipvs/ip_vs_rr.ko: kernel/net/netfilter/ipvs/ip_vs.ko kernel/net/netfilter/nf_conntrack.ko kernel/net/ipv6/nf_defrag_ipv6.ko kernel/net/ipv4/nf_defrag_ipv4.ko kernel/lib/libcrc32c.ko\n"+
			"kernel/net/netfilter/ipvs/ip_vs.ko: kernel/net/netfilter/nf_conntrack.ko kernel/net/ipv6/nf_defrag_ipv6.ko kernel/net/ipv4/nf_defrag_ipv4.ko kernel/lib/libcrc32c.ko\n"+
			"kernel/net/netfilter/nf_conntrack.ko: kernel/net/ipv6/nf_defrag_ipv6.ko kernel/net/ipv4/nf_defrag_ipv4.ko kernel/lib/libcrc32c.ko\n"+
			"kernel/net/ipv6/nf_defrag_ipv6.ko:\nkernel/net/ipv4/nf_defrag_ipv4.ko:\nkernel/lib/libcrc32c.ko:\n"+
			"kernel/drivers/net/veth.ko:\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "modules.builtin"), []byte("kernel/drivers/net/dummy.ko\n"), 0o644)

	idx, err := readModuleIndexAt(root, rel)
	if err != nil {
		t.Fatal(err)
	}
	order, builtin, missing := idx.loadOrder([]string{"ip_vs_rr", "ip-vs", "veth", "dummy", "nosuch"})
	want := []string{"libcrc32c", "nf_defrag_ipv4", "nf_defrag_ipv6", "nf_conntrack", "ip_vs", "ip_vs_rr", "veth"}
	if !slices.Equal(order, want) {
		t.Errorf("order = %v\nwant   %v", order, want)
	}
	if !slices.Equal(builtin, []string{"dummy"}) || !slices.Equal(missing, []string{"nosuch"}) {
		t.Errorf("builtin %v missing %v", builtin, missing)
	}
}
