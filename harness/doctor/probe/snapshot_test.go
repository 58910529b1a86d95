package probe

import (
	"strings"
	"testing"
)

func TestCompare(t *testing.T) {
	before := Snapshot{Sections: map[string]string{"ip -o addr": "1: lo 127.0.0.1/8", "nft list ruleset": ""},
		Sysctls: map[string]string{"net/ipv4/ip_forward": "1"}, Modules: []string{"veth"}}
	same := Compare(before, before)
	if len(same.Diff) != 0 || len(same.Loaded) != 0 {
		t.Errorf("unchanged host reported %+v", same)
	}
	after := Snapshot{Sections: map[string]string{"ip -o addr": "1: lo 127.0.0.1/8\n1: lo 192.168.0.2/32", "nft list ruleset": "",
		"ipvsadm -Ln": "IP Virtual Server version 1.2.1\nProt LocalAddress:Port Scheduler Flags\n"},
		Sysctls: map[string]string{"net/ipv4/ip_forward": "0", "net/ipv4/vs/conn_reuse_mode": "1"}, Modules: []string{"ip_vs", "veth"}}
	c := Compare(before, after)
	diff := strings.Join(c.Diff, "\n")
	for _, want := range []string{"ip -o addr: + 1: lo 192.168.0.2/32", "sysctl net/ipv4/ip_forward: 1 before, 0 after"} {
		if !strings.Contains(diff, want) {
			t.Errorf("diff lacks %q:\n%s", want, diff)
		}
	}
	if strings.Contains(diff, "ipvsadm") || strings.Contains(diff, "conn_reuse_mode") {
		t.Errorf("an empty table or a sysctl a module brought is not a change:\n%s", diff)
	}
	if strings.Join(c.Loaded, ",") != "ip_vs" || len(c.Appeared) != 2 {
		t.Errorf("loaded %v appeared %v", c.Loaded, c.Appeared)
	}
	after.Sections["ipvsadm -Ln"] += "TCP  10.96.0.10:80 rr\n"
	if c := Compare(before, after); !strings.Contains(strings.Join(c.Diff, "\n"), "ipvsadm -Ln: + TCP  10.96.0.10:80 rr") {
		t.Errorf("a virtual server left behind is not reported: %v", c.Diff)
	}
}

func TestRunRefusesWithoutRoot(t *testing.T) {
	if isRoot() {
		t.Skip("running as root")
	}
	if _, err := Run(t.Context(), "ipvs:0", nil); err != ErrNotRoot {
		t.Errorf("err %v, want ErrNotRoot", err)
	}
}
