// Package pgstore keeps the layout and its history in PostgreSQL/PostGIS:
// the store.Backend that `hetang serve -data postgres://…` uses, through
// jackc/pgx, with geometries sent and read as extended WKB encoded by
// twpayne/go-geom.
//
// Everything lives in one schema of its own ("hetang" by default), created
// and migrated by the program: numbered migrations recorded in
// schema_migrations, applied in one transaction under an advisory lock, so
// any number of replicas may start at once. The tables:
//
//	versions        one row per version: number, data version, time, author, kind, message, changes
//	layer_revisions one row per stored layer revision (a layer as one version has it)
//	features        the features of each layer revision: id, properties (jsonb), geom (GiST-indexed)
//	version_layers  which layer revisions, in which order, make up each version
//	audit           one row per committed write
//	current_features (view) the newest version's features, for SQL clients and GIS desktops
//
// A write is one transaction serialised by an advisory lock: it checks the
// version it was prepared against is still the newest (else
// store.ErrConflict), stores the new layer revisions and the version, and
// announces the version number with pg_notify on the schema's channel, which
// PostgreSQL delivers to every listening replica when (and only if) the
// transaction commits. Each replica's Watch LISTENs on a connection of its
// own, and also asks for the newest version number every second and after
// every reconnect, so a missed notice is caught up by number.
package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"hetang/internal/layout"
	"hetang/internal/store"
)

// DefaultSchema is the schema used when none is configured.
const DefaultSchema = "hetang"

// Advisory lock keys: one for migrations (all schemas, since CREATE
// EXTENSION is per database), and one per schema for writes (derived with
// hashtext in SQL).
const migrationLock int64 = 0x6865_7461_6e67_0001

// pollInterval is how often Watch asks for the newest version besides
// listening.
const pollInterval = time.Second

// migration is one numbered schema change; %[1]s is the quoted schema.
type migration struct {
	version     int
	description string
	sql         string
}

var migrations = []migration{
	{1, "history tables, GiST index, current_features view", `
CREATE TABLE %[1]s.versions (
	n bigint PRIMARY KEY,
	data_version text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
	author text NOT NULL,
	kind text NOT NULL,
	message text NOT NULL,
	changes jsonb NOT NULL,
	rollback_of bigint REFERENCES %[1]s.versions (n)
);
CREATE TABLE %[1]s.layer_revisions (
	rev bigserial PRIMARY KEY,
	id text NOT NULL,
	title_zh text NOT NULL,
	title_en text NOT NULL,
	description text NOT NULL,
	geometry_type text NOT NULL
);
CREATE TABLE %[1]s.features (
	rev bigint NOT NULL REFERENCES %[1]s.layer_revisions (rev),
	ord integer NOT NULL,
	id text NOT NULL,
	properties jsonb NOT NULL,
	geom geometry(Geometry, 4326),
	PRIMARY KEY (rev, ord)
);
CREATE INDEX features_geom_gist ON %[1]s.features USING gist (geom);
CREATE TABLE %[1]s.version_layers (
	n bigint NOT NULL REFERENCES %[1]s.versions (n),
	position integer NOT NULL,
	rev bigint NOT NULL REFERENCES %[1]s.layer_revisions (rev),
	PRIMARY KEY (n, position)
);
CREATE INDEX version_layers_rev ON %[1]s.version_layers (rev);
CREATE TABLE %[1]s.audit (
	seq bigserial PRIMARY KEY,
	at timestamptz NOT NULL DEFAULT clock_timestamp(),
	actor text NOT NULL,
	role text NOT NULL,
	action text NOT NULL,
	target text NOT NULL,
	version bigint REFERENCES %[1]s.versions (n),
	detail text NOT NULL,
	request_id text NOT NULL,
	remote text NOT NULL
);
CREATE VIEW %[1]s.current_features AS
	SELECT vl.position AS layer_position, lr.id AS layer, f.ord, f.id, f.properties, f.geom
	FROM %[1]s.version_layers vl
	JOIN %[1]s.layer_revisions lr ON lr.rev = vl.rev
	JOIN %[1]s.features f ON f.rev = vl.rev
	WHERE vl.n = (SELECT max(n) FROM %[1]s.versions);
`},
}

// Backend is the PostGIS store.Backend.
type Backend struct {
	pool    *pgxpool.Pool
	connCfg *pgx.ConnConfig // for the LISTEN connection
	schema  string
	q       string // quoted schema
	channel string
	desc    string
	log     *slog.Logger
}

