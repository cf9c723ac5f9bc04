package intake

import (
	"archive/zip"
	"bytes"
)

// Limits bound the work one input may cause. The zero value means the
// defaults (DefaultLimits).
type Limits struct {
	// MaxUncompressed is the most bytes a compressed container (a zipped
	// Shapefile, an .xlsx) may declare when expanded, in total.
	MaxUncompressed int64
	// MaxRatio is the most a container may expand relative to its own size
	// once it declares more than RatioFloor bytes.
	MaxRatio int64
	// MaxEntries is the most files a container may hold.
	MaxEntries int
	// MaxColumns is the most columns a table may have.
	MaxColumns int
	// MaxLine is the longest text line (CSV, NDJSON) in bytes.
	MaxLine int
}

// DefaultLimits are the limits used when Options.Limits is zero.
var DefaultLimits = Limits{
	MaxUncompressed: 512 << 20,
	MaxRatio:        100,
	MaxEntries:      1000,
	MaxColumns:      1000,
	MaxLine:         16 << 20,
}

// RatioFloor is the expanded size below which any compression ratio is
// accepted (small, highly repetitive files are normal).
const RatioFloor = 16 << 20

func (l Limits) orDefault() Limits {
	d := DefaultLimits
	if l.MaxUncompressed > 0 {
		d.MaxUncompressed = l.MaxUncompressed
	}
	if l.MaxRatio > 0 {
		d.MaxRatio = l.MaxRatio
	}
	if l.MaxEntries > 0 {
		d.MaxEntries = l.MaxEntries
	}
	if l.MaxColumns > 0 {
		d.MaxColumns = l.MaxColumns
	}
	if l.MaxLine > 0 {
		d.MaxLine = l.MaxLine
	}
	return d
}

// OpenZip opens a zip archive held in b after checking, from its central
// directory and before expanding anything, the entry count, the declared
// uncompressed total and the compression ratio. archive/zip then refuses any
// entry that expands beyond its declared size, so the check holds while
// reading. what names the file in messages ("zip", "xlsx").
func OpenZip(b []byte, what string, lim Limits) (*zip.Reader, error) {
	lim = lim.orDefault()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, inputErr("%s 文件不是有效的 zip 压缩包：%s", "the %s file is not a zip file: %s", what, Echo(err.Error()))
	}
	if len(zr.File) > lim.MaxEntries {
		return nil, inputErr("%s 压缩包含 %d 个文件，超过上限 %d", "the %s archive holds %d files, more than the limit of %d", what, len(zr.File), lim.MaxEntries)
	}
	var total uint64
	for _, f := range zr.File {
		total += f.UncompressedSize64
		if total > uint64(lim.MaxUncompressed) || total < f.UncompressedSize64 {
			return nil, inputErr("%s 压缩包解压后超过 %d MiB，拒绝解压（可能是压缩炸弹）；请拆分文件", "the %s archive expands to more than %d MiB; refused before expanding (a zip bomb?); split the file",
				what, lim.MaxUncompressed>>20)
		}
	}
	if total > RatioFloor && int64(total) > lim.MaxRatio*int64(len(b)) {
		return nil, inputErr("%s 压缩包压缩比 %d:1 超过上限 %d:1（%d 字节解压为 %d 字节），拒绝解压（可能是压缩炸弹）", "the %s archive's compression ratio %d:1 exceeds %d:1 (%d bytes expand to %d); refused before expanding (a zip bomb?)",
			what, int64(total)/int64(max(len(b), 1)), lim.MaxRatio, len(b), total)
	}
	return zr, nil
}

// zipMagic starts every zip archive.
var zipMagic = []byte("PK\x03\x04")

// sqliteMagic starts every SQLite database (and so every GeoPackage).
var sqliteMagic = []byte("SQLite format 3\x00")

func isZip(b []byte) bool    { return bytes.HasPrefix(b, zipMagic) }
func isSQLite(b []byte) bool { return bytes.HasPrefix(b, sqliteMagic) }
