package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"hetang/internal/config"
	"hetang/internal/crs"
	"hetang/internal/locate"
	"hetang/internal/pgstore"
	"hetang/internal/store"
)

// runLocate is `hetang locate FILE|- [-format csv|ndjson|geojson] [-in FORMAT] [-crs CRS] [-k N] [-data FILE.gpkg]`:
// the batch locate of the HTTP API, from a file or stdin to stdout.
func runLocate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fl := newFlagSet("locate", stderr)
	outFmt := fl.String("format", "", "output format: csv, ndjson or geojson (default: the input's)")
	inFmt := fl.String("in", "", "input format: csv, ndjson or geojson (default: from the file extension, else sniffed)")
	crsName := fl.String("crs", "", "coordinate reference system of the input and output coordinates (CRS84, EPSG:4326, EPSG:4490, EPSG:4547, EPSG:3857, GCJ02, BD09; x-first order)")
	k := fl.Int("k", locate.DefaultK, "nearest roads in full (GeoJSON) answers, 1..50")
	data := fl.String("data", "", dataHelp+" to query (default: the embedded layout)")
	schema := fl.String("schema", pgstore.DefaultSchema, "PostgreSQL schema (with -data postgres://…)")
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: hetang locate [flags] FILE|-   (answers go to stdout)")
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
	c, err := crs.Parse(*crsName)
	if err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if *k < 1 || *k > locate.MaxK {
		return fmt.Errorf("%w: -k %d must be from 1 to %d", errUsage, *k, locate.MaxK)
	}

	var in io.Reader = os.Stdin
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	br := bufio.NewReaderSize(in, 1<<16)
	var inF locate.Format
	ok := false
	switch {
	case *inFmt != "":
		if inF, ok = locate.ParseFormat(*inFmt); !ok {
			return fmt.Errorf("%w: -in %q must be csv, ndjson or geojson", errUsage, *inFmt)
		}
	case file != "-":
		inF, ok = locate.ParseFormat(strings.TrimPrefix(strings.ToLower(filepath.Ext(file)), "."))
	}
	if !ok {
		head, _ := br.Peek(4096)
		inF = locate.Sniff(head)
	}
	outF := inF
	if *outFmt != "" {
		if outF, ok = locate.ParseFormat(*outFmt); !ok {
			return fmt.Errorf("%w: -format %q must be csv, ndjson or geojson", errUsage, *outFmt)
		}
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
	b := &locate.Batch{Locator: &locate.Locator{Index: st.Current().Index, CRS: c, K: *k, Limits: parcelLimits(cfg)}, In: inF, Out: outF}
	n, _, err := b.Run(ctx, br, stdout)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "hetang locate: %d records\n", n)
	return nil
}
