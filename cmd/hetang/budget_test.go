package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"hetang/internal/budget"
	"hetang/internal/config"
	"hetang/internal/fixture"
	"hetang/internal/httpapi"
	"hetang/internal/memstat"
	"hetang/internal/shapes"
)

// geometryJSON is g as a GeoJSON geometry.
func geometryJSON(t testing.TB, g orb.Geometry) []byte {
	t.Helper()
	b, err := json.Marshal(geojson.NewGeometry(g))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type answer struct {
	status     int
	body       string
	retryAfter string
	took       time.Duration
}

func postParcel(t testing.TB, url string, body []byte) answer {
	start := time.Now()
	resp, err := http.Post(url+"/api/v1/locate", geoJSON, bytes.NewReader(body))
	if err != nil {
		t.Error(err)
		return answer{}
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return answer{resp.StatusCode, string(b), resp.Header.Get("Retry-After"), time.Since(start)}
}

// TestMemoryBudget runs a server with the smallest memory budget (384 MiB:
// 64 MiB for heavy requests) and checks that a parcel whose estimate
// exceeds it is a 413 saying what to do; that while 50 MiB of it are held,
// heavy parcels are refused with 503 and Retry-After before their deadline
// and small parcels are answered; that once it is free a heavy parcel is
// answered; that a batch of heavy records answers every one of them, each
// admitted after the one before gave its memory back; and that /metrics
// counts all this.
func TestMemoryBudget(t *testing.T) {
	cfg := testConfig(t)
	cfg.MaxBodyBytes = config.Default().MaxBodyBytes
	cfg.BatchMaxBytes = config.Default().BatchMaxBytes
	cfg.MemoryBudget = budget.MinTotal
	cfg.RequestTimeout = config.Duration(5 * time.Second)
	bud, err := budget.New(budgetConfig(cfg))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st := fixture.Store(t)
	srv := httptest.NewServer(httpapi.New(cfg, st, log, "test", mountsWith(cfg, st, log, bud)...).Handler())
	t.Cleanup(srv.Close)
	// The same budget behind a server with a long deadline, for the parts
	// that must be answered however busy the machine is (heavy work runs
	// niced).
	long := cfg
	long.RequestTimeout = config.Duration(2 * time.Minute)
	slow := httptest.NewServer(httpapi.New(long, st, log, "test", mountsWith(long, st, log, bud)...).Handler())
	t.Cleanup(slow.Close)

	huge := postParcel(t, srv.URL, geometryJSON(t, shapes.Circle(shapes.District, 90_000, 0.05)))
	if huge.status != http.StatusRequestEntityTooLarge || !strings.Contains(huge.body, "HETANG_MEMORY_BUDGET") || !strings.Contains(huge.body, "split") {
		t.Errorf("90,000-vertex parcel under a 384 MiB budget: %d %.300s", huge.status, huge.body)
	}

	heavy := geometryJSON(t, shapes.Circle(shapes.District, 30_000, 0.05))
	tiny := geometryJSON(t, shapes.Square(113.2, 27.87, 0.001))
	hog, err := bud.Reserve(context.Background(), "the test", 50<<20)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	heavyAnswers := make([]answer, 3)
	for i := range heavyAnswers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			heavyAnswers[i] = postParcel(t, srv.URL, heavy)
		}()
	}
	var tinyAnswers []answer
	for range 10 {
		tinyAnswers = append(tinyAnswers, postParcel(t, srv.URL, tiny))
	}
	wg.Wait()
	for i, a := range heavyAnswers {
		t.Logf("heavy %d: %d in %v (Retry-After %q): %.200s", i, a.status, a.took, a.retryAfter, a.body)
		if a.status != http.StatusServiceUnavailable || a.retryAfter == "" || !strings.Contains(a.body, "try again in") {
			t.Errorf("heavy parcel %d with 50 of 64 MiB held: %d (Retry-After %q) %.300s", i, a.status, a.retryAfter, a.body)
		}
		if a.took > cfg.RequestTimeout.D()+time.Second {
			t.Errorf("heavy parcel %d refused after %v, more than a second past its %v deadline", i, a.took, cfg.RequestTimeout.D())
		}
	}
	for i, a := range tinyAnswers {
		if a.status != http.StatusOK {
			t.Errorf("tiny parcel %d while the budget was held: %d %.300s", i, a.status, a.body)
		}
	}
	hog.Release()
	if a := postParcel(t, slow.URL, heavy); a.status != http.StatusOK {
		t.Errorf("heavy parcel with the budget free: %d %.300s", a.status, a.body)
	}

	// A batch of three heavy records (about 58 MiB each) and a tiny one.
	record := func(g []byte) string { return `{"type":"Feature","properties":{},"geometry":` + string(g) + "}\n" }
	body := record(heavy) + record(heavy) + record(heavy) + record(tiny)
	resp, err := http.Post(slow.URL+"/api/v1/locate/batch", "application/x-ndjson", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if resp.StatusCode != http.StatusOK || len(lines) != 4 {
		t.Fatalf("batch: %d, %d lines: %.500s", resp.StatusCode, len(lines), b)
	}
	for i, l := range lines {
		if !strings.Contains(l, `"error_en":null`) || !strings.Contains(l, `"area_id":"`) {
			t.Errorf("batch record %d: %.300s", i+1, l)
		}
	}

	// /metrics counts what happened: 3 refused, the 413, nothing held now.
	resp, err = http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"hetang_memory_budget_refused_total 3\n", "hetang_memory_budget_too_large_total 1\n", "hetang_memory_budget_heavy_in_use_bytes 0\n", "hetang_memory_budget_waiting 0\n"} {
		if !strings.Contains(string(m), want) {
			t.Errorf("/metrics lacks %q", strings.TrimSpace(want))
		}
	}
}

