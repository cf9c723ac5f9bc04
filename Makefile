# Hetang spatial layout service. `make help` lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

GO        ?= go
VERSION   ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X main.version=$(VERSION)
BIN       := bin/hetang
ADDR      ?= :8080
STATICCHECK_VERSION := v0.8.2
GOVULNCHECK_VERSION := v1.9.0
GOBIN     := $(shell $(GO) env GOPATH)/bin

.PHONY: help deps deps-test web build run test tidy-check fmt-check vet staticcheck unit e2e browser check bench bench-replicas loadtest soak stress bench-parcels fuzz vulncheck clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

deps: ## install missing system packages (GEOS, PROJ, GDAL) and the page's npm packages
	@scripts/deps.sh build
	@$(MAKE) --no-print-directory web

deps-test: ## deps plus Chromium for the browser tests
	@scripts/deps.sh test
	@$(MAKE) --no-print-directory web

web: ## install the web page's npm packages (npm ci) and copy Leaflet into web/static/vendor
	@if [ -f web/package.json ]; then scripts/web.sh; fi

build: deps ## build bin/hetang
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/hetang

run: build ## build and serve the embedded default data on http://localhost:8080
	$(BIN) serve -addr $(ADDR)

check: build ## run the data checks on geodata/
	$(BIN) check

tidy-check: ## fail when go mod tidy would change go.mod or go.sum
	@out=$$($(GO) mod tidy -diff 2>&1) || { printf '%s\n' "$$out"; \
		echo "tidy-check: go.mod/go.sum are not tidy: run 'go mod tidy' and commit the result" >&2; exit 1; }

fmt-check: ## fail when a Go file is not gofmt-formatted
	@out=$$(gofmt -l cmd internal web 2>&1); test -z "$$out" || { printf '%s\n' "$$out"; \
		echo "fmt-check: these files are not gofmt-formatted: run 'gofmt -w' on them" >&2; exit 1; }

vet: ## go vet
	$(GO) vet ./...

staticcheck: ## staticcheck (installed with go install when missing)
	@test -x $(GOBIN)/staticcheck || $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	$(GOBIN)/staticcheck ./...

test: deps-test tidy-check fmt-check vet staticcheck ## everything CI runs: tidy and gofmt checks, vet, staticcheck, unit + data + end-to-end + browser tests
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/hetang
	$(BIN) check
	$(GO) test -count=1 ./...
	HETANG_STRESS_TEST=1 $(GO) test -count=1 -run '^TestStress$$' ./cmd/hetang-load
	scripts/fuzz.sh 3s

bench: ## benchmarks (in-process, HTTP, batch) with PostGIS as the peer
	@scripts/deps.sh bench
	scripts/bench.sh

bench-replicas: ## 1 vs 3 replicas on one PostGIS: locate req/s, snapshot swap time, import-to-visible latency (BENCH_DURATION, default 10s)
	@scripts/deps.sh bench
	HETANG_BENCH=1 $(GO) test -count=1 -run '^TestBenchReplicas$$' -v -timeout 20m ./cmd/hetang/ | awk '/^Replicas on one PostGIS/ {on = 1} on && /^(Replicas|[|]|$$)/ {print} on && /^--- / {exit}'

loadtest: ## load test on loopback for LOAD_DURATION (default 30s); numbers into BENCHMARKS.md; fails on any error
	scripts/loadtest.sh

soak: ## memory soak for SOAK_DURATION (default 10m); RSS samples into BENCHMARKS.md; fails if memory grows
	scripts/soak.sh

bench-parcels: ## parcel locate throughput (1 and 8 clients, small and 1,000-vertex parcels) before (BEFORE=c74c832) and after
	@command -v wrk >/dev/null || scripts/deps.sh bench
	scripts/parcelbench.sh

stress: ## parcel stress run for STRESS_DURATION (default 60s): 20 heavy + tiny parcels, RSS under the budget; into BENCHMARKS.md
	scripts/stress.sh

fuzz: ## run every fuzz target for FUZZTIME each (default 10s)
	scripts/fuzz.sh $${FUZZTIME:-10s}

vulncheck: ## govulncheck ./... (needs network for vuln.go.dev or GOVULNDB=file:///mirror; offline it says so and passes)
	@if ! $(GOBIN)/govulncheck -version 2>/dev/null | grep -q 'govulncheck@$(GOVULNCHECK_VERSION)'; then \
		$(GO) install golang.org/x/vuln/cmd/govulncheck@$(GOVULNCHECK_VERSION); fi
	@out=$$(mktemp); rc=0; \
	$(GOBIN)/govulncheck $${GOVULNDB:+-db $$GOVULNDB} ./... >$$out 2>&1 || rc=$$?; \
	if [ $$rc -ne 0 ] && grep -qE 'fetching vulnerabilities|no such host|dial tcp|connection refused|network is unreachable|i/o timeout' $$out; then \
		grep -m1 -E 'fetching vulnerabilities|dial tcp' $$out; \
		echo "vulncheck: NOTICE: the vulnerability database cannot be fetched (offline?): dependencies were NOT checked."; \
		echo "vulncheck: run 'make vulncheck' with network access, or GOVULNDB=file:///path/to/vulndb-mirror make vulncheck (see README, Operations)."; \
		rm -f $$out; exit 0; fi; \
	cat $$out; rm -f $$out; exit $$rc

clean: ## remove build outputs
	rm -rf bin
