package shapefile

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

// DBF field types written and read.
const (
	FieldChar    byte = 'C'
	FieldNumeric byte = 'N'
	FieldFloat   byte = 'F'
	FieldLogical byte = 'L'
	FieldDate    byte = 'D'
)

// Limits of the dBASE III format.
const (
	// MaxFieldNameLen is the longest field name a DBF can hold.
	MaxFieldNameLen = 10
	// MaxCharLen is the widest character field.
	MaxCharLen = 254
	// MaxFields bounds the fields of one table.
	MaxFields = 255
)

// Field is one DBF column.
type Field struct {
	Name     string
	Type     byte
	Length   int
	Decimals int
}

// EncodeDBF encodes a dBASE III table. Values per field type: C takes
// string (longer text is cut at a character boundary to Length bytes; the
// number of values cut is returned), N and F take float64 (or int, int64), L
// takes bool; nil is an empty (NULL) value. Text is written as UTF-8.
func EncodeDBF(fields []Field, records [][]any, now time.Time) (dbf []byte, truncated int, err error) {
	if len(fields) == 0 || len(fields) > MaxFields {
		return nil, 0, fmt.Errorf("shapefile: a DBF needs 1 to %d fields, got %d", MaxFields, len(fields))
	}
	recLen := 1
	for _, f := range fields {
		if f.Name == "" || len(f.Name) > MaxFieldNameLen || strings.ContainsRune(f.Name, 0) {
			return nil, 0, fmt.Errorf("shapefile: field name %q must be 1 to %d bytes", f.Name, MaxFieldNameLen)
		}
		if f.Length < 1 || f.Length > 255 || (f.Type == FieldChar && f.Length > MaxCharLen) {
			return nil, 0, fmt.Errorf("shapefile: field %s: length %d", f.Name, f.Length)
		}
		recLen += f.Length
	}
	if recLen > math.MaxUint16 {
		return nil, 0, fmt.Errorf("shapefile: records of %d bytes are too long for a DBF", recLen)
	}
	var b bytes.Buffer
	b.WriteByte(0x03)
	b.Write([]byte{byte(now.Year() - 1900), byte(now.Month()), byte(now.Day())})
	_ = binary.Write(&b, binary.LittleEndian, uint32(len(records)))
	_ = binary.Write(&b, binary.LittleEndian, uint16(32+32*len(fields)+1))
	_ = binary.Write(&b, binary.LittleEndian, uint16(recLen))
	b.Write(make([]byte, 20)) // reserved; language driver id 0: see the .cpg
	for _, f := range fields {
		var d [32]byte
		copy(d[:11], f.Name)
		d[11] = f.Type
		d[16] = byte(f.Length)
		d[17] = byte(f.Decimals)
		b.Write(d[:])
	}
	b.WriteByte(0x0D)
	for i, rec := range records {
		if len(rec) != len(fields) {
			return nil, 0, fmt.Errorf("shapefile: record %d has %d values for %d fields", i+1, len(rec), len(fields))
		}
		b.WriteByte(' ')
		for j, f := range fields {
			cell, cut, err := formatCell(f, rec[j])
			if err != nil {
				return nil, 0, fmt.Errorf("shapefile: record %d field %s: %w", i+1, f.Name, err)
			}
			if cut {
				truncated++
			}
			b.WriteString(cell)
		}
	}
	b.WriteByte(0x1A)
	return b.Bytes(), truncated, nil
}

// formatCell renders v as exactly f.Length bytes.
func formatCell(f Field, v any) (string, bool, error) {
	if v == nil {
		return strings.Repeat(" ", f.Length), false, nil
	}
	switch f.Type {
	case FieldChar:
		s, ok := v.(string)
		if !ok {
			return "", false, fmt.Errorf("value %v (%T) in a text field", v, v)
		}
		cut := false
		if len(s) > f.Length {
			s, cut = TruncateUTF8(s, f.Length), true
		}
		return s + strings.Repeat(" ", f.Length-len(s)), cut, nil
	case FieldNumeric, FieldFloat:
		var x float64
		switch n := v.(type) {
		case float64:
			x = n
		case int:
			x = float64(n)
		case int64:
			x = float64(n)
		default:
			return "", false, fmt.Errorf("value %v (%T) in a numeric field", v, v)
		}
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return strings.Repeat(" ", f.Length), false, nil
		}
		s := strconv.FormatFloat(x, 'f', f.Decimals, 64)
		if len(s) > f.Length {
			return "", false, fmt.Errorf("number %v does not fit %d characters", x, f.Length)
		}
		return strings.Repeat(" ", f.Length-len(s)) + s, false, nil
	case FieldLogical:
		bv, ok := v.(bool)
		if !ok {
			return "", false, fmt.Errorf("value %v (%T) in a logical field", v, v)
		}
		if bv {
			return "T", false, nil
		}
		return "F", false, nil
	}
	return "", false, fmt.Errorf("cannot write field type %q", f.Type)
}

