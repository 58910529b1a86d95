package kindcluster

import (
	"bufio"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Step is one timed step of the guest script.
type Step struct {
	Name     string
	Duration time.Duration
}

// KindLine is one line of kind's output, At after kind started.
type KindLine struct {
	At   time.Duration
	Text string
}

// Fact is one @report line.
type Fact struct{ Key, Value string }

// Output is what the guest script printed, read back.
type Output struct {
	Steps      []Step
	Kind       []KindLine
	Facts      []Fact
	Sections   []Section
	Deviations []string
	Fail       string
	Other      []string // anything else (stray output)
}

// Section is a verbatim block.
type Section struct {
	Name  string
	Lines []string
}

// Fact returns the last value reported under key.
func (o *Output) Fact(key string) (string, bool) {
	for i := len(o.Facts) - 1; i >= 0; i-- {
		if o.Facts[i].Key == key {
			return o.Facts[i].Value, true
		}
	}
	return "", false
}

// Section returns the last section called name.
func (o *Output) Section(name string) ([]string, bool) {
	for i := len(o.Sections) - 1; i >= 0; i-- {
		if o.Sections[i].Name == name {
			return o.Sections[i].Lines, true
		}
	}
	return nil, false
}

// Parse reads the script's stdout.
func Parse(stdout string) *Output {
	o := &Output{}
	var cur *Section
	sc := bufio.NewScanner(strings.NewReader(stdout))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if cur != nil {
			if l == "@end" {
				o.Sections = append(o.Sections, *cur)
				cur = nil
			} else {
				cur.Lines = append(cur.Lines, l)
			}
			continue
		}
		tag, rest, _ := strings.Cut(l, " ")
		switch tag {
		case "@step":
			name, ms, _ := strings.Cut(rest, " ")
			if n, err := strconv.ParseInt(ms, 10, 64); err == nil {
				o.Steps = append(o.Steps, Step{name, time.Duration(n) * time.Millisecond})
				continue
			}
		case "@kind":
			ms, text, _ := strings.Cut(rest, " ")
			if n, err := strconv.ParseInt(ms, 10, 64); err == nil {
				o.Kind = append(o.Kind, KindLine{time.Duration(n) * time.Millisecond, text})
				continue
			}
		case "@report":
			k, v, _ := strings.Cut(rest, " ")
			o.Facts = append(o.Facts, Fact{k, v})
			continue
		case "@section":
			cur = &Section{Name: rest}
			continue
		case "@deviation":
			o.Deviations = append(o.Deviations, rest)
			continue
		case "@fail":
			o.Fail = rest
			continue
		}
		o.Other = append(o.Other, l)
	}
	if cur != nil { // cut off: keep what came
		o.Sections = append(o.Sections, *cur)
	}
	return o
}

// Phase is one of kind's status phases (" • X ..." to " ✓ X" or " ✗ X").
type Phase struct {
	Name     string
	Duration time.Duration
	OK       bool
	Done     bool // an end line was seen
}

// KindPhases splits kind's output into its status phases. Without a
// terminal kind prints " • NAME  ..." when a phase starts and " ✓ NAME"
// or " ✗ NAME" when it ends.
func KindPhases(lines []KindLine) []Phase {
	var ps []Phase
	var starts []time.Duration
	for _, l := range lines {
		t := strings.TrimSpace(l.Text)
		switch {
		case strings.HasPrefix(t, "• ") && strings.HasSuffix(t, "..."): // " • Ready after 5s" is no phase
			name := strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(t, "• "), "..."))
			ps = append(ps, Phase{Name: name})
			starts = append(starts, l.At)
		case strings.HasPrefix(t, "✓ ") || strings.HasPrefix(t, "✗ "):
			name := strings.TrimSpace(t[len("✓ "):])
			for i := len(ps) - 1; i >= 0; i-- {
				if ps[i].Name == name && !ps[i].Done {
					ps[i].Done, ps[i].OK, ps[i].Duration = true, strings.HasPrefix(t, "✓"), l.At-starts[i]
					break
				}
			}
		}
	}
	return ps
}

// Expect is what Check holds the output to.
type Expect struct {
	Mode          string
	NodeImages    []string // the only tags docker images may list
	ClusterImages []string // the only tags crictl images may list
}

// Check lists every assertion the output fails; none means the cluster
// came up as asked, offline.
func Check(o *Output, e Expect) []string {
	var bad []string
	if o.Fail != "" {
		bad = append(bad, "guest script: "+o.Fail)
	}
	if v, ok := o.Fact("node"); !ok || !slices.Contains(strings.Fields(v), "Ready") {
		bad = append(bad, fmt.Sprintf("node not Ready: %q", v))
	}
	if v, ok := o.Fact("kube-proxy-pod"); !ok || !slices.Contains(strings.Fields(v), "Running") {
		bad = append(bad, fmt.Sprintf("kube-proxy pod not Running: %q", v))
	}
	if v, _ := o.Fact("proxy-mode"); v != e.Mode {
		bad = append(bad, fmt.Sprintf("kube-proxy reports mode %q on :10249/proxyMode, want %q", v, e.Mode))
	}
	for _, k := range []string{"vs.conn_reuse_mode", "vs.expire_nodest_conn", "vs.conntrack"} {
		if v, ok := o.Fact(k); !ok || !isInt(v) {
			bad = append(bad, fmt.Sprintf("%s unreadable in the node: %q", k, v))
		}
	}
	bad = append(bad, onlyImages(o, "docker-images", e.NodeImages)...)
	bad = append(bad, onlyImages(o, "crictl-images", e.ClusterImages)...)
	if pulls, ok := o.Section("pull-attempts"); !ok {
		bad = append(bad, "no pull-attempt check ran")
	} else if len(pulls) > 0 {
		bad = append(bad, fmt.Sprintf("%d image pull attempts logged, first: %s", len(pulls), pulls[0]))
	}
	return bad
}

func onlyImages(o *Output, section string, allowed []string) []string {
	lines, ok := o.Section(section)
	if !ok || len(lines) == 0 {
		return []string{section + ": no images listed"}
	}
	var bad []string
	for _, l := range lines {
		if l = strings.TrimSpace(l); l != "" && !slices.Contains(allowed, l) {
			bad = append(bad, fmt.Sprintf("%s lists %q, which the harness did not build", section, l))
		}
	}
	return bad
}

func isInt(s string) bool { _, err := strconv.Atoi(strings.TrimSpace(s)); return err == nil }
