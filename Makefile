# Vigil: `make run` opens the app, `make test` runs every test. Each installs what it needs
# first (Debian packages, npm packages, test tools) and skips what is already there.

SHELL := /bin/bash
.DEFAULT_GOAL := help

# apt needs root: as root run it directly, otherwise through sudo.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
CACHE := $(HOME)/.cache/vigil
export CARGO_TARGET_DIR ?= $(CURDIR)/target
TAURI_DRIVER_VERSION := 2.1.0
TAURI_DRIVER := $(CACHE)/tauri-driver-$(TAURI_DRIVER_VERSION)/bin/tauri-driver
export TAURI_DRIVER
# Real Seldon MLServer for the tests that run one (uvloop pinned: 1.7.1 fails to start without).
MLSERVER_VERSION := 1.7.1
export VIGIL_MLSERVER_VENV := $(CACHE)/mlserver-$(MLSERVER_VERSION)
# Real MLflow tracking server (its Model Registry) for the tests of the MLflow alias target.
MLFLOW_VERSION := 3.17.2
export VIGIL_MLFLOW_VENV := $(CACHE)/mlflow-$(MLFLOW_VERSION)

BUILD_PACKAGES := build-essential pkg-config libwebkit2gtk-4.1-dev libxdo-dev libssl-dev \
	libayatana-appindicator3-dev librsvg2-dev libdbus-1-dev
# PostgreSQL: the team store's tests run against a throwaway server (scripts/with-postgres);
# systemd: `systemd-analyze` checks the collector's unit in deploy/.
TEST_PACKAGES := xvfb webkit2gtk-driver imagemagick python3-venv prometheus gnome-keyring dbus-daemon \
	postgresql systemd
# For the benchmarks only: wrk and hey, the closed-loop and fixed-rate HTTP load tools the load
# generator is measured beside.
BENCH_PACKAGES := wrk hey

.PHONY: help run test fuzz bench bench-quick bench-deps drift-env bindings ui deps test-deps lint check-node

help:
	@echo "make run    open Vigil's desktop app on the demo fleet"
	@echo "make test   run every test: Rust, UI and the real window end to end"
	@echo "make fuzz   fuzz every parser of outside input, 60 s a target (FUZZ_SECONDS=, FUZZ_TARGETS=): executions per second, crashes"
	@echo "make bindings   regenerate the UI's TypeScript bindings from the Rust types"
	@echo "make bench   every benchmark at full size (half an hour or more), for the figures in the notes"
	@echo "make bench-quick   every benchmark at a short size, in under 5 minutes once built: each figure, its goal, PASS or MISS"

# Installs the Debian packages in $(1) that are missing.
define apt_install
	@missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages: $$missing"; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi
endef

check-node:
	@command -v node >/dev/null && command -v npm >/dev/null || { \
		echo "Vigil's UI needs Node.js 20.19 or newer with npm. Install them, then run make again."; exit 1; }
	@node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' || { \
		echo "Vigil's UI needs Node.js 20.19 or newer; this machine has $$(node --version)."; exit 1; }

deps: check-node
	$(call apt_install,$(BUILD_PACKAGES))
	@command -v cargo >/dev/null || { echo "Vigil needs Rust (cargo). Install it with rustup, then run make again."; exit 1; }
	@if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then \
		cd ui && npm ci --no-audit --no-fund --cache $(CACHE)/npm; fi

ui: deps
	cd ui && npm run build

test-deps: deps
	$(call apt_install,$(TEST_PACKAGES))
	@[ -x $(TAURI_DRIVER) ] || cargo install tauri-driver --version $(TAURI_DRIVER_VERSION) --locked \
		--root $(CACHE)/tauri-driver-$(TAURI_DRIVER_VERSION)
	@[ -f $(VIGIL_MLSERVER_VENV)/.installed ] || { echo "Installing MLServer $(MLSERVER_VERSION) for the tests"; \
		rm -rf $(VIGIL_MLSERVER_VENV) && python3 -m venv $(VIGIL_MLSERVER_VENV) && \
		$(VIGIL_MLSERVER_VENV)/bin/pip install -q --cache-dir $(CACHE)/pip "mlserver==$(MLSERVER_VERSION)" \
			"mlserver-sklearn==$(MLSERVER_VERSION)" scikit-learn "uvloop<0.22" && \
		touch $(VIGIL_MLSERVER_VENV)/.installed; }
	@[ -f $(VIGIL_MLFLOW_VENV)/.installed ] || { echo "Installing MLflow $(MLFLOW_VERSION) for the tests"; \
		rm -rf $(VIGIL_MLFLOW_VENV) && python3 -m venv $(VIGIL_MLFLOW_VENV) && \
		$(VIGIL_MLFLOW_VENV)/bin/pip install -q --cache-dir $(CACHE)/pip "mlflow==$(MLFLOW_VERSION)" && \
		touch $(VIGIL_MLFLOW_VENV)/.installed; }

