// Package config holds the service configuration: a plain struct with
// defaults, an optional JSON file, environment overrides (HETANG_*) and
// Validate. Command-line flags are applied by cmd/hetang on top.
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"hetang/internal/budget"
)

// ErrInvalid is wrapped by every validation error.
var ErrInvalid = errors.New("config: invalid")

// Basemap is a tile layer the web page may offer. Tile URLs and keys live in
// configuration, never in code.
type Basemap struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	URL         string `json:"url"`         // Leaflet URL template, e.g. https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png
	CRS         string `json:"crs"`         // WGS84 (OSM, Tianditu) or GCJ02 (Amap); the page asks the API for matching coordinates
	Attribution string `json:"attribution"` // shown on the map
	Subdomains  string `json:"subdomains"`  // e.g. "abc" or "1234"
	MaxZoom     int    `json:"max_zoom"`    // 0 means 18
}

// Config is the whole configuration of the service.
type Config struct {
	// Addr is the listen address (HETANG_ADDR).
	Addr string `json:"addr"`
	// DataPath is the GeoPackage to serve (HETANG_DATA). Empty: the embedded
	// default layout, built into CacheDir at start-up (read-only).
	DataPath string `json:"data_path"`
	// CacheDir holds the GeoPackage built from the embedded data (HETANG_CACHE_DIR).
	CacheDir string `json:"cache_dir"`
	// DataSchema is the PostgreSQL schema of a postgres:// DataPath
	// (HETANG_DATA_SCHEMA).
	DataSchema string `json:"data_schema"`
	// AdminToken is a writer token named "admin" (HETANG_ADMIN_TOKEN).
	AdminToken string `json:"admin_token"`
	// Tokens are named bearer tokens with roles, given by their SHA-256
	// digests (`hetang token` makes one). No token at all disables writes.
	Tokens []Token `json:"tokens"`
	// TokensEnv is HETANG_TOKENS: name:role:token entries, comma-separated
	// (the tokens themselves; environment only).
	TokensEnv string `json:"-"`
	// MaxLag is how long a replica may serve an older version than the
	// newest committed one, or fail to reach its database, before /readyz
	// fails (HETANG_MAX_LAG).
	MaxLag Duration `json:"max_lag"`
	// CORSOrigins are the origins allowed to call the API (HETANG_CORS_ORIGINS, comma-separated).
	CORSOrigins []string `json:"cors_origins"`
	// MaxBodyBytes limits ordinary request bodies (HETANG_MAX_BODY_BYTES).
	MaxBodyBytes int64 `json:"max_body_bytes"`
	// BatchMaxBytes limits batch locate and import bodies (HETANG_BATCH_MAX_BYTES).
	BatchMaxBytes int64 `json:"batch_max_bytes"`
	// RequestTimeout bounds the work of one ordinary request (HETANG_REQUEST_TIMEOUT).
	RequestTimeout Duration `json:"request_timeout"`
	// BatchTimeout bounds one batch or import request (HETANG_BATCH_TIMEOUT).
	BatchTimeout Duration `json:"batch_timeout"`
	// ReadHeaderTimeout bounds how long a client may take to send the request
	// headers, so slow clients (slowloris) cannot hold connections open
	// (HETANG_READ_HEADER_TIMEOUT).
	ReadHeaderTimeout Duration `json:"read_header_timeout"`
	// ReadTimeout bounds reading a whole request, body included
	// (HETANG_READ_TIMEOUT).
	ReadTimeout Duration `json:"read_timeout"`
	// WriteTimeout bounds writing a response (HETANG_WRITE_TIMEOUT); longer
	// than BatchTimeout so a batch can finish streaming.
	WriteTimeout Duration `json:"write_timeout"`
	// IdleTimeout closes kept-alive connections idle this long
	// (HETANG_IDLE_TIMEOUT).
	IdleTimeout Duration `json:"idle_timeout"`
	// ShutdownTimeout bounds the drain of in-flight requests on SIGTERM or
	// SIGINT (HETANG_SHUTDOWN_TIMEOUT).
	ShutdownTimeout Duration `json:"shutdown_timeout"`
	// WebDir serves the web page from disk instead of the embedded copy (development).
	WebDir string `json:"web_dir"`
	// Basemaps offered by the web page; none by default (works offline).
	Basemaps []Basemap `json:"basemaps"`
	// ParcelMaxVertices, ParcelMaxParts, ParcelMaxWorkVertices and
	// ParcelMaxCrossings bound one parcel (POST /api/v1/locate, a batch
	// record, a `hetang locate` record): input vertices and polygons (413),
	// vertices of its outline near the district once cut into 250 m
	// geodesic pieces (413), and self-crossings repaired (400)
	// (HETANG_PARCEL_MAX_VERTICES, HETANG_PARCEL_MAX_PARTS,
	// HETANG_PARCEL_MAX_WORK_VERTICES, HETANG_PARCEL_MAX_CROSSINGS).
	ParcelMaxVertices     int `json:"parcel_max_vertices"`
	ParcelMaxParts        int `json:"parcel_max_parts"`
	ParcelMaxWorkVertices int `json:"parcel_max_work_vertices"`
	ParcelMaxCrossings    int `json:"parcel_max_crossings"`
	// MemoryBudget is the memory the whole process may use, in bytes
	// (HETANG_MEMORY_BUDGET, e.g. "1GiB" or "1536MiB"; in the file a number
	// of bytes or such a string). Requests whose memory depends on their
	// input (parcels, batch parcel records, imports) are admitted only while
	// their estimates fit in it (see package budget); the Go runtime gets a
	// soft limit below it, leaving room for GEOS's C heap.
	MemoryBudget ByteSize `json:"memory_budget"`
	// LogFormat is "json" or "text" (HETANG_LOG_FORMAT).
	LogFormat string `json:"log_format"`
}

