package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"

	"hetang/geodata"
	"hetang/internal/pgstore"
	"hetang/internal/plandata"
	"hetang/internal/store"
)

// geodataFS returns the embedded geodata, or dir when given (to build from a
// working copy without recompiling).
func geodataFS(dir string) fs.FS {
	if dir == "" {
		return geodata.FS
	}
	return os.DirFS(dir)
}

func runBuild(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fl := newFlagSet("build", stderr)
	out := fl.String("o", "hetang.gpkg", "where to write: a GeoPackage file (a new file, written atomically: temp file, then rename) or a PostgreSQL/PostGIS URL (postgres://…; the layout becomes the database's newest version)")
	dir := fl.String("geodata", "", "read sources from this directory instead of the embedded geodata")
	schema := fl.String("schema", pgstore.DefaultSchema, "PostgreSQL schema (with -o postgres://…)")
	msg := fl.String("m", "built from geodata", "message for the version history (with -o postgres://…)")
	if err := parseFlags(fl, args); err != nil {
		return err
	}
	lay, err := plandata.Build(geodataFS(*dir))
	if err != nil {
		return err
	}
	n := 0
	for _, ly := range lay.Layers {
		n += len(ly.Features)
	}
	if !pgstore.IsURL(*out) {
		if err := store.Create(ctx, *out, lay, "cli"); err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "wrote %s: %d layers, %d features, data version %s\n", *out, len(lay.Layers), n, lay.Version)
		return err
	}
	st, err := pgstore.OpenStore(ctx, *out, *schema, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	cur := st.Current()
	if cur != nil && cur.Layout.Version == lay.Version {
		_, err = fmt.Fprintf(stdout, "%s already holds data version %s as its newest version (%d); nothing to do\n", st.Backend().Describe(), lay.Version, cur.Version.N)
		return err
	}
	snap, err := st.Commit(ctx, cur, store.Change{Layout: lay, DataVersion: lay.Version, Kind: store.KindBuild, Author: "cli", Role: "cli", Message: *msg})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "loaded into %s: %d layers, %d features, data version %s as version %d\n", st.Backend().Describe(), len(lay.Layers), n, lay.Version, snap.Version.N)
	return err
}