# The demo fleet's scenarios for `make run` (see crates/vigil-fleet); `make run DEMO=` opens
# the app without it.
DEMO ?= healthy,drift,bad-canary

run: ui
	cargo build -p vigil-desktop -p vigil-cli
	@if [ -z "$$DISPLAY" ] && [ -z "$$WAYLAND_DISPLAY" ]; then \
		echo ""; \
		echo "There is no display here, so the window cannot open. Vigil is built: run it on the demo fleet from a"; \
		echo "desktop session with  $(CARGO_TARGET_DIR)/debug/vigil-desktop --demo  or, on a headless machine, under Xvfb:"; \
		echo "  Xvfb :99 -screen 0 1280x800x24 & DISPLAY=:99 $(CARGO_TARGET_DIR)/debug/vigil-desktop --demo"; \
		echo "The headless CLI works anywhere:  $(CARGO_TARGET_DIR)/debug/vigil --help"; \
		exit 1; fi
	$(CARGO_TARGET_DIR)/debug/vigil-desktop $(if $(DEMO),--demo=$(DEMO)) $(ARGS)

lint: ui
	cargo fmt --all --check
	cargo fmt --manifest-path fuzz/Cargo.toml --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy -p vigil-desktop --all-targets --no-default-features -- -D warnings # without the demo fleet
	cd ui && npm run check

# The store tests that run a second time with a PostgreSQL store (VIGIL_TEST_STORE=postgres):
# the engine's own and the integration tests of each domain.
POSTGRES_TESTS := --test rollouts --test collectors --test collect_service --test store_copy --test alerts \
	--test cost_catalog_edit --test cost_loadtest --test cost_report --test drift_demo --test drift_ingest \
	--test drift_reference --test drift_report --test drift_versions --test feedback_loop --test preflight \
	--test rollout_notify

test: test-deps lint
	cd ui && npm test
	cargo build --workspace --exclude vigil-bench
	set -o pipefail; scripts/with-postgres bash -c '\
		cargo test --workspace --exclude vigil-bench --no-fail-fast && \
		echo "--- the store tests again, on PostgreSQL" && \
		VIGIL_TEST_STORE=postgres cargo test -p vigil-core --lib && \
		VIGIL_TEST_STORE=postgres cargo test -p vigil-tests $(POSTGRES_TESTS)' 2>&1 | tee $(CARGO_TARGET_DIR)/cargo-test.log
	@awk '/^test result:/ { passed += $$4; failed += $$6 } \
		END { printf "cargo: %d passed, %d failed\n", passed, failed }' $(CARGO_TARGET_DIR)/cargo-test.log
	@echo "--- fuzzing, $(FUZZ_TEST_SECONDS) s a target (make fuzz runs longer)"
	fuzz/run.sh $(FUZZ_TEST_SECONDS) $(CARGO_TARGET_DIR)/bench/fuzz-test.json

# Coverage-guided fuzzing with libFuzzer, on stable Rust (fuzz/run.sh says how): each target in
# fuzz/ (the metrics parser, data file imports, ingest payloads, plan, catalog and environment
# files, server and deployment target answers) replays the crashers kept in fuzz/regressions/, then fuzzes for
# FUZZ_SECONDS from its corpus ($(CARGO_TARGET_DIR)/fuzz/corpus, kept between runs) and its seeds
# (the repository's fixtures, fuzz/seeds/). Prints each target's executions per second and
# executions, writes $(CARGO_TARGET_DIR)/bench/fuzz.json, and fails on a crash, leaving the input
# in $(CARGO_TARGET_DIR)/fuzz/artifacts/TARGET/. `make test` runs every target FUZZ_TEST_SECONDS.
FUZZ_SECONDS ?= 60
FUZZ_TEST_SECONDS ?= 5
FUZZ_TARGETS ?=

