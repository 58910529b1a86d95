package nodeimage

import (
	"strings"
	"testing"
)

func TestDeriveAccounts(t *testing.T) {
	tr := tree{}
	tr.add("usr/share/base-passwd/passwd.master", &fileNode{mode: 0o644, data: []byte("root:*:0:0:root:/root:/bin/bash\n")})
	tr.add("usr/share/base-passwd/group.master", &fileNode{mode: 0o644, data: []byte("root:*:0:\n")})
	tr.add("usr/lib/sysusers.d/basic.conf", &fileNode{mode: 0o644, data: []byte("# c\ng systemd-journal - -\nu systemd-network - \"systemd Network Management\" /\ng tty 5 -\n")})
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
