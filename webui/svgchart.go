package webui

import (
	"fmt"
	"html/template"
	"math"
	"strings"
)

// Charts drawn by the box as SVG, inline in the page: no script, no
// library, a few kilobytes per chart, and what the page's CSP allows
// (colours come from the style sheet's classes s0–s4; nothing uses a
// style attribute). Every chart is built from the same table its CSV
// download writes, so the picture and the numbers cannot disagree.

// series is one row of values of a chart, drawn in colour class s<i>.
type series struct {
	Name   string
	Values []float64
}

const (
	chartW      = 640
	chartH      = 240
	chartLeft   = 44 // room for the value axis
	chartBottom = 36 // room for the labels
	chartTop    = 10
)

// svgText escapes text for SVG.
func svgText(s string) string { return template.HTMLEscapeString(s) }

// niceMax rounds a maximum up to 1, 2 or 5 times a power of ten, and
// returns it with the step of four grid lines.
func niceMax(v float64) (top, step float64) {
	if v <= 0 {
		return 4, 1
	}
	raw := v / 4
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if step = m * mag; step >= raw {
			break
		}
	}
	if step < 1 && v >= 1 {
		step = 1
	}
	return step * 4, step
}

// frame draws the value axis with its grid and returns the plot's
// scale: y of a value.
func frame(b *strings.Builder, max float64, unit string) func(float64) float64 {
	top, step := niceMax(max)
	plotH := float64(chartH - chartTop - chartBottom)
	y := func(v float64) float64 { return float64(chartH-chartBottom) - v/top*plotH }
	for v := 0.0; v <= top+step/2; v += step {
		fmt.Fprintf(b, `<line class="grid-line" x1="%d" x2="%d" y1="%.1f" y2="%.1f"/>`, chartLeft, chartW, y(v), y(v))
		fmt.Fprintf(b, `<text x="%d" y="%.1f" text-anchor="end">%s%s</text>`, chartLeft-4, y(v)+4, formatNum(v), unit)
	}
	fmt.Fprintf(b, `<line class="axis" x1="%d" x2="%d" y1="%d" y2="%d"/>`, chartLeft, chartW, chartH-chartBottom, chartH-chartBottom)
	return y
}

func svgOpen(b *strings.Builder, id, title string) {
	fmt.Fprintf(b, `<svg class="chart-svg" id="%s-svg" viewBox="0 0 %d %d" role="img" aria-labelledby="%s-title" xmlns="http://www.w3.org/2000/svg"><title id="%s-title">%s</title>`,
		id, chartW, chartH, id, id, svgText(title))
}

// labelEvery thins the labels of n bars so that they do not overlap.
func labelEvery(n int) int {
	return max(1, int(math.Ceil(float64(n)/16)))
}

// barChart draws bars per label: stacked (one bar of every series per
// label) or grouped (side by side).
func barChart(id, title string, labels []string, ss []series, stacked bool, unit string) template.HTML {
	var b strings.Builder
	svgOpen(&b, id, title)
	maxV := 0.0
	for i := range labels {
		sum := 0.0
		for _, s := range ss {
			if stacked {
				sum += s.Values[i]
			} else {
				sum = math.Max(sum, s.Values[i])
			}
		}
		maxV = math.Max(maxV, sum)
	}
	y := frame(&b, maxV, unit)
	n := max(1, len(labels))
	slot := float64(chartW-chartLeft) / float64(n)
	barW := slot * 0.75
	every := labelEvery(n)
	for i, l := range labels {
		x0 := float64(chartLeft) + float64(i)*slot + (slot-barW)/2
		base := 0.0
		for k, s := range ss {
			v := s.Values[i]
			if v <= 0 {
				continue
			}
			x, w := x0, barW
			lo, hi := base, base+v
			if !stacked {
				w = barW / float64(len(ss))
				x = x0 + float64(k)*w
				lo, hi = 0, v
			}
			fmt.Fprintf(&b, `<rect class="s%d" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s %s: %s</title></rect>`,
				k%5, x, y(hi), math.Max(w-0.5, 0.5), y(lo)-y(hi), svgText(l), svgText(s.Name), formatNum(v))
			if stacked {
				base = hi
			}
		}
		if i%every == 0 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`, x0+barW/2, chartH-chartBottom+14, svgText(l))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // built from escaped text and numbers only
}

// lineChart draws each series as a line over the labels (a period
// against another).
func lineChart(id, title string, labels []string, ss []series, unit string) template.HTML {
	var b strings.Builder
	svgOpen(&b, id, title)
	maxV := 0.0
	for _, s := range ss {
		for _, v := range s.Values {
			maxV = math.Max(maxV, v)
		}
	}
	y := frame(&b, maxV, unit)
	n := max(1, len(labels))
	step := float64(chartW-chartLeft) / float64(n)
	x := func(i int) float64 { return float64(chartLeft) + step*(float64(i)+0.5) }
	for k, s := range ss {
		var pts []string
		for i, v := range s.Values {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(i), y(v)))
		}
		fmt.Fprintf(&b, `<polyline class="s%d" points="%s"><title>%s</title></polyline>`, k%5, strings.Join(pts, " "), svgText(s.Name))
		for i, v := range s.Values {
			fmt.Fprintf(&b, `<circle class="s%d" cx="%.1f" cy="%.1f" r="2.5"><title>%s %s: %s</title></circle>`, k%5, x(i), y(v), svgText(s.Name), svgText(labels[i]), formatNum(v))
		}
	}
	every := labelEvery(n)
	for i, l := range labels {
		if i%every == 0 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`, x(i), chartH-chartBottom+14, svgText(l))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// heatMap draws rows × columns of cells, darker for more.
func heatMap(id, title string, rows, cols []string, v [][]float64) template.HTML {
	var b strings.Builder
	svgOpen(&b, id, title)
	maxV := 0.0
	for _, r := range v {
		for _, x := range r {
			maxV = math.Max(maxV, x)
		}
	}
	cw := float64(chartW-chartLeft) / float64(max(1, len(cols)))
	ch := float64(chartH-chartTop-chartBottom) / float64(max(1, len(rows)))
	for i, r := range rows {
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`, chartLeft-4, float64(chartTop)+ch*(float64(i)+0.5)+4, svgText(r))
		for j := range cols {
			op := 0.04
			if maxV > 0 {
				op = 0.04 + 0.96*v[i][j]/maxV
			}
			fmt.Fprintf(&b, `<rect class="heat" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill-opacity="%.2f"><title>%s %s: %s</title></rect>`,
				float64(chartLeft)+cw*float64(j)+0.5, float64(chartTop)+ch*float64(i)+0.5, cw-1, ch-1, op, svgText(r), svgText(cols[j]), formatNum(v[i][j]))
		}
	}
	for j, c := range cols {
		if j%2 == 0 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`, float64(chartLeft)+cw*(float64(j)+0.5), chartH-chartBottom+14, svgText(c))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
