package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb/encoding/wkt"

	"hetang/internal/cputime"
	"hetang/internal/layout"
	"hetang/internal/pgstore"
	"hetang/internal/pgtest"
	"hetang/internal/store"
	"hetang/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// newBackend opens a backend on a fresh schema holding lay as version 1.
func newBackend(t *testing.T, lay *layout.Layout) *pgstore.Backend {
	t.Helper()
	c := pgtest.Require(t)
	ctx := context.Background()
	b, err := pgstore.Open(ctx, c.URL(), c.Schema(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	s, err := store.New(ctx, b, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Current() != nil {
		t.Fatal("a new schema holds a version")
	}
	if _, err := s.Commit(ctx, nil, store.Change{Layout: lay, DataVersion: lay.Version, Kind: store.KindBuild, Author: "build"}); err != nil {
		t.Fatal(err)
	}
	return b
}

func reopen(t *testing.T, b store.Backend) store.Backend {
	t.Helper()
	r, err := pgstore.Open(context.Background(), pgtest.Require(t).URL(), b.(*pgstore.Backend).Schema(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// PostGIS passes the suite every backend passes.
func TestPostGISBackend(t *testing.T) {
	storetest.Run(t, storetest.Fixture{
		New:    func(t *testing.T, lay *layout.Layout) store.Backend { return newBackend(t, lay) },
		Reopen: reopen,
	})
}

// Replicas starting at once on an empty database all find the schema
// created once and migrated to the newest version.
func TestConcurrentMigrations(t *testing.T) {
	c := pgtest.Require(t)
	schema := c.Schema(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := pgstore.Open(ctx, c.URL(), schema, nil)
			if err == nil {
				b.Close()
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	conn, err := c.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n, maxV int
	if err := conn.QueryRow(ctx, "SELECT count(*), max(version) FROM "+schema+".schema_migrations").Scan(&n, &maxV); err != nil {
		t.Fatal(err)
	}
	if n != pgstore.SchemaVersion() || maxV != pgstore.SchemaVersion() {
		t.Errorf("schema_migrations: %d rows, newest %d; want %d", n, maxV, pgstore.SchemaVersion())
	}
	// A schema from a newer program is refused, not changed.
	if _, err := conn.Exec(ctx, "INSERT INTO "+schema+".schema_migrations (version, description) VALUES (999, 'future')"); err != nil {
		t.Fatal(err)
	}
	if _, err := pgstore.Open(ctx, c.URL(), schema, nil); err == nil {
		t.Error("a schema of a newer program was accepted")
	}
}

// What is stored is what PostGIS sees: every feature of version 1, with a
// GiST index, and the current_features view shows the newest version.
func TestStoredGeometriesArePostGIS(t *testing.T) {
	lay := storetest.Layout(t)
	b := newBackend(t, lay)
	c := pgtest.Require(t)
	ctx := context.Background()
	conn, err := c.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	q := b.Schema()
	total := 0
	for _, ly := range lay.Layers {
		total += len(ly.Features)
		for _, f := range ly.Features {
			// PostGIS reads the EWKB go-geom wrote as exactly the
			// coordinates of the feature's WKT (printed at full precision).
			var same bool
			var srid int
			var typ string
			err := conn.QueryRow(ctx, "SELECT ST_OrderingEquals(geom, ST_GeomFromText($3, 4326)), ST_SRID(geom), GeometryType(geom) FROM "+q+".current_features WHERE layer = $1 AND id = $2",
				ly.ID, f.ID, wkt.MarshalString(f.Geometry)).Scan(&same, &srid, &typ)
			if err != nil {
				t.Fatalf("%s/%s: %v", ly.ID, f.ID, err)
			}
			if !same || srid != pgstore.SRID || typ != strings.ToUpper(f.Geometry.GeoJSONType()) {
				t.Errorf("%s/%s: same coordinates %v, SRID %d, type %s; want true, 4326, %s", ly.ID, f.ID, same, srid, typ, f.Geometry.GeoJSONType())
			}
		}
	}
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+q+".current_features").Scan(&n); err != nil || n != total {
		t.Errorf("current_features has %d rows (%v), want %d", n, err, total)
	}
	var idx string
	if err := conn.QueryRow(ctx, "SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname = 'features_geom_gist'", q).Scan(&idx); err != nil {
		t.Fatalf("no GiST index: %v", err)
	}
	// The index answers a bounding-box query.
	if _, err := conn.Exec(ctx, "SET enable_seqscan = off"); err != nil {
		t.Fatal(err)
	}
	var hits int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+q+".features WHERE geom && ST_MakeEnvelope(113.1, 27.8, 113.3, 28.0, 4326)").Scan(&hits); err != nil {
		t.Fatal(err)
	}
	rows, _ := conn.Query(ctx, "EXPLAIN SELECT count(*) FROM "+q+".features WHERE geom && ST_MakeEnvelope(113.1, 27.8, 113.3, 28.0, 4326)")
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	plan := strings.Join(lines, "\n")
	if hits == 0 {
		t.Error("no feature in the district's box")
	}
	if !strings.Contains(plan, "features_geom_gist") {
		t.Errorf("the bounding-box query does not use the GiST index:\n%s", plan)
	}
}

// An unreachable database is an error naming it, not a hang.
func TestOpenUnreachable(t *testing.T) {
	ctx := context.Background()
	_, err := pgstore.Open(ctx, "postgres://nobody@127.0.0.1:1/none?connect_timeout=2", "hetang", nil)
	if err == nil {
		t.Fatal("opened a database on port 1")
	}
	_, err = pgstore.Open(ctx, "postgres://u:secret-password@/x?port=notanumber", "hetang", nil)
	if err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("bad URL: %v", err)
	}
	if s := err.Error(); strings.Contains(s, "secret-password") {
		t.Errorf("error leaks the password: %s", s)
	}
}

// BenchmarkFollow measures a replica's swap: after another process commits
// a new version of one layer, loading it from PostGIS and indexing it
// (store.Refresh), for a small layer (places) and a hot one (roads, whose
// nearest-point grids are rebuilt). It reports wall time per swap and the
// process's CPU time per swap, the steadier measure on a shared machine.
func BenchmarkFollow(b *testing.B) {
	lay := storetest.Layout(b)
	for _, layer := range []string{"places", "roads"} {
		b.Run(layer, func(b *testing.B) {
			c := pgtest.Require(b)
			ctx := context.Background()
			schema := c.Schema(b)
			wb, err := pgstore.Open(ctx, c.URL(), schema, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer wb.Close()
			w, _ := store.New(ctx, wb, store.Options{})
			if _, err := w.Commit(ctx, nil, store.Change{Layout: lay, DataVersion: lay.Version, Kind: store.KindBuild, Author: "bench"}); err != nil {
				b.Fatal(err)
			}
			rb, err := pgstore.Open(ctx, c.URL(), schema, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer rb.Close()
			r, err := store.New(ctx, rb, store.Options{})
			if err != nil {
				b.Fatal(err)
			}
			var cpu time.Duration
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				base := w.Current()
				old, _ := base.Layout.Layer(layer)
				ly := *old
				ly.Description = fmt.Sprintf("bench %d", i)
				ly.Features = append([]*layout.Feature(nil), old.Features...)
				f := *ly.Features[0]
				f.Properties = map[string]any{}
				for k, v := range old.Features[0].Properties {
					f.Properties[k] = v
				}
				f.Properties[layout.PropDescription] = fmt.Sprintf("bench %d", i)
				ly.Features[0] = &f
				if _, err := w.Commit(ctx, base, store.Change{Layers: []*layout.Layer{&ly}, DataVersion: fmt.Sprintf("b%d", i), Kind: store.KindImport, Author: "bench"}); err != nil {
					b.Fatal(err)
				}
				c0 := cputime.Used()
				b.StartTimer()
				if err := r.Refresh(ctx); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				cpu += cputime.Used() - c0
				b.StartTimer()
			}
			b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/swap")
		})
	}
}

// While PostgreSQL is down every operation fails with store.ErrUnavailable
// (a 503 with Retry-After, not a 500), readiness fails, nothing is written,
// and once it is back the same write succeeds as the next version. A
// dropped schema fails readiness at once.
func TestDatabaseDown(t *testing.T) {
	c := pgtest.Require(t)
	ctx := context.Background()
	lay := storetest.Layout(t)
	b := newBackend(t, lay)
	s, err := store.New(ctx, b, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	v1 := s.Current()
	moved := storetest.MovePlace(t, v1.Layout, 0, 0.001, 0, "while down")
	change := store.Change{Layers: []*layout.Layer{moved}, DataVersion: "down+1", Kind: store.KindImport, Author: "a"}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	started := false
	defer func() {
		if !started {
			_ = c.Start()
		}
	}()
	if _, err := s.Commit(ctx, v1, change); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("commit while down: %v, want ErrUnavailable", err)
	}
	if _, err := s.Rollback(ctx, 1, store.Change{Author: "a"}); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("rollback while down: %v, want ErrUnavailable", err)
	}
	if _, err := b.Head(ctx); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("head while down: %v, want ErrUnavailable", err)
	}
	if _, err := s.Versions(ctx, 0, 5); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("versions while down: %v, want ErrUnavailable", err)
	}
	if err := s.Ready(ctx); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("ready while down: %v, want ErrUnavailable", err)
	}
	if s.Current() != v1 {
		t.Error("the served snapshot changed")
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	started = true
	v2, err := s.Commit(ctx, v1, change)
	if err != nil || v2.Version.N != 2 {
		t.Fatalf("commit once back: %+v, %v; want version 2", v2, err)
	}
	if err := s.Ready(ctx); err != nil {
		t.Errorf("not ready once back: %v", err)
	}
	conn, err := c.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{b.Schema()}.Sanitize()+" CASCADE"); err != nil {
		t.Fatal(err)
	}
	if err := s.Ready(ctx); err == nil {
		t.Error("ready with its schema dropped")
	}
}

// A replica that started before a newer hetang migrated the schema writes
// nothing into the newer tables: its commits are refused, saying why.
func TestWriteAfterNewerMigration(t *testing.T) {
	c := pgtest.Require(t)
	ctx := context.Background()
	b := newBackend(t, storetest.Layout(t))
	s, err := store.New(ctx, b, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := c.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "INSERT INTO "+pgx.Identifier{b.Schema()}.Sanitize()+".schema_migrations (version, description) VALUES ($1, 'from the future')", pgstore.SchemaVersion()+1); err != nil {
		t.Fatal(err)
	}
	v1 := s.Current()
	moved := storetest.MovePlace(t, v1.Layout, 0, 0.001, 0, "after a newer migration")
	_, err = s.Commit(ctx, v1, store.Change{Layers: []*layout.Layer{moved}, DataVersion: "future+1", Kind: store.KindImport, Author: "a"})
	if err == nil || !strings.Contains(err.Error(), "newer hetang") {
		t.Errorf("commit after a newer migration: %v; want a refusal naming the newer hetang", err)
	}
	if head, _ := b.Head(ctx); head != 1 {
		t.Errorf("head %d, want 1: something was written", head)
	}
}
