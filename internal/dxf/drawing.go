package dxf

import (
	"strconv"

	"github.com/paulmach/orb"
)

// Handles of the drawing's fixed objects; entity and layer handles follow
// fixedHandles.
const (
	handleVPortTable       = "1"
	handleLTypeTable       = "2"
	handleLayerTable       = "3"
	handleStyleTable       = "4"
	handleViewTable        = "5"
	handleUCSTable         = "6"
	handleAppIDTable       = "7"
	handleDimStyleTable    = "8"
	handleBlockRecordTable = "9"
	handleRootDict         = "A"
	handleGroupDict        = "B"
	handleActiveVPort      = "C"
	handleLTypeByBlock     = "D"
	handleLTypeByLayer     = "E"
	handleLTypeContinuous  = "F"
	handleLayer0           = "10"
	handleStyleStandard    = "11"
	handleStyleHZ          = "12"
	handleAppIDACAD        = "13"
	handleAppIDHetang      = "14"
	handleDimStyleStandard = "15"
	handleModelSpaceRecord = "16"
	handlePaperSpaceRecord = "17"
	handleModelSpaceBlock  = "18"
	handleModelSpaceEnd    = "19"
	handlePaperSpaceBlock  = "1A"
	handlePaperSpaceEnd    = "1B"
	handlePlotStyleDict    = "1C"
	handlePlotStyleNormal  = "1D"
	fixedHandles           = 0xFF
)

// drawing writes the whole file around the already encoded entities.
func (d *writer) drawing(layers []layerInfo, ext orb.Bound, opt Options, entities []byte) {
	if opt.Title != "" {
		d.str(999, opt.Title)
	}
	if opt.Notice != "" {
		d.str(999, opt.Notice)
	}
	d.str(999, "CRS: "+CRS.Code+" "+CRS.Name+"; x = easting, y = northing, metres")
	layerHandles := make([]string, len(layers))
	for i := range layers {
		layerHandles[i] = d.next()
	}
	d.header(ext)
	d.section("CLASSES")
	d.pair(0, "ENDSEC")
	d.tables(layers, layerHandles)
	d.blocks()
	d.section("ENTITIES")
	if d.err == nil {
		_, d.err = d.w.Write(entities)
	}
	d.pair(0, "ENDSEC")
	d.objects()
	d.pair(0, "EOF")
}

func (d *writer) section(name string) {
	d.pair(0, "SECTION")
	d.pair(2, name)
}

func (d *writer) header(ext orb.Bound) {
	if ext.Min[0] > ext.Max[0] {
		ext = orb.Bound{}
	}
	d.section("HEADER")
	d.pair(9, "$ACADVER")
	d.pair(1, Version)
	d.pair(9, "$DWGCODEPAGE")
	d.pair(3, CodePage)
	d.pair(9, "$INSBASE")
	d.xy(0, 0, 0)
	d.num(30, 0)
	d.pair(9, "$EXTMIN")
	d.xy(0, ext.Min[0], ext.Min[1])
	d.num(30, 0)
	d.pair(9, "$EXTMAX")
	d.xy(0, ext.Max[0], ext.Max[1])
	d.num(30, 0)
	d.pair(9, "$LIMMIN")
	d.xy(0, ext.Min[0], ext.Min[1])
	d.pair(9, "$LIMMAX")
	d.xy(0, ext.Max[0], ext.Max[1])
	d.pair(9, "$TEXTSTYLE")
	d.str(7, TextStyle)
	d.pair(9, "$CLAYER")
	d.pair(8, "0")
	d.pair(9, "$LUNITS")
	d.int(70, 2) // decimal
	d.pair(9, "$LUPREC")
	d.int(70, 3)
	d.pair(9, "$INSUNITS")
	d.int(70, 6) // metres
	d.pair(9, "$MEASUREMENT")
	d.int(70, 1) // metric
	d.pair(9, "$PDMODE")
	d.int(70, 34) // points drawn as a circle with a cross
	d.pair(9, "$PDSIZE")
	d.num(40, 20)
	d.pair(9, "$HANDSEED")
	d.pair(5, strconv.FormatInt(int64(d.handle+1), 16))
	d.pair(0, "ENDSEC")
}

