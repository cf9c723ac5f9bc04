package intake

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"hetang/internal/decimal"
)

// xlsxReader streams the rows of one worksheet of an .xlsx workbook.
type xlsxReader struct {
	f      *excelize.File
	rows   *excelize.Rows
	header []string
	spec   GeometrySpec
	n      int
	sheet  string
	sheets []string
	opt    Options
	empty  bool
	warn   []string
	// shown iterates the same rows as rows, giving cells as formatted.
	shown    *excelize.Rows
	date1904 bool
	detected bool
	// dateCols are the columns where a date was shown; needShown says a
	// cell was shown as something else (12.50%), so the second pass goes
	// on past the sample; sampled counts the data rows read both ways.
	dateCols  map[int]bool
	needShown bool
	sampled   int
	choices   []GeometrySpec
}

// maxXMLInMemory is the worksheet size above which excelize streams the
// sheet through a temporary file instead of memory.
const maxXMLInMemory = 16 << 20

func newXLSXReader(b []byte, opt Options) (*xlsxReader, error) {
	lim := opt.Limits.orDefault()
	zr, err := OpenZip(b, "xlsx", lim)
	if err != nil {
		return nil, err
	}
	workbook := false
	for _, f := range zr.File {
		if f.Name == "xl/workbook.xml" {
			workbook = true
		}
	}
	if !workbook {
		return nil, inputErr("这不是 Excel .xlsx 工作簿（缺少 xl/workbook.xml）；旧的 .xls 请另存为 .xlsx 或 CSV", "this is not an Excel .xlsx workbook (no xl/workbook.xml); save old .xls files as .xlsx or CSV")
	}
	f, err := excelize.OpenReader(bytes.NewReader(b), excelize.Options{UnzipSizeLimit: lim.MaxUncompressed, UnzipXMLSizeLimit: maxXMLInMemory})
	if err != nil {
		return nil, inputErr("无法打开 Excel 工作簿", "cannot open the Excel workbook: %s", Echo(err.Error()))
	}
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		f.Close()
		return nil, inputErr("工作簿中没有工作表", "the workbook has no worksheet")
	}
	try := sheets
	if opt.Sheet != "" {
		i := slices.IndexFunc(sheets, func(s string) bool { return strings.EqualFold(s, opt.Sheet) })
		if i < 0 {
			f.Close()
			return nil, inputErr("工作簿中没有名为 %q 的工作表；现有：%s", "the workbook has no sheet %q; it has: %s", Echo(opt.Sheet), echoList(sheets))
		}
		try = sheets[i : i+1]
	}
	// Without sheet=, the first sheet whose header names coordinate
	// columns: workbooks often open with a notes or cover sheet.
	var first error
	for _, sheet := range try {
		x, found, err := openSheet(f, sheet, opt, lim)
		if err != nil {
			f.Close()
			return nil, err
		}
		if !found && len(try) > 1 {
			if first == nil {
				first = x.detect()
			}
			x.closeRows()
			continue
		}
		if err := x.detect(); err != nil {
			x.close()
			return nil, err
		}
		x.sheets = sheets
		if sheet != sheets[0] && opt.Sheet == "" {
			x.warn = append(x.warn, fmt.Sprintf("read sheet %s, the first with coordinate columns (the workbook has %s); choose another with sheet=", Echo(sheet), echoList(sheets)))
		}
		return x, nil
	}
	f.Close()
	if first == nil {
		first = inputErr("工作簿中没有带坐标列的工作表", "no sheet of the workbook has coordinate columns")
	}
	var ie *InputError
	if errors.As(first, &ie) {
		ie.ZH += "（工作簿各表均无坐标列：" + echoList(sheets) + "；可用 sheet= 指定工作表）"
		ie.EN += " (no sheet of the workbook has them: " + echoList(sheets) + "; choose one with sheet=)"
	}
	return nil, first
}

// openSheet opens a worksheet and finds its header among the first
// non-blank rows (see pickHeader). found says whether a row looked like a
// header; x.spec is set by detect.
func openSheet(f *excelize.File, sheet string, opt Options, lim Limits) (x *xlsxReader, found bool, err error) {
	rows, err := f.Rows(sheet)
	if err != nil {
		return nil, false, inputErr("无法读取工作表 %s", "cannot read sheet %s: %s", Echo(sheet), Echo(err.Error()))
	}
	x = &xlsxReader{f: f, rows: rows, sheet: sheet, dateCols: map[int]bool{}}
	// A second pass over the same rows gives the cells as shown, for
	// dates and other formatted values outside the coordinate columns.
	if x.shown, err = f.Rows(sheet); err != nil {
		x.closeRows()
		return nil, false, inputErr("无法读取工作表 %s", "cannot read sheet %s: %s", Echo(sheet), Echo(err.Error()))
	}
	if p, err := f.GetWorkbookProps(); err == nil && p.Date1904 != nil {
		x.date1904 = *p.Date1904
	}
	var scanned [][]string
	for len(scanned) < maxHeaderScan {
		cells, err := x.nextRow()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			x.closeRows()
			return nil, false, err
		}
		if blank(cells) {
			continue
		}
		if len(cells) > lim.MaxColumns {
			x.closeRows()
			return nil, false, inputErr("表头有 %d 列，超过上限 %d", "the header has %d columns, more than the limit of %d", len(cells), lim.MaxColumns)
		}
		scanned = append(scanned, cells)
		if headerLike(cells, opt) {
			found = true
			break
		}
	}
	if len(scanned) == 0 {
		x.closeRows()
		x.header = nil
		x.empty = true
		return x, false, nil
	}
	var skipped int
	x.header, skipped = pickHeader(scanned, opt)
	if skipped > 0 {
		x.warn = append(x.warn, fmt.Sprintf("sheet %s: %s", Echo(sheet), skippedWarning(skipped)))
	}
	x.opt = opt
	return x, found, nil
}

