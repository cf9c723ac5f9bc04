package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"hetang/internal/config"
	"hetang/internal/intake"
	"hetang/internal/locate"
	"hetang/internal/pgstore"
	"hetang/internal/store"
)

// runLocate is `hetang locate FILE|- [-format csv|ndjson|geojson] [-in FORMAT] [-crs CRS] [-x COL -y COL | -wkt COL] [-sheet NAME] [-layer NAME] [-k N] [-data FILE.gpkg]`:
// the batch locate of the HTTP API, from a file or stdin to stdout.
func runLocate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fl := newFlagSet("locate", stderr)
	outFmt := fl.String("format", "", "output format: csv, ndjson or geojson (default: csv for tables, else the input's)")
	inFmt := fl.String("in", "", "input format: csv, ndjson, geojson, xlsx, zip (Shapefile) or gpkg (default: from the file extension, else sniffed)")
	crsName := fl.String("crs", "", "coordinate reference system of the input (CRS84, EPSG:4326, EPSG:4490, EPSG:4547, EPSG:4526, EPSG:3857, GCJ02, BD09, any EPSG:n; default: the file's, else detected from the numbers)")
	xCol := fl.String("x", "", "table column holding the easting or longitude (default: detected)")
	yCol := fl.String("y", "", "table column holding the northing or latitude (default: detected)")
	wktCol := fl.String("wkt", "", "table column holding WKT geometry (default: detected)")
	sheet := fl.String("sheet", "", "worksheet of an .xlsx input (default: the first)")
	layer := fl.String("layer", "", "table of a GeoPackage input (default: the only one)")
	k := fl.Int("k", locate.DefaultK, "nearest roads in full (GeoJSON) answers, 1..50")
	data := fl.String("data", "", dataHelp+" to query (default: the embedded layout)")
	schema := fl.String("schema", pgstore.DefaultSchema, "PostgreSQL schema (with -data postgres://…)")
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: hetang locate [flags] FILE|-   (answers go to stdout; what was assumed about the input goes to stderr)")
		fl.PrintDefaults()
	}
	// The file comes last or first; flags may follow it.
	var file string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") || len(args) > 0 && args[0] == "-" {
		file, args = args[0], args[1:]
	}
	if err := fl.Parse(args); err != nil {
		return parseFlags(fl, args)
	}
	if file == "" {
		if fl.NArg() != 1 {
			return fmt.Errorf("%w: give one input FILE, or - for stdin", errUsage)
		}
		file = fl.Arg(0)
	} else if fl.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fl.Arg(0))
	}
	if *crsName != "" {
		if _, err := intake.CRSNameDef(*crsName); err != nil {
			return fmt.Errorf("%w: -crs: %w", errUsage, err)
		}
	}
	if *k < 1 || *k > locate.MaxK {
		return fmt.Errorf("%w: -k %d must be from 1 to %d", errUsage, *k, locate.MaxK)
	}
	opt := intake.Options{CRS: *crsName, X: *xCol, Y: *yCol, WKT: *wktCol, Sheet: *sheet, Layer: *layer}
	if *inFmt != "" {
		f, ok := intake.ParseFormat(*inFmt)
		if !ok {
			return fmt.Errorf("%w: -in %q must be csv, ndjson, geojson, xlsx, zip or gpkg", errUsage, *inFmt)
		}
		opt.Format = f
	}
	var outF locate.Format
	if *outFmt != "" {
		var ok bool
		if outF, ok = locate.ParseFormat(*outFmt); !ok {
			return fmt.Errorf("%w: -format %q must be csv, ndjson or geojson", errUsage, *outFmt)
		}
	}

	var in io.Reader = os.Stdin
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
		opt.Filename = filepath.Base(file)
	}

	cfg := config.Default()
	if err := cfg.ApplyEnv(os.Getenv); err != nil {
		return err
	}
	st, err := openStore(ctx, *data, *schema, cfg.CacheDir, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	l := locate.For(st.Current())
	l.K, l.Limits = *k, parcelLimits(cfg)
	b := &locate.Batch{Locator: l, Input: opt, Out: outF}
	b.Opened = func(in *intake.Input) {
		if b.Out == "" {
			b.Out = locate.DefaultOut(in.Format)
		}
		fmt.Fprintf(stderr, "hetang locate: input %s, encoding %s, CRS %s (%s: %s)\n", in.Format, in.Encoding, in.CRS.Code, in.CRS.Source, in.CRS.ReasonEN)
	}
	n, _, err := b.Run(ctx, bufio.NewReaderSize(in, 1<<16), stdout)
	if err != nil {
		var ie *intake.InputError
		if errors.As(err, &ie) {
			return fmt.Errorf("%w: %s / %s", errUsage, ie.EN, ie.ZH)
		}
		return err
	}
	fmt.Fprintf(stderr, "hetang locate: %d records\n", n)
	return nil
}
