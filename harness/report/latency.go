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
	kind scenario.EventKind
	col  color.RGBA
}

// eventStyles lists the rollout steps a latency chart marks, in legend order.
func eventStyles() []eventStyle {
	return []eventStyle{
		{scenario.EvRolloutStart, color.RGBA{0x33, 0x33, 0x33, 0xff}},
		{scenario.EvEndpointRemoved, color.RGBA{0xd9, 0x5f, 0x02, 0xff}},
		{scenario.EvWeightZero, color.RGBA{0x75, 0x70, 0xb3, 0xff}},
		{scenario.EvSIGTERM, color.RGBA{0xe7, 0x29, 0x8a, 0xff}},
		{scenario.EvRSDeleted, color.RGBA{0x66, 0xa6, 0x1e, 0xff}},
		{scenario.EvRolloutDone, color.RGBA{0x33, 0x33, 0x33, 0xff}},
	}
}

// LatencyChart is the scatter of per-request total time against intended
// start, log y, from the newest repeat's raw records, with the rollout's
// events as vertical lines.
func LatencyChart(a *repeats.Agg) ([]byte, error) {
	p, err := latencyPlot(a)
	if err != nil {
		return nil, err
	}
	return svgBytes(p, 22*vg.Centimeter, 11*vg.Centimeter)
}

func latencyPlot(a *repeats.Agg) (*plot.Plot, error) {
	s := a.Last
	res := s.Cell.Result
	recs, err := resultfile.ReadRecords(filepath.Join(s.Run.Dir, s.Cell.Records))
	if err != nil {
		return nil, err
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
	if len(fast) > maxFastPoints {
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
	p.Legend.Top = true
	// Headroom above the data for the legend (the y axis is logarithmic).
	lo, hi := ymin/2, ymax*50
	if math.IsInf(ymin, 1) {
		lo = floorMs
	}
	p.Y.Min, p.Y.Max = lo, hi
	for _, e := range eventStyles() {
		first := true
		for _, ev := range res.Events {
			if ev.Kind != e.kind {
				continue
			}
			x := float64(ev.T-res.T0) / 1e9
			l, err := plotter.NewLine(plotter.XYs{{X: x, Y: lo}, {X: x, Y: hi}})
			if err != nil {
				return nil, err
			}
			l.Color = e.col
			l.Width = vg.Points(0.7)
			l.Dashes = []vg.Length{vg.Points(3), vg.Points(2)}
			p.Add(l)
			if first {
				p.Legend.Add(e.kind.String(), l)
				first = false
			}
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
			return nil, err
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: set.col, Radius: vg.Points(1), Shape: draw.BoxGlyph{}}
		p.Add(sc)
		p.Legend.Add(fmt.Sprintf("%s (%d)", set.name, len(set.xys)), sc)
	}
	return p, nil
}
