// Package auth owns who may write and read the history: named bearer tokens
// with a role each, checked in constant time.
//
// Tokens are never kept or compared as given: each configured token is held
// as its SHA-256 digest, and a presented token is hashed and compared with
// every configured digest using crypto/subtle (all of them, every time), so
// the time taken tells nothing about which token, if any, matched or how much
// of it was right. The configuration file holds only digests (`hetang token`
// makes a token and its digest); the environment (HETANG_TOKENS, and
// HETANG_ADMIN_TOKEN for the writer "admin") may give tokens themselves.
//
// Roles: RoleReaderAdmin may read the history's details (version details,
// diffs, the audit log); RoleWriter may do that and write (imports,
// rollbacks).
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"hetang/internal/apierr"
	"hetang/internal/config"
)

// Roles.
const (
	RoleReaderAdmin = "reader-admin"
	RoleWriter      = "writer"
)

// AdminName is the name of the writer HETANG_ADMIN_TOKEN configures.
const AdminName = "admin"

// MinTokenLength is the shortest token accepted (in characters).
const MinTokenLength = 16

// ErrInvalid is wrapped by configuration errors.
var ErrInvalid = errors.New("auth: invalid token configuration")

// ErrUnauthenticated is returned for a missing or unknown token.
var ErrUnauthenticated = errors.New("auth: missing or unknown token")

// ErrForbidden is returned when a known token's role does not allow an action.
var ErrForbidden = errors.New("auth: the token's role does not allow this")

// Token is one configured token: a name (who, in the history and the audit
// log), a role, and the token's SHA-256 digest (64 hex digits).
type Token struct {
	Name   string `json:"name"`
	Role   string `json:"role"`
	SHA256 string `json:"sha256"`
}

// Principal is who a request authenticated as.
type Principal struct {
	Name string
	Role string
}

// Allows reports whether p's role allows what role requires.
func (p Principal) Allows(role string) bool {
	switch role {
	case RoleReaderAdmin:
		return p.Role == RoleReaderAdmin || p.Role == RoleWriter
	case RoleWriter:
		return p.Role == RoleWriter
	}
	return false
}

type entry struct {
	digest [sha256.Size]byte
	p      Principal
}

// Tokens checks presented tokens against the configured ones.
type Tokens struct {
	entries []entry
}

var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)

// New checks the configured tokens and returns the checker. Names must be
// unique, roles known, digests 64 hex digits and unique (one token under two
// names would be written in the history and the audit log as whichever came
// last).
func New(tokens []Token) (*Tokens, error) {
	t := &Tokens{}
	seen := map[string]bool{}
	owner := map[[sha256.Size]byte]string{}
	for i, tk := range tokens {
		if !namePattern.MatchString(tk.Name) {
			return nil, fmt.Errorf("%w: token %d: name %q must be 1-64 letters, digits, '.', '_', '@' or '-'", ErrInvalid, i+1, tk.Name)
		}
		if seen[tk.Name] {
			return nil, fmt.Errorf("%w: token name %q is used twice", ErrInvalid, tk.Name)
		}
		seen[tk.Name] = true
		if tk.Role != RoleReaderAdmin && tk.Role != RoleWriter {
			return nil, fmt.Errorf("%w: token %q: role %q must be %s or %s", ErrInvalid, tk.Name, tk.Role, RoleReaderAdmin, RoleWriter)
		}
		d, err := hex.DecodeString(strings.ToLower(tk.SHA256))
		if err != nil || len(d) != sha256.Size {
			return nil, fmt.Errorf("%w: token %q: sha256 must be the 64 hex digits of the token's SHA-256 (`hetang token` prints it)", ErrInvalid, tk.Name)
		}
		e := entry{p: Principal{Name: tk.Name, Role: tk.Role}}
		copy(e.digest[:], d)
		if other, ok := owner[e.digest]; ok {
			return nil, fmt.Errorf("%w: tokens %q and %q are the same token; give each its own (`hetang token`)", ErrInvalid, other, tk.Name)
		}
		owner[e.digest] = tk.Name
		t.entries = append(t.entries, e)
	}
	return t, nil
}

// Empty reports whether no token is configured (writes disabled).
func (t *Tokens) Empty() bool { return t == nil || len(t.entries) == 0 }