// ByteSize is a number of bytes that reads from JSON as a number or as a
// string like "1GiB" (budget.Parse) and writes as a number.
type ByteSize int64

// UnmarshalJSON reads 1073741824 or "1GiB".
func (b *ByteSize) UnmarshalJSON(data []byte) error {
	var n int64
	if err := json.Unmarshal(data, &n); err == nil {
		*b = ByteSize(n)
		return nil
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("a size must be a number of bytes or a string like \"1GiB\": %w", err)
	}
	v, err := budget.Parse(s)
	if err != nil {
		return err
	}
	*b = ByteSize(v)
	return nil
}

var schemaPattern = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// Token is a named token with a role ("reader-admin" or "writer"), given by
// the hex SHA-256 digest of the token.
type Token struct {
	Name   string `json:"name"`
	Role   string `json:"role"`
	SHA256 string `json:"sha256"`
}

// Duration is a time.Duration that reads and writes as a string like "30s".
type Duration time.Duration

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads "30s"-style strings.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string like \"30s\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// Default returns the configuration used when nothing is set.
func Default() Config {
	cache := filepath.Join(os.TempDir(), "hetang-cache")
	if dir, err := os.UserCacheDir(); err == nil {
		cache = filepath.Join(dir, "hetang")
	}
	return Config{
		Addr:                  ":8080",
		CacheDir:              cache,
		CORSOrigins:           []string{"*"},
		MaxBodyBytes:          16 << 20,
		BatchMaxBytes:         256 << 20,
		RequestTimeout:        Duration(30 * time.Second),
		BatchTimeout:          Duration(10 * time.Minute),
		ReadHeaderTimeout:     Duration(10 * time.Second),
		ReadTimeout:           Duration(5 * time.Minute),
		WriteTimeout:          Duration(11 * time.Minute),
		IdleTimeout:           Duration(2 * time.Minute),
		ShutdownTimeout:       Duration(20 * time.Second),
		LogFormat:             "json",
		DataSchema:            "hetang",
		MaxLag:                Duration(5 * time.Second),
		ParcelMaxVertices:     100_000,
		ParcelMaxParts:        10_000,
		ParcelMaxWorkVertices: 200_000,
		ParcelMaxCrossings:    2_000,
		MemoryBudget:          budget.DefaultTotal,
	}
}

// LoadFile overlays the JSON file at path on c. Unknown keys are an error so
// typos do not pass silently.
func (c *Config) LoadFile(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config: reading %s: %w", path, err)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(c); err != nil {
		return fmt.Errorf("config: %s: %w", path, err)
	}
	return nil
}

// ApplyEnv overlays HETANG_* environment variables on c, using getenv.
func (c *Config) ApplyEnv(getenv func(string) string) error {
	str := func(key string, dst *string) {
		if v := getenv(key); v != "" {
			*dst = v
		}
	}
	str("HETANG_ADDR", &c.Addr)
	str("HETANG_DATA", &c.DataPath)
	str("HETANG_CACHE_DIR", &c.CacheDir)
	str("HETANG_ADMIN_TOKEN", &c.AdminToken)
	str("HETANG_TOKENS", &c.TokensEnv)
	str("HETANG_DATA_SCHEMA", &c.DataSchema)
	str("HETANG_WEB_DIR", &c.WebDir)
	str("HETANG_LOG_FORMAT", &c.LogFormat)
	if v := getenv("HETANG_CORS_ORIGINS"); v != "" {
		c.CORSOrigins = nil
		for _, o := range strings.Split(v, ",") {
			if o = strings.TrimSpace(o); o != "" {
				c.CORSOrigins = append(c.CORSOrigins, o)
			}
		}
	}
	for _, v := range []struct {
		key string
		dst *int64
	}{{"HETANG_MAX_BODY_BYTES", &c.MaxBodyBytes}, {"HETANG_BATCH_MAX_BYTES", &c.BatchMaxBytes}} {
		if s := getenv(v.key); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return fmt.Errorf("%w: %s=%q is not a whole number of bytes", ErrInvalid, v.key, s)
			}
			*v.dst = n
		}
	}
	for _, v := range c.parcelLimits() {
		if s := getenv(v.env); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n <= 0 {
				return fmt.Errorf("%w: %s=%q is not a positive whole number", ErrInvalid, v.env, s)
			}
			*v.dst = n
		}
	}
	if v := getenv("HETANG_MEMORY_BUDGET"); v != "" {
		n, err := budget.Parse(v)
		if err != nil {
			return fmt.Errorf("%w: HETANG_MEMORY_BUDGET=%q is not a size like 1GiB, 1536MiB or a number of bytes", ErrInvalid, v)
		}
		c.MemoryBudget = ByteSize(n)
	}
	for _, v := range c.durations() {
		if s := getenv(v.env); s != "" {
			d, err := time.ParseDuration(s)
			if err != nil {
				return fmt.Errorf("%w: %s=%q is not a duration like 30s", ErrInvalid, v.env, s)
			}
			*v.dst = Duration(d)
		}
	}
	return nil
}

