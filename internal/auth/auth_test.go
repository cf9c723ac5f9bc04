package auth_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"hetang/internal/apierr"
	"hetang/internal/auth"
	"hetang/internal/config"
)

const (
	writerSecret = "writer-secret-0123456789"
	readerSecret = "reader-secret-0123456789"
	adminSecret  = "admin-secret-0123456789"
)

func tokens(t *testing.T) *auth.Tokens {
	t.Helper()
	cfg := config.Default()
	// The file holds a digest (sha256sum of the token, as `hetang token` prints).
	cfg.Tokens = []config.Token{{Name: "alice", Role: auth.RoleWriter, SHA256: auth.Digest(writerSecret)}}
	cfg.TokensEnv = "auditor:reader-admin:" + readerSecret
	cfg.AdminToken = adminSecret
	tk, err := auth.FromConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

// The digest is SHA-256 as sha256sum prints it.
func TestDigest(t *testing.T) {
	// printf %s abc | sha256sum
	if got, want := auth.Digest("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"; got != want {
		t.Errorf("Digest(abc) = %s, want %s", got, want)
	}
}

func TestCheck(t *testing.T) {
	tk := tokens(t)
	tests := []struct {
		name, token string
		want        auth.Principal
		wantErr     bool
	}{
		{"file token (digest)", writerSecret, auth.Principal{Name: "alice", Role: auth.RoleWriter}, false},
		{"env token", readerSecret, auth.Principal{Name: "auditor", Role: auth.RoleReaderAdmin}, false},
		{"HETANG_ADMIN_TOKEN", adminSecret, auth.Principal{Name: auth.AdminName, Role: auth.RoleWriter}, false},
		{"empty", "", auth.Principal{}, true},
		{"prefix", writerSecret[:10], auth.Principal{}, true},
		{"longer", writerSecret + "x", auth.Principal{}, true},
		{"the digest itself", auth.Digest(writerSecret), auth.Principal{}, true},
		{"hostile size", strings.Repeat("x", 1<<20), auth.Principal{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tk.Check(tc.token)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("Check = %+v, %v; want %+v (error %v)", got, err, tc.want, tc.wantErr)
			}
			if err != nil && !errors.Is(err, auth.ErrUnauthenticated) {
				t.Errorf("error %v is not ErrUnauthenticated", err)
			}
		})
	}
}

func TestAllows(t *testing.T) {
	w := auth.Principal{Name: "w", Role: auth.RoleWriter}
	r := auth.Principal{Name: "r", Role: auth.RoleReaderAdmin}
	for _, tc := range []struct {
		p    auth.Principal
		role string
		want bool
	}{
		{w, auth.RoleWriter, true}, {w, auth.RoleReaderAdmin, true},
		{r, auth.RoleWriter, false}, {r, auth.RoleReaderAdmin, true},
		{w, "root", false}, {auth.Principal{}, auth.RoleReaderAdmin, false},
	} {
		if got := tc.p.Allows(tc.role); got != tc.want {
			t.Errorf("%s Allows(%s) = %v, want %v", tc.p.Role, tc.role, got, tc.want)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*config.Config)
		want string
	}{
		{"short env token", func(c *config.Config) { c.TokensEnv = "a:writer:short" }, "at least 16"},
		{"env entry without role", func(c *config.Config) { c.TokensEnv = "a:" + writerSecret }, "name:role:token"},
		{"unknown role", func(c *config.Config) { c.TokensEnv = "a:root:" + writerSecret }, "role"},
		{"duplicate name", func(c *config.Config) { c.TokensEnv = "a:writer:" + writerSecret + ",a:writer:" + readerSecret }, "twice"},
		{"one token, two names", func(c *config.Config) { c.TokensEnv = "a:writer:" + writerSecret + ",b:reader-admin:" + writerSecret }, `tokens "a" and "b" are the same token`},
		{"admin token reused", func(c *config.Config) { c.TokensEnv = "a:writer:" + writerSecret; c.AdminToken = writerSecret }, `tokens "a" and "admin" are the same token`},
		{"bad name", func(c *config.Config) { c.TokensEnv = "a b:writer:" + writerSecret }, "name"},
		{"bad digest", func(c *config.Config) { c.Tokens = []config.Token{{Name: "x", Role: auth.RoleWriter, SHA256: "abc"}} }, "64 hex"},
		{"short admin token", func(c *config.Config) { c.AdminToken = "short" }, "at least 16"},
		// A presented token is read without the space around it: such a
		// token could never be used.
		{"env token with a space", func(c *config.Config) { c.TokensEnv = "a:writer: " + writerSecret }, "space or control character at character 1"},
		{"admin token with a tab", func(c *config.Config) { c.AdminToken = writerSecret + "\t" }, "space or control character"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := config.Default()
			tc.edit(&cfg)
			_, err := auth.FromConfig(cfg)
			if err == nil || !errors.Is(err, auth.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("FromConfig: %v; want ErrInvalid mentioning %q", err, tc.want)
			}
		})
	}
	if tk, err := auth.FromConfig(config.Default()); err != nil || !tk.Empty() {
		t.Errorf("no tokens: %v, empty %v", err, tk.Empty())
	}
}