// Open connects to the database at url (a postgres:// URL or a libpq
// keyword/value string), creates or migrates the schema, and returns the
// backend. log may be nil.
func Open(ctx context.Context, url, schema string, log *slog.Logger) (*Backend, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if schema == "" {
		schema = DefaultSchema
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("pgstore: the database URL cannot be read: %w", redact(err))
	}
	cfg.MaxConns = 8
	cfg.ConnConfig.ConnectTimeout = 10 * time.Second
	b := &Backend{
		connCfg: cfg.ConnConfig.Copy(),
		schema:  schema,
		q:       pgx.Identifier{schema}.Sanitize(),
		channel: "hetang." + schema,
		desc:    fmt.Sprintf("PostgreSQL %s:%d/%s schema %s", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database, schema),
		log:     log,
	}
	if b.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	if err := b.migrate(ctx); err != nil {
		b.pool.Close()
		return nil, err
	}
	return b, nil
}

// redact drops the connection string from pgx's parse errors (it may hold a
// password).
func redact(err error) error {
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) {
		return errors.New(pe.Error()[len("cannot parse `"+pe.ConnString+"`: "):])
	}
	return err
}

// SchemaVersion is the number of the newest migration this program knows.
func SchemaVersion() int { return migrations[len(migrations)-1].version }

// migrate creates the schema or brings it up to SchemaVersion, in one
// transaction under the migration advisory lock.
func (b *Backend) migrate(ctx context.Context) error {
	tx, err := b.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("pgstore: connecting to %s: %w", b.desc, err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLock); err != nil {
		return fmt.Errorf("pgstore: migration lock: %w", err)
	}
	var hasPostGIS bool
	if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'postgis')").Scan(&hasPostGIS); err != nil {
		return fmt.Errorf("pgstore: %w", err)
	}
	if !hasPostGIS {
		if _, err := tx.Exec(ctx, "CREATE EXTENSION postgis"); err != nil {
			return fmt.Errorf("pgstore: PostGIS is not installed in the database and cannot be (install postgresql-15-postgis-3, or run CREATE EXTENSION postgis as a superuser): %w", err)
		}
	}
	if _, err := tx.Exec(ctx, fmt.Sprintf(`CREATE SCHEMA IF NOT EXISTS %[1]s;
CREATE TABLE IF NOT EXISTS %[1]s.schema_migrations (version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`, b.q)); err != nil {
		return fmt.Errorf("pgstore: creating schema %s: %w", b.schema, err)
	}
	var current int
	if err := tx.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM "+b.q+".schema_migrations").Scan(&current); err != nil {
		return fmt.Errorf("pgstore: %w", err)
	}
	if current > SchemaVersion() {
		return fmt.Errorf("pgstore: schema %s is at version %d, written by a newer hetang (this one knows %d)", b.schema, current, SchemaVersion())
	}
	for _, m := range migrations {
		if m.version <= current {
			continue
		}
		if _, err := tx.Exec(ctx, fmt.Sprintf(m.sql, b.q)); err != nil {
			return fmt.Errorf("pgstore: migration %d (%s): %w", m.version, m.description, err)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO "+b.q+".schema_migrations (version, description) VALUES ($1, $2)", m.version, m.description); err != nil {
			return fmt.Errorf("pgstore: recording migration %d: %w", m.version, err)
		}
		b.log.Info("migrated the database schema", "schema", b.schema, "version", m.version, "description", m.description)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("pgstore: migrating schema %s: %w", b.schema, err)
	}
	return nil
}

// Head implements store.Backend.
func (b *Backend) Head(ctx context.Context) (_ int64, err error) {
	defer classify(&err)
	var n int64
	if err := b.pool.QueryRow(ctx, "SELECT coalesce(max(n), 0) FROM "+b.q+".versions").Scan(&n); err != nil {
		return 0, fmt.Errorf("pgstore: %w", err)
	}
	return n, nil
}

const versionColumns = "n, data_version, created_at, author, kind, message, changes, coalesce(rollback_of, 0)"

func scanVersion(row pgx.Row) (store.Version, error) {
	var v store.Version
	var changes []byte
	if err := row.Scan(&v.N, &v.DataVersion, &v.Created, &v.Author, &v.Kind, &v.Message, &changes, &v.RollbackOf); err != nil {
		return v, err
	}
	if err := json.Unmarshal(changes, &v.Changes); err != nil {
		return v, fmt.Errorf("pgstore: version %d: %w", v.N, err)
	}
	return v, nil
}

