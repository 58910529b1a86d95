package kbuild

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

const hdrFixedA = `
/* Using old conntrack that can not be redirected to another real server? */
static inline bool ip_vs_conn_uses_old_conntrack(struct ip_vs_conn *cp,
						 struct sk_buff *skb)
{
#ifdef CONFIG_IP_VS_NFCT
	enum ip_conntrack_info ctinfo;
	struct nf_conn *ct;

	ct = nf_ct_get(skb, &ctinfo);
	if (ct && nf_ct_is_confirmed(ct))
		return true;
#endif
	return false;
}
`

const hdrBeforeA = `
/* Really using conntrack? */
static inline bool ip_vs_conn_uses_conntrack(struct ip_vs_conn *cp,
					     struct sk_buff *skb)
{
#ifdef CONFIG_IP_VS_NFCT
	enum ip_conntrack_info ctinfo;
	struct nf_conn *ct;

	if (!(cp->flags & IP_VS_CONN_F_NFCT))
		return false;
	ct = nf_ct_get(skb, &ctinfo);
	if (ct)
		return true;
#endif
	return false;
}
`

// Old-style ip_vs_in (before 5.16's rename) with fix C: the test starts with !iph.fragoffs.
const coreFixedC = `
static int ip_vs_in(struct netns_ipvs *ipvs, unsigned int hooknum, struct sk_buff *skb, int af);

static unsigned int
ip_vs_remote_request4(void *priv, struct sk_buff *skb, const struct nf_hook_state *state)
{
	return ip_vs_in(net_ipvs(state->net), state->hook, skb, AF_INET);
}

static unsigned int
ip_vs_in(struct netns_ipvs *ipvs, unsigned int hooknum, struct sk_buff *skb, int af)
{
	if (unlikely(!pd)) {
		return NF_ACCEPT;
	}
	if (!iph.fragoffs && is_new_conn(skb, &iph) && cp) {
		int conn_reuse_mode = sysctl_conn_reuse_mode(ipvs);
	}
}
`

const coreBeforeC = `
static unsigned int
ip_vs_in(struct netns_ipvs *ipvs, unsigned int hooknum, struct sk_buff *skb, int af)
{
	conn_reuse_mode = sysctl_conn_reuse_mode(ipvs);
	if (conn_reuse_mode &&
	    !iph.fragoffs && is_new_conn(skb, &iph) && cp) {
		bool uses_ct = false, resched = false;
	}
}
`

// Newer trees (5.19+) call it ip_vs_in_hook.
const coreHookFixedC = `
static unsigned int
ip_vs_in_hook(void *priv, struct sk_buff *skb, const struct nf_hook_state *state)
{
	if (skb->ipvs_property)
		return NF_ACCEPT;
	if (!iph.fragoffs && is_new_conn(skb, &iph) && cp) {
	}
}
`

const ctlWithB = `
static void expire_nodest_conn_handler(struct work_struct *work)
{
	ipvs = container_of(work, struct netns_ipvs, expire_nodest_conn_work.work);
}
`

func TestDetectFixesText(t *testing.T) {
	cases := []struct {
		name             string
		hdr, core, other string
		want             Fixes
	}{
		{"all fixed", hdrFixedA, coreFixedC, ctlWithB, Fixes{true, true, true}},
		{"none", hdrBeforeA, coreBeforeC, "", Fixes{}},
		{"A only", hdrFixedA, coreBeforeC, "", Fixes{A: true}},
		{"B via header", hdrBeforeA + "\tstruct delayed_work\texpire_nodest_conn_work;\n", coreBeforeC, "", Fixes{B: true}},
		{"C only, hook name", hdrBeforeA, coreHookFixedC, "", Fixes{C: true}},
	}
	for _, tc := range cases {
		got, err := DetectFixesText(tc.hdr, tc.core, tc.hdr, tc.other)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if got != tc.want {
			t.Errorf("%s: got %s want %s", tc.name, got, tc.want)
		}
	}
}

func TestDetectFixesTextUnknownShape(t *testing.T) {
	if _, err := DetectFixesText(hdrFixedA, "int main(void) { return 0; }"); err == nil {
		t.Error("no ip_vs_in: want error")
	}
	if _, err := DetectFixesText(hdrFixedA, "static unsigned int\nip_vs_in(int x)\n{\n\treturn 0;\n}\n"); err == nil {
		t.Error("no port-reuse test: want error")
	}
}

