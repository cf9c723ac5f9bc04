// Package cql2 parses and evaluates filters written in the text encoding of
// OGC Common Query Language (CQL2, OGC 21-065r2), as used by OGC API –
// Features Part 3 (filter-lang=cql2-text).
//
// Supported: the Basic CQL2 conformance class — comparison predicates
// (=, <>, <, >, <=, >=), LIKE (with % and _ wildcards and \ escapes), IN,
// IS [NOT] NULL, AND/OR/NOT and parentheses over property names and string,
// number and boolean literals — plus the spatial function S_INTERSECTS with
// a geometry property and a WKT literal (POINT, MULTIPOINT, LINESTRING,
// MULTILINESTRING, POLYGON, MULTIPOLYGON) or BBOX(xmin, ymin, xmax, ymax).
//
// Keywords are case-insensitive; property names are case-sensitive and may be
// double-quoted. Parse errors are *SyntaxError values that say at which byte
// offset parsing failed and what was expected there. Evaluation follows
// CQL2's three-valued logic: a comparison with a missing or null property is
// neither true nor false, and a feature matches only when the whole filter is
// true.
package cql2

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxLength is the longest filter text Parse accepts, in bytes.
const MaxLength = 64 << 10

// maxDepth bounds the nesting of parentheses and NOT so that hostile input
// cannot exhaust the stack.
const maxDepth = 100

// SyntaxError reports where and why parsing failed.
type SyntaxError struct {
	// Pos is the byte offset in the filter text where parsing failed.
	Pos int
	// Msg says what was found and what was expected.
	Msg string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("cql2: syntax error at position %d: %s", e.Pos, e.Msg)
}

type tokenKind int

const (
	tEOF tokenKind = iota
	tIdent
	tQuotedIdent
	tString
	tNumber
	tLParen
	tRParen
	tComma
	tOp // = <> < > <= >=
)

type token struct {
	kind tokenKind
	text string // identifier, operator or decoded string
	pos  int
}

func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of filter"
	case tString:
		return fmt.Sprintf("string '%s'", t.text)
	case tQuotedIdent:
		return fmt.Sprintf("property %q", t.text)
	}
	return fmt.Sprintf("%q", t.text)
}

func lex(src string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(src) {
		r, size := utf8.DecodeRuneInString(src[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			return nil, &SyntaxError{Pos: i, Msg: "invalid UTF-8"}
		case unicode.IsSpace(r):
			i += size
		case r == '(':
			toks = append(toks, token{tLParen, "(", i})
			i++
		case r == ')':
			toks = append(toks, token{tRParen, ")", i})
			i++
		case r == ',':
			toks = append(toks, token{tComma, ",", i})
			i++
		case r == '=':
			toks = append(toks, token{tOp, "=", i})
			i++
		case r == '<':
			switch {
			case strings.HasPrefix(src[i:], "<>"):
				toks = append(toks, token{tOp, "<>", i})
				i += 2
			case strings.HasPrefix(src[i:], "<="):
				toks = append(toks, token{tOp, "<=", i})
				i += 2
			default:
				toks = append(toks, token{tOp, "<", i})
				i++
			}
		case r == '>':
			if strings.HasPrefix(src[i:], ">=") {
				toks = append(toks, token{tOp, ">=", i})
				i += 2
			} else {
				toks = append(toks, token{tOp, ">", i})
				i++
			}
		case r == '!':
			if strings.HasPrefix(src[i:], "!=") {
				return nil, &SyntaxError{Pos: i, Msg: `"!=" is not CQL2; write "<>" for "not equal"`}
			}
			return nil, &SyntaxError{Pos: i, Msg: `unexpected "!"`}
		case r == '\'':
			s, n, err := lexString(src, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{tString, s, i})
			i = n
		case r == '"':
			end := strings.IndexByte(src[i+1:], '"')
			if end < 0 {
				return nil, &SyntaxError{Pos: i, Msg: "unterminated double-quoted property name"}
			}
			name := src[i+1 : i+1+end]
			if name == "" {
				return nil, &SyntaxError{Pos: i, Msg: "empty double-quoted property name"}
			}
			toks = append(toks, token{tQuotedIdent, name, i})
			i += end + 2
		case r == '-' || r == '+' || r == '.' || (r >= '0' && r <= '9'):
			n := lexNumber(src, i)
			if n == i {
				return nil, &SyntaxError{Pos: i, Msg: fmt.Sprintf("unexpected %q", r)}
			}
			toks = append(toks, token{tNumber, src[i:n], i})
			i = n
		case r == '_' || unicode.IsLetter(r):
			j := i + size
			for j < len(src) {
				r2, s2 := utf8.DecodeRuneInString(src[j:])
				if r2 != '_' && r2 != ':' && r2 != '.' && !unicode.IsLetter(r2) && !unicode.IsDigit(r2) {
					break
				}
				j += s2
			}
			toks = append(toks, token{tIdent, src[i:j], i})
			i = j
		default:
			return nil, &SyntaxError{Pos: i, Msg: fmt.Sprintf("unexpected character %q", r)}
		}
	}
	toks = append(toks, token{tEOF, "", len(src)})
	return toks, nil
}

// lexString reads a single-quoted string starting at src[i] (the quote); a
// quote inside is doubled (”).
func lexString(src string, i int) (string, int, error) {
	var b strings.Builder
	j := i + 1
	for j < len(src) {
		c := src[j]
		switch {
		case c == '\'' && j+1 < len(src) && src[j+1] == '\'':
			b.WriteByte('\'')
			j += 2
		case c == '\'':
			return b.String(), j + 1, nil
		default:
			b.WriteByte(c)
			j++
		}
	}
	return "", 0, &SyntaxError{Pos: i, Msg: "unterminated string (strings are in single quotes; double a quote to include it)"}
}

// lexNumber returns the end of the number starting at src[i], or i if there is none.
func lexNumber(src string, i int) int {
	j := i
	if j < len(src) && (src[j] == '-' || src[j] == '+') {
		j++
	}
	digits := 0
	for j < len(src) && src[j] >= '0' && src[j] <= '9' {
		j++
		digits++
	}
	if j < len(src) && src[j] == '.' {
		j++
		for j < len(src) && src[j] >= '0' && src[j] <= '9' {
			j++
			digits++
		}
	}
	if digits == 0 {
		return i
	}
	if j < len(src) && (src[j] == 'e' || src[j] == 'E') {
		k := j + 1
		if k < len(src) && (src[k] == '-' || src[k] == '+') {
			k++
		}
		start := k
		for k < len(src) && src[k] >= '0' && src[k] <= '9' {
			k++
		}
		if k > start {
			j = k
		}
	}
	return j
}
