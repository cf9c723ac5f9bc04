package locate

import (
	"errors"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb"

	"hetang/internal/intake"
)

// Inspect limits: rows shown as a sample, problems listed.
const (
	InspectSample   = 5
	InspectProblems = 100
)

// Problem is one record that cannot be located, in Chinese and English.
type Problem struct {
	Row      int    `json:"row"`
	ReasonZH string `json:"reason_zh"`
	ReasonEN string `json:"reason_en"`
}

// InspectAnswer is the body of POST /api/v1/locate/inspect: what the decoder
// found and assumed, so a page can show it and offer to change it.
type InspectAnswer struct {
	InputInfo
	Rows int `json:"rows"`
	// Candidates are the CRS codes a selector offers, the assumed one first.
	Candidates []string `json:"candidates"`
	// BBoxWGS84 is the box of every located record after conversion
	// ([minlon, minlat, maxlon, maxlat]); null when none converted.
	BBoxWGS84 *[4]float64      `json:"bbox_wgs84"`
	Sample    []map[string]any `json:"sample"`
	Problems  []Problem        `json:"problems"`
	// ProblemsTotal counts every record with a problem (Problems lists at
	// most InspectProblems).
	ProblemsTotal int `json:"problems_total"`
}

// Inspect reads a whole input and describes it (see InspectAnswer).
func Inspect(in *intake.Input, stop func() error) (*InspectAnswer, error) {
	a := &InspectAnswer{InputInfo: InputMeta(in), Candidates: intake.Candidates(in.CRS.Code), Sample: []map[string]any{}, Problems: []Problem{}}
	var box orb.Bound
	have := false
	for {
		if a.Rows%1024 == 0 {
			if err := stop(); err != nil {
				return nil, err
			}
		}
		rec, err := in.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var ie *intake.InputError
			if errors.As(err, &ie) && a.Rows > 0 {
				a.ProblemsTotal++
				a.Problems = append(a.Problems, Problem{Row: ie.Record, ReasonZH: "输入在此中断：" + ie.ZH, ReasonEN: "the input stops here: " + ie.EN})
				break
			}
			return nil, err
		}
		a.Rows++
		if len(a.Sample) < InspectSample {
			m := members(rec, in.Columns)
			if rec.WGS84 != nil {
				if p, ok := rec.WGS84.(orb.Point); ok {
					m["wgs84_lon"], m["wgs84_lat"] = p[0], p[1]
				}
			}
			a.Sample = append(a.Sample, m)
		}
		if rec.Err != nil {
			a.ProblemsTotal++
			if len(a.Problems) < InspectProblems {
				a.Problems = append(a.Problems, Problem{Row: rec.N, ReasonZH: rec.Err.ZH, ReasonEN: rec.Err.EN})
			}
			continue
		}
		b := rec.WGS84.Bound()
		if !have {
			box, have = b, true
		} else {
			box = box.Union(b)
		}
	}
	if have {
		a.BBoxWGS84 = &[4]float64{box.Min[0], box.Min[1], box.Max[0], box.Max[1]}
	}
	return a, nil
}

func (s *Server) postInspect(c echo.Context) error {
	opt, err := s.inputOptions(c)
	if err != nil {
		return err
	}
	// A GeoPackage of several tables is previewed by its first, a table
	// with two candidate coordinate column sets by its first set; the
	// answer lists them (layers, geometry_choices) for the page to offer,
	// and a batch must still say which with layer=, x=&y= or wkt=.
	opt.FirstLayer, opt.FirstColumns = true, true
	ctx := c.Request().Context()
	in, err := intake.Open(ctx, c.Request().Body, opt)
	if err != nil {
		return inputProblem(err, opt.Format)
	}
	defer in.Close()
	a, err := Inspect(in, ctx.Err)
	if err != nil {
		return inputProblem(err, in.Format)
	}
	h := c.Response().Header()
	h.Set(HeaderInputCRS, in.CRS.Code)
	h.Set(HeaderInputCRSSource, in.CRS.Source)
	h.Set(HeaderInputEncoding, in.Encoding)
	h.Set(HeaderInputFormat, string(in.Format))
	return c.JSON(http.StatusOK, a)
}
