package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime"
	"runtime/debug"
	"time"

	"hetang/geodata"
	"hetang/internal/auth"
	"hetang/internal/budget"
	"hetang/internal/config"
	"hetang/internal/export"
	"hetang/internal/history"
	"hetang/internal/httpapi"
	"hetang/internal/importer"
	"hetang/internal/layers"
	"hetang/internal/licence"
	"hetang/internal/links"
	"hetang/internal/locate"
	"hetang/internal/logging"
	"hetang/internal/mediatype"
	"hetang/internal/ogcapi"
	"hetang/internal/report"
	"hetang/internal/search"
	"hetang/internal/spatial"
	"hetang/internal/store"
	"hetang/internal/tiles"
	"hetang/internal/wfs"
	"hetang/web"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := config.Default()
	fl := newFlagSet("serve", stderr)
	cfgFile := fl.String("config", "", "JSON configuration file (see internal/config/testdata/example.json)")
	addr := fl.String("addr", "", "listen address host:port (default :8080, env HETANG_ADDR)")
	data := fl.String("data", "", dataHelp+" to serve (env HETANG_DATA); default: the embedded layout, read-only")
	schema := fl.String("schema", "", "PostgreSQL schema of the layout (env HETANG_DATA_SCHEMA; default hetang)")
	webDir := fl.String("web-dir", "", "serve the web page from this directory instead of the embedded copy (development)")
	if err := parseFlags(fl, args); err != nil {
		return err
	}
	if *cfgFile != "" {
		if err := cfg.LoadFile(*cfgFile); err != nil {
			return err
		}
	}
	if err := cfg.ApplyEnv(os.Getenv); err != nil {
		return err
	}
	for flagVal, dst := range map[string]*string{*addr: &cfg.Addr, *data: &cfg.DataPath, *webDir: &cfg.WebDir, *schema: &cfg.DataSchema} {
		if flagVal != "" {
			*dst = flagVal
		}
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	logw := logging.NewWriter(stderr, 100*time.Millisecond)
	defer logw.Close()
	log := logging.New(cfg.LogFormat, logw)

	if _, err := auth.FromConfig(cfg); err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	st, err := openStore(ctx, cfg.DataPath, cfg.DataSchema, cfg.CacheDir, store.Options{Log: log, MaxLag: cfg.MaxLag.D()})
	if err != nil {
		return err
	}
	defer st.Close()
	if cfg.DataPath != "" {
		// Serve each version other writers (replicas, hetang import)
		// commit, as soon as it is announced.
		fctx, stop := context.WithCancel(ctx)
		defer stop()
		go st.Follow(fctx)
	}
	// Heavy parcel work runs niced on threads of its own; Ps of its own
	// too, so that it never holds those light requests need.
	runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) + spatial.HeavyThreads())
	bud, err := budget.New(budgetConfig(cfg))
	if err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	goLimit := "GOMEMLIMIT"
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(bud.GoLimit())
		goLimit = budget.Format(bud.GoLimit())
	}
	log.Info("memory budget", "total", budget.Format(bud.Total()), "heavy_requests", budget.Format(bud.Capacity()), "go_soft_limit", goLimit)
	srv := httpapi.New(cfg, st, log, version, mountsWith(cfg, st, log, bud)...)
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w", cfg.Addr, err)
	}
	snap := st.Current()
	log.Info("serving", "addr", ln.Addr().String(), "data", describeData(st, log), "layout_version", snap.Version.N, "data_version", snap.Layout.Version, "version", version)
	fmt.Fprintf(stdout, "hetang %s serving on http://%s/\n", version, displayAddr(ln.Addr()))
	return srv.Serve(ctx, ln)
}

// budgetConfig is the memory budget cfg sets.
func budgetConfig(cfg config.Config) budget.Config {
	return budget.Config{Total: int64(cfg.MemoryBudget), LightBytes: spatial.LightParcelCost}
}

// mounts lists the features the server carries besides its health
// endpoints, with a memory budget of their own.
func mounts(cfg config.Config, st *store.Store, log *slog.Logger) []httpapi.Mounter {
	bud, err := budget.New(budgetConfig(cfg))
	if err != nil {
		panic(err) // cfg.Validate accepts only budgets that work
	}
	return mountsWith(cfg, st, log, bud)
}

// mountsWith lists the features, sharing the memory budget bud.
func mountsWith(cfg config.Config, st *store.Store, log *slog.Logger, bud *budget.Budget) []httpapi.Mounter {
	return []httpapi.Mounter{
		layers.New(st), // /api/v1/layers, /api/v1/layers/{layer}[/features/{fid}] (crs=)
		locate.New(st, log, parcelLimits(cfg), bud), // /api/v1/locate, /distance, /nearest
		export.New(st),                         // /api/v1/download/hetang.gpkg, {layer}.geojson|.shp.zip|.kml|.kmz|.dxf (crs=)
		search.New(st, geodata.FS),             // /api/v1/search
		report.New(st, parcelLimits(cfg), bud), // /api/v1/report (JSON, PDF)
		licence.Server{},                       // /licence
		wfs.New(st),                            // /wfs (WFS 2.0)
		importer.NewServer(cfg, st, geodata.FS, parcelLimits(cfg), bud), // PUT /api/v1/layers/{layer} (writer token)
		history.New(cfg, st), // /api/v1/versions[/{n}[/diff|/rollback]], /api/v1/audit (tokens)
		ogcapi.New(st),       // /ogcapi/
		tiles.New(st, 0),     // /tiles/
		page(cfg),            // / and /static/
		httpapi.MounterFunc(func(r httpapi.Routes) { bud.RegisterMetrics(r.Metrics) }), // hetang_memory_budget_* in /metrics
	}
}

func displayAddr(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if ok && tcp.IP.IsUnspecified() {
		return fmt.Sprintf("localhost:%d", tcp.Port)
	}
	return a.String()
}

// parcelLimits are the configured bounds of one parcel.
func parcelLimits(cfg config.Config) spatial.ParcelLimits {
	return spatial.ParcelLimits{MaxVertices: cfg.ParcelMaxVertices, MaxParts: cfg.ParcelMaxParts,
		MaxWorkVertices: cfg.ParcelMaxWorkVertices, MaxCrossings: cfg.ParcelMaxCrossings}
}

// page is the map page, listing the desktop downloads and services beyond
// its defaults.
func page(cfg config.Config) *web.Page {
	p := web.New(cfg)
	p.AddLinks(
		web.Link{ID: "kmz-gcj02", Kind: web.LinkDownload, Href: links.LayerDownload(links.WholeLayout, links.SuffixKMZ) + "?crs=GCJ02", Type: mediatype.KMZ,
			TitleZH: "KMZ（GCJ-02 火星坐标，高德/腾讯/奥维等国内地图）", TitleEN: "KMZ in GCJ-02 (for Chinese map apps: Amap, Tencent, Ovital)"},
		web.Link{ID: "wfs", Kind: web.LinkService, Href: links.WFS, Type: mediatype.XML,
			TitleZH: "WFS 2.0 服务地址（ArcGIS、SuperMap、QGIS）", TitleEN: "WFS 2.0 address (ArcGIS, SuperMap, QGIS)"},
		web.Link{ID: "licence", Kind: web.LinkService, Href: links.Licence, Type: mediatype.Markdown,
			TitleZH: "数据许可（示意数字化 CC BY 4.0；边界数据按其来源条款）", TitleEN: "Data licence (digitisation CC BY 4.0; boundaries under their source's terms)"},
	)
	return p
}