// Manifest implements store.Backend.
func (b *Backend) Manifest(ctx context.Context, n int64) (_ store.Version, _ []int64, err error) {
	defer classify(&err)
	v, err := scanVersion(b.pool.QueryRow(ctx, "SELECT "+versionColumns+" FROM "+b.q+".versions WHERE n = $1", n))
	if errors.Is(err, pgx.ErrNoRows) {
		return v, nil, fmt.Errorf("%w: %d", store.ErrNoVersion, n)
	}
	if err != nil {
		return v, nil, fmt.Errorf("pgstore: version %d: %w", n, err)
	}
	rows, _ := b.pool.Query(ctx, "SELECT rev FROM "+b.q+".version_layers WHERE n = $1 ORDER BY position", n)
	revs, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return v, nil, fmt.Errorf("pgstore: version %d: %w", n, err)
	}
	return v, revs, nil
}

// Layers implements store.Backend.
func (b *Backend) Layers(ctx context.Context, revs []int64) (_ map[int64]*layout.Layer, err error) {
	defer classify(&err)
	out := map[int64]*layout.Layer{}
	rows, err := b.pool.Query(ctx, "SELECT rev, id, title_zh, title_en, description, geometry_type FROM "+b.q+".layer_revisions WHERE rev = ANY($1)", revs)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	for rows.Next() {
		var r int64
		ly := &layout.Layer{Features: []*layout.Feature{}}
		if err := rows.Scan(&r, &ly.ID, &ly.TitleZH, &ly.TitleEN, &ly.Description, &ly.GeometryType); err != nil {
			rows.Close()
			return nil, fmt.Errorf("pgstore: %w", err)
		}
		out[r] = ly
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	rows, err = b.pool.Query(ctx, "SELECT rev, id, properties, ST_AsEWKB(geom) FROM "+b.q+".features WHERE rev = ANY($1) ORDER BY rev, ord", revs)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r int64
		var props, wkb []byte
		f := &layout.Feature{}
		if err := rows.Scan(&r, &f.ID, &props, &wkb); err != nil {
			return nil, fmt.Errorf("pgstore: %w", err)
		}
		if err := json.Unmarshal(props, &f.Properties); err != nil {
			return nil, fmt.Errorf("pgstore: layer revision %d feature %s: %w", r, f.ID, err)
		}
		if wkb != nil {
			if f.Geometry, err = DecodeEWKB(wkb); err != nil {
				return nil, fmt.Errorf("pgstore: layer revision %d feature %s: %w", r, f.ID, err)
			}
		}
		if ly := out[r]; ly != nil {
			ly.Features = append(ly.Features, f)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	for _, r := range revs {
		if out[r] == nil {
			return nil, fmt.Errorf("pgstore: no layer revision %d", r)
		}
	}
	return out, nil
}

// Commit implements store.Backend.
func (b *Backend) Commit(ctx context.Context, base int64, v store.Version, refs []store.LayerRef, audit store.AuditEntry) (_ store.Version, _ []int64, err error) {
	defer classify(&err)
	tx, err := b.pool.Begin(ctx)
	if err != nil {
		return v, nil, fmt.Errorf("pgstore: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext($1))", "hetang-write:"+b.schema); err != nil {
		return v, nil, fmt.Errorf("pgstore: write lock: %w", err)
	}
	// A newer hetang may have migrated the schema since this one started:
	// its tables may hold what this program cannot write correctly.
	var schemaVersion int
	if err := tx.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM "+b.q+".schema_migrations").Scan(&schemaVersion); err != nil {
		return v, nil, fmt.Errorf("pgstore: %w", err)
	}
	if schemaVersion > SchemaVersion() {
		return v, nil, fmt.Errorf("pgstore: schema %s was migrated to version %d by a newer hetang while this one (which knows %d) ran; nothing written: restart this replica with the newer program", b.schema, schemaVersion, SchemaVersion())
	}
	var head int64
	if err := tx.QueryRow(ctx, "SELECT coalesce(max(n), 0) FROM "+b.q+".versions").Scan(&head); err != nil {
		return v, nil, fmt.Errorf("pgstore: %w", err)
	}
	if head != base {
		return v, nil, fmt.Errorf("%w (base %d, newest %d)", store.ErrConflict, base, head)
	}
	v.N = head + 1
	changes, err := json.Marshal(v.Changes)
	if err != nil {
		return v, nil, err
	}
	var rollbackOf *int64
	if v.RollbackOf > 0 {
		rollbackOf = &v.RollbackOf
	}
	if err := tx.QueryRow(ctx, "INSERT INTO "+b.q+".versions (n, data_version, author, kind, message, changes, rollback_of) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING created_at",
		v.N, v.DataVersion, v.Author, v.Kind, v.Message, changes, rollbackOf).Scan(&v.Created); err != nil {
		return v, nil, fmt.Errorf("pgstore: writing version %d: %w", v.N, err)
	}
	revs := make([]int64, len(refs))
	for i, r := range refs {
		if r.Rev > 0 {
			revs[i] = r.Rev
			continue
		}
		if revs[i], err = b.insertLayer(ctx, tx, r.Layer); err != nil {
			return v, nil, err
		}
	}
	positions := make([]int32, len(revs))
	for i := range positions {
		positions[i] = int32(i)
	}
	if _, err := tx.Exec(ctx, "INSERT INTO "+b.q+".version_layers (n, position, rev) SELECT $1, p, r FROM unnest($2::int[], $3::bigint[]) AS t (p, r)", v.N, positions, revs); err != nil {
		return v, nil, fmt.Errorf("pgstore: writing version %d: %w", v.N, err)
	}
	if _, err := tx.Exec(ctx, "INSERT INTO "+b.q+".audit (actor, role, action, target, version, detail, request_id, remote) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
		audit.Actor, audit.Role, audit.Action, audit.Target, v.N, audit.Detail, audit.RequestID, audit.Remote); err != nil {
		return v, nil, fmt.Errorf("pgstore: writing the audit log: %w", err)
	}
	// Delivered to every listener when the transaction commits, never before.
	if _, err := tx.Exec(ctx, "SELECT pg_notify($1, $2)", b.channel, strconv.FormatInt(v.N, 10)); err != nil {
		return v, nil, fmt.Errorf("pgstore: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		if lostConnection(err) && !pgconn.SafeToRetry(err) {
			// COMMIT may have reached the server before the connection went.
			return v, nil, fmt.Errorf("%w: version %d: %w", store.ErrOutcomeUnknown, v.N, err)
		}
		return v, nil, fmt.Errorf("pgstore: committing version %d: %w", v.N, err)
	}
	return v, revs, nil
}

// insertLayer stores a new layer revision with its features.
func (b *Backend) insertLayer(ctx context.Context, tx pgx.Tx, ly *layout.Layer) (int64, error) {
	var rev int64
	if err := tx.QueryRow(ctx, "INSERT INTO "+b.q+".layer_revisions (id, title_zh, title_en, description, geometry_type) VALUES ($1, $2, $3, $4, $5) RETURNING rev",
		ly.ID, ly.TitleZH, ly.TitleEN, ly.Description, ly.GeometryType).Scan(&rev); err != nil {
		return 0, fmt.Errorf("pgstore: layer %s: %w", ly.ID, err)
	}
	n := len(ly.Features)
	ords := make([]int32, n)
	ids := make([]string, n)
	props := make([]string, n)
	geoms := make([][]byte, n)
	for i, f := range ly.Features {
		ords[i], ids[i] = int32(i), f.ID
		p, err := json.Marshal(f.Properties)
		if err != nil {
			return 0, fmt.Errorf("pgstore: layer %s feature %s: %w", ly.ID, f.ID, err)
		}
		props[i] = string(p)
		if f.Geometry != nil {
			if geoms[i], err = EncodeEWKB(f.Geometry); err != nil {
				return 0, fmt.Errorf("pgstore: layer %s feature %s: %w", ly.ID, f.ID, err)
			}
		}
	}
	if _, err := tx.Exec(ctx, "INSERT INTO "+b.q+".features (rev, ord, id, properties, geom) SELECT $1, o, i, p::jsonb, ST_GeomFromEWKB(g) FROM unnest($2::int[], $3::text[], $4::text[], $5::bytea[]) AS t (o, i, p, g)",
		rev, ords, ids, props, geoms); err != nil {
		return 0, fmt.Errorf("pgstore: layer %s features: %w", ly.ID, err)
	}
	return rev, nil
}

// Versions implements store.Backend.
func (b *Backend) Versions(ctx context.Context, before int64, limit int) (_ []store.Version, err error) {
	defer classify(&err)
	if before <= 0 {
		before = 1 << 62
	}
	rows, err := b.pool.Query(ctx, "SELECT "+versionColumns+" FROM "+b.q+".versions WHERE n < $1 ORDER BY n DESC LIMIT $2", before, limit)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Version, error) { return scanVersion(r) })
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	if out == nil {
		out = []store.Version{}
	}
	return out, nil
}

