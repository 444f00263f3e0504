# Benchmarks (bench/README.md): the hook service against a ceiling and a peer, the Python runtime,
# and convergence at scale on the e2e control plane. Results: docs/benchmarks.{md,json,png}.
# Settings: BENCH_DURATION (s per run), BENCH_RUNS, BENCH_WARMUP, BENCH_CONNECTIONS,
# BENCH_COLD_STARTS, BENCH_SCALE_N (e.g. "50 200 800"); bench/README.md has the defaults.

BENCH := node --import tsx bench/main.ts

##@ Benchmarks

.PHONY: bench
bench: build ## Every benchmark (bench-scale too when the e2e control plane can be built), then docs/benchmarks.md.
	$(BENCH) hooks runtime
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

.PHONY: bench-scale
bench-scale: build ## Convergence of N = 50, 200, 800 PythonLambdas on the e2e control plane vs direct creates.
	$(BENCH) scale report

.PHONY: bench-profile
bench-profile: build ## CPU profiles of the hook service at full load (node --cpu-prof) into .cache/bench/profiles.
	$(BENCH) profile

.PHONY: bench-report
bench-report: deps ## Re-render docs/benchmarks.md and the charts from docs/benchmarks.json.
	$(BENCH) report
