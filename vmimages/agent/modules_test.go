package main

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// moduleFixture writes a modules.dep and modules.builtin as depmod would
// for ip_vs_rr's chain, veth and a built-in dummy.
func moduleFixture(t *testing.T) (root, rel string) {
	root = t.TempDir()
	rel = "6.1.0-test"
	dir := filepath.Join(root, rel)
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "modules.dep"), []byte(
		"kernel/net/netfilter/ipvs/ip_vs_rr.ko: kernel/net/netfilter/ipvs/ip_vs.ko kernel/net/netfilter/nf_conntrack.ko kernel/net/ipv6/nf_defrag_ipv6.ko kernel/net/ipv4/nf_defrag_ipv4.ko kernel/lib/libcrc32c.ko\n"+
			"kernel/net/netfilter/ipvs/ip_vs.ko: kernel/net/netfilter/nf_conntrack.ko kernel/net/ipv6/nf_defrag_ipv6.ko kernel/net/ipv4/nf_defrag_ipv4.ko kernel/lib/libcrc32c.ko\n"+
			"kernel/net/netfilter/nf_conntrack.ko: kernel/net/ipv6/nf_defrag_ipv6.ko kernel/net/ipv4/nf_defrag_ipv4.ko kernel/lib/libcrc32c.ko\n"+
			"kernel/net/ipv6/nf_defrag_ipv6.ko:\nkernel/net/ipv4/nf_defrag_ipv4.ko:\nkernel/lib/libcrc32c.ko:\n"+
			"kernel/drivers/net/veth.ko:\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "modules.builtin"), []byte("kernel/drivers/net/dummy.ko\n"), 0o644)
	return root, rel
}

func TestLoadOrder(t *testing.T) {
	root, rel := moduleFixture(t)
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

// insertAll runs independent modules at once but never a module before its
// dependencies, and skips the users of a module that failed.
func TestInsertAll(t *testing.T) {
	idx := &moduleIndex{deps: map[string][]string{
		"nf_conntrack": {"nf_defrag_ipv4", "libcrc32c"},
		"ip_vs":        {"nf_conntrack", "nf_defrag_ipv4", "libcrc32c"},
		"ip_vs_rr":     {"ip_vs", "nf_conntrack", "nf_defrag_ipv4", "libcrc32c"},
	}}
	order := []string{"libcrc32c", "nf_defrag_ipv4", "nf_conntrack", "ip_vs", "ip_vs_rr", "veth", "dummy"}
	var mu sync.Mutex
	in := map[string]bool{}
	running, peak := 0, 0
	insert := func(n string) error {
		mu.Lock()
		for _, d := range idx.deps[n] {
			if !in[d] {
				t.Errorf("%s started before its dependency %s was in", n, d)
			}
		}
		running++
		peak = max(peak, running)
		mu.Unlock()
		time.Sleep(50 * time.Millisecond)
		mu.Lock()
		running--
		in[n] = true
		mu.Unlock()
		return nil
	}
	loaded, err := idx.insertAll(order, 2, insert)
	if err != nil || !slices.Equal(loaded, order) {
		t.Fatalf("loaded %v, %v; want all of %v", loaded, err, order)
	}
	if peak != 2 {
		t.Errorf("at most %d at once, want 2 (the workers)", peak)
	}

	in = map[string]bool{}
	failing := func(n string) error {
		if n == "nf_conntrack" {
			return errors.New("ENOEXEC")
		}
		return insert(n)
	}
	loaded, err = idx.insertAll(order, 2, failing)
	if err == nil || !strings.Contains(err.Error(), "ENOEXEC") {
		t.Errorf("error %v, want nf_conntrack's", err)
	}
	if slices.Contains(loaded, "ip_vs") || slices.Contains(loaded, "ip_vs_rr") || !slices.Contains(loaded, "veth") {
		t.Errorf("loaded %v: want veth, and nothing that needs nf_conntrack", loaded)
	}
}

// The boot's background load inserts every module the index lists, each
// after its dependencies, and wait answers for the request's list only.
func TestStartModulesLoadsTheIndexAndAnswersTheRequest(t *testing.T) {
	root, rel := moduleFixture(t)
	var mu sync.Mutex
	var inserted []string
	m := startModulesWith(func() (*moduleIndex, error) { return readModuleIndexAt(root, rel) },
		func(idx *moduleIndex, n string) error {
			mu.Lock()
			defer mu.Unlock()
			for _, d := range idx.deps[n] {
				if !slices.Contains(inserted, d) {
					t.Errorf("%s inserted before its dependency %s", n, d)
				}
			}
			inserted = append(inserted, n)
			return nil
		})
	got, err := m.wait([]string{"ip_vs", "dummy"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"libcrc32c", "nf_defrag_ipv4", "nf_defrag_ipv6", "nf_conntrack", "ip_vs", "dummy"}; !slices.Equal(got, want) {
		t.Errorf("wait = %v, want %v", got, want)
	}
	slices.Sort(inserted)
	if want := []string{"ip_vs", "ip_vs_rr", "libcrc32c", "nf_conntrack", "nf_defrag_ipv4", "nf_defrag_ipv6", "veth"}; !slices.Equal(inserted, want) {
		t.Errorf("inserted %v, want every module of the index: %v", inserted, want)
	}

	failing := startModulesWith(func() (*moduleIndex, error) { return readModuleIndexAt(root, rel) },
		func(_ *moduleIndex, n string) error {
			if n == "nf_conntrack" {
				return errors.New("ENOEXEC")
			}
			return nil
		})
	if _, err := failing.wait([]string{"veth"}, nil); err == nil || !strings.Contains(err.Error(), "ENOEXEC") {
		t.Errorf("wait after a failed load: %v, want nf_conntrack's error", err)
	}
}