// setting is a setting of type T with its names in the file and the
// environment.
type setting[T any] struct {
	name, env string
	dst       *T
}

// durations lists the time settings of c in the order of the fields.
func (c *Config) durations() []setting[Duration] {
	return []setting[Duration]{
		{"max_lag", "HETANG_MAX_LAG", &c.MaxLag},
		{"request_timeout", "HETANG_REQUEST_TIMEOUT", &c.RequestTimeout},
		{"batch_timeout", "HETANG_BATCH_TIMEOUT", &c.BatchTimeout},
		{"read_header_timeout", "HETANG_READ_HEADER_TIMEOUT", &c.ReadHeaderTimeout},
		{"read_timeout", "HETANG_READ_TIMEOUT", &c.ReadTimeout},
		{"write_timeout", "HETANG_WRITE_TIMEOUT", &c.WriteTimeout},
		{"idle_timeout", "HETANG_IDLE_TIMEOUT", &c.IdleTimeout},
		{"shutdown_timeout", "HETANG_SHUTDOWN_TIMEOUT", &c.ShutdownTimeout},
	}
}

// parcelLimits lists the parcel limits of c in the order of the fields.
func (c *Config) parcelLimits() []setting[int] {
	return []setting[int]{
		{"parcel_max_vertices", "HETANG_PARCEL_MAX_VERTICES", &c.ParcelMaxVertices},
		{"parcel_max_parts", "HETANG_PARCEL_MAX_PARTS", &c.ParcelMaxParts},
		{"parcel_max_work_vertices", "HETANG_PARCEL_MAX_WORK_VERTICES", &c.ParcelMaxWorkVertices},
		{"parcel_max_crossings", "HETANG_PARCEL_MAX_CROSSINGS", &c.ParcelMaxCrossings},
	}
}

// Validate reports every setting that cannot work, in the order of the
// fields of Config, joined into one error (errors.Join); each wraps ErrInvalid.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...))
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		bad("addr %q must be host:port (e.g. :8080 or 127.0.0.1:8080)", c.Addr)
	}
	if c.DataPath == "" && c.CacheDir == "" {
		bad("cache_dir is needed when no data_path is given")
	}
	if !schemaPattern.MatchString(c.DataSchema) {
		bad("data_schema %q must be a lower-case SQL name (letters, digits, _; at most 63)", c.DataSchema)
	}
	if c.AdminToken != "" && len(c.AdminToken) < 16 {
		bad("admin_token must be at least 16 characters")
	}
	if c.MaxBodyBytes <= 0 || c.BatchMaxBytes <= 0 {
		bad("body limits must be positive")
	}
	for _, d := range c.durations() {
		if *d.dst <= 0 {
			bad("%s must be positive", d.name)
		}
	}
	for i, b := range c.Basemaps {
		if b.ID == "" || b.URL == "" {
			bad("basemap %d needs id and url", i)
		}
		if b.CRS != "WGS84" && b.CRS != "GCJ02" {
			bad("basemap %s crs must be WGS84 or GCJ02", b.ID)
		}
	}
	if c.ParcelMaxVertices <= 0 || c.ParcelMaxParts <= 0 || c.ParcelMaxWorkVertices <= 0 || c.ParcelMaxCrossings <= 0 {
		bad("parcel limits must be positive")
	}
	if c.MemoryBudget < budget.MinTotal {
		bad("memory_budget (HETANG_MEMORY_BUDGET) %s is below the smallest that works, %s", budget.Format(int64(c.MemoryBudget)), budget.Format(budget.MinTotal))
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		bad("log_format must be json or text")
	}
	return errors.Join(errs...)
}
