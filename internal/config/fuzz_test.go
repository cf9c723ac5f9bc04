package config_test

import (
	"os"
	"path/filepath"
	"testing"

	"hetang/internal/budget"
	"hetang/internal/config"
)

// FuzzLoadFile feeds arbitrary bytes to the config file reader and checks
// that a file that loads and validates keeps the invariants Validate promises.
func FuzzLoadFile(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("testdata", "example.json")); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"addr": ":9090", "request_timeout": "1h"}`))
	f.Add([]byte(`{"request_timeout": 5}`))
	f.Add([]byte(`{"basemaps": [{"id": "x", "url": "u", "crs": "GCJ02"}]}`))
	f.Add([]byte(`[`))
	f.Add([]byte(`{"memory_budget": "512MiB"}`))
	f.Add([]byte(`{"memory_budget": 1}`))
	f.Add([]byte(`{"memory_budget": "9e99G"}`))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(dir, "c.json")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		c := config.Default()
		if err := c.LoadFile(path); err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			return
		}
		if c.MaxBodyBytes <= 0 || c.RequestTimeout <= 0 || c.MemoryBudget < budget.MinTotal {
			t.Fatalf("validated config with non-positive limits: %+v", c)
		}
	})
}
