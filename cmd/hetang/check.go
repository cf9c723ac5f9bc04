package main

import (
	"context"
	"fmt"
	"io"

	"hetang/internal/plandata"
)

func runCheck(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fl := newFlagSet("check", stderr)
	dir := fl.String("geodata", "", "check sources in this directory instead of the embedded geodata")
	if err := parseFlags(fl, args); err != nil {
		return err
	}
	fsys := geodataFS(*dir)
	lay, err := plandata.Build(fsys)
	if err != nil {
		return err
	}
	gaz, err := plandata.ReadGazetteer(fsys)
	if err != nil {
		return err
	}
	findings := plandata.Check(lay, gaz)
	for _, f := range findings {
		fmt.Fprintln(stdout, f)
	}
	if len(findings) > 0 {
		return fmt.Errorf("%d data check(s) failed", len(findings))
	}
	_, err = fmt.Fprintf(stdout, "ok: %d layers, data version %s\n", len(lay.Layers), lay.Version)
	return err
}