fuzz:
	$(call apt_install,build-essential)
	fuzz/run.sh $(FUZZ_SECONDS) $(CARGO_TARGET_DIR)/bench/fuzz.json $(FUZZ_TARGETS)

bindings:
	VIGIL_UPDATE_BINDINGS=1 cargo test -p vigil-core --lib bindings
	VIGIL_UPDATE_BINDINGS=1 cargo test -p vigil-desktop bindings

# The exposition parser's throughput beside openmetrics-parser, prometheus-parse and a naive
# tokenizer, on a generated 4 MB page (writes $(CARGO_TARGET_DIR)/bench/parser.json); then the
# poller's capacity: `vigil collect` and Debian's Prometheus polling the same 1,000 loopback
# targets every 5 s for 2 minutes, CPU, peak memory and worst schedule lag side by side (writes
# $(CARGO_TARGET_DIR)/bench/poller.json); then the dashboard's queries, a model's 30-day chart and the
# fleet overview, on 100 models stored at 10 s for 30 days, beside the chart's hourly means read from raw
# points (writes $(CARGO_TARGET_DIR)/bench/dashboard.json); then a drift report on 20 features x 100,000
# reference and 100,000 current rows beside Evidently's data drift preset on the same CSV files, time,
# peak memory and each column's verdict (writes $(CARGO_TARGET_DIR)/bench/drift.json; Evidently in
# $(CARGO_TARGET_DIR)/driftenv); then the drift ingest endpoint's events per second on one core beside a
# bare HTTP route (writes $(CARGO_TARGET_DIR)/bench/ingest.json); then the real window (release build, under Xvfb over WebDriver) on the
# demo fleet: its first overview, the first overview of a generated fleet of 50 servers and 300 models
# from the process's start and the window's memory on that fleet, a 100,000-point chart beside a bare canvas line, and its memory over
# 10 minutes beside a blank Tauri window's (bench/blank-window) measured the same way (writes $(CARGO_TARGET_DIR)/bench/window.json); then rollouts: a bad canary on the demo
# fleet rolled back 10 times, timed from the poll that failed it to the router back at 100 % stable,
# beside Flagger's defaults, and vigil collect's CPU on 1000 targets with and without 100 rollouts
# under way, 2 alternating runs of each for 60 s (writes $(CARGO_TARGET_DIR)/bench/rollouts.json);
# then the load generator beside wrk on one loopback server (server and load on different cores):
# requests/s at saturation, 10 s each, and each one's p99 against a server stalling 1 s every 10 s,
# 30 s each; then beside hey at a fixed 1,000 requests/s to a 5 ms endpoint, p50 and p99, 20 s each, 3 alternate rounds
# (writes $(CARGO_TARGET_DIR)/bench/loadgen.json); then the seasonal anomaly baseline walking forward
# through 6 weeks of 5-minute traffic, latency and error share (5 seeds) with injected spikes, level shifts
# and missed daily peaks, precision and recall beside a static threshold tuned on each series' first week
# (writes $(CARGO_TARGET_DIR)/bench/anomaly.json); then parity checks against a fast local OIP server,
# golden rows checked per second (64 a request, and one a request) beside the load generator's
# saturation rate on the same server (writes $(CARGO_TARGET_DIR)/bench/parity.json); then team (20 desktops'
# engines on one PostgreSQL, writes team.json); then scale: one vigil collect following 5,000 model
# servers through Debian's Prometheus scraping them every 15 s, measured in turn beside Prometheus alone
# (writes $(CARGO_TARGET_DIR)/bench/scale.json); then crash: vigil collect killed with SIGKILL 20 times
# mid-write, integrity and acknowledged writes after each, the next start beside a clean one (crash.json);
# then hostile: vigil collect polling 10 healthy servers beside 100 hostile ones for 10 minutes, beside the
# 10 alone: the healthy servers' lag from their own logs, CPU, peak memory, panics (hostile.json).
# Each prints a table, its ratios, and its figures against their goals, PASS or MISS.
bench-deps: test-deps
	$(call apt_install,$(BENCH_PACKAGES))

