package cql2

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
)

// Expr is a parsed filter: a boolean expression tree. Build one with Parse.
type Expr interface {
	// String renders the expression back to CQL2 text.
	String() string
	node()
}

// Scalar is an operand of a comparison: a property reference or a literal.
type Scalar interface {
	String() string
	scalar()
}

// Property is a reference to a property of the feature (or its geometry).
type Property struct{ Name string }

// Literal is a string, number (float64) or boolean value.
type Literal struct{ Value any }

// And is true when every operand is true.
type And struct{ Args []Expr }

// Or is true when any operand is true.
type Or struct{ Args []Expr }

// Not negates its operand.
type Not struct{ Arg Expr }

// Bool is the literal TRUE or FALSE used as a whole predicate.
type Bool struct{ Value bool }

// Comparison is Left Op Right with Op one of = <> < > <= >=.
type Comparison struct {
	Op          string
	Left, Right Scalar
}

// Like is Left [NOT] LIKE Pattern.
type Like struct {
	Left    Scalar
	Pattern string
	Negate  bool
}

// In is Left [NOT] IN (List...).
type In struct {
	Left   Scalar
	List   []Scalar
	Negate bool
}

// IsNull is Left IS [NOT] NULL.
type IsNull struct {
	Left   Scalar
	Negate bool
}

// Intersects is S_INTERSECTS(Property, Geometry): true when the feature's
// geometry and the literal geometry share at least one point.
type Intersects struct {
	Property string
	// Geometry is the literal, in the coordinates it was written in until
	// TransformGeometries converts it.
	Geometry orb.Geometry
}

func (Property) scalar()  {}
func (Literal) scalar()   {}
func (*And) node()        {}
func (*Or) node()         {}
func (*Not) node()        {}
func (*Bool) node()       {}
func (*Comparison) node() {}
func (*Like) node()       {}
func (*In) node()         {}
func (*IsNull) node()     {}
func (*Intersects) node() {}

// String renders the property name, quoted when it is not a plain identifier.
func (p Property) String() string {
	for i, r := range p.Name {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return `"` + p.Name + `"`
		}
	}
	if isKeyword(p.Name) {
		return `"` + p.Name + `"`
	}
	return p.Name
}

// String renders the literal as CQL2 text.
func (l Literal) String() string {
	switch v := l.Value.(type) {
	case string:
		return "'" + strings.ReplaceAll(v, "'", "''") + "'"
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case bool:
		if v {
			return "TRUE"
		}
		return "FALSE"
	}
	return fmt.Sprint(l.Value)
}

func join(args []Expr, op string) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = a.String()
	}
	return "(" + strings.Join(parts, " "+op+" ") + ")"
}

func (e *And) String() string { return join(e.Args, "AND") }
func (e *Or) String() string  { return join(e.Args, "OR") }
func (e *Not) String() string { return "NOT " + e.Arg.String() }
func (e *Bool) String() string {
	return Literal{e.Value}.String()
}
func (e *Comparison) String() string {
	return e.Left.String() + " " + e.Op + " " + e.Right.String()
}
func (e *Like) String() string {
	op := " LIKE "
	if e.Negate {
		op = " NOT LIKE "
	}
	return e.Left.String() + op + Literal{e.Pattern}.String()
}
func (e *In) String() string {
	parts := make([]string, len(e.List))
	for i, s := range e.List {
		parts[i] = s.String()
	}
	op := " IN ("
	if e.Negate {
		op = " NOT IN ("
	}
	return e.Left.String() + op + strings.Join(parts, ", ") + ")"
}
func (e *IsNull) String() string {
	if e.Negate {
		return e.Left.String() + " IS NOT NULL"
	}
	return e.Left.String() + " IS NULL"
}
func (e *Intersects) String() string {
	return "S_INTERSECTS(" + Property{e.Property}.String() + ", " + wktString(e.Geometry) + ")"
}

var keywords = map[string]bool{
	"AND": true, "OR": true, "NOT": true, "LIKE": true, "IN": true, "IS": true, "NULL": true,
	"TRUE": true, "FALSE": true, "S_INTERSECTS": true, "BBOX": true, "POINT": true,
	"MULTIPOINT": true, "LINESTRING": true, "MULTILINESTRING": true, "POLYGON": true, "MULTIPOLYGON": true,
	"BETWEEN": true,
}

