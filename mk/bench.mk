# Benchmarks (bench/README.md): the hook service against a ceiling and a peer, the Python runtime,
# and convergence at scale on the e2e control plane. Results: docs/benchmarks.{md,json,png}.
# Settings: BENCH_DURATION (s per run), BENCH_RUNS, BENCH_WARMUP, BENCH_CONNECTIONS,
# BENCH_COLD_STARTS, BENCH_SCALE_N (e.g. "50 200 800"); bench/README.md has the defaults.

BENCH := node --import tsx bench/main.ts
# bench-delivery: the release it compares with (bench/variants/before.sh), and the builds it runs.
BENCH_BEFORE_REF ?= main
BENCH_VARIANTS := .cache/bench
BENCH_DELIVERY_ENV := BENCH_BEFORE_ENTRY=$(BENCH_VARIANTS)/before/dist/src/server.js \
  BENCH_BEFORE_LABEL="$(BENCH_BEFORE_REF)" \
  BENCH_KOA_ENTRY=$(BENCH_VARIANTS)/koa-bodyparser/dist/src/server.js \
  BENCH_FLOOR_ENTRY=$(BENCH_VARIANTS)/shell-floor/dist/src/server.js

##@ Benchmarks

.PHONY: bench
bench: build bench-variants ## Every benchmark (bench-scale too when the e2e control plane can be built), then docs/benchmarks.md.
	$(BENCH) hooks runtime
	$(BENCH_DELIVERY_ENV) $(BENCH) delivery
	@# The report is written whatever happens to bench-scale; a failure still fails the target.
	@status=0; \
	if [[ ! -x e2e/cluster-up.sh ]]; then \
	  echo "[bench] skipping bench-scale: the e2e control plane tooling (e2e/cluster-up.sh) is not here"; \
	else \
	  e2e/build.sh || status=$$?; \
	  if [[ $$status -eq 3 ]]; then \
	    echo "[bench] skipping bench-scale: the e2e control plane cannot be built on this machine (above)"; \
	    status=0; \
	  elif [[ $$status -eq 0 ]]; then \
	    $(BENCH) scale || status=$$?; \
	  fi; \
	fi; \
	$(BENCH) report; \
	if [[ $$status -ne 0 ]]; then echo "[bench] bench-scale failed (exit $$status); its section keeps the previous results"; fi; \
	exit $$status

.PHONY: bench-hooks
bench-hooks: build ## Hook service vs the node:http ceiling and the Python peer (autocannon), then the report.
	$(BENCH) hooks report

.PHONY: bench-runtime
bench-runtime: deps ## Python runtime: trivial handler vs a bare http.server echo, and cold start.
	$(BENCH) runtime report

.PHONY: bench-variants
bench-variants: deps ## Build the before tree (BENCH_BEFORE_REF, default main), the koa-bodyparser and shell-floor variants into .cache/bench.
	bench/variants/before.sh $(BENCH_BEFORE_REF) $(BENCH_VARIANTS)/before
	bench/variants/koa-bodyparser.sh $(BENCH_VARIANTS)/koa-bodyparser
	bench/variants/shell-floor.sh $(BENCH_VARIANTS)/shell-floor

.PHONY: bench-delivery
bench-delivery: build bench-variants ## Runtime delivery before and after: bytes per lambda and per call, uncached throughput, body readers.
	$(BENCH_DELIVERY_ENV) $(BENCH) delivery report

.PHONY: bench-scale
bench-scale: build ## Convergence of N = 50, 200, 800 PythonLambdas on the e2e control plane vs direct creates.
	$(BENCH) scale report

.PHONY: bench-profile
bench-profile: build ## CPU profiles of the hook service at full load (node --cpu-prof) into .cache/bench/profiles.
	$(BENCH) profile

.PHONY: bench-stages
bench-stages: deps ## Each step of a response cache miss timed in-process, against the ceiling's JSON.parse.
	$(BENCH) stages

.PHONY: bench-report
bench-report: deps ## Re-render docs/benchmarks.md and the charts from docs/benchmarks.json.
	$(BENCH) report