// detect finds the geometry columns of the header.
func (x *xlsxReader) detect() error {
	if x.empty {
		return inputErr("工作表 %s 为空：第一行须为表头", "sheet %s is empty: its first row must be a header with lon/lat, x/y or wkt columns", Echo(x.sheet))
	}
	spec, choices, warn, err := detectTable(x.header, x.opt)
	x.spec, x.choices, x.detected = spec, choices, err == nil
	if warn != "" {
		x.warn = append(x.warn, warn)
	}
	return err
}

func (x *xlsxReader) closeRows() {
	if x.rows != nil {
		_ = x.rows.Close()
		x.rows = nil
	}
	if x.shown != nil {
		_ = x.shown.Close()
		x.shown = nil
	}
}

// isCoordinate reports whether column i holds the geometry.
func (x *xlsxReader) isCoordinate(i int) bool {
	return x.detected && (i == x.spec.XIndex || i == x.spec.YIndex || i == x.spec.WKTIndex)
}

// dateShown says a cell's shown text is a date or time (2025/3/1,
// 03-01-25, 2025年3月1日, 2025.3.1, 12:30), not a decimal (12.50%).
var dateShown = regexp.MustCompile(`[0-9][-/年月日:][0-9]|[0-9][年月日]|[0-9]\.[0-9]+\.[0-9]`)

// shownCell is what cell i outside the coordinate columns holds, from its
// stored value raw and its text as shown: the stored number when it shows
// as a number (a number shown with two decimals keeps all its digits); a
// date as ISO 8601 (Excel stores the day count since 1900 or 1904, and its
// built-in short date shows month and day in the locale's order); other
// formatted numbers (12%, ¥1,200.00) as shown; text as it is.
func (x *xlsxReader) shownCell(i int, raw, shown string) string {
	if shown == "" || shown == raw || !decimal.Valid(raw) || decimal.Valid(shown) {
		return raw
	}
	if dateShown.MatchString(shown) {
		if d, ok := x.isoDate(raw); ok {
			x.dateCols[i] = true
			return d
		}
	}
	x.needShown = true
	return shown
}

// isoDate writes an Excel day count as an ISO 8601 date, date-time or time.
func (x *xlsxReader) isoDate(raw string) (string, bool) {
	v, err := strconv.ParseFloat(raw, 64)
	if err != nil || v < 0 || v >= maxExcelSerial {
		return "", false
	}
	t, err := excelize.ExcelDateToTime(v, x.date1904)
	if err != nil {
		return "", false
	}
	switch {
	case v < 1:
		return t.Format("15:04:05"), true
	case t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0:
		return t.Format("2006-01-02"), true
	}
	return t.Format("2006-01-02T15:04:05"), true
}

// shownSample is how many data rows are read both ways before the second
// pass stops unless a cell needed it for more than a date: formatting
// every cell costs several times the reading, and the date columns are
// known by then.
const shownSample = 64

// maxExcelSerial is the day count of 9999-12-31, Excel's last date.
const maxExcelSerial = 2958466

func (x *xlsxReader) warnings() []string              { return x.warn }
func (x *xlsxReader) geometryChoices() []GeometrySpec { return x.choices }

// nextRow reads the next row's cells as stored (RawCellValue: a number
// formatted to two decimals still gives all its digits); outside the
// coordinate columns, dates and formatted numbers as shownCell says.
func (x *xlsxReader) nextRow() ([]string, error) {
	if !x.rows.Next() {
		if err := x.rows.Error(); err != nil {
			return nil, inputErr("读取工作表出错", "reading the sheet: %s", Echo(err.Error()))
		}
		return nil, io.EOF
	}
	cells, err := x.rows.Columns(excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, inputErr("读取工作表出错", "reading the sheet: %s", Echo(err.Error()))
	}
	var shown []string
	if x.shown != nil && x.shown.Next() {
		shown, _ = x.shown.Columns()
	}
	for i := range cells {
		cells[i] = strings.TrimSpace(cells[i])
		switch {
		case x.isCoordinate(i):
		case i < len(shown):
			cells[i] = x.shownCell(i, cells[i], strings.TrimSpace(shown[i]))
		case x.dateCols[i] && decimal.Valid(cells[i]):
			if d, ok := x.isoDate(cells[i]); ok {
				cells[i] = d
			}
		}
	}
	if x.shown != nil && x.detected {
		if x.sampled++; x.sampled >= shownSample && !x.needShown {
			_ = x.shown.Close()
			x.shown = nil
		}
	}
	return cleanCells(cells), nil
}

func (x *xlsxReader) columns() []string          { return x.header }
func (x *xlsxReader) geometrySpec() GeometrySpec { return x.spec }
func (x *xlsxReader) fileCRS() (string, bool)    { return "", false }

func (x *xlsxReader) close() error {
	x.closeRows()
	if x.f != nil {
		err := x.f.Close()
		x.f = nil
		return err
	}
	return nil
}

func (x *xlsxReader) next() (*Record, error) {
	for {
		if x.rows == nil {
			return nil, io.EOF
		}
		cells, err := x.nextRow()
		if err != nil {
			return nil, err
		}
		if blank(cells) {
			continue
		}
		x.n++
		rec := &Record{N: x.n, Row: cells}
		rec.Geom, rec.Err = tableGeometry(x.header, x.spec, cells, false)
		return rec, nil
	}
}
