package nodeimage

import (
	"strings"
	"testing"

	"github.com/rolloutlab/rolloutlab/harness/debtree"
)

func TestDeriveAccounts(t *testing.T) {
	tr := debtree.Tree{}
	tr.Add("usr/share/base-passwd/passwd.master", &debtree.Node{Mode: 0o644, Data: []byte("root:*:0:0:root:/root:/bin/bash\n")})
	tr.Add("usr/share/base-passwd/group.master", &debtree.Node{Mode: 0o644, Data: []byte("root:*:0:\n")})
	tr.Add("usr/lib/sysusers.d/basic.conf", &debtree.Node{Mode: 0o644, Data: []byte("# c\ng systemd-journal - -\nu systemd-network - \"systemd Network Management\" /\ng tty 5 -\n")})
	pw, gr, err := deriveAccounts(tr)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(pw), "systemd-network:x:998:998:systemd Network Management:/:/usr/sbin/nologin\n") {
		t.Errorf("passwd:\n%s", pw)
	}
	for _, l := range []string{"systemd-journal:x:999:", "systemd-network:x:998:", "tty:x:5:"} {
		if !strings.Contains(string(gr), l) {
			t.Errorf("group lacks %q:\n%s", l, gr)
		}
	}
}