// TruncateUTF8 cuts s to at most n bytes without splitting a character.
func TruncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// FieldNames maps property names to unique DBF field names of at most
// MaxFieldNameLen bytes, deterministically and in order: a name that fits
// (and is ASCII) is kept; a longer one is cut to 10 bytes; a name that then
// clashes with an earlier one is cut to 8 bytes and suffixed _1, _2 … (the
// first free number). Non-ASCII bytes are replaced by '_'.
func FieldNames(names []string) []string {
	used := map[string]bool{}
	out := make([]string, len(names))
	for i, n := range names {
		var sb strings.Builder
		for _, r := range n {
			if r < 0x80 && r != 0 {
				sb.WriteRune(r)
			} else {
				sb.WriteByte('_')
			}
		}
		ascii := sb.String()
		if ascii == "" {
			ascii = "field"
		}
		cand := ascii
		if len(cand) > MaxFieldNameLen {
			cand = cand[:MaxFieldNameLen]
		}
		if used[strings.ToLower(cand)] {
			stem := ascii
			if len(stem) > 8 {
				stem = stem[:8]
			}
			for k := 1; ; k++ {
				suffix := "_" + strconv.Itoa(k)
				s := stem
				if len(s)+len(suffix) > MaxFieldNameLen {
					s = s[:MaxFieldNameLen-len(suffix)]
				}
				if c := s + suffix; !used[strings.ToLower(c)] {
					cand = c
					break
				}
			}
		}
		used[strings.ToLower(cand)] = true
		out[i] = cand
	}
	return out
}

// TextDecoder turns the raw bytes of a DBF text cell into a string.
type TextDecoder func([]byte) (string, error)

// Decoder returns the text decoder for a shapefile's code page: the content
// of its .cpg file when there is one, else the DBF language driver id
// (byte 29). UTF-8 is the default. Known: UTF-8, GBK/CP936/GB2312, GB18030,
// Big5/CP950, ISO-8859-1/Latin-1/CP1252.
func Decoder(cpg string, ldid byte) (TextDecoder, error) {
	name := strings.ToUpper(strings.TrimSpace(cpg))
	if name == "" {
		switch ldid {
		case 0x4D, 0x7A: // CP936 (GBK)
			name = "GBK"
		case 0x4E, 0x78: // CP950 (Big5)
			name = "BIG5"
		case 0x57, 0x03: // ANSI, Windows-1252 (GDAL's default LDID/87)
			name = "CP1252"
		default:
			name = "UTF-8"
		}
	}
	switch name {
	case "UTF-8", "UTF8", "65001":
		return func(b []byte) (string, error) {
			if !utf8.Valid(b) {
				return "", fmt.Errorf("%w: text is not valid UTF-8 (if it is GBK, add a .cpg file containing GBK)", ErrFormat)
			}
			return string(b), nil
		}, nil
	case "GBK", "CP936", "936", "GB2312", "ANSI 936":
		return decoderOf(simplifiedchinese.GBK.NewDecoder().Bytes), nil
	case "GB18030", "54936":
		return decoderOf(simplifiedchinese.GB18030.NewDecoder().Bytes), nil
	case "BIG5", "CP950", "950":
		return decoderOf(traditionalchinese.Big5.NewDecoder().Bytes), nil
	case "ISO-8859-1", "ISO88591", "LATIN1", "88591", "CP1252", "1252", "ANSI 1252":
		return decoderOf(charmap.Windows1252.NewDecoder().Bytes), nil
	}
	return nil, fmt.Errorf("shapefile: unsupported code page %q in the .cpg file", cpg)
}

func decoderOf(fn func([]byte) ([]byte, error)) TextDecoder {
	return func(b []byte) (string, error) {
		out, err := fn(b)
		if err != nil {
			return "", fmt.Errorf("%w: decoding text: %w", ErrFormat, err)
		}
		return string(out), nil
	}
}

// LanguageDriver returns byte 29 of a DBF header (0 when too short).
func LanguageDriver(dbf []byte) byte {
	if len(dbf) < 30 {
		return 0
	}
	return dbf[29]
}

