package report

import (
	"fmt"
	"image/color"
	"math"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/rolloutlab/rolloutlab/harness/repeats"
	"github.com/rolloutlab/rolloutlab/harness/resultfile"
	"github.com/rolloutlab/rolloutlab/scenario"
)

// maxFastPoints caps the plain fast successes drawn per latency chart so
// a chart stays a few hundred KB; every error, slow request and request to
// a removed pod is always drawn.
const maxFastPoints = 2000

// eventStyle is a rollout step drawn as vertical lines, and its colour.
type eventStyle struct {
	kind  scenario.EventKind
	short string // in the labels above the lines
	col   color.RGBA
}

// eventStyles lists the rollout steps a latency chart marks, in legend order.
func eventStyles() []eventStyle {
	return []eventStyle{
		{scenario.EvRolloutStart, "rollout start", color.RGBA{0x33, 0x33, 0x33, 0xff}},
		{scenario.EvWeightZero, "weight 0", color.RGBA{0x75, 0x70, 0xb3, 0xff}},
		{scenario.EvEndpointRemoved, "removed", color.RGBA{0xd9, 0x5f, 0x02, 0xff}},
		{scenario.EvSIGTERM, "SIGTERM", color.RGBA{0xe7, 0x29, 0x8a, 0xff}},
		// kind tier: the API's deletion timestamp (kubelet starts preStop, then SIGTERM)
		{scenario.EvTerminating, "terminating", color.RGBA{0xe7, 0x29, 0x8a, 0xff}},
		{scenario.EvRSDeleted, "RS deleted", color.RGBA{0x66, 0xa6, 0x1e, 0xff}},
		{scenario.EvRolloutDone, "rollout done", color.RGBA{0x33, 0x33, 0x33, 0xff}},
	}
}

// LatencyChart is the scatter of per-request total time against intended
// start, log y, from the newest repeat's raw records, with the rollout's
// events as labelled vertical lines and the legend (every series with its
// count) beside the plot.
func LatencyChart(a *repeats.Agg) ([]byte, error) {
	p, leg, labels, err := latencyPlot(a)
	if err != nil {
		return nil, err
	}
	return sideLegendSVG(p, leg, 26*vg.Centimeter, 11*vg.Centimeter, func(p *plot.Plot, da draw.Canvas) {
		drawEventLabels(p, da, labels)
	})
}

func latencyPlot(a *repeats.Agg) (*plot.Plot, plot.Legend, []eventLabel, error) {
	leg := plot.NewLegend()
	s := a.Last
	res := s.Cell.Result
	recs, err := resultfile.ReadRecords(filepath.Join(s.Run.Dir, s.Cell.Records))
	if err != nil {
		return nil, leg, nil, err
	}
	removed := map[string]int64{}
	for _, e := range res.Events {
		if e.Kind == scenario.EvEndpointRemoved {
			if t, ok := removed[e.Pod]; !ok || e.T < t {
				removed[e.Pod] = e.T
			}
		}
	}
	const floorMs = 0.01 // log axis: nothing below 10 µs
	var fast, slow, term, failed plotter.XYs
	ymin, ymax := math.Inf(1), floorMs
	for _, r := range recs {
		x := float64(r.Intended-res.T0) / 1e9
		y := math.Max(floorMs, float64(r.Total)/1e6)
		ymax = math.Max(ymax, y)
		ymin = math.Min(ymin, y)
		p := plotter.XY{X: x, Y: y}
		t, wasRemoved := removed[r.Pod]
		switch {
		case r.Err != scenario.ErrNone:
			failed = append(failed, p)
		case wasRemoved && r.Start+r.Connect >= t:
			term = append(term, p)
		case r.Connect >= 1e9 || r.Total > 1e9:
			slow = append(slow, p)
		default:
			fast = append(fast, p)
		}
	}
	title := fmt.Sprintf("%s %s: request total time (%s, run %s)", a.Kernel, a.Cell, s.Cell.Verdict.Status, s.Run.ID)
	drawnOf := 0
	if len(fast) > maxFastPoints {
		drawnOf = len(fast)
		stride := (len(fast) + maxFastPoints - 1) / maxFastPoints
		thin := make(plotter.XYs, 0, maxFastPoints)
		for i := 0; i < len(fast); i += stride {
			thin = append(thin, fast[i])
		}
		title += fmt.Sprintf(" [1 in %d fast answers drawn]", stride)
		fast = thin
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "seconds since load start (intended start)"
	p.Y.Label.Text = "total ms (log)"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	// Headroom above the data for the event labels (the y axis is logarithmic).
	lo, hi := ymin/2, ymax*50
	if math.IsInf(ymin, 1) {
		lo = floorMs
	}
	p.Y.Min, p.Y.Max = lo, hi
	var marks []eventMark
	xmax := 0.0
	for _, e := range eventStyles() {
		var first *plotter.Line
		n := 0
		for _, ev := range res.Events {
			if ev.Kind != e.kind {
				continue
			}
			x := float64(ev.T-res.T0) / 1e9
			xmax = math.Max(xmax, x)
			l, err := plotter.NewLine(plotter.XYs{{X: x, Y: lo}, {X: x, Y: hi}})
			if err != nil {
				return nil, leg, nil, err
			}
			l.Color = e.col
			l.Width = vg.Points(0.7)
			l.Dashes = []vg.Length{vg.Points(3), vg.Points(2)}
			p.Add(l)
			marks = append(marks, eventMark{x: x, kind: e.short, pod: ev.Pod, sty: e})
			if first == nil {
				first = l
			}
			n++
		}
		if first != nil {
			leg.Add(fmt.Sprintf("%s (%d)", e.kind, n), first)
		}
	}
	for _, set := range []struct {
		name string
		xys  plotter.XYs
		col  color.RGBA
	}{
		{"answered", fast, color.RGBA{0x1f, 0x77, 0xb4, 0xff}},
		{"> 1 s", slow, color.RGBA{0xff, 0x7f, 0x0e, 0xff}},
		{"answered by removed pod", term, color.RGBA{0x94, 0x67, 0xbd, 0xff}},
		{"failed", failed, color.RGBA{0xd6, 0x27, 0x28, 0xff}},
	} {
		if len(set.xys) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(set.xys)
		if err != nil {
			return nil, leg, nil, err
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: set.col, Radius: vg.Points(1), Shape: draw.BoxGlyph{}}
		p.Add(sc)
		n := len(set.xys)
		if set.name == "answered" && drawnOf > 0 {
			n = drawnOf // the legend counts every answer, not the drawn ones
		}
		leg.Add(fmt.Sprintf("%s (%d)", set.name, n), sc)
		for _, r := range set.xys {
			xmax = math.Max(xmax, r.X)
		}
	}
	// Steps within 1.5 % of the time axis share a label.
	return p, leg, groupEvents(marks, 0.015*xmax), nil
}
