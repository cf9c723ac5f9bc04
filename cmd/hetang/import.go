package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"hetang/geodata"
	"hetang/internal/config"
	"hetang/internal/importer"
	"hetang/internal/pgstore"
	"hetang/internal/plandata"
	"hetang/internal/store"
)

// runImport replaces one layer of a GeoPackage or a PostGIS database with
// authoritative data, as a new version. Servers serving the same data serve
// the new version within a second (PostgreSQL announces it; a GeoPackage
// file is watched).
func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fl := newFlagSet("import", stderr)
	data := fl.String("data", "", "the layout to change (required): "+dataHelp)
	schema := fl.String("schema", pgstore.DefaultSchema, "PostgreSQL schema (with -data postgres://…)")
	msg := fl.String("m", "", "message for the version history: why")
	author := fl.String("author", "cli", "who, in the version history and the audit log")
	layer := fl.String("layer", "", "id of the layer to replace (required), e.g. areas")
	srs := fl.String("srs", "", "CRS of the input when it does not say (EPSG:n), overriding what it says")
	accuracy := fl.String("accuracy", "", `accuracy for features that lack one (default "as supplied")`)
	table := fl.String("table", "", "GeoPackage input: the table to read (default: the layer id or the only table)")
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: hetang import -data FILE.gpkg|postgres://… -layer ID [-m MESSAGE] [-srs EPSG:n] [-accuracy TEXT] [-table NAME] INPUT")
		fmt.Fprintln(stderr, "INPUT is a .geojson, a .gpkg or a .zip holding a shapefile.")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if *data == "" || *layer == "" || fl.NArg() != 1 {
		fl.Usage()
		return fmt.Errorf("%w: -data, -layer and one INPUT file are required", errUsage)
	}
	input := fl.Arg(0)
	format, err := importer.FormatOf(input)
	if err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	cfg := config.Default()
	if err := cfg.ApplyEnv(os.Getenv); err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	req := importer.Request{Layer: *layer, Format: format, Filename: input, SRS: *srs, Table: *table, Accuracy: *accuracy, Agent: *author,
		Author: *author, Role: "cli", Message: *msg, Limits: parcelLimits(cfg)}
	if format == importer.FormatGeoPackage {
		req.Path = input
	} else if req.Data, err = os.ReadFile(input); err != nil {
		return err
	}
	st, err := openStore(ctx, *data, *schema, "", store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	gaz, err := plandata.ReadGazetteer(geodata.FS)
	if err != nil {
		return err
	}
	res, err := importer.New(st, gaz).Import(ctx, req)
	var rej *importer.RejectedError
	if errors.As(err, &rej) {
		for _, f := range rej.Findings {
			fmt.Fprintln(stdout, f)
		}
		return fmt.Errorf("import rejected: %d check(s) failed; %s is unchanged", len(rej.Findings), st.Backend().Describe())
	}
	if err != nil {
		return err
	}
	for _, w := range res.Warnings {
		fmt.Fprintln(stdout, "warning:", w)
	}
	_, err = fmt.Fprintf(stdout, "imported %d features into layer %s of %s: version %d, data version %s (was %s)\nServers serving it serve the new version within a second.\n",
		res.FeatureCount, res.Layer, st.Backend().Describe(), res.Version, res.DataVersion, res.PreviousVersion)
	return err
}
