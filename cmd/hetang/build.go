package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"

	"hetang/geodata"
	"hetang/internal/gpkg"
	"hetang/internal/plandata"
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
	out := fl.String("o", "hetang.gpkg", "GeoPackage to write (atomically: temp file, then rename)")
	dir := fl.String("geodata", "", "read sources from this directory instead of the embedded geodata")
	if err := parseFlags(fl, args); err != nil {
		return err
	}
	lay, err := plandata.Build(geodataFS(*dir))
	if err != nil {
		return err
	}
	if err := gpkg.Write(ctx, *out, lay); err != nil {
		return err
	}
	n := 0
	for _, ly := range lay.Layers {
		n += len(ly.Features)
	}
	_, err = fmt.Fprintf(stdout, "wrote %s: %d layers, %d features, data version %s\n", *out, len(lay.Layers), n, lay.Version)
	return err
}