func isKeyword(s string) bool { return keywords[strings.ToUpper(s)] }

type parser struct {
	toks  []token
	i     int
	depth int
}

// Parse parses CQL2 text. Errors are *SyntaxError values.
func Parse(src string) (Expr, error) {
	if len(src) > MaxLength {
		return nil, &SyntaxError{Pos: MaxLength, Msg: fmt.Sprintf("filter longer than %d bytes", MaxLength)}
	}
	if strings.TrimSpace(src) == "" {
		return nil, &SyntaxError{Pos: 0, Msg: "empty filter"}
	}
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	e, err := p.orExpr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.errorf(t, "unexpected %s after a complete expression (missing AND/OR?)", t.describe())
	}
	return e, nil
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) errorf(t token, format string, args ...any) error {
	return &SyntaxError{Pos: t.pos, Msg: fmt.Sprintf(format, args...)}
}

// isWord reports whether t is the keyword w (case-insensitive).
func isWord(t token, w string) bool { return t.kind == tIdent && strings.EqualFold(t.text, w) }

func (p *parser) acceptWord(w string) bool {
	if isWord(p.peek(), w) {
		p.i++
		return true
	}
	return false
}

func (p *parser) expect(k tokenKind, what string) (token, error) {
	t := p.next()
	if t.kind != k {
		return t, p.errorf(t, "expected %s, found %s", what, t.describe())
	}
	return t, nil
}

func (p *parser) orExpr() (Expr, error) {
	left, err := p.andExpr()
	if err != nil {
		return nil, err
	}
	args := []Expr{left}
	for p.acceptWord("OR") {
		e, err := p.andExpr()
		if err != nil {
			return nil, err
		}
		args = append(args, e)
	}
	if len(args) == 1 {
		return left, nil
	}
	return &Or{Args: args}, nil
}

func (p *parser) andExpr() (Expr, error) {
	left, err := p.notExpr()
	if err != nil {
		return nil, err
	}
	args := []Expr{left}
	for p.acceptWord("AND") {
		e, err := p.notExpr()
		if err != nil {
			return nil, err
		}
		args = append(args, e)
	}
	if len(args) == 1 {
		return left, nil
	}
	return &And{Args: args}, nil
}

func (p *parser) notExpr() (Expr, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		return nil, p.errorf(p.peek(), "expression nested more than %d levels deep", maxDepth)
	}
	if p.acceptWord("NOT") {
		e, err := p.notExpr()
		if err != nil {
			return nil, err
		}
		return &Not{Arg: e}, nil
	}
	return p.primary()
}

func (p *parser) primary() (Expr, error) {
	t := p.peek()
	switch {
	case t.kind == tLParen:
		p.next()
		e, err := p.orExpr()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tRParen, `")"`); err != nil {
			return nil, err
		}
		return e, nil
	case isWord(t, "S_INTERSECTS"):
		return p.intersects()
	case t.kind == tEOF:
		return nil, p.errorf(t, "expected a predicate, found end of filter")
	}
	if t.kind == tIdent && (isWord(t, "TRUE") || isWord(t, "FALSE")) {
		// A bare boolean literal is a predicate unless a comparison follows.
		if n := p.toks[p.i+1]; n.kind != tOp && !isWord(n, "IN") && !isWord(n, "LIKE") && !isWord(n, "IS") && !isWord(n, "NOT") {
			p.next()
			return &Bool{Value: isWord(t, "TRUE")}, nil
		}
	}
	left, err := p.scalar()
	if err != nil {
		return nil, err
	}
	return p.predicate(left)
}

func (p *parser) predicate(left Scalar) (Expr, error) {
	t := p.next()
	switch {
	case t.kind == tOp:
		right, err := p.scalar()
		if err != nil {
			return nil, err
		}
		return &Comparison{Op: t.text, Left: left, Right: right}, nil
	case isWord(t, "LIKE"):
		return p.like(left, false)
	case isWord(t, "IN"):
		return p.in(left, false)
	case isWord(t, "IS"):
		neg := p.acceptWord("NOT")
		n := p.next()
		if !isWord(n, "NULL") {
			return nil, p.errorf(n, "expected NULL after IS, found %s", n.describe())
		}
		return &IsNull{Left: left, Negate: neg}, nil
	case isWord(t, "NOT"):
		n := p.next()
		switch {
		case isWord(n, "LIKE"):
			return p.like(left, true)
		case isWord(n, "IN"):
			return p.in(left, true)
		}
		return nil, p.errorf(n, "expected LIKE or IN after NOT, found %s", n.describe())
	case isWord(t, "BETWEEN"):
		return nil, p.errorf(t, "BETWEEN is not supported (Basic CQL2 only); write x >= a AND x <= b")
	}
	return nil, p.errorf(t, "expected a comparison operator (=, <>, <, >, <=, >=), LIKE, IN or IS after %s, found %s", left.String(), t.describe())
}

