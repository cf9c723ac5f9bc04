package httpapi

import (
	"errors"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"hetang/internal/apierr"
	"hetang/internal/links"
	"hetang/internal/store"
)

// ParamMessage says why a write was made (imports, rollbacks): the
// version's message in the history.
const ParamMessage = "message"

// Retry-After of writes refused for a reason that passes: another writer
// committing first, the database out of reach.
const (
	retryConflict    = time.Second
	retryUnavailable = 5 * time.Second
)

// WriteMessage returns a write request's ?message=, or a 400 before any work
// is done: when the message is not what store.CheckMessage takes, or when
// the request names a ?version= (a write always applies to the newest
// version; a version given with it would be silently ignored, and a client
// that meant "only if version N is still the newest" would overwrite
// another writer's version).
func WriteMessage(c echo.Context) (string, error) {
	if v := c.QueryParam(ParamVersion); v != "" {
		return "", apierr.Errorf(apierr.KindInvalid, "%s=%q: a write always applies to the newest version (another writer's changes are checked again, not overwritten blindly); %s= is for reading an earlier one — leave it out", ParamVersion, v, ParamVersion)
	}
	m := c.QueryParam(ParamMessage)
	if err := store.CheckMessage(m); err != nil {
		return "", apierr.Errorf(apierr.KindInvalid, "%s=: %s", ParamMessage, strings.TrimPrefix(err.Error(), store.ErrMessage.Error()+": "))
	}
	return m, nil
}

// WriteError is the answer to a write (what: "the import", "the rollback")
// that the store refused or could not save: 409 when another write kept
// committing first (try again) or nothing would change, 503 with
// Retry-After while the database cannot be reached, a 503 that says so
// when the connection went while committing (the write may be saved), 400
// for a bad message, 500 otherwise. *apierr.Error values pass unchanged.
func WriteError(err error, what string) error {
	var ae *apierr.Error
	switch {
	case errors.As(err, &ae):
		return err
	case errors.Is(err, store.ErrMessage):
		return apierr.WithCause(apierr.KindInvalid, ParamMessage+"=: "+strings.TrimPrefix(err.Error(), store.ErrMessage.Error()+": "), err)
	case errors.Is(err, store.ErrReadOnly):
		return apierr.WithCause(apierr.KindConflict, "the data is read-only (the embedded default data); start the server with -data FILE.gpkg or -data postgres://… to allow writes", err)
	case errors.Is(err, store.ErrUnchanged):
		return apierr.WithCause(apierr.KindConflict, what+" would change nothing: "+strings.TrimPrefix(err.Error(), store.ErrUnchanged.Error()+": ")+"; nothing was written", err)
	case errors.Is(err, store.ErrConflict):
		return &apierr.Error{Kind: apierr.KindConflict, Err: err, RetryAfter: retryConflict,
			Detail: what + " was not saved: other writes kept committing first while it was checked again against each newer version; nothing changed; send it again"}
	case errors.Is(err, store.ErrOutcomeUnknown):
		return &apierr.Error{Kind: apierr.KindUnavailable, Err: err, RetryAfter: retryUnavailable,
			Detail: "the connection to the database was lost while " + what + " was being committed: it may or may not have been saved; GET " + links.Versions + " shows the newest version once the database is back"}
	case errors.Is(err, store.ErrUnavailable):
		return &apierr.Error{Kind: apierr.KindUnavailable, Err: err, RetryAfter: retryUnavailable,
			Detail: what + " was not saved: the database cannot be reached now; nothing changed, the previous data is still served; try again later"}
	}
	return apierr.WithCause(apierr.KindInternal, what+" could not be saved; nothing changed, the previous data is still served", err)
}
