package results

// Charts are drawn with gonum.org/v1/plot: pure Go (no cgo, no browser, no
// Python in CI), it writes SVG directly, supports log axes and heat maps,
// and draws the same bytes for the same data, which keeps the committed
// results/ diff-able. Fonts are referenced, not embedded, to keep files small.

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"regexp"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/brewer"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/rolloutlab/rolloutlab/scenario"
)

// HeatmapName is the matrix heat map's file name in ChartsDir.
const HeatmapName = "heatmap.svg"

// maxFastPoints caps the plain fast successes drawn per latency chart so
// a chart stays a few hundred KB; every error, slow request and request to
// a removed pod is always drawn.
const maxFastPoints = 2000

// Chart is one rendered SVG.
type Chart struct {
	Name  string // file name in ChartsDir
	Title string
	SVG   []byte
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// LatencyName is the latency chart's file name of a matrix entry.
func LatencyName(k Key) string {
	return unsafeName.ReplaceAllString(k.Tier+"_"+k.Kernel+"_"+k.Cell, "-") + ".svg"
}

// Charts draws the heat map and one latency chart per entry with records,
// in a fixed order.
func Charts(m *Matrix) ([]Chart, error) {
	var out []Chart
	if len(m.Rows) > 0 {
		svg, err := Heatmap(m)
		if err != nil {
			return nil, fmt.Errorf("heat map: %w", err)
		}
		out = append(out, Chart{Name: HeatmapName, Title: "share of affected requests", SVG: svg})
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

// eventStyles: the rollout steps drawn as vertical lines, and their colours.
var eventStyles = []struct {
	kind scenario.EventKind
	col  color.RGBA
}{
	{scenario.EvRolloutStart, color.RGBA{0x33, 0x33, 0x33, 0xff}},
	{scenario.EvEndpointRemoved, color.RGBA{0xd9, 0x5f, 0x02, 0xff}},
	{scenario.EvWeightZero, color.RGBA{0x75, 0x70, 0xb3, 0xff}},
	{scenario.EvSIGTERM, color.RGBA{0xe7, 0x29, 0x8a, 0xff}},
	{scenario.EvRSDeleted, color.RGBA{0x66, 0xa6, 0x1e, 0xff}},
	{scenario.EvRolloutDone, color.RGBA{0x33, 0x33, 0x33, 0xff}},
}

// LatencyChart is the scatter of per-request total time against intended
// start, log y, from the newest repeat's raw records, with the rollout's
// events as vertical lines.
func LatencyChart(a *Agg) ([]byte, error) {
	p, err := latencyPlot(a)
	if err != nil {
		return nil, err
	}
	return svgBytes(p, 22*vg.Centimeter, 11*vg.Centimeter)
}

func latencyPlot(a *Agg) (*plot.Plot, error) {
	s := a.Last
	res := s.Cell.Result
	recs, err := ReadRecords(filepath.Join(s.Run.Dir, s.Cell.Records))
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
	for _, e := range eventStyles {
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

// heatGrid is the matrix as plotter.GridXYZ: columns are cells, rows are
// kernels with the first (oldest) on top.
type heatGrid struct {
	z    [][]float64 // [row][col]
	rows int
}

func (g heatGrid) Dims() (c, r int)   { return len(g.z[0]), g.rows }
func (g heatGrid) Z(c, r int) float64 { return g.z[g.rows-1-r][c] }
func (g heatGrid) X(c int) float64    { return float64(c) }
func (g heatGrid) Y(r int) float64    { return float64(r) }

// Heatmap draws kernels x cells coloured by the share of affected
// requests (Agg.AffectedRate); grey is an entry without numbers.
func Heatmap(m *Matrix) ([]byte, error) {
	p, w, h, err := heatmapPlot(m)
	if err != nil {
		return nil, err
	}
	return svgBytes(p, w, h)
}

func heatmapPlot(m *Matrix) (*plot.Plot, vg.Length, vg.Length, error) {
	if len(m.Columns) == 0 {
		return nil, 0, 0, fmt.Errorf("no cells")
	}
	g := heatGrid{rows: len(m.Rows)}
	var labels plotter.XYLabels
	var rowNames []string
	for i, r := range m.Rows {
		row := make([]float64, len(m.Columns))
		for j, c := range m.Columns {
			a := r.Cells[c]
			text := "–"
			row[j] = math.NaN()
			if a != nil {
				text = a.Verdict
				if a.Requests > 0 && (a.Verdict == Clean || a.Verdict == Affected || a.Verdict == Flaky) {
					row[j] = a.AffectedRate
					text += fmt.Sprintf("\n%.1f %%", 100*a.AffectedRate)
				}
			}
			labels.XYs = append(labels.XYs, plotter.XY{X: float64(j), Y: float64(len(m.Rows) - 1 - i)})
			labels.Labels = append(labels.Labels, text)
		}
		g.z = append(g.z, row)
		rowNames = append(rowNames, r.Kernel)
	}
	pal, err := brewer.GetPalette(brewer.TypeSequential, "Reds", 9)
	if err != nil {
		return nil, 0, 0, err
	}
	h := plotter.NewHeatMap(g, pal)
	h.Min, h.Max = 0, 1
	h.NaN = color.RGBA{0xcc, 0xcc, 0xcc, 0xff}
	p := plot.New()
	p.Title.Text = "share of affected requests\n(to removed pod + failed after removal + connect >= 1 s) / requests"
	p.Add(h)
	lb, err := plotter.NewLabels(labels)
	if err != nil {
		return nil, 0, 0, err
	}
	for i := range lb.TextStyle {
		lb.TextStyle[i].XAlign = draw.XCenter
		lb.TextStyle[i].YAlign = draw.YCenter
	}
	p.Add(lb)
	var xt, yt []plot.Tick
	for j, c := range m.Columns {
		xt = append(xt, plot.Tick{Value: float64(j), Label: c})
	}
	for i, n := range rowNames {
		yt = append(yt, plot.Tick{Value: float64(len(rowNames) - 1 - i), Label: n})
	}
	p.X.Tick.Marker = plot.ConstantTicks(xt)
	p.Y.Tick.Marker = plot.ConstantTicks(yt)
	p.X.Label.Text = "cell"
	p.Y.Label.Text = "kernel"
	w := vg.Length(math.Max(16, 3.2*float64(len(m.Columns)))) * vg.Centimeter
	hgt := vg.Length(math.Max(6, 1.6*float64(len(m.Rows))+4)) * vg.Centimeter
	return p, w, hgt, nil
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
