package ogcapi

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"strings"
)

//go:embed templates/*.html
var templateFS embed.FS

// templates are the server-rendered HTML pages; they use no external assets.
var templates = template.Must(template.New("").Funcs(template.FuncMap{
	"value":  formatValue,
	"coords": formatGeometry,
}).ParseFS(templateFS, "templates/*.html"))

// itemsPage is the data of the items HTML page.
type itemsPage struct {
	Collection Collection
	Page       FeatureCollection
	Offset     int
	CRS        string
}

// itemPage is the data of the feature HTML page.
type itemPage struct {
	Collection Collection
	Feature    Feature
	CRS        string
}

func renderHTML(w io.Writer, name string, data any) error {
	return templates.ExecuteTemplate(w, name+".html", data)
}

func formatValue(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// formatGeometry shows a geometry's type and the start of its coordinates.
func formatGeometry(f Feature) string {
	if f.Geometry == nil {
		return ""
	}
	b, err := f.Geometry.MarshalJSON()
	if err != nil {
		return ""
	}
	s := string(b)
	if len(s) > 2000 {
		s = s[:2000] + "…"
	}
	return strings.TrimSpace(s)
}