// TestImportBudget sends a 200 KB zipped shapefile whose files declare
// 200 MiB (refused by the decoder's bomb check) and a 40 MiB GeoJSON, more
// than an import may decode within the default budget (refused with 413
// naming the budget before its body is read): neither is expanded (the
// process's peak memory does not grow by their size).
func TestImportBudget(t *testing.T) {
	cfg := testConfig(t)
	cfg.AdminToken = testToken
	cfg.BatchMaxBytes = config.Default().BatchMaxBytes
	st := fixture.WritableStore(t)
	srv := httptest.NewServer(newTestHandler(t, cfg, st))
	t.Cleanup(srv.Close)
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	for name, size := range map[string]int{"areas.shp": 200 << 20, "areas.dbf": 1 << 10} {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(make([]byte, size)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	before, err := memstat.Read(0)
	if err != nil {
		t.Fatal(err)
	}
	const big = 40 << 20
	for _, c := range []struct {
		name, ctype string
		body        io.Reader
		size        int64
		status      int
		want        string
	}{
		{"zip declaring 200 MiB", "application/zip", bytes.NewReader(zb.Bytes()), int64(zb.Len()), http.StatusBadRequest, "refused before expanding"},
		{"GeoJSON of 40 MiB", geoJSON, io.LimitReader(zeros{}, big), big, http.StatusRequestEntityTooLarge, "HETANG_MEMORY_BUDGET"},
	} {
		req, _ := http.NewRequest(http.MethodPut, srv.URL+"/api/v1/layers/areas", c.body)
		req.ContentLength = c.size
		req.Header.Set("Content-Type", c.ctype)
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Logf("%s: %d %.300s", c.name, resp.StatusCode, b)
		if resp.StatusCode != c.status || !strings.Contains(string(b), c.want) {
			t.Errorf("%s: %d %.300s; want %d with %q", c.name, resp.StatusCode, b, c.status, c.want)
		}
	}
	after, err := memstat.Read(0)
	if err != nil {
		t.Fatal(err)
	}
	if grew := after.HWM - before.HWM; grew > 100<<20 {
		t.Errorf("the test process's peak memory grew by %d MiB", grew>>20)
	}
}

// zeros reads as an endless run of spaces (valid JSON whitespace).
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	return len(p), nil
}