// Check returns the principal whose token is presented, or
// ErrUnauthenticated. It hashes the presented token and compares the digest
// with every configured one in constant time.
func (t *Tokens) Check(presented string) (Principal, error) {
	if t == nil || presented == "" {
		return Principal{}, ErrUnauthenticated
	}
	d := sha256.Sum256([]byte(presented))
	found := -1
	for i := range t.entries {
		if subtle.ConstantTimeCompare(d[:], t.entries[i].digest[:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return Principal{}, ErrUnauthenticated
	}
	return t.entries[found].p, nil
}

// Digest returns the hex SHA-256 of a token, as the configuration holds it.
func Digest(token string) string {
	d := sha256.Sum256([]byte(token))
	return hex.EncodeToString(d[:])
}

// FromSecret returns the Token entry for a token given as such (from the
// environment), checking its length and that it holds no white space or
// control characters (a presented token is read without the space around
// it, so such a token could never match).
func FromSecret(name, role, secret string) (Token, error) {
	if len(secret) < MinTokenLength {
		return Token{}, fmt.Errorf("%w: the token of %q must be at least %d characters", ErrInvalid, name, MinTokenLength)
	}
	if i := strings.IndexFunc(secret, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }); i >= 0 {
		return Token{}, fmt.Errorf("%w: the token of %q has a space or control character at character %d; tokens are sent in an HTTP header and cannot hold one", ErrInvalid, name, utf8.RuneCountInString(secret[:i])+1)
	}
	return Token{Name: name, Role: role, SHA256: Digest(secret)}, nil
}

// ParseEnv reads HETANG_TOKENS: comma-separated name:role:token entries.
func ParseEnv(v string) ([]Token, error) {
	var out []Token
	for _, item := range strings.Split(v, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		parts := strings.SplitN(item, ":", 3)
		if len(parts) != 3 {
			return nil, fmt.Errorf("%w: HETANG_TOKENS entries are name:role:token, comma-separated (an entry has %d parts)", ErrInvalid, len(parts))
		}
		tk, err := FromSecret(parts[0], parts[1], parts[2])
		if err != nil {
			return nil, err
		}
		out = append(out, tk)
	}
	return out, nil
}

// Generate returns a new random token (32 bytes, hex).
func Generate() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// FromConfig returns the tokens cfg configures: the file's entries
// (digests), HETANG_TOKENS (name:role:token) and HETANG_ADMIN_TOKEN (the
// writer "admin").
func FromConfig(cfg config.Config) (*Tokens, error) {
	var all []Token
	for _, t := range cfg.Tokens {
		all = append(all, Token{Name: t.Name, Role: t.Role, SHA256: t.SHA256})
	}
	env, err := ParseEnv(cfg.TokensEnv)
	if err != nil {
		return nil, err
	}
	all = append(all, env...)
	if cfg.AdminToken != "" {
		tk, err := FromSecret(AdminName, RoleWriter, cfg.AdminToken)
		if err != nil {
			return nil, err
		}
		all = append(all, tk)
	}
	return New(all)
}

// ContextActor is the echo context key under which Authorize leaves the
// name of a recognised token (even when its role is refused), so that the
// access log says who made a request, refused writes included.
const ContextActor = "hetang.actor"

// Header names and the bearer scheme (RFC 6750).
const (
	headerAuthorization   = "Authorization"
	headerWWWAuthenticate = "WWW-Authenticate"
	bearerScheme          = "Bearer"
)

// Authorize checks the request's bearer token for role and returns who it
// is. what names the action in messages ("imports", "diffs"). Errors are
// *apierr.Error: 403 when no token is configured or the token's role does
// not allow the action, 401 (with WWW-Authenticate) for a missing or unknown
// token.
func (t *Tokens) Authorize(c echo.Context, role, what string) (Principal, error) {
	if t.Empty() {
		return Principal{}, apierr.Errorf(apierr.KindForbidden, "%s", what+" are disabled on this server; configure a token: HETANG_TOKENS=name:role:token, tokens in the config file (see `hetang token`), or HETANG_ADMIN_TOKEN (at least 16 characters)")
	}
	// The scheme is case-insensitive (RFC 9110 §11.1): "bearer" is Bearer.
	scheme, got, _ := strings.Cut(strings.TrimSpace(c.Request().Header.Get(headerAuthorization)), " ")
	p, err := t.Check(strings.TrimSpace(got))
	if !strings.EqualFold(scheme, bearerScheme) || err != nil {
		c.Response().Header().Set(headerWWWAuthenticate, `Bearer realm="hetang", error="invalid_token"`)
		return Principal{}, apierr.WithCause(apierr.KindUnauthorized, "for "+what+", send the header Authorization: Bearer <token> with a "+role+" token; the token given is missing or wrong", ErrUnauthenticated)
	}
	c.Set(ContextActor, p.Name)
	if !p.Allows(role) {
		c.Response().Header().Set(headerWWWAuthenticate, `Bearer realm="hetang", error="insufficient_scope"`)
		return Principal{}, apierr.WithCause(apierr.KindForbidden, fmt.Sprintf("the token %q has role %s; for %s a %s token is needed", p.Name, p.Role, what, role), ErrForbidden)
	}
	return p, nil
}
