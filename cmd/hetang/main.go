// Command hetang publishes the Hetang District 14th Five-Year Plan spatial
// layout as GIS layers and answers spatial questions about it.
//
//	hetang serve  [-addr :8080] [-data FILE.gpkg|postgres://…] [-config FILE.json]
//	hetang build  -o FILE.gpkg|postgres://… [-geodata DIR]
//	hetang import -data FILE.gpkg|postgres://… -layer ID INPUT
//	hetang token  -name NAME [-role writer|reader-admin]
//	hetang check  [-geodata DIR]
//	hetang version
//
// Each subcommand lives in its own file; main only dispatches.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// command is one subcommand.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() map[string]command {
	return map[string]command{
		"serve":  {"serve the layers, queries, OGC API and web page over HTTP", runServe},
		"build":  {"build the layout GeoPackage from geodata", runBuild},
		"check":  {"run the data checks on the layout", runCheck},
		"locate": {"answer where points/parcels in a GeoJSON, CSV or NDJSON file are (area, city, base, distances)", runLocate},
		"import": {"replace a layer of a GeoPackage or PostGIS database with authoritative data (GeoJSON, GeoPackage, zipped shapefile), as a new version", runImport},
		"token":  {"make a named token for writes or history reads, and its configuration entry", runToken},
		"version": {"print the version", func(_ context.Context, _ []string, stdout, _ io.Writer) error {
			_, err := fmt.Fprintln(stdout, version)
			return err
		}},
	}
}

// errUsage marks errors that are the caller's: exit status 2.
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		usage(stderr, cmds)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "hetang: unknown command %q\n", args[0])
		usage(stderr, cmds)
		return 2
	}
	if err := cmd.run(ctx, args[1:], stdout, stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "hetang %s: %v\n", args[0], err)
		if errors.Is(err, errUsage) {
			return 2
		}
		return 1
	}
	return 0
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "usage: hetang <command> [flags]\n\ncommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'hetang <command> -h' for a command's flags.")
}

// newFlagSet returns a flag set whose errors are usage errors.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("hetang "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	return nil
}