// table starts a symbol table.
func (d *writer) table(name, handle string, n int) {
	d.pair(0, "TABLE")
	d.pair(2, name)
	d.pair(5, handle)
	d.pair(330, "0")
	d.pair(100, "AcDbSymbolTable")
	d.int(70, n)
}

// record starts a symbol table record.
func (d *writer) record(kind, handle, owner, subclass, name string, flags int) {
	d.pair(0, kind)
	d.pair(5, handle)
	d.pair(330, owner)
	d.pair(100, "AcDbSymbolTableRecord")
	d.pair(100, subclass)
	d.str(2, name)
	d.int(70, flags)
}

func (d *writer) tables(layers []layerInfo, layerHandles []string) {
	d.section("TABLES")

	d.table("VPORT", handleVPortTable, 1)
	d.record("VPORT", handleActiveVPort, handleVPortTable, "AcDbViewportTableRecord", "*ACTIVE", 0)
	d.xy(0, 0, 0)
	d.xy(1, 1, 1)
	d.pair(0, "ENDTAB")

	d.table("LTYPE", handleLTypeTable, 3)
	for _, lt := range []struct{ handle, name, desc string }{
		{handleLTypeByBlock, "ByBlock", ""}, {handleLTypeByLayer, "ByLayer", ""}, {handleLTypeContinuous, "Continuous", "Solid line"},
	} {
		d.record("LTYPE", lt.handle, handleLTypeTable, "AcDbLinetypeTableRecord", lt.name, 0)
		d.str(3, lt.desc)
		d.int(72, 65)
		d.int(73, 0)
		d.num(40, 0)
	}
	d.pair(0, "ENDTAB")

	d.table("LAYER", handleLayerTable, len(layers)+1)
	d.layer(handleLayer0, "0", 7, 0xffffff)
	for i, l := range layers {
		c := l.style.Stroke
		if l.style.Filled && c.R == 255 && c.G == 255 && c.B == 255 {
			c = l.style.Fill // white outlines vanish on CAD's white paper
		}
		d.layer(layerHandles[i], l.name, ACI(c.R, c.G, c.B), int(c.R)<<16|int(c.G)<<8|int(c.B))
	}
	d.pair(0, "ENDTAB")

	d.table("STYLE", handleStyleTable, 2)
	for _, s := range []struct{ handle, name, font, bigfont string }{
		{handleStyleStandard, "Standard", "txt", ""}, {handleStyleHZ, TextStyle, "gbenor.shx", "gbcbig.shx"},
	} {
		d.record("STYLE", s.handle, handleStyleTable, "AcDbTextStyleTableRecord", s.name, 0)
		d.num(40, 0)
		d.num(41, 1)
		d.num(50, 0)
		d.int(71, 0)
		d.num(42, 2.5)
		d.str(3, s.font)
		d.str(4, s.bigfont)
	}
	d.pair(0, "ENDTAB")

	d.table("VIEW", handleViewTable, 0)
	d.pair(0, "ENDTAB")
	d.table("UCS", handleUCSTable, 0)
	d.pair(0, "ENDTAB")

	d.table("APPID", handleAppIDTable, 2)
	d.record("APPID", handleAppIDACAD, handleAppIDTable, "AcDbRegAppTableRecord", "ACAD", 0)
	d.record("APPID", handleAppIDHetang, handleAppIDTable, "AcDbRegAppTableRecord", AppID, 0)
	d.pair(0, "ENDTAB")

	d.pair(0, "TABLE")
	d.pair(2, "DIMSTYLE")
	d.pair(5, handleDimStyleTable)
	d.pair(330, "0")
	d.pair(100, "AcDbSymbolTable")
	d.int(70, 1)
	d.pair(100, "AcDbDimStyleTable")
	d.int(71, 0)
	d.pair(0, "DIMSTYLE")
	d.pair(105, handleDimStyleStandard)
	d.pair(330, handleDimStyleTable)
	d.pair(100, "AcDbSymbolTableRecord")
	d.pair(100, "AcDbDimStyleTableRecord")
	d.pair(2, "Standard")
	d.int(70, 0)
	d.pair(0, "ENDTAB")

	d.table("BLOCK_RECORD", handleBlockRecordTable, 2)
	d.record("BLOCK_RECORD", handleModelSpaceRecord, handleBlockRecordTable, "AcDbBlockTableRecord", "*Model_Space", 0)
	d.record("BLOCK_RECORD", handlePaperSpaceRecord, handleBlockRecordTable, "AcDbBlockTableRecord", "*Paper_Space", 0)
	d.pair(0, "ENDTAB")

	d.pair(0, "ENDSEC")
}

