package intake

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/xuri/excelize/v2"
)

// benchCSV is n rows of a survey table in the given text form.
func benchCSV(b *testing.B, n int, gb bool) []byte {
	var buf bytes.Buffer
	buf.WriteString("序号,名称,X坐标,Y坐标\n")
	for i := range n {
		fmt.Fprintf(&buf, "%d,地块%d,%.3f,%.3f\n", i, i, 3080000+float64(i%5000), 420000+float64(i%7000))
	}
	if gb {
		return gbk(b, buf.String())
	}
	return buf.Bytes()
}

func drain(b *testing.B, body []byte) {
	in, err := Open(context.Background(), bytes.NewReader(body), Options{})
	if err != nil {
		b.Fatal(err)
	}
	for {
		if _, err := in.Next(); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			b.Fatal(err)
		}
	}
	in.Close()
}

// BenchmarkDecodeCSV: records per second through detection, decoding and
// conversion to WGS84 (EPSG:4547 → WGS84 by PROJ), UTF-8 against GB18030.
func BenchmarkDecodeCSV(b *testing.B) {
	for _, tc := range []struct {
		name string
		gb   bool
	}{{"utf8", false}, {"gb18030", true}} {
		body := benchCSV(b, 100_000, tc.gb)
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				drain(b, body)
			}
			b.ReportMetric(float64(100_000*b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// BenchmarkDecodeCSVPeer is the floor: encoding/csv reading the same UTF-8
// bytes with no detection, parsing or conversion.
func BenchmarkDecodeCSVPeer(b *testing.B) {
	body := benchCSV(b, 100_000, false)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		r := csv.NewReader(bytes.NewReader(body))
		for {
			if _, err := r.Read(); err != nil {
				break
			}
		}
	}
	b.ReportMetric(float64(100_000*b.N)/b.Elapsed().Seconds(), "records/s")
}

// benchXLSX is n rows of a survey table as a workbook, with a date column
// (shown by the built-in short date) as planners' sheets have.
func benchXLSX(b *testing.B, n int) []byte {
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		b.Fatal(err)
	}
	date, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
	if err := sw.SetRow("A1", []any{"序号", "名称", "X坐标", "Y坐标", "登记日期"}); err != nil {
		b.Fatal(err)
	}
	for i := range n {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		row := []any{i, fmt.Sprintf("地块%d", i), 3080000 + float64(i%5000), 420000 + float64(i%7000), excelize.Cell{StyleID: date, Value: 45000 + i%1000}}
		if err := sw.SetRow(cell, row); err != nil {
			b.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkDecodeXLSX: records per second of a 20,000-row workbook through
// Open and Next (two passes over the rows: stored values and as shown).
func BenchmarkDecodeXLSX(b *testing.B) {
	body := benchXLSX(b, 20_000)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		drain(b, body)
	}
	b.ReportMetric(float64(20_000*b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkDecodeXLSXPeer is the floor: excelize reading the same rows once,
// stored values, nothing else.
func BenchmarkDecodeXLSXPeer(b *testing.B) {
	body := benchXLSX(b, 20_000)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		f, err := excelize.OpenReader(bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		rows, err := f.Rows("Sheet1")
		if err != nil {
			b.Fatal(err)
		}
		for rows.Next() {
			if _, err := rows.Columns(excelize.Options{RawCellValue: true}); err != nil {
				b.Fatal(err)
			}
		}
		rows.Close()
		f.Close()
	}
	b.ReportMetric(float64(20_000*b.N)/b.Elapsed().Seconds(), "records/s")
}
