package export

import (
	"fmt"

	"hetang/internal/crs"
)

// ESRI WKT1 definitions written to .prj files, exactly as
// `gdalsrsinfo --single-line -o wkt_esri EPSG:n` prints them (GDAL 3.6).
const (
	prjWGS84       = `GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]`
	prjCGCS2000    = `GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]`
	prjCGCS2000GK  = `PROJCS["CGCS2000_3_Degree_GK_CM_114E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",114.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]`
	prjWebMercator = `PROJCS["WGS_1984_Web_Mercator_Auxiliary_Sphere",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Mercator_Auxiliary_Sphere"],PARAMETER["False_Easting",0.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",0.0],PARAMETER["Standard_Parallel_1",0.0],PARAMETER["Auxiliary_Sphere_Type",0.0],UNIT["Meter",1.0]]`
)

// PRJ returns the ESRI WKT1 .prj text for c. GCJ-02 and BD-09 have no
// definition a GIS could use (they are obfuscated frames, not datums), so
// they are refused.
func PRJ(c crs.CRS) (string, error) {
	switch c.Code {
	case crs.CRS84.Code, crs.WGS84.Code:
		return prjWGS84, nil
	case crs.CGCS.Code:
		return prjCGCS2000, nil
	case crs.CGCSGK.Code:
		return prjCGCS2000GK, nil
	case crs.WebMerc.Code:
		return prjWebMercator, nil
	}
	return "", fmt.Errorf("%w: %s has no .prj definition; use CRS84, EPSG:4326, EPSG:4490, EPSG:4547 or EPSG:3857", ErrCRS, c.Code)
}