func (d *writer) layer(handle, name string, aci, rgb int) {
	d.record("LAYER", handle, handleLayerTable, "AcDbLayerTableRecord", name, 0)
	d.int(62, aci)
	d.int(420, rgb)
	d.pair(6, "Continuous")
	d.int(370, -3)
	d.pair(390, handlePlotStyleNormal)
}

func (d *writer) blocks() {
	d.section("BLOCKS")
	for _, b := range []struct{ begin, end, owner, name string }{
		{handleModelSpaceBlock, handleModelSpaceEnd, handleModelSpaceRecord, "*Model_Space"},
		{handlePaperSpaceBlock, handlePaperSpaceEnd, handlePaperSpaceRecord, "*Paper_Space"},
	} {
		d.pair(0, "BLOCK")
		d.pair(5, b.begin)
		d.pair(330, b.owner)
		d.pair(100, "AcDbEntity")
		d.pair(8, "0")
		d.pair(100, "AcDbBlockBegin")
		d.pair(2, b.name)
		d.int(70, 0)
		d.xy(0, 0, 0)
		d.num(30, 0)
		d.pair(3, b.name)
		d.pair(1, "")
		d.pair(0, "ENDBLK")
		d.pair(5, b.end)
		d.pair(330, b.owner)
		d.pair(100, "AcDbEntity")
		d.pair(8, "0")
		d.pair(100, "AcDbBlockEnd")
	}
	d.pair(0, "ENDSEC")
}

func (d *writer) objects() {
	d.section("OBJECTS")
	d.pair(0, "DICTIONARY")
	d.pair(5, handleRootDict)
	d.pair(330, "0")
	d.pair(100, "AcDbDictionary")
	d.int(281, 1)
	d.pair(3, "ACAD_GROUP")
	d.pair(350, handleGroupDict)
	d.pair(3, "ACAD_PLOTSTYLENAME")
	d.pair(350, handlePlotStyleDict)

	d.pair(0, "DICTIONARY")
	d.pair(5, handleGroupDict)
	d.pair(330, handleRootDict)
	d.pair(100, "AcDbDictionary")
	d.int(281, 1)

	d.pair(0, "ACDBDICTIONARYWDFLT")
	d.pair(5, handlePlotStyleDict)
	d.pair(330, handleRootDict)
	d.pair(100, "AcDbDictionary")
	d.int(281, 1)
	d.pair(3, "Normal")
	d.pair(350, handlePlotStyleNormal)
	d.pair(100, "AcDbDictionaryWithDefault")
	d.pair(340, handlePlotStyleNormal)

	d.pair(0, "ACDBPLACEHOLDER")
	d.pair(5, handlePlotStyleNormal)
	d.pair(330, handlePlotStyleDict)
	d.pair(0, "ENDSEC")
}
