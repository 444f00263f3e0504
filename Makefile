# pylambda: `make help` lists every target. Each target installs what it needs on a fresh clone.
SHELL := /usr/bin/env bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PORT ?= 8080
PYTHON ?= python3

##@ General

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"; printf "Usage: make \033[36m<target>\033[0m\n"} \
	  /^[a-zA-Z0-9_.-]+:.*?##/ { printf "  \033[36m%-22s\033[0m %s\n", $$1, $$2 } \
	  /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) }' $(MAKEFILE_LIST)

##@ Development

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

.PHONY: deps
deps: node_modules/.package-lock.json ## Install the npm dependencies (npm ci).

.PHONY: build
build: deps ## Compile the TypeScript service into dist/.
	npm run --silent build

.PHONY: run
run: build ## Run the webhook service on PORT (default 8080); no cluster needed.
	PORT=$(PORT) node dist/src/server.js

.PHONY: generate
generate: deps ## Regenerate the CRD and the TypeScript types from schemas/.
	npm run --silent generate

.PHONY: test
test: deps ## Run every test: typecheck, unit, HTTP, CLI and config tests (mocha), and the Python runtime's tests.
	npm run --silent typecheck
	npm test
	$(PYTHON) -m unittest discover -s runtime/tests -t . -v

.PHONY: lint
lint: deps ## Lint and check formatting (eslint, prettier).
	npm run --silent lint

-include mk/*.mk