// AuditLog implements store.Backend.
func (b *Backend) AuditLog(ctx context.Context, before int64, limit int) (_ []store.AuditEntry, err error) {
	defer classify(&err)
	if before <= 0 {
		before = 1 << 62
	}
	rows, err := b.pool.Query(ctx, "SELECT seq, at, actor, role, action, target, coalesce(version, 0), detail, request_id, remote FROM "+b.q+".audit WHERE seq < $1 ORDER BY seq DESC LIMIT $2", before, limit)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.AuditEntry, error) {
		var e store.AuditEntry
		err := r.Scan(&e.Seq, &e.At, &e.Actor, &e.Role, &e.Action, &e.Target, &e.Version, &e.Detail, &e.RequestID, &e.Remote)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	if out == nil {
		out = []store.AuditEntry{}
	}
	return out, nil
}

// Watch implements store.Backend: LISTEN on the schema's channel on a
// connection of its own, reporting each announced version, and the newest
// version every second and after every (re)connect.
func (b *Backend) Watch(ctx context.Context, head func(n int64)) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := b.listen(ctx, head, func() { backoff = 100 * time.Millisecond })
		if ctx.Err() != nil {
			return
		}
		b.log.Warn("lost the database notification connection; reconnecting", "err", err, "retry_in", backoff.String())
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Second)
	}
}