func (p *parser) like(left Scalar, neg bool) (Expr, error) {
	t, err := p.expect(tString, "a quoted LIKE pattern")
	if err != nil {
		return nil, err
	}
	return &Like{Left: left, Pattern: t.text, Negate: neg}, nil
}

func (p *parser) in(left Scalar, neg bool) (Expr, error) {
	if _, err := p.expect(tLParen, `"(" to open the IN list`); err != nil {
		return nil, err
	}
	var list []Scalar
	for {
		s, err := p.scalar()
		if err != nil {
			return nil, err
		}
		list = append(list, s)
		t := p.next()
		if t.kind == tRParen {
			break
		}
		if t.kind != tComma {
			return nil, p.errorf(t, `expected "," or ")" in the IN list, found %s`, t.describe())
		}
	}
	return &In{Left: left, List: list, Negate: neg}, nil
}

func (p *parser) scalar() (Scalar, error) {
	t := p.next()
	switch t.kind {
	case tString:
		return Literal{Value: t.text}, nil
	case tNumber:
		f, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			return nil, p.errorf(t, "bad number %s", t.text)
		}
		return Literal{Value: f}, nil
	case tQuotedIdent:
		return Property{Name: t.text}, nil
	case tIdent:
		switch {
		case isWord(t, "TRUE"):
			return Literal{Value: true}, nil
		case isWord(t, "FALSE"):
			return Literal{Value: false}, nil
		case isKeyword(t.text):
			return nil, p.errorf(t, "expected a property name or a literal, found the keyword %s (double-quote a property with this name)", strings.ToUpper(t.text))
		}
		if n := p.peek(); n.kind == tLParen {
			return nil, p.errorf(t, "function %s is not supported (only S_INTERSECTS)", t.text)
		}
		return Property{Name: t.text}, nil
	}
	return nil, p.errorf(t, "expected a property name or a literal, found %s", t.describe())
}

func (p *parser) intersects() (Expr, error) {
	p.next() // S_INTERSECTS
	if _, err := p.expect(tLParen, `"(" after S_INTERSECTS`); err != nil {
		return nil, err
	}
	var prop string
	var geom orb.Geometry
	for k := 0; k < 2; k++ {
		if k == 1 {
			if _, err := p.expect(tComma, `"," between the arguments of S_INTERSECTS`); err != nil {
				return nil, err
			}
		}
		t := p.peek()
		switch {
		case t.kind == tQuotedIdent || t.kind == tIdent && !isGeometryWord(t.text):
			if prop != "" {
				return nil, p.errorf(t, "S_INTERSECTS needs one geometry property and one geometry literal, found two properties")
			}
			if t.kind == tIdent && isKeyword(t.text) {
				return nil, p.errorf(t, "expected a geometry property or literal, found the keyword %s", strings.ToUpper(t.text))
			}
			p.next()
			prop = t.text
		case t.kind == tIdent:
			if geom != nil {
				return nil, p.errorf(t, "S_INTERSECTS needs one geometry property and one geometry literal, found two literals")
			}
			g, err := p.geometry()
			if err != nil {
				return nil, err
			}
			geom = g
		default:
			return nil, p.errorf(t, "expected a geometry property or a geometry literal (POINT, LINESTRING, POLYGON, MULTIPOLYGON, BBOX…), found %s", t.describe())
		}
	}
	if _, err := p.expect(tRParen, `")" to close S_INTERSECTS`); err != nil {
		return nil, err
	}
	return &Intersects{Property: prop, Geometry: geom}, nil
}

func isGeometryWord(s string) bool {
	switch strings.ToUpper(s) {
	case "POINT", "MULTIPOINT", "LINESTRING", "MULTILINESTRING", "POLYGON", "MULTIPOLYGON", "BBOX", "GEOMETRYCOLLECTION":
		return true
	}
	return false
}
