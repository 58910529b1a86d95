package nodeimage

import (
	"fmt"
	"strings"
)

// alternative is one `update-alternatives --install` a maintainer script
// runs (iptables', mawk's and debianutils' postinst in trixie), with the choice dpkg makes
// in auto mode: the highest priority.
type alternative struct {
	Name    string
	Link    string
	Slaves  []slaveLink
	Choices []altChoice
}

type slaveLink struct{ Name, Link string }

type altChoice struct {
	Path     string
	Priority int
	Slaves   []string // one per Slaves entry, same order
}

// nodeAlternatives are registered so kind's entrypoint can run
// `update-alternatives --set iptables /usr/sbin/iptables-legacy` (or -nft)
// under set -e.
func nodeAlternatives() []alternative {
	xt := func(name string, legacy bool) alternative {
		a := alternative{
			Name:   name,
			Link:   "/usr/sbin/" + name,
			Slaves: []slaveLink{{name + "-restore", "/usr/sbin/" + name + "-restore"}, {name + "-save", "/usr/sbin/" + name + "-save"}},
		}
		if legacy {
			a.Choices = append(a.Choices, altChoice{"/usr/sbin/" + name + "-legacy", 10, []string{"/usr/sbin/" + name + "-legacy-restore", "/usr/sbin/" + name + "-legacy-save"}})
		}
		a.Choices = append(a.Choices, altChoice{"/usr/sbin/" + name + "-nft", 20, []string{"/usr/sbin/" + name + "-nft-restore", "/usr/sbin/" + name + "-nft-save"}})
		return a
	}
	return []alternative{
		xt("iptables", true), xt("ip6tables", true), xt("arptables", false), xt("ebtables", false),
		{
			Name:    "awk",
			Link:    "/usr/bin/awk",
			Slaves:  []slaveLink{{"nawk", "/usr/bin/nawk"}},
			Choices: []altChoice{{"/usr/bin/mawk", 5, []string{"/usr/bin/mawk"}}},
		},
		// debianutils' postinst (its man page slaves are pruned): kind's
		// entrypoint runs chown on "$(which mount)" under set -e.
		{
			Name:    "which",
			Link:    "/usr/bin/which",
			Choices: []altChoice{{"/usr/bin/which.debianutils", 0, nil}},
		},
	}
}

// best is the auto-mode choice.
func (a alternative) best() altChoice {
	b := a.Choices[0]
	for _, c := range a.Choices[1:] {
		if c.Priority > b.Priority {
			b = c
		}
	}
	return b
}

// adminFile renders /var/lib/dpkg/alternatives/<name> in dpkg's format:
// mode, master link, slave name/link pairs, a blank line, then per choice
// its path, priority and slave paths, and a final blank line.
func (a alternative) adminFile() string {
	var b strings.Builder
	fmt.Fprintf(&b, "auto\n%s\n", a.Link)
	for _, s := range a.Slaves {
		fmt.Fprintf(&b, "%s\n%s\n", s.Name, s.Link)
	}
	b.WriteString("\n")
	for _, c := range a.Choices {
		fmt.Fprintf(&b, "%s\n%d\n", c.Path, c.Priority)
		for _, s := range c.Slaves {
			fmt.Fprintf(&b, "%s\n", s)
		}
	}
	b.WriteString("\n")
	return b.String()
}

// addAlternatives writes the links update-alternatives would create
// (/usr/sbin/iptables -> /etc/alternatives/iptables -> iptables-nft) and its
// database.
func addAlternatives(m *Manifest, alts []alternative) {
	m.Dir("/etc/alternatives", 0o755)
	m.Dir("/var/lib/dpkg/alternatives", 0o755)
	for _, a := range alts {
		c := a.best()
		m.Link(a.Link, "/etc/alternatives/"+a.Name)
		m.Link("/etc/alternatives/"+a.Name, c.Path)
		for i, s := range a.Slaves {
			m.Link(s.Link, "/etc/alternatives/"+s.Name)
			m.Link("/etc/alternatives/"+s.Name, c.Slaves[i])
		}
		m.Text("/var/lib/dpkg/alternatives/"+a.Name, 0o644, a.adminFile())
	}
}
