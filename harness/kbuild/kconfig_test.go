package kbuild

import (
	"errors"
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	c, err := ParseConfig("frag", `
# comment
CONFIG_A=y
# CONFIG_B is not set
CONFIG_STR="a b=c"
  CONFIG_NUM=4  
CONFIG_A=m
`)
	if err != nil {
		t.Fatal(err)
	}
	want := []Option{{"CONFIG_A", "m"}, {"CONFIG_B", "n"}, {"CONFIG_STR", `"a b=c"`}, {"CONFIG_NUM", "4"}}
	got := c.Options()
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("option %d: got %v want %v", i, got[i], want[i])
		}
	}
}

func TestParseConfigRejectsGarbage(t *testing.T) {
	for _, bad := range []string{"IP_VS=y", "CONFIG_=y", "CONFIG_X", "CONFIG X=y"} {
		if _, err := ParseConfig("frag", bad); err == nil || !strings.Contains(err.Error(), "frag:1") {
			t.Errorf("%q: err = %v, want one naming frag:1", bad, err)
		}
	}
}

func TestMergeLaterWinsAndRender(t *testing.T) {
	base, _ := ParseConfig("base", "CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C=y\n")
	f1, _ := ParseConfig("f1", "CONFIG_B=y\nCONFIG_D=4\n")
	f2, _ := ParseConfig("f2", "# CONFIG_C is not set\nCONFIG_D=8\n")
	m := MergeConfigs(base, f1, f2)
	want := "CONFIG_A=y\nCONFIG_B=y\n# CONFIG_C is not set\nCONFIG_D=8\n"
	if got := m.Render(); got != want {
		t.Errorf("render:\n%s\nwant:\n%s", got, want)
	}
	// Inputs are not modified.
	if v, _ := base.Get("CONFIG_B"); v != "n" {
		t.Errorf("base modified: CONFIG_B=%s", v)
	}
}

func TestCheckSurvived(t *testing.T) {
	req, _ := ParseConfig("req", `CONFIG_IP_NF_TARGET_REJECT=y
CONFIG_IP_VS=y
CONFIG_NR=4
CONFIG_HEX=0xFF
# CONFIG_MODULES is not set
# CONFIG_GONE is not set
CONFIG_NF_CONNTRACK_IPV6=y
CONFIG_TRI=y
`)
	final, _ := ParseConfig(".config", `# CONFIG_IP_NF_TARGET_REJECT is not set
CONFIG_IP_VS=y
CONFIG_NR=4
CONFIG_HEX=0xff
# CONFIG_MODULES is not set
CONFIG_TRI=m
`)
	mm := CheckSurvived(req, final)
	var got []string
	for _, m := range mm {
		got = append(got, m.String())
	}
	want := []string{
		"CONFIG_IP_NF_TARGET_REJECT=y requested, got not set",
		"CONFIG_NF_CONNTRACK_IPV6=y requested, got not set (absent from .config: unknown option or unmet dependency)",
		"CONFIG_TRI=y requested, got m",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("mismatches:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	err := error(&MismatchError{Mismatches: mm})
	var me *MismatchError
	if !errors.As(err, &me) || !strings.Contains(err.Error(), "CONFIG_TRI=y requested, got m") {
		t.Errorf("error text: %v", err)
	}
}

func TestInlineFragmentDetection(t *testing.T) {
	for s, inline := range map[string]bool{
		"CONFIG_A=y":                 true,
		"# CONFIG_A is not set":      true,
		"# x\nCONFIG_A=y\n":          true,
		"kernels/config/base.config": false,
		"/abs/path/ipvs.config":      false,
	} {
		if got := isInlineFragment(s); got != inline {
			t.Errorf("isInlineFragment(%q) = %v", s, got)
		}
	}
}
