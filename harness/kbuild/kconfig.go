package kbuild

import (
	"bufio"
	"fmt"
	"sort"
	"strings"
)

// Option is one Kconfig assignment. Value is what follows '=' in a .config
// ("y", "m", "4", "\"str\""), or "n" for "# CONFIG_X is not set".
type Option struct {
	Name  string // with the CONFIG_ prefix
	Value string
}

func (o Option) String() string {
	if o.Value == "n" {
		return "# " + o.Name + " is not set"
	}
	return o.Name + "=" + o.Value
}

// Config is an ordered set of options; later assignments replace earlier ones
// but keep the first position, so rendering is stable.
type Config struct {
	order []string
	vals  map[string]string
}

// NewConfig returns an empty Config.
func NewConfig() *Config { return &Config{vals: map[string]string{}} }

// Set assigns name=value.
func (c *Config) Set(name, value string) {
	if _, ok := c.vals[name]; !ok {
		c.order = append(c.order, name)
	}
	c.vals[name] = value
}

// Get returns the value of name and whether it was assigned at all.
func (c *Config) Get(name string) (string, bool) {
	v, ok := c.vals[name]
	return v, ok
}

// Options returns the assignments in first-seen order.
func (c *Config) Options() []Option {
	out := make([]Option, 0, len(c.order))
	for _, n := range c.order {
		out = append(out, Option{Name: n, Value: c.vals[n]})
	}
	return out
}

// Len is the number of distinct options.
func (c *Config) Len() int { return len(c.order) }

// Render writes the config in .config syntax.
func (c *Config) Render() string {
	var b strings.Builder
	for _, o := range c.Options() {
		b.WriteString(o.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// ParseConfig reads .config / fragment syntax. Comments other than
// "# CONFIG_X is not set" and blank lines are ignored; anything else is an
// error naming the line, because a typo in a fragment must not vanish silently.
func ParseConfig(src, text string) (*Config, error) {
	c := NewConfig()
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for ln := 1; sc.Scan(); ln++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "#") {
			rest := strings.TrimSpace(strings.TrimPrefix(line, "#"))
			if n, ok := strings.CutSuffix(rest, " is not set"); ok && strings.HasPrefix(n, "CONFIG_") && !strings.ContainsAny(n, " \t") {
				c.Set(n, "n")
			}
			continue
		}
		name, val, ok := strings.Cut(line, "=")
		name = strings.TrimSpace(name)
		if !ok || !strings.HasPrefix(name, "CONFIG_") || len(name) == len("CONFIG_") || strings.ContainsAny(name, " \t") {
			return nil, fmt.Errorf("%s:%d: not a config assignment: %q", src, ln, line)
		}
		c.Set(name, strings.TrimSpace(val))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", src, err)
	}
	return c, nil
}

// MergeConfigs applies the configs in order onto base (which may be nil);
// later fragments win, as with scripts/kconfig/merge_config.sh.
func MergeConfigs(base *Config, frags ...*Config) *Config {
	out := NewConfig()
	if base != nil {
		for _, o := range base.Options() {
			out.Set(o.Name, o.Value)
		}
	}
	for _, f := range frags {
		for _, o := range f.Options() {
			out.Set(o.Name, o.Value)
		}
	}
	return out
}

// Mismatch is a requested option that did not survive olddefconfig.
type Mismatch struct {
	Name      string
	Requested string
	Got       string // "n" when not set or absent
	Absent    bool   // not in .config at all: unknown option or unmet dependency
}

func (m Mismatch) String() string {
	got := "not set"
	switch {
	case m.Absent:
		got = "not set (absent from .config: unknown option or unmet dependency)"
	case m.Got != "n":
		got = m.Got
	}
	return fmt.Sprintf("%s requested, got %s", Option{m.Name, m.Requested}, got)
}

// CheckSurvived compares every requested option with the final .config.
// "n" requests are satisfied by an absent option too.
func CheckSurvived(requested, final *Config) []Mismatch {
	var out []Mismatch
	for _, o := range requested.Options() {
		got, ok := final.Get(o.Name)
		if !ok {
			got = "n"
		}
		if normValue(got) == normValue(o.Value) {
			continue
		}
		out = append(out, Mismatch{Name: o.Name, Requested: o.Value, Got: got, Absent: !ok})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// normValue makes hex case and surrounding spaces irrelevant.
func normValue(v string) string {
	v = strings.TrimSpace(v)
	if strings.HasPrefix(v, "0x") || strings.HasPrefix(v, "0X") {
		return "0x" + strings.ToLower(v[2:])
	}
	return v
}

// MismatchError lists every option that did not survive.
type MismatchError struct{ Mismatches []Mismatch }

func (e *MismatchError) Error() string {
	lines := make([]string, len(e.Mismatches))
	for i, m := range e.Mismatches {
		lines[i] = m.String()
	}
	return fmt.Sprintf("%d requested config option(s) did not survive olddefconfig:\n  %s",
		len(lines), strings.Join(lines, "\n  "))
}
