package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hetang/internal/config"
)

func TestDefaultIsValid(t *testing.T) {
	c := config.Default()
	if err := c.Validate(); err != nil {
		t.Fatalf("default config invalid: %v", err)
	}
	if c.Addr != ":8080" || len(c.Basemaps) != 0 || c.AdminToken != "" {
		t.Errorf("default = %+v; want :8080, no basemaps (offline), writes disabled", c)
	}
}

func TestExampleFile(t *testing.T) {
	c := config.Default()
	if err := c.LoadFile(filepath.Join("testdata", "example.json")); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("example config invalid: %v", err)
	}
	if c.RequestTimeout.D() != 20*time.Second || c.Addr != "127.0.0.1:8080" || len(c.Basemaps) != 2 || c.Basemaps[1].CRS != "GCJ02" || c.MemoryBudget != 2<<30 {
		t.Errorf("example config read as %+v", c)
	}
	// Settings the file leaves out keep their defaults.
	if c.BatchTimeout != config.Default().BatchTimeout {
		t.Errorf("batch_timeout %v, want the default", c.BatchTimeout.D())
	}
}

func TestLoadFileRejectsUnknownKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.json")
	if err := os.WriteFile(path, []byte(`{"adr": ":9090"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	c := config.Default()
	if err := c.LoadFile(path); err == nil || !strings.Contains(err.Error(), "adr") {
		t.Errorf("unknown key: error %v, want one naming \"adr\"", err)
	}
}

func TestApplyEnv(t *testing.T) {
	env := map[string]string{
		"HETANG_ADDR":            "127.0.0.1:9999",
		"HETANG_CORS_ORIGINS":    "https://a.example, https://b.example",
		"HETANG_MAX_BODY_BYTES":  "1024",
		"HETANG_REQUEST_TIMEOUT": "5s",
		"HETANG_MEMORY_BUDGET":   "1536MiB",
	}
	c := config.Default()
	if err := c.ApplyEnv(func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	got := []any{c.Addr, c.CORSOrigins, c.MaxBodyBytes, c.RequestTimeout.D(), c.MemoryBudget}
	want := []any{"127.0.0.1:9999", []string{"https://a.example", "https://b.example"}, int64(1024), 5 * time.Second, config.ByteSize(1536 << 20)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("env overrides (-want +got):\n%s", diff)
	}
	for key, val := range map[string]string{"HETANG_MAX_BODY_BYTES": "lots", "HETANG_BATCH_TIMEOUT": "soon", "HETANG_MEMORY_BUDGET": "a lot"} {
		c := config.Default()
		err := c.ApplyEnv(func(k string) string {
			if k == key {
				return val
			}
			return ""
		})
		if !errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), key) {
			t.Errorf("%s=%s: error %v, want ErrInvalid naming the variable", key, val, err)
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*config.Config)
		want   string
	}{
		{"bad addr", func(c *config.Config) { c.Addr = "8080" }, "host:port"},
		{"zero body limit", func(c *config.Config) { c.MaxBodyBytes = 0 }, "body limits"},
		{"short token", func(c *config.Config) { c.AdminToken = "secret" }, "at least 16"},
		{"bad log format", func(c *config.Config) { c.LogFormat = "xml" }, "log_format"},
		{"negative timeout", func(c *config.Config) { c.RequestTimeout = -1 }, "request_timeout"},
		{"basemap without url", func(c *config.Config) { c.Basemaps = []config.Basemap{{ID: "x", CRS: "WGS84"}} }, "needs id and url"},
		{"basemap in Baidu frame", func(c *config.Config) {
			c.Basemaps = []config.Basemap{{ID: "bd", URL: "https://x/{z}/{x}/{y}", CRS: "BD09"}}
		}, "WGS84 or GCJ02"},
		{"no data and no cache", func(c *config.Config) { c.CacheDir = "" }, "cache_dir"},
		{"memory budget too small", func(c *config.Config) { c.MemoryBudget = 100 << 20 }, "memory_budget"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := config.Default()
			tt.modify(&c)
			err := c.Validate()
			if !errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %v, want ErrInvalid mentioning %q", err, tt.want)
			}
		})
	}
}

// TestValidateReportsEverythingInOrder checks that Validate lists every
// problem, in the order of the settings, the same way every time (it used
// to report one, picked by map order).
func TestValidateReportsEverythingInOrder(t *testing.T) {
	c := config.Default()
	c.Addr = "8080"
	c.MaxBodyBytes = 0
	c.ReadTimeout = 0
	c.ShutdownTimeout = -1
	c.IdleTimeout = 0
	c.LogFormat = "xml"
	want := strings.Join([]string{
		`config: invalid: addr "8080" must be host:port (e.g. :8080 or 127.0.0.1:8080)`,
		"config: invalid: body limits must be positive",
		"config: invalid: read_timeout must be positive",
		"config: invalid: idle_timeout must be positive",
		"config: invalid: shutdown_timeout must be positive",
		"config: invalid: log_format must be json or text",
	}, "\n")
	for range 20 {
		err := c.Validate()
		if !errors.Is(err, config.ErrInvalid) {
			t.Fatalf("Validate() = %v, want ErrInvalid", err)
		}
		if diff := cmp.Diff(want, err.Error()); diff != "" {
			t.Fatalf("Validate() (-want +got):\n%s", diff)
		}
	}
}

// TestEveryTimeoutHasAnEnvVar checks the four timeouts that had no
// environment variable.
func TestEveryTimeoutHasAnEnvVar(t *testing.T) {
	env := map[string]string{
		"HETANG_READ_TIMEOUT":     "1m",
		"HETANG_WRITE_TIMEOUT":    "2m",
		"HETANG_IDLE_TIMEOUT":     "3m",
		"HETANG_SHUTDOWN_TIMEOUT": "4s",
	}
	c := config.Default()
	if err := c.ApplyEnv(func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	got := []time.Duration{c.ReadTimeout.D(), c.WriteTimeout.D(), c.IdleTimeout.D(), c.ShutdownTimeout.D()}
	want := []time.Duration{time.Minute, 2 * time.Minute, 3 * time.Minute, 4 * time.Second}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("timeouts (-want +got):\n%s", diff)
	}
	for key := range env {
		c := config.Default()
		err := c.ApplyEnv(func(k string) string {
			if k == key {
				return "soon"
			}
			return ""
		})
		if !errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), key) {
			t.Errorf("%s=soon: error %v, want ErrInvalid naming the variable", key, err)
		}
	}
}
