package scenario

import (
	"encoding/json"
	"testing"
	"time"
)

func TestParseCellsDefaults(t *testing.T) {
	cells, err := ParseCells([]byte(`[
		{"proxy_mode":"ipvs","conn_reuse_mode":"0"},
		{"proxy_mode":"ipvs","conn_reuse_mode":"1","expire_nodest_conn":0},
		{"proxy_mode":"ipvs","conn_reuse_mode":"kube-proxy:v1.23.17"},
		{"proxy_mode":"iptables"},
		{"proxy_mode":"nftables","load":{"closed_loop":true}}]`))
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"ipvs-reuse0", "ipvs-reuse1-nodest0", "ipvs-kube-proxy-v1.23.17", "iptables", "nftables"}
	for i, n := range names {
		if cells[i].Name != n {
			t.Errorf("cell %d name %q, want %q", i, cells[i].Name, n)
		}
	}
	c := cells[0]
	if *c.ExpireNodestConn != 1 || c.RSCheckInterval.D() != time.Minute || c.Rollout.Replicas != 3 ||
		c.Rollout.MaxSurge != "25%" || c.Rollout.TerminationGracePeriod.D() != 30*time.Second ||
		c.Load.Rate != DefaultRate || c.Load.ClientPortRange != "40000 40999" || c.Load.Timeout.D() != 3*time.Second {
		t.Errorf("defaults not applied: %+v", c)
	}
	if cells[3].ExpireNodestConn != nil {
		t.Error("iptables cell must not carry IPVS sysctls")
	}
	if cells[4].Load.Concurrency != DefaultConcurrency || cells[4].Load.Rate != 0 {
		t.Errorf("closed loop defaults: %+v", cells[4].Load)
	}
	one, err := ParseCells([]byte(`{"proxy_mode":"iptables","rollout":{"pre_stop":"2s"}}`))
	if err != nil || len(one) != 1 || one[0].Rollout.PreStop.D() != 2*time.Second {
		t.Errorf("single cell: %+v %v", one, err)
	}
}

func TestParseCellsErrors(t *testing.T) {
	for _, in := range []string{
		``, `[{"proxy_mode":"userspace"}]`, `[{"proxy_mode":"ipvs","conn_reuse_mode":"7"}]`,
		`[{"proxy_mode":"iptables"},{"proxy_mode":"iptables"}]`,
		`[{"proxy_mode":"iptables","load":{"client_port_range":"5 1"}}]`,
		`[{"proxy_mode":"iptables","rollout":{"max_surge":"x"}}]`,
	} {
		if _, err := ParseCells([]byte(in)); err == nil {
			t.Errorf("%s: want error", in)
		}
	}
}

func TestDurationJSON(t *testing.T) {
	var d Duration
	if err := json.Unmarshal([]byte(`"1m30s"`), &d); err != nil || time.Duration(d) != 90*time.Second {
		t.Errorf("string form: %v %v", d, err)
	}
	if err := json.Unmarshal([]byte(`1000`), &d); err != nil || time.Duration(d) != time.Microsecond {
		t.Errorf("number form: %v %v", d, err)
	}
	if err := json.Unmarshal([]byte(`"soon"`), &d); err == nil {
		t.Error("bad duration accepted")
	}
	b, _ := json.Marshal(Duration(1500 * time.Millisecond))
	if string(b) != `"1.5s"` {
		t.Errorf("marshal: %s", b)
	}
}
