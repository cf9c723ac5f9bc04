package pgstore

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"hetang/internal/store"
)

// Errors of a lost or refused connection are store.ErrUnavailable; errors
// the database answered with (a constraint, a missing table) are not.
func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"admin shutdown", &pgconn.PgError{Code: "57P01"}, true},
		{"starting up", &pgconn.PgError{Code: "57P03"}, true},
		{"connection failure", &pgconn.PgError{Code: "08006"}, true},
		{"unexpected EOF", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true},
		{"unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"missing table", &pgconn.PgError{Code: "42P01"}, false},
		{"bad byte", &pgconn.PgError{Code: "22021"}, false},
		{"conflict", store.ErrConflict, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.err
			classify(&err)
			if got := errors.Is(err, store.ErrUnavailable); got != tc.want {
				t.Errorf("classify(%v) is ErrUnavailable: %v, want %v", tc.err, got, tc.want)
			}
			if !errors.Is(err, tc.err) {
				t.Errorf("classify(%v) lost the cause: %v", tc.err, err)
			}
		})
	}
}
