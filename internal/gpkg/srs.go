package gpkg

// Spatial reference systems written to gpkg_spatial_ref_sys. The definitions
// are the WKT1 that `gdalsrsinfo -o wkt1 EPSG:n` prints (GDAL 3.6 / PROJ 9.1,
// with the EPSG axis order), which is what GDAL itself writes into a GeoPackage.
const (
	// SRSWGS84 is EPSG:4326, the CRS Write writes and the store keeps.
	SRSWGS84 = 4326
	// SRSCGCS2000 is EPSG:4490, China Geodetic Coordinate System 2000.
	SRSCGCS2000 = 4490
	// SRSCGCS2000GK114E is EPSG:4547, CGCS2000 / 3-degree Gauss-Kruger CM 114E.
	SRSCGCS2000GK114E = 4547
	// SRSWebMercator is EPSG:3857, WGS 84 / Pseudo-Mercator.
	SRSWebMercator = 3857
	// SRSUndefinedCartesian and SRSUndefinedGeographic are the two rows the
	// GeoPackage standard requires besides EPSG:4326.
	SRSUndefinedCartesian  = -1
	SRSUndefinedGeographic = 0
)

const (
	wktWGS84 = `GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]`

	wktCGCS2000 = `GEOGCS["China Geodetic Coordinate System 2000",DATUM["China_2000",SPHEROID["CGCS2000",6378137,298.257222101,AUTHORITY["EPSG","1024"]],AUTHORITY["EPSG","1043"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4490"]]`

	wktCGCS2000GK114E = `PROJCS["CGCS2000 / 3-degree Gauss-Kruger CM 114E",GEOGCS["China Geodetic Coordinate System 2000",DATUM["China_2000",SPHEROID["CGCS2000",6378137,298.257222101,AUTHORITY["EPSG","1024"]],AUTHORITY["EPSG","1043"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4490"]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",114],PARAMETER["scale_factor",1],PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AXIS["Northing",NORTH],AXIS["Easting",EAST],AUTHORITY["EPSG","4547"]]`

	wktWebMercator = `PROJCS["WGS 84 / Pseudo-Mercator",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4326"]],PROJECTION["Mercator_1SP"],PARAMETER["central_meridian",0],PARAMETER["scale_factor",1],PARAMETER["false_easting",0],PARAMETER["false_northing",0],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AXIS["Easting",EAST],AXIS["Northing",NORTH],EXTENSION["PROJ4","+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 +units=m +nadgrids=@null +wktext +no_defs"],AUTHORITY["EPSG","3857"]]`
)

// spatialRefSys is one row of gpkg_spatial_ref_sys.
type spatialRefSys struct {
	name         string
	id           int
	organization string
	orgID        int
	definition   string
	description  string
}

// spatialRefSystems are the rows every GeoPackage this package writes carries.
var spatialRefSystems = []spatialRefSys{
	{"Undefined cartesian SRS", SRSUndefinedCartesian, "NONE", -1, "undefined", "undefined cartesian coordinate reference system"},
	{"Undefined geographic SRS", SRSUndefinedGeographic, "NONE", 0, "undefined", "undefined geographic coordinate reference system"},
	{"WGS 84 geodetic", SRSWGS84, "EPSG", 4326, wktWGS84, "longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid"},
	{"China Geodetic Coordinate System 2000", SRSCGCS2000, "EPSG", 4490, wktCGCS2000, "CGCS2000 geographic 2D"},
	{"CGCS2000 / 3-degree Gauss-Kruger CM 114E", SRSCGCS2000GK114E, "EPSG", 4547, wktCGCS2000GK114E, "CGCS2000 Transverse Mercator, central meridian 114°E, false easting 500 km"},
	{"WGS 84 / Pseudo-Mercator", SRSWebMercator, "EPSG", 3857, wktWebMercator, "Web Mercator"},
}