bench: bench-deps ui drift-env
	cargo build --release -q -p vigil-cli -p vigil-bench -p vigil-desktop -p vigil-blank-window
	@$(call run_benches,,$(CARGO_TARGET_DIR)/bench)

# Every benchmark above at a short size (`vigil-bench NAME --quick`: the parser 1 s each; 200
# targets for 20 s; 5 models over 30 days; 20,000 rows a side; ingest 6 s; the window's overview
# and chart, its memory over 30 s beside the blank window's; 3 rollbacks, 200 targets with and without 20 rollouts, 5 s a run;
# the load generator 3 s at saturation, 6 s on a server stalling every 3 s, 2 rounds of 5 s beside
# hey at a fixed rate; 3 alert notifications timed from the stored poll to a webhook and 200 targets
# with and without 400 rules, 8 s a run; the anomaly baseline on 4 weeks, 2 seeds; parity on 20,000
# golden rows and the generator 3 s; 20 desktops and 60 changes; 500 servers through Prometheus every 5 s; 5 kills; the hostile soak 20 s a side), in
# under 5 minutes once built and installed (writes $(CARGO_TARGET_DIR)/bench/quick/NAME.json and
# quick.log), then every figure with its goal and
# PASS or MISS in one list. A MISS is reported, not an error.
bench-quick: bench-deps ui drift-env
	cargo build --release -q -p vigil-cli -p vigil-bench -p vigil-desktop -p vigil-blank-window
	@mkdir -p $(CARGO_TARGET_DIR)/bench/quick
	@set -o pipefail; started=$$(date +%s); \
	{ $(call run_benches,--quick,$(CARGO_TARGET_DIR)/bench/quick); } 2>&1 | tee $(CARGO_TARGET_DIR)/bench/quick/quick.log; \
	status=$$?; seconds=$$(( $$(date +%s) - started )); \
	echo ""; echo "make bench-quick: the goals, in $$seconds s"; \
	awk '/^==> vigil-bench / { name = $$3 } /^  (PASS|MISS|----)  / { printf "%-10s%s\n", name, $$0 }' \
		$(CARGO_TARGET_DIR)/bench/quick/quick.log; \
	[ $$seconds -le 300 ] && verdict=PASS || verdict=MISS; \
	printf "%-10s  %s  %s\n" all $$verdict "every quick benchmark within 300 s ($$seconds s)"; \
	exit $$status

# The benchmarks one after the other as one shell command, each with $(1) (nothing, or --quick),
# writing $(2)/NAME.json; it stops at the first that fails.
BENCHES := parser poller dashboard drift ingest window rollouts loadgen alerts anomaly parity team scale crash hostile
BENCH_ARGS_drift = --python $(DRIFTENV)/bin/python
# The poller (its second run) and team benchmarks store into a throwaway PostgreSQL.
BENCH_WRAP_poller = VIGIL_POSTGRES_DURABLE=1 scripts/with-postgres
BENCH_WRAP_team = VIGIL_POSTGRES_DURABLE=1 scripts/with-postgres
run_benches = $(foreach b,$(BENCHES),echo "==> vigil-bench $(b) $(1)" && \
	$(BENCH_WRAP_$(b)) $(CARGO_TARGET_DIR)/release/vigil-bench $(b) $(1) $(BENCH_ARGS_$(b)) --out $(2)/$(b).json &&) true

# Evidently and pandas for the drift benchmark, in a virtual environment made once.
DRIFTENV := $(CARGO_TARGET_DIR)/driftenv
drift-env:
	@[ -f $(DRIFTENV)/.installed ] || { echo "Installing Evidently and pandas for the drift benchmark"; \
		rm -rf $(DRIFTENV) && python3 -m venv $(DRIFTENV) && \
		$(DRIFTENV)/bin/pip install -q --cache-dir $(CACHE)/pip -r tools/drift-fixtures/requirements.txt && \
		touch $(DRIFTENV)/.installed; }
