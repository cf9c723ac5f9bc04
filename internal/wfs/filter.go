package wfs

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"hetang/internal/apierr"
	"hetang/internal/cql2"
	"hetang/internal/decimal"
	"hetang/internal/layout"
)

// fesNode is one element of a FES 2.0 filter: its local name, attributes,
// text and children.
type fesNode struct {
	name     string
	attrs    map[string]string
	text     string
	children []*fesNode
}

// checkXMLShape refuses XML deeper than MaxFilterDepth or with more than
// MaxFilterNodes elements before anything decodes it into structures.
func checkXMLShape(b []byte) error {
	_, err := parseTree(b)
	return err
}

// parseFilterXML reads a fes:Filter document.
func parseFilterXML(b []byte) (*fesNode, error) {
	if len(b) > MaxFilterBytes {
		return nil, invalid("filter", "FILTER is %d bytes; at most %d are accepted", len(b), MaxFilterBytes)
	}
	root, err := parseTree(b)
	if err != nil {
		return nil, err
	}
	if root.name != "Filter" {
		return nil, invalid("filter", "FILTER must be a fes:Filter element, not %s", root.name)
	}
	if len(root.children) != 1 {
		return nil, invalid("filter", "fes:Filter must hold exactly one predicate (use fes:And/fes:Or to combine); it holds %d", len(root.children))
	}
	return root, nil
}

// parseTree reads an XML document into fesNodes, within the size limits.
func parseTree(b []byte) (*fesNode, error) {
	dec := xml.NewDecoder(bytes.NewReader(b))
	dec.Strict = true
	var stack []*fesNode
	var root *fesNode
	nodes := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, &Exception{Code: CodeOperationParsing, Locator: "filter", Text: "the XML cannot be read: " + err.Error()}
		}
		switch t := tok.(type) {
		case xml.StartElement:
			nodes++
			if nodes > MaxFilterNodes {
				return nil, invalid("filter", "the XML has more than %d elements", MaxFilterNodes)
			}
			if len(stack) >= MaxFilterDepth {
				return nil, invalid("filter", "the XML nests deeper than %d levels", MaxFilterDepth)
			}
			n := &fesNode{name: t.Name.Local, attrs: map[string]string{}}
			for _, a := range t.Attr {
				n.attrs[a.Name.Local] = a.Value
			}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			} else if root == nil {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(t)
			}
		}
	}
	if root == nil {
		return nil, &Exception{Code: CodeOperationParsing, Locator: "filter", Text: "the XML is empty"}
	}
	return root, nil
}

// compiler turns a FES filter into a cql2 expression over one layer.
type compiler struct {
	ly     *layout.Layer
	fields map[string]layout.FieldType
	ids    []string // collected fes:ResourceId rids
}

func newCompiler(ly *layout.Layer) *compiler {
	c := &compiler{ly: ly, fields: map[string]layout.FieldType{}}
	for _, f := range ly.Fields() {
		c.fields[f.Name] = f.Type
	}
	return c
}

// comparisonOps maps FES comparison operators to CQL2's.
var comparisonOps = map[string]string{
	"PropertyIsEqualTo": "=", "PropertyIsNotEqualTo": "<>",
	"PropertyIsLessThan": "<", "PropertyIsGreaterThan": ">",
	"PropertyIsLessThanOrEqualTo": "<=", "PropertyIsGreaterThanOrEqualTo": ">=",
}

// compile converts a filter root (fes:Filter) to a cql2 expression. A
// filter of resource ids only returns nil and the ids in c.ids.
func (c *compiler) compile(root *fesNode) (cql2.Expr, error) {
	var ids []string
	var preds []*fesNode
	for _, ch := range root.children {
		if ch.name == "ResourceId" {
			ids = append(ids, ch.attrs["rid"])
			continue
		}
		preds = append(preds, ch)
	}
	if len(ids) > 0 && len(preds) > 0 {
		return nil, invalid("filter", "fes:ResourceId cannot be mixed with other predicates")
	}
	if len(ids) > 0 {
		c.ids = ids
		return nil, nil
	}
	return c.expr(preds[0])
}

