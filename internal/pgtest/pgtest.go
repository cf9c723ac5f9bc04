// Package pgtest runs a throwaway PostgreSQL + PostGIS cluster for tests:
// Debian's postgresql-15 and postgresql-15-postgis-3 binaries, initdb in a
// temporary directory, a unix socket in that directory (no TCP port), one
// cluster per test binary, shared by its tests, each of which works in its
// own schema.
//
// A package that uses it runs its tests through Main:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
//
// and a test calls Require, which starts the cluster on first use. When
// PostgreSQL cannot start (binaries missing, …) Require skips the test, or
// fails it when the environment variable CI is set: `make test` installs the
// packages (scripts/deps.sh test), so under CI a missing cluster is a defect.
//
// PostgreSQL refuses to run as root; as root the cluster runs as the user
// "postgres" (runuser), which the Debian package creates. A watchdog process
// stops the cluster and removes its directory if the test binary dies
// without calling Main's clean-up.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Database is the name of the database the cluster holds for tests.
const Database = "hetang_test"

// port is the number in the socket's file name (.s.PGSQL.port): the cluster
// listens on no TCP port, so it cannot clash with anything.
const port = 5432

// Cluster is a running throwaway PostgreSQL cluster.
type Cluster struct {
	dir    string // holds data/ and the socket
	bin    string // PostgreSQL's bin directory
	asUser []string
	mu     sync.Mutex
	logf   string
}

var (
	once     sync.Once
	shared   *Cluster
	startErr error
)

// Main runs the tests and then stops the cluster if a test started it.
func Main(m *testing.M) int {
	code := m.Run()
	if shared != nil {
		shared.stop()
	}
	return code
}

// Require returns the shared cluster, starting it on first use. It skips t
// when PostgreSQL cannot start, or fails t when CI is set.
func Require(t testing.TB) *Cluster {
	t.Helper()
	once.Do(func() { shared, startErr = start() })
	if startErr != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("pgtest: PostgreSQL + PostGIS cannot start (`make deps-test` installs postgresql-15 and postgresql-15-postgis-3): %v", startErr)
		}
		t.Skipf("pgtest: PostgreSQL + PostGIS cannot start: %v", startErr)
	}
	return shared
}

// binDir finds PostgreSQL's server binaries: $HETANG_PGBIN, or the newest
// /usr/lib/postgresql/N/bin with initdb.
func binDir() (string, error) {
	if d := os.Getenv("HETANG_PGBIN"); d != "" {
		return d, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", errors.New("no PostgreSQL server binaries in /usr/lib/postgresql/*/bin (set HETANG_PGBIN)")
}

func versionOf(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func start() (*Cluster, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "hetang-pg-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{dir: dir, bin: bin, logf: filepath.Join(dir, "postgres.log")}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("running as root and there is no user postgres to run PostgreSQL as: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chmod(dir, 0o755); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		c.asUser = []string{"runuser", "-u", "postgres", "--"}
	}
	if out, err := c.run(60*time.Second, "initdb", "-D", c.dataDir(), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	if err := c.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	c.watchdog()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.dsn("postgres"))
	if err != nil {
		c.stop()
		return nil, err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+Database); err != nil {
		c.stop()
		return nil, err
	}
	db, err := pgx.Connect(ctx, c.dsn(Database))
	if err != nil {
		c.stop()
		return nil, err
	}
	defer db.Close(ctx)
	if _, err := db.Exec(ctx, "CREATE EXTENSION postgis"); err != nil {
		c.stop()
		return nil, fmt.Errorf("PostGIS (postgresql-15-postgis-3) is not installed: %w", err)
	}
	return c, nil
}

func (c *Cluster) dataDir() string { return filepath.Join(c.dir, "data") }

// run runs a PostgreSQL binary (as the postgres user when root).
func (c *Cluster) run(timeout time.Duration, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	argv := append(append(append([]string{}, c.asUser...), filepath.Join(c.bin, name)), args...)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = c.dir
	return cmd.CombinedOutput()
}

// Start starts the cluster's server (again, after Stop). Tests that restart
// PostgreSQL in the middle of their work call Stop and Start.
func (c *Cluster) Start() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c shared_buffers=64MB", port, c.dir)
	if out, err := c.run(60*time.Second, "pg_ctl", "-D", c.dataDir(), "-w", "-t", "60", "-l", c.logf, "-o", opts, "start"); err != nil {
		log, _ := os.ReadFile(c.logf)
		return fmt.Errorf("pg_ctl start: %w\n%s\n%s", err, out, log)
	}
	return nil
}

// Stop stops the server (fast shutdown: open sessions are ended).
func (c *Cluster) Stop() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if out, err := c.run(60*time.Second, "pg_ctl", "-D", c.dataDir(), "-w", "-m", "fast", "stop"); err != nil {
		return fmt.Errorf("pg_ctl stop: %w\n%s", err, out)
	}
	return nil
}

func (c *Cluster) stop() {
	_, _ = c.run(60*time.Second, "pg_ctl", "-D", c.dataDir(), "-w", "-m", "immediate", "stop")
	os.RemoveAll(c.dir)
}

// watchdog starts a detached shell that stops the cluster and removes its
// directory once this process is gone, so a killed test binary leaves no
// server behind.
func (c *Cluster) watchdog() {
	pgctl := filepath.Join(c.bin, "pg_ctl")
	stop := fmt.Sprintf("%q -D %q -w -m immediate stop", pgctl, c.dataDir())
	if len(c.asUser) > 0 {
		stop = "runuser -u postgres -- " + stop
	}
	script := fmt.Sprintf(`while kill -0 %d 2>/dev/null; do sleep 1; done; if [ -d %q ]; then %s >/dev/null 2>&1; rm -rf %q; fi`,
		os.Getpid(), c.dataDir(), stop, c.dir)
	cmd := exec.Command("sh", "-c", script)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err == nil {
		go func() { _ = cmd.Wait() }()
	}
}

func (c *Cluster) dsn(db string) string {
	return fmt.Sprintf("host=%s port=%d user=postgres dbname=%s sslmode=disable", c.dir, port, db)
}

// URL is the postgres:// URL of the test database, as `hetang serve -data`
// takes it.
func (c *Cluster) URL() string {
	q := url.Values{"host": {c.dir}, "port": {strconv.Itoa(port)}, "sslmode": {"disable"}}
	return (&url.URL{Scheme: "postgres", User: url.User("postgres"), Path: "/" + Database, RawQuery: q.Encode()}).String()
}

// Connect opens a connection to the test database.
func (c *Cluster) Connect(ctx context.Context) (*pgx.Conn, error) {
	return pgx.Connect(ctx, c.dsn(Database))
}

// Schema returns a new, unused schema name for t and drops the schema (if
// the code under test created it) when t ends.
func (c *Cluster) Schema(t testing.TB) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "t_" + hex.EncodeToString(b)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := c.Connect(ctx)
		if err != nil {
			return // the test may have stopped the server; the cluster goes at exit
		}
		defer conn.Close(ctx)
		_, _ = conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+name+" CASCADE")
	})
	return name
}
