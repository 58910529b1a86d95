package scenario

import (
	"strings"
	"testing"
	"time"
)

func TestParseSpecs(t *testing.T) {
	cells, err := ParseSpecs("ipvs:0, ipvs:1/nodest=0/rate=200/prestop=2s, iptables,nftables/backend=legacy")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range cells {
		names = append(names, c.Name)
	}
	if got := strings.Join(names, " "); got != "ipvs-reuse0 ipvs-reuse1-nodest0 iptables nftables-legacy" {
		t.Errorf("names: %s", got)
	}
	c := cells[1]
	if *c.ExpireNodestConn != 0 || c.Load.Rate != 200 || c.Rollout.PreStop.D() != 2*time.Second {
		t.Errorf("options not applied: %+v", c)
	}
	if *cells[0].ExpireNodestConn != 1 || cells[0].Rollout.Replicas != DefaultReplicas {
		t.Errorf("defaults not applied: %+v", cells[0])
	}
}

func TestParseSpecsPresets(t *testing.T) {
	cells, err := ParseSpecs("default")
	if err != nil {
		t.Fatal(err)
	}
	if len(cells) != 5 {
		t.Fatalf("default preset has %d cells, want 5", len(cells))
	}
	if _, err := ParseSpecs("default,ipvs:0"); err == nil || !strings.Contains(err.Error(), "given twice") {
		t.Errorf("duplicate not rejected: %v", err)
	}
}

func TestParseSpecsErrors(t *testing.T) {
	for in, want := range map[string]string{
		"":                 "no cells",
		"userspace":        `proxy mode "userspace": want one of`,
		"iptables:0":       "only applies to ipvs",
		"ipvs:7":           "",
		"ipvs:0/nodest=2":  "want 0 or 1",
		"ipvs:0/color=red": "unknown key",
		"ipvs:0/rate":      "KEY=VALUE",
	} {
		_, err := ParseSpecs(in)
		if err == nil {
			t.Errorf("%q: accepted", in)
			continue
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %q lacks %q", in, err, want)
		}
	}
}