// ReadDBF decodes a dBASE table: its fields and one value slice per record,
// in file order so that record i matches shape i (a record marked deleted is
// a nil slice). C → string (trailing blanks trimmed), N/F → float64,
// L → bool, D → "YYYY-MM-DD" string, anything else → trimmed string; blank
// cells are nil. decode turns text bytes into strings (see Decoder).
// fieldName decodes a DBF field name (11 bytes, NUL-padded) with the file's
// code page: ArcGIS on Chinese Windows writes GBK names, GDAL UTF-8 ones.
// Writers that cut a long name at 10 bytes (GDAL does) can split a
// multi-byte character; its broken tail is dropped, so 用地性质 cut in UTF-8
// reads as 用地性, not 用地性\uFFFD.
func fieldName(raw []byte, decode TextDecoder) string {
	raw = bytes.TrimRight(bytes.SplitN(raw, []byte{0}, 2)[0], " ")
	for cut := 0; cut < 4 && cut < len(raw); cut++ {
		if s, err := decode(raw[:len(raw)-cut]); err == nil && utf8.ValidString(s) && !strings.ContainsRune(s, utf8.RuneError) {
			return s
		}
	}
	return strings.ToValidUTF8(string(raw), "")
}

func ReadDBF(b []byte, decode TextDecoder) ([]Field, [][]any, error) {
	if len(b) < 33 {
		return nil, nil, fmt.Errorf("%w: .dbf is %d bytes, too short for a header", ErrFormat, len(b))
	}
	nRec := int64(binary.LittleEndian.Uint32(b[4:]))
	hdrLen := int(binary.LittleEndian.Uint16(b[8:]))
	recLen := int(binary.LittleEndian.Uint16(b[10:]))
	if hdrLen < 33 || hdrLen > len(b) {
		return nil, nil, fmt.Errorf("%w: .dbf header length %d", ErrFormat, hdrLen)
	}
	var fields []Field
	width := 1
	for off := 32; off+32 <= hdrLen && b[off] != 0x0D; off += 32 {
		d := b[off : off+32]
		name := fieldName(d[:11], decode)
		f := Field{Name: name, Type: d[11], Length: int(d[16]), Decimals: int(d[17])}
		if f.Type == FieldChar {
			// Clipper and FoxPro keep widths above 255 in the decimals byte.
			f.Length = int(d[16]) | int(d[17])<<8
			f.Decimals = 0
		}
		if f.Length == 0 {
			return nil, nil, fmt.Errorf("%w: .dbf field %q has length 0", ErrFormat, name)
		}
		width += f.Length
		fields = append(fields, f)
	}
	if len(fields) == 0 {
		return nil, nil, fmt.Errorf("%w: .dbf has no fields", ErrFormat)
	}
	if recLen < width {
		return nil, nil, fmt.Errorf("%w: .dbf record length %d is less than its fields' %d", ErrFormat, recLen, width)
	}
	avail := int64(len(b)-hdrLen) / int64(recLen)
	if nRec > avail {
		return nil, nil, fmt.Errorf("%w: .dbf announces %d records but holds %d", ErrFormat, nRec, avail)
	}
	var records [][]any
	for i := range int(nRec) {
		rec := b[hdrLen+i*recLen : hdrLen+(i+1)*recLen]
		if rec[0] == '*' {
			records = append(records, nil)
			continue
		}
		vals := make([]any, len(fields))
		off := 1
		for j, f := range fields {
			cell := rec[off : off+f.Length]
			off += f.Length
			v, err := parseCell(f, cell, decode)
			if err != nil {
				return nil, nil, fmt.Errorf("%w: .dbf record %d field %s: %w", ErrFormat, i+1, f.Name, err)
			}
			vals[j] = v
		}
		records = append(records, vals)
	}
	return fields, records, nil
}

func parseCell(f Field, cell []byte, decode TextDecoder) (any, error) {
	trimmed := bytes.TrimRight(cell, " \x00")
	switch f.Type {
	case FieldNumeric, FieldFloat:
		s := strings.TrimSpace(string(trimmed))
		if s == "" || strings.Trim(s, "*") == "" {
			return nil, nil
		}
		x, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("number %q", s)
		}
		return x, nil
	case FieldLogical:
		switch strings.ToUpper(strings.TrimSpace(string(trimmed))) {
		case "T", "Y":
			return true, nil
		case "F", "N":
			return false, nil
		}
		return nil, nil
	case FieldDate:
		s := strings.TrimSpace(string(trimmed))
		if len(s) == 8 {
			return s[:4] + "-" + s[4:6] + "-" + s[6:], nil
		}
		return nil, nil
	}
	if len(bytes.TrimSpace(trimmed)) == 0 {
		return nil, nil
	}
	return decode(trimmed)
}