func TestAuthorize(t *testing.T) {
	tk := tokens(t)
	none, _ := auth.New(nil)
	for _, tc := range []struct {
		name       string
		tokens     *auth.Tokens
		header     string
		role       string
		wantStatus int
		wantWho    string
	}{
		{"writer for a write", tk, "Bearer " + writerSecret, auth.RoleWriter, 0, "alice"},
		{"writer for a read", tk, "Bearer " + adminSecret, auth.RoleReaderAdmin, 0, "admin"},
		{"reader for a read", tk, "Bearer " + readerSecret, auth.RoleReaderAdmin, 0, "auditor"},
		{"reader for a write", tk, "Bearer " + readerSecret, auth.RoleWriter, http.StatusForbidden, ""},
		{"no header", tk, "", auth.RoleWriter, http.StatusUnauthorized, ""},
		{"basic scheme", tk, "Basic " + writerSecret, auth.RoleWriter, http.StatusUnauthorized, ""},
		// RFC 9110 §11.1: the scheme is case-insensitive; spaces around the token do not count.
		{"lower-case scheme", tk, "bearer " + writerSecret, auth.RoleWriter, 0, "alice"},
		{"upper-case scheme", tk, "BEARER  " + writerSecret + " ", auth.RoleWriter, 0, "alice"},
		{"token without scheme", tk, writerSecret, auth.RoleWriter, http.StatusUnauthorized, ""},
		{"scheme without token", tk, "Bearer", auth.RoleWriter, http.StatusUnauthorized, ""},
		{"scheme prefix", tk, "Bearerx " + writerSecret, auth.RoleWriter, http.StatusUnauthorized, ""},
		{"wrong token", tk, "Bearer nope-nope-nope-nope", auth.RoleReaderAdmin, http.StatusUnauthorized, ""},
		{"none configured", none, "Bearer " + writerSecret, auth.RoleWriter, http.StatusForbidden, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			rec := httptest.NewRecorder()
			c := echo.New().NewContext(req, rec)
			p, err := tc.tokens.Authorize(c, tc.role, "tests")
			if tc.wantStatus == 0 {
				if err != nil || p.Name != tc.wantWho {
					t.Errorf("Authorize = %+v, %v; want %s", p, err, tc.wantWho)
				}
				return
			}
			var ae *apierr.Error
			if !errors.As(err, &ae) || ae.Status() != tc.wantStatus {
				t.Fatalf("Authorize error %v, want status %d", err, tc.wantStatus)
			}
			if tc.wantStatus == http.StatusUnauthorized && rec.Header().Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
}

func TestGenerate(t *testing.T) {
	a, err := auth.Generate()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := auth.Generate()
	if len(a) != 64 || a == b {
		t.Errorf("Generate: %q, %q", a, b)
	}
}

// FuzzTokens feeds HETANG_TOKENS values and presented tokens: no panic, and
// a token is accepted only if it is exactly one configured.
func FuzzTokens(f *testing.F) {
	f.Add("a:writer:"+writerSecret, writerSecret)
	f.Add("a:reader-admin:"+readerSecret+",b:writer:"+writerSecret, "Bearer x")
	f.Add(",,:::", "")
	f.Add("a:writer:"+strings.Repeat("z", 100), strings.Repeat("z", 100))
	f.Fuzz(func(t *testing.T, env, presented string) {
		list, err := auth.ParseEnv(env)
		if err != nil {
			return
		}
		tk, err := auth.New(list)
		if err != nil {
			return
		}
		p, err := tk.Check(presented)
		if err != nil {
			return
		}
		found := false
		for _, item := range strings.Split(env, ",") {
			parts := strings.SplitN(strings.TrimSpace(item), ":", 3)
			if len(parts) == 3 && parts[2] == presented && parts[0] == p.Name {
				found = true
			}
		}
		if !found {
			t.Errorf("token %q accepted as %+v, but %q does not configure it", presented, p, env)
		}
	})
}
