package intake

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/xuri/excelize/v2"
)

// xlsxReader streams the rows of one worksheet of an .xlsx workbook.
type xlsxReader struct {
	f      *excelize.File
	rows   *excelize.Rows
	header []string
	spec   GeometrySpec
	n      int
	sheet  string
	opt    Options
	empty  bool
	warn   []string
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
	x = &xlsxReader{f: f, rows: rows, sheet: sheet}
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
	var err error
	x.spec, err = detectColumns(x.header, x.opt.X, x.opt.Y, x.opt.WKT)
	return err
}

func (x *xlsxReader) closeRows() {
	if x.rows != nil {
		_ = x.rows.Close()
		x.rows = nil
	}
}

func (x *xlsxReader) warnings() []string { return x.warn }

// nextRow reads the next row's cells as stored (RawCellValue: a number
// formatted to two decimals still gives all its digits).
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
	for i := range cells {
		cells[i] = strings.TrimSpace(cells[i])
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
