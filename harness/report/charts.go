package report

// Charts are drawn with gonum.org/v1/plot: pure Go (no cgo, no browser, no
// Python in CI), it writes SVG directly, supports log axes and heat maps,
// and draws the same bytes for the same data, which keeps the committed
// results/ diff-able. Fonts are referenced, not embedded, to keep files small.

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"github.com/rolloutlab/rolloutlab/harness/repeats"
)

// HeatmapName is a tier's heat map file name in ChartsDir.
func HeatmapName(tier string) string {
	return "heatmap_" + unsafeName.ReplaceAllString(tier, "-") + ".svg"
}

// Chart is one rendered SVG.
type Chart struct {
	Name  string // file name in ChartsDir
	Title string
	SVG   []byte
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// LatencyName is the latency chart's file name of a matrix entry.
func LatencyName(k repeats.Key) string {
	return unsafeName.ReplaceAllString(k.Tier+"_"+k.Kernel+"_"+k.Cell, "-") + ".svg"
}

// Charts draws the heat map and one latency chart per entry with records,
// in a fixed order.
func Charts(m *Matrix) ([]Chart, error) {
	var out []Chart
	for _, tv := range tierViews(m) {
		svg, err := Heatmap(tv)
		if err != nil {
			return nil, fmt.Errorf("heat map of tier %s: %w", tv.Tier, err)
		}
		out = append(out, Chart{Name: HeatmapName(tv.Tier), Title: "share of affected requests, tier " + tv.Tier, SVG: svg})
	}
	for _, r := range m.Rows {
		for _, c := range m.Columns {
			a := r.Cells[c]
			if a == nil || a.Last == nil {
				continue
			}
			svg, err := LatencyChart(a)
			if err != nil {
				return nil, fmt.Errorf("latency chart %s/%s: %w", r.Kernel, c, err)
			}
			out = append(out, Chart{Name: LatencyName(a.Key), Title: r.Kernel + " " + c, SVG: svg})
		}
	}
	return out, nil
}

func svgBytes(p *plot.Plot, w, h vg.Length) ([]byte, error) {
	wt, err := p.WriterTo(w, h, "svg")
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := wt.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// inlineSVG strips the XML prolog so the SVG can sit inside HTML.
func inlineSVG(b []byte) string {
	s := string(b)
	if i := strings.Index(s, "<svg"); i >= 0 {
		s = s[i:]
	}
	return s
}