// listen runs one LISTEN connection until it fails or ctx ends.
func (b *Backend) listen(ctx context.Context, head func(n int64), connected func()) error {
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	conn, err := pgx.ConnectConfig(cctx, b.connCfg)
	cancel()
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{b.channel}.Sanitize()); err != nil {
		return err
	}
	poll := func() error {
		qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		var n int64
		if err := conn.QueryRow(qctx, "SELECT coalesce(max(n), 0) FROM "+b.q+".versions").Scan(&n); err != nil {
			return err
		}
		head(n)
		return nil
	}
	// Catch up with whatever was committed while not listening. Only a
	// connection that can read the history counts as back (a dropped
	// schema keeps the retries slow).
	if err := poll(); err != nil {
		return err
	}
	connected()
	next := time.Now().Add(pollInterval)
	for {
		wctx, cancel := context.WithDeadline(ctx, next)
		nt, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			if n, perr := strconv.ParseInt(nt.Payload, 10, 64); perr == nil {
				head(n)
			}
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err):
			if conn.IsClosed() {
				return err
			}
			if err := poll(); err != nil {
				return err
			}
			next = time.Now().Add(pollInterval)
		default:
			return err
		}
	}
}

// Ping implements store.Backend: the database answers and the schema's
// history can be read (a dropped schema or a revoked grant fails it too).
func (b *Backend) Ping(ctx context.Context) (err error) {
	defer classify(&err)
	if _, err := b.pool.Exec(ctx, "SELECT 1 FROM "+b.q+".versions LIMIT 1"); err != nil {
		return fmt.Errorf("pgstore: reading schema %s: %w", b.schema, err)
	}
	return nil
}

// classify marks *err as store.ErrUnavailable when it comes from a lost or
// refused connection (the database may answer the same request later).
func classify(err *error) {
	if *err != nil && lostConnection(*err) && !errors.Is(*err, store.ErrUnavailable) && !errors.Is(*err, store.ErrOutcomeUnknown) {
		*err = fmt.Errorf("%w: %w", store.ErrUnavailable, *err)
	}
}

// lostConnection reports whether err means the database could not be
// reached or the connection broke, rather than that it refused the
// statement: a failed connect, a network error, an unexpected end of the
// connection, or a server error of class 08 (connection exception) or
// 57P01-57P03 (the server shutting down, crashed, or not accepting
// connections yet).
func lostConnection(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case strings.HasPrefix(pe.Code, "08"), pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03":
			return true
		}
		return false
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNREFUSED)
}

// ReadOnly implements store.Backend: a PostGIS store is writable.
func (b *Backend) ReadOnly() bool { return false }

// Describe implements store.Backend.
func (b *Backend) Describe() string { return b.desc }

// Close implements store.Backend.
func (b *Backend) Close() error {
	b.pool.Close()
	return nil
}

// OpenStore returns a store over the PostGIS database at url (see Open for
// the backend). The database may hold no version yet (store.New).
func OpenStore(ctx context.Context, url, schema string, opts store.Options) (*store.Store, error) {
	b, err := Open(ctx, url, schema, opts.Log)
	if err != nil {
		return nil, err
	}
	s, err := store.New(ctx, b, opts)
	if err != nil {
		b.Close()
		return nil, err
	}
	return s, nil
}

// IsURL reports whether a data setting names a PostgreSQL database rather
// than a GeoPackage file.
func IsURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Schema returns the backend's schema.
func (b *Backend) Schema() string { return b.schema }
