package intake

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"testing"
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
