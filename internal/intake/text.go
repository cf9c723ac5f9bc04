package intake

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// sniffSize is how much of a text input is looked at to tell its encoding.
const sniffSize = 64 << 10

// decodeText detects the encoding of a text stream from its first bytes and
// returns a reader of UTF-8 text without a byte-order mark:
//
//   - a UTF-8 BOM → UTF-8-BOM, unless the text after it is not UTF-8 (a
//     mark put before GBK text) → GB18030; a UTF-16 BOM → UTF-16LE/BE;
//   - the first 64 KiB valid UTF-8 → UTF-8 (later invalid bytes become U+FFFD
//     where fields are read, never copied);
//   - otherwise GB18030, the superset of GBK that Excel on Chinese Windows
//     writes as "CSV".
func decodeText(br *bufio.Reader) (io.Reader, string) {
	head, _ := br.Peek(sniffSize)
	switch {
	case bytes.HasPrefix(head, []byte("\xef\xbb\xbf")):
		_, _ = br.Discard(3)
		if !validUTF8Prefix(head[3:], len(head) == sniffSize) {
			// A UTF-8 mark before GBK text: a tool added the mark to a
			// file Excel wrote in GBK. The bytes decide.
			return transform.NewReader(br, simplifiedchinese.GB18030.NewDecoder()), EncodingGB18030
		}
		return br, EncodingUTF8BOM
	case bytes.HasPrefix(head, []byte("\xff\xfe")):
		return transform.NewReader(br, unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder()), EncodingUTF16LE
	case bytes.HasPrefix(head, []byte("\xfe\xff")):
		return transform.NewReader(br, unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder()), EncodingUTF16BE
	}
	if validUTF8Prefix(head, len(head) == sniffSize) {
		return br, EncodingUTF8
	}
	return transform.NewReader(br, simplifiedchinese.GB18030.NewDecoder()), EncodingGB18030
}

// validUTF8Prefix reports whether b is valid UTF-8, allowing a rune cut at
// the end when the sample was truncated.
func validUTF8Prefix(b []byte, truncated bool) bool {
	if utf8.Valid(b) {
		return true
	}
	if !truncated {
		return false
	}
	for i := 1; i <= 3 && i < len(b); i++ {
		if utf8.RuneStart(b[len(b)-i]) {
			return utf8.Valid(b[:len(b)-i])
		}
	}
	return false
}

// DecodeBytes decodes a whole text held in memory as decodeText does and
// returns it as a valid UTF-8 string and the encoding's name.
func DecodeBytes(b []byte) (string, string) {
	br := bufio.NewReaderSize(bytes.NewReader(b), sniffSize)
	r, enc := decodeText(br)
	out, err := io.ReadAll(r)
	if err != nil {
		return strings.ToValidUTF8(string(b), "\uFFFD"), EncodingUTF8
	}
	return strings.ToValidUTF8(string(out), "\uFFFD"), enc
}

// errLineTooLong is returned by lineLimiter.
var errLineTooLong = errors.New("line too long")

// lineLimiter fails a read once more than max bytes pass without a newline,
// so a single enormous line (a 1,000,000-column header) is refused before it
// is held in memory whole.
type lineLimiter struct {
	r   io.Reader
	max int
	run int
}

func (l *lineLimiter) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for _, c := range p[:n] {
		if c == '\n' {
			l.run = 0
			continue
		}
		l.run++
		if l.run > l.max {
			return 0, errLineTooLong
		}
	}
	return n, err
}

// sniffDelimiter picks the field separator from the first line that has
// one (a title line of one cell may come first; at most maxHeaderScan
// lines are looked at): tab or semicolon when they outnumber commas, else
// comma.
func sniffDelimiter(br *bufio.Reader) rune {
	head, _ := br.Peek(sniffSize)
	for n := 0; n < maxHeaderScan && len(head) > 0; n++ {
		line := head
		if i := bytes.IndexByte(head, '\n'); i >= 0 {
			line, head = head[:i], head[i+1:]
		} else {
			head = nil
		}
		c, t, s := bytes.Count(line, []byte(",")), bytes.Count(line, []byte("\t")), bytes.Count(line, []byte(";"))
		switch {
		case c+t+s == 0:
			continue
		case t > c && t >= s:
			return '\t'
		case s > c:
			return ';'
		}
		return ','
	}
	return ','
}

// sniffBareQuote reports whether the first lines of a table hold a quote
// inside an unquoted cell (27°51'36"N typed by hand, in a file no
// spreadsheet quoted) and no cell that starts with a quote: such a file is
// read with lenient quotes, which read the quote as text. A file with
// quoted cells stays strict, so a broken quoted cell is reported rather
// than run together with the lines after it.
func sniffBareQuote(br *bufio.Reader, delim rune) bool {
	head, _ := br.Peek(sniffSize)
	if len(head) == sniffSize {
		if i := bytes.LastIndexByte(head, '\n'); i >= 0 {
			head = head[:i+1]
		}
	}
	for i, c := range head {
		if c == '"' && (i == 0 || head[i-1] == '\n' || rune(head[i-1]) == delim) {
			return false
		}
	}
	cr := csv.NewReader(bytes.NewReader(head))
	cr.Comma = delim
	cr.FieldsPerRecord = -1
	for {
		_, err := cr.Read()
		if err == nil {
			continue
		}
		var pe *csv.ParseError
		return errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrBareQuote)
	}
}
