package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"hetang/internal/auth"
	"hetang/internal/config"
)

// runToken makes a new random token and prints it with the configuration
// entry that holds its digest (the configuration never holds the token).
func runToken(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fl := newFlagSet("token", stderr)
	name := fl.String("name", "", "who the token is for (required): shown in the version history and the audit log")
	role := fl.String("role", auth.RoleWriter, "writer (imports, rollbacks, and all reader-admin may do) or reader-admin (version details, diffs, audit log)")
	if err := parseFlags(fl, args); err != nil {
		return err
	}
	tok, err := auth.Generate()
	if err != nil {
		return err
	}
	entry := config.Token{Name: *name, Role: *role, SHA256: auth.Digest(tok)}
	if _, err := auth.New([]auth.Token{{Name: entry.Name, Role: entry.Role, SHA256: entry.SHA256}}); err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	b, err := json.Marshal(entry)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "token (give it to %s; it is not stored anywhere):\n  %s\nconfiguration file entry (\"tokens\": [ … ]):\n  %s\nor in the environment:\n  HETANG_TOKENS=%s:%s:%s\n", *name, tok, b, *name, *role, tok)
	return err
}