func (c *compiler) expr(n *fesNode) (cql2.Expr, error) {
	switch n.name {
	case "And", "Or":
		if len(n.children) < 2 {
			return nil, invalid("filter", "fes:%s needs at least two operands", n.name)
		}
		var args []cql2.Expr
		for _, ch := range n.children {
			e, err := c.expr(ch)
			if err != nil {
				return nil, err
			}
			args = append(args, e)
		}
		if n.name == "And" {
			return &cql2.And{Args: args}, nil
		}
		return &cql2.Or{Args: args}, nil
	case "Not":
		if len(n.children) != 1 {
			return nil, invalid("filter", "fes:Not takes one operand")
		}
		e, err := c.expr(n.children[0])
		if err != nil {
			return nil, err
		}
		return &cql2.Not{Arg: e}, nil
	case "PropertyIsNull", "PropertyIsNil":
		prop, err := c.valueRef(n, 0)
		if err != nil {
			return nil, err
		}
		return &cql2.IsNull{Left: cql2.Property{Name: prop}}, nil
	case "PropertyIsLike":
		return c.like(n)
	case "BBOX":
		return c.bbox(n)
	case "ResourceId":
		return nil, invalid("filter", "fes:ResourceId must stand directly in fes:Filter")
	}
	if op, ok := comparisonOps[n.name]; ok {
		prop, err := c.valueRef(n, 2)
		if err != nil {
			return nil, err
		}
		lit, err := c.literal(n, prop)
		if err != nil {
			return nil, err
		}
		if n.attrs["matchCase"] == "false" {
			return nil, &Exception{Code: CodeOptionNotSupported, Locator: "filter", Text: "matchCase=\"false\" is not supported; comparisons are case-sensitive"}
		}
		return &cql2.Comparison{Op: op, Left: cql2.Property{Name: prop}, Right: lit}, nil
	}
	// OptionNotSupported (501), as for matchCase and sortBy: the request is
	// well formed but asks for what the capabilities do not offer; it is not
	// a failure of the server (500).
	return nil, &Exception{Code: CodeOptionNotSupported, Locator: "filter", Text: fmt.Sprintf("fes:%s is not supported; the capabilities' Filter_Capabilities list the operators this WFS evaluates (for a box, fes:BBOX)", n.name)}
}

// valueRef returns the property named by n's fes:ValueReference, which must
// be a property of the layer; want is the number of children n must have
// (0: any).
func (c *compiler) valueRef(n *fesNode, want int) (string, error) {
	if want > 0 && len(n.children) != want {
		return "", invalid("filter", "fes:%s takes a fes:ValueReference and a fes:Literal", n.name)
	}
	for _, ch := range n.children {
		if ch.name == "ValueReference" || ch.name == "PropertyName" {
			p := localName(strings.TrimSpace(ch.text))
			if _, ok := c.fields[p]; !ok {
				return "", invalid("filter", "feature type %s has no property %q", c.ly.ID, p)
			}
			return p, nil
		}
	}
	return "", invalid("filter", "fes:%s needs a fes:ValueReference", n.name)
}

// literal reads n's fes:Literal as the type of prop.
func (c *compiler) literal(n *fesNode, prop string) (cql2.Scalar, error) {
	for _, ch := range n.children {
		if ch.name != "Literal" {
			continue
		}
		s := ch.text
		switch c.fields[prop] {
		case layout.FieldInteger, layout.FieldReal:
			f, err := decimal.Parse(strings.TrimSpace(s))
			if err != nil {
				return nil, invalid("filter", "%s is a number; the literal %s is not a decimal number", prop, apierr.Quote(s))
			}
			return cql2.Literal{Value: f}, nil
		case layout.FieldBoolean:
			b, err := strconv.ParseBool(strings.TrimSpace(s))
			if err != nil {
				return nil, invalid("filter", "%s is true or false; the literal %q is neither", prop, s)
			}
			return cql2.Literal{Value: b}, nil
		}
		return cql2.Literal{Value: s}, nil
	}
	return nil, invalid("filter", "fes:%s needs a fes:Literal", n.name)
}

// like converts fes:PropertyIsLike (wildCard, singleChar, escapeChar) to a
// CQL2 LIKE pattern (% and _, escaped with a backslash).
func (c *compiler) like(n *fesNode) (cql2.Expr, error) {
	prop, err := c.valueRef(n, 2)
	if err != nil {
		return nil, err
	}
	var pattern string
	found := false
	for _, ch := range n.children {
		if ch.name == "Literal" {
			pattern, found = ch.text, true
		}
	}
	if !found {
		return nil, invalid("filter", "fes:PropertyIsLike needs a fes:Literal")
	}
	wild, single, esc := n.attrs["wildCard"], n.attrs["singleChar"], n.attrs["escapeChar"]
	if wild == "" || single == "" || esc == "" {
		return nil, invalid("filter", "fes:PropertyIsLike needs the wildCard, singleChar and escapeChar attributes")
	}
	var out strings.Builder
	rs := []rune(pattern)
	for i := 0; i < len(rs); i++ {
		ch := string(rs[i])
		switch {
		case ch == esc && i+1 < len(rs):
			i++
			writeLikeLiteral(&out, rs[i])
		case ch == wild:
			out.WriteByte('%')
		case ch == single:
			out.WriteByte('_')
		default:
			writeLikeLiteral(&out, rs[i])
		}
	}
	return &cql2.Like{Left: cql2.Property{Name: prop}, Pattern: out.String()}, nil
}

