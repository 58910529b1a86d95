package report

import (
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// eventMark is one rollout step at x seconds.
type eventMark struct {
	x    float64
	kind string // short name: "removed", "SIGTERM"
	pod  string
	sty  eventStyle
}

// eventLabel is one label above a group of steps that happen together
// (weight 0, endpoint removed and SIGTERM of one pod land within a ms).
type eventLabel struct {
	x    float64
	text string
	sty  eventStyle
}

// groupEvents joins marks closer than gap seconds into one label, in time
// order: "v1-0 weight-0+removed+SIGTERM".
func groupEvents(marks []eventMark, gap float64) []eventLabel {
	marks = slices.Clone(marks)
	slices.SortStableFunc(marks, func(a, b eventMark) int {
		switch {
		case a.x < b.x:
			return -1
		case a.x > b.x:
			return 1
		}
		return 0
	})
	var out []eventLabel
	var kinds []string
	pod := ""
	flush := func() {
		if len(kinds) == 0 {
			return
		}
		t := strings.Join(kinds, "+")
		if pod != "" {
			t = strings.TrimPrefix(pod, "web-") + " " + t
		}
		out[len(out)-1].text = t
		kinds = nil
	}
	for i, m := range marks {
		if i == 0 || m.x-out[len(out)-1].x > gap || m.pod != pod {
			flush()
			out = append(out, eventLabel{x: m.x, sty: m.sty})
			pod = m.pod
		}
		if !slices.Contains(kinds, m.kind) {
			kinds = append(kinds, m.kind)
		}
	}
	flush()
	return out
}

// drawEventLabels writes the labels along the top of the data area, each
// at its line, stacked into rows so none overlaps another.
func drawEventLabels(p *plot.Plot, da draw.Canvas, labels []eventLabel) {
	sty := p.X.Tick.Label
	sty.Font.Size = vg.Length(7)
	sty.XAlign, sty.YAlign = draw.XLeft, draw.YTop
	rowH := sty.Font.Size * 1.25
	var rowEnd []vg.Length // right edge of the last label in each row
	for _, l := range labels {
		x := da.X(p.X.Norm(l.x))
		w := sty.Width(l.text) * 1.3 // browsers substitute wider fonts (see sideLegendSVG)
		left := x + 2
		if left+w > da.Max.X { // no room right of the line: end at it
			left = x - 2 - w
		}
		row := 0
		for row < len(rowEnd) && left < rowEnd[row]+4 {
			row++
		}
		if row == len(rowEnd) {
			rowEnd = append(rowEnd, 0)
		}
		rowEnd[row] = left + w
		sty.Color = l.sty.col
		da.FillText(sty, vg.Point{X: left, Y: da.Max.Y - 2 - vg.Length(row)*rowH}, l.text)
	}
}
