package pgtest_test

import (
	"context"
	"os"
	"testing"

	"hetang/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// The cluster runs PostGIS, and a restart keeps the data.
func TestClusterRunsPostGIS(t *testing.T) {
	c := pgtest.Require(t)
	ctx := context.Background()
	conn, err := c.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	schema := c.Schema(t)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema+"; CREATE TABLE "+schema+".x (g geometry)"); err != nil {
		t.Fatal(err)
	}
	var area float64
	if err := conn.QueryRow(ctx, "SELECT ST_Area(ST_GeomFromText('POLYGON((0 0,2 0,2 3,0 3,0 0))'))").Scan(&area); err != nil {
		t.Fatal(err)
	}
	if area != 6 {
		t.Errorf("ST_Area = %v, want 6", area)
	}
	conn.Close(ctx)
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Connect(ctx); err == nil {
		t.Error("connected to a stopped cluster")
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	conn, err = c.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+schema+".x").Scan(&n); err != nil {
		t.Fatalf("table lost across a restart: %v", err)
	}
}