func writeLikeLiteral(b *strings.Builder, r rune) {
	if r == '%' || r == '_' || r == '\\' {
		b.WriteByte('\\')
	}
	b.WriteRune(r)
}

// bbox converts fes:BBOX (an optional value reference and a gml:Envelope) to
// an intersection with the envelope's WGS84 extent.
func (c *compiler) bbox(n *fesNode) (cql2.Expr, error) {
	var env *fesNode
	for _, ch := range n.children {
		switch ch.name {
		case "Envelope":
			env = ch
		case "ValueReference", "PropertyName":
			if p := localName(strings.TrimSpace(ch.text)); p != GeometryElement {
				return nil, invalid("filter", "fes:BBOX applies to the geometry property %q, not %q", GeometryElement, p)
			}
		default:
			return nil, invalid("filter", "fes:BBOX takes a gml:Envelope, not gml:%s", ch.name)
		}
	}
	if env == nil {
		return nil, invalid("filter", "fes:BBOX needs a gml:Envelope")
	}
	e := &envelope{srs: defaultSRS}
	if name := env.attrs["srsName"]; name != "" {
		s, err := parseSRS(name)
		if err != nil {
			return nil, invalid("filter", "gml:Envelope: %v", err)
		}
		e.srs = s
	}
	for _, ch := range env.children {
		var dst *[2]float64
		switch ch.name {
		case "lowerCorner":
			dst = &e.min
		case "upperCorner":
			dst = &e.max
		default:
			continue
		}
		f := strings.Fields(ch.text)
		if len(f) != 2 {
			return nil, invalid("filter", "gml:%s %q: give two numbers", ch.name, ch.text)
		}
		for i := range 2 {
			v, err := decimal.Parse(f[i])
			if err != nil {
				return nil, invalid("filter", "gml:%s %s: %s is not a decimal number", ch.name, apierr.Quote(ch.text), apierr.Quote(f[i]))
			}
			dst[i] = v
		}
	}
	b, err := e.wgs84()
	if err != nil {
		return nil, err
	}
	return &cql2.Intersects{Property: GeometryElement, Geometry: b}, nil
}

// wgs84 returns the WGS84 lon/lat box that encloses e.
func (e *envelope) wgs84() (orb.Bound, error) {
	min, max := e.min, e.max
	if e.srs.yx {
		min, max = [2]float64{min[1], min[0]}, [2]float64{max[1], max[0]}
	}
	if min[0] > max[0] || min[1] > max[1] {
		return orb.Bound{}, invalid("bbox", "the box's minimum exceeds its maximum (axis order of %s: %s)", e.srs.name, e.srs.axes())
	}
	b := orb.Bound{Min: orb.Point{min[0], min[1]}, Max: orb.Point{max[0], max[1]}}
	if !e.srs.crs.Projected {
		if b.Min[1] < -90 || b.Max[1] > 90 || b.Min[0] < -180 || b.Max[0] > 180 {
			return orb.Bound{}, invalid("bbox", "the box is outside the range of %s (axis order: %s)", e.srs.name, e.srs.axes())
		}
		if !e.srs.crs.IsWGS84() {
			return e.srs.crs.BoundToWGS84(b)
		}
		return b, nil
	}
	const world = 2.1e7 // metres: beyond any projected coordinate of the Earth
	if b.Min[0] < -world || b.Max[0] > world || b.Min[1] < -world || b.Max[1] > world {
		return orb.Bound{}, invalid("bbox", "the box is outside the range of %s (axis order: %s)", e.srs.name, e.srs.axes())
	}
	wb, err := e.srs.crs.BoundToWGS84(b)
	if err != nil {
		return orb.Bound{}, invalid("bbox", "the box cannot be converted from %s: %v", e.srs.name, err)
	}
	return wb, nil
}
