package wfs

import (
	"bytes"
	"encoding/xml"
	"strconv"
)

// xw writes XML through encoding/xml's token encoder (which escapes text and
// attributes), with namespace prefixes spelled in the names: the documents
// here declare their prefixes once, on the root element.
type xw struct {
	buf   bytes.Buffer
	enc   *xml.Encoder
	stack []string
	err   error
}

func newXW() *xw {
	w := &xw{}
	w.buf.WriteString(xml.Header)
	w.enc = xml.NewEncoder(&w.buf)
	return w
}

// open starts element name with attributes given as name, value pairs.
func (w *xw) open(name string, attrs ...string) {
	if w.err != nil {
		return
	}
	se := xml.StartElement{Name: xml.Name{Local: name}}
	for i := 0; i+1 < len(attrs); i += 2 {
		se.Attr = append(se.Attr, xml.Attr{Name: xml.Name{Local: attrs[i]}, Value: attrs[i+1]})
	}
	w.err = w.enc.EncodeToken(se)
	w.stack = append(w.stack, name)
}

func (w *xw) close() {
	if w.err != nil || len(w.stack) == 0 {
		return
	}
	name := w.stack[len(w.stack)-1]
	w.stack = w.stack[:len(w.stack)-1]
	w.err = w.enc.EncodeToken(xml.EndElement{Name: xml.Name{Local: name}})
}

// text writes <name attrs…>s</name>.
func (w *xw) text(name, s string, attrs ...string) {
	w.open(name, attrs...)
	if w.err == nil && s != "" {
		w.err = w.enc.EncodeToken(xml.CharData(s))
	}
	w.close()
}

// empty writes <name attrs…/> (as an empty element pair).
func (w *xw) empty(name string, attrs ...string) {
	w.open(name, attrs...)
	w.close()
}

func (w *xw) bytes() ([]byte, error) {
	if w.err == nil {
		w.err = w.enc.Flush()
	}
	return w.buf.Bytes(), w.err
}

// num formats a coordinate or number exactly (shortest round-tripping form).
func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
