package intake

import (
	"bytes"
	"errors"
	"io"
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
	sheet := opt.Sheet
	if sheet == "" {
		if len(sheets) == 0 {
			f.Close()
			return nil, inputErr("工作簿中没有工作表", "the workbook has no worksheet")
		}
		sheet = sheets[0]
	} else if !containsFold(sheets, sheet) {
		f.Close()
		return nil, inputErr("工作簿中没有名为 %q 的工作表；现有：%s", "the workbook has no sheet %q; it has: %s", Echo(sheet), echoList(sheets))
	} else {
		for _, s := range sheets {
			if strings.EqualFold(s, sheet) {
				sheet = s
			}
		}
	}
	rows, err := f.Rows(sheet)
	if err != nil {
		f.Close()
		return nil, inputErr("无法读取工作表 %s", "cannot read sheet %s: %s", Echo(sheet), Echo(err.Error()))
	}
	x := &xlsxReader{f: f, rows: rows, sheet: sheet}
	for {
		cells, err := x.nextRow()
		if err != nil {
			x.close()
			if errors.Is(err, io.EOF) {
				return nil, inputErr("工作表 %s 为空：第一行须为表头", "sheet %s is empty: its first row must be a header with lon/lat, x/y or wkt columns", Echo(sheet))
			}
			return nil, err
		}
		if blank(cells) {
			continue
		}
		if len(cells) > lim.MaxColumns {
			x.close()
			return nil, inputErr("表头有 %d 列，超过上限 %d", "the header has %d columns, more than the limit of %d", len(cells), lim.MaxColumns)
		}
		x.header = cells
		break
	}
	x.spec, err = detectColumns(x.header, opt.X, opt.Y, opt.WKT)
	if err != nil {
		x.close()
		return nil, err
	}
	return x, nil
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

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
	if x.rows != nil {
		_ = x.rows.Close()
		x.rows = nil
	}
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
		rec.Geom, rec.Err = tableGeometry(x.header, x.spec, cells)
		return rec, nil
	}
}
