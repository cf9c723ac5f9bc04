package main

import (
	"context"
	"fmt"
	"log/slog"

	"hetang/geodata"
	"hetang/internal/pgstore"
	"hetang/internal/store"
)

// dataHelp describes the -data setting in flag usage.
const dataHelp = "GeoPackage file, or PostgreSQL/PostGIS database URL (postgres://user@host/db)"

// openStore opens the data a command works on: the embedded layout (data
// empty; read-only, built into cacheDir), a PostGIS database (a postgres://
// URL; schema names the schema) or a GeoPackage file. The store must hold a
// layout.
func openStore(ctx context.Context, data, schema, cacheDir string, opts store.Options) (*store.Store, error) {
	switch {
	case data == "":
		return store.OpenDefault(ctx, cacheDir, geodata.FS)
	case pgstore.IsURL(data):
		st, err := pgstore.OpenStore(ctx, data, schema, opts)
		if err != nil {
			return nil, err
		}
		if st.Current() == nil {
			st.Close()
			return nil, fmt.Errorf("%s: %w", st.Backend().Describe(), store.ErrEmpty)
		}
		return st, nil
	default:
		return store.OpenWith(ctx, data, opts)
	}
}

// describeData names the data in logs without secrets.
func describeData(st *store.Store, log *slog.Logger) string {
	d := st.Backend().Describe()
	log.Debug("data", "backend", d)
	return d
}
