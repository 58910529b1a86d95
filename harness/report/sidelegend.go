package report

import (
	"bytes"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// legendText is the legend's font size: small enough for a side column.
const legendText = vg.Length(9)

// sideLegendSVG draws p with leg in a column to its right, outside the
// plot area, so no entry is cut off and no data hides behind it. after
// draws onto the data area once the plot is drawn (event labels).
func sideLegendSVG(p *plot.Plot, leg plot.Legend, w, h vg.Length, after func(p *plot.Plot, da draw.Canvas)) ([]byte, error) {
	leg.TextStyle.Font.Size = legendText
	leg.Left, leg.Top = true, true
	leg.ThumbnailWidth = vg.Points(14)
	leg.Padding = vg.Points(2)
	pad := vg.Points(8)
	// The SVG names Liberation fonts whose metrics measure the text; a
	// browser without them substitutes a wider face, hence the margin.
	legW := leg.Rectangle(draw.New(vgsvg.New(w, h))).Size().X*1.3 + 2*pad
	c := vgsvg.New(w, h)
	dc := draw.New(c)
	plotC := draw.Crop(dc, 0, -legW, 0, 0)
	p.Draw(plotC)
	if after != nil {
		after(p, p.DataCanvas(plotC))
	}
	// The column starts level with the top of the data area.
	top := p.DataCanvas(plotC).Max.Y
	leg.Draw(draw.Crop(dc, w-legW+pad, 0, 0, top-dc.Max.Y))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