func TestFixesString(t *testing.T) {
	for f, want := range map[Fixes]string{{}: "none", {A: true, C: true}: "A+C", {true, true, true}: "A+B+C"} {
		if f.String() != want {
			t.Errorf("%#v: %s", f, f.String())
		}
	}
}

func TestDetectFixesDir(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, text string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(ipvsHeader, hdrFixedA)
	write(ipvsCore, coreBeforeC)
	write("net/netfilter/ipvs/ip_vs_ctl.c", ctlWithB)
	got, err := DetectFixes(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Fixes{A: true, B: true}); got != want {
		t.Errorf("got %s want %s", got, want)
	}
	if _, err := DetectFixes(t.TempDir()); err == nil {
		t.Error("empty dir: want error")
	}
}

// patchDir is the repository's kernels/patches/linux-5.10.
func patchDir(t *testing.T) string {
	t.Helper()
	d, err := filepath.Abs("../../kernels/patches/linux-5.10")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestRevertPatchesOnDebian510 needs an unpacked Debian linux-source-5.10
// (5.10.218-1) tree: set KBUILD_TEST_LINUX_5_10 to its directory. It copies
// only the IPVS files, applies each catalog patch stack with the real
// patch(1), and checks which fixes DetectFixes then reports.
func TestRevertPatchesOnDebian510(t *testing.T) {
	src := os.Getenv("KBUILD_TEST_LINUX_5_10")
	if src == "" {
		t.Skip("KBUILD_TEST_LINUX_5_10 not set (unpacked linux-source-5.10 tree)")
	}
	if _, err := exec.LookPath("patch"); err != nil {
		t.Skip("patch(1) not installed")
	}
	pd := patchDir(t)
	const (
		a  = "revert-A-ipvs-unconfirmed-conntrack-reuse.patch"
		b  = "revert-B-ipvs-expire-nodest-conn-work.patch"
		bA = "revert-B-after-A-ipvs-expire-nodest-conn-work.patch"
		c  = "revert-C-ipvs-reuse-weight-zero.patch"
		cA = "revert-C-after-A-ipvs-reuse-weight-zero.patch"
	)
	stacks := []struct {
		patches []string
		want    Fixes
	}{
		{nil, Fixes{true, true, true}},
		{[]string{a}, Fixes{B: true, C: true}},
		{[]string{b}, Fixes{A: true, C: true}},
		{[]string{c}, Fixes{A: true, B: true}},
		{[]string{a, cA}, Fixes{B: true}},
		{[]string{a, bA}, Fixes{C: true}},
		{[]string{b, c}, Fixes{A: true}},
		{[]string{a, bA, cA}, Fixes{}},
	}
	for _, st := range stacks {
		dir := t.TempDir()
		copyIPVSFiles(t, src, dir)
		var paths []string
		for _, p := range st.patches {
			paths = append(paths, filepath.Join(pd, p))
		}
		if err := applyPatches(t.Context(), dir, paths, readAll(t, paths)); err != nil {
			t.Errorf("%v: %v", st.patches, err)
			continue
		}
		got, err := DetectFixes(dir)
		if err != nil {
			t.Errorf("%v: %v", st.patches, err)
			continue
		}
		if got != st.want {
			t.Errorf("%v: fixes %s, want %s", st.patches, got, st.want)
		}
	}
	// A stack in the wrong order must fail and name the patch and hunk.
	dir := t.TempDir()
	copyIPVSFiles(t, src, dir)
	wrong := []string{filepath.Join(pd, a), filepath.Join(pd, c)}
	err := applyPatches(t.Context(), dir, wrong, readAll(t, wrong))
	pe, ok := err.(*PatchError)
	if !ok || len(pe.Failed) == 0 || filepath.Base(pe.Patch) != c {
		t.Errorf("wrong-order stack: err = %v", err)
	} else {
		t.Logf("wrong-order stack error: %v", err)
	}
}

func copyIPVSFiles(t *testing.T, src, dst string) {
	t.Helper()
	files := []string{ipvsHeader, "Documentation/networking/ipvs-sysctl.rst"}
	ents, err := os.ReadDir(filepath.Join(src, ipvsDir))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		files = append(files, filepath.Join(ipvsDir, e.Name()))
	}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(dst, filepath.Dir(f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func readAll(t *testing.T, paths []string) [][]byte {
	t.Helper()
	out := make([][]byte, len(paths))
	for i, p := range paths {
		out[i] = mustRead(t, p)
	}
	return out
}
