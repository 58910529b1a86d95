package report

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/brewer"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/rolloutlab/rolloutlab/harness/verdict"
)

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

// Heatmap draws one tier's kernels x cells coloured by the share of
// affected requests (Agg.AffectedRate); grey is an entry without numbers.
func Heatmap(m tierView) ([]byte, error) {
	p, w, h, err := heatmapPlot(m)
	if err != nil {
		return nil, err
	}
	return svgBytes(p, w, h)
}

func heatmapPlot(m tierView) (*plot.Plot, vg.Length, vg.Length, error) {
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
				text = a.Verdict.String()
				if a.Requests > 0 && (a.Verdict == verdict.Clean || a.Verdict == verdict.Affected || a.Verdict == verdict.Flaky) {
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
	p.Title.Text = "tier " + m.Tier + ": share of affected requests\n(to removed pod + failed after removal + connect >= 1 s) / requests"
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
		xt = append(xt, plot.Tick{Value: float64(j), Label: wrapLabel(c, 12)})
	}
	for i, n := range rowNames {
		yt = append(yt, plot.Tick{Value: float64(len(rowNames) - 1 - i), Label: n})
	}
	p.X.Tick.Marker = plot.ConstantTicks(xt)
	p.Y.Tick.Marker = plot.ConstantTicks(yt)
	p.X.Label.Text = "cell"
	p.Y.Label.Text = "kernel"
	w := vg.Length(math.Max(18, 3.4*float64(len(m.Columns))+3)) * vg.Centimeter
	hgt := vg.Length(math.Max(6, 1.6*float64(len(m.Rows))+4)) * vg.Centimeter
	return p, w, hgt, nil
}
