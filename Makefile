# The two commands of the quick start are `make local` and `make test`. Every target sets up what it needs,
# idempotently; downloads and builds are cached outside the repo (~/.cache/fruits-workbench, ~/.cache/pip,
# ~/.npm, Go's module and build caches).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

NODE_MARKER := node_modules/.fruits-package-lock.sha256
WB := npx --no-install tsx workbench/src/cli.ts

.PHONY: help prereqs node-deps setup setup-releases local stop data test test-unit test-python test-integration test-releases test-node-versions typecheck docs-check bench parity promote-plan notebook notebook-check clean

help:
	@echo "make local   set up, start the local stack, run the job on the sample data, print the results"
	@echo "make test    set up, run every test (unit, pipeline, integration, end to end)"
	@echo "make stop    stop a stack kept with 'npm run local -- --keep'"
	@echo "make data    download the real Fruits-360 dataset (online) and extract a subset into sample-data/fruits-360"
	@echo "make bench   run the benchmarks (figures in bench-results/)"
	@echo "make notebook  open notebooks/fruits-pipeline.ipynb in Jupyter Lab with the local stack up"

# Node and npm are needed before anything else can check the rest (the workbench checks java, python3.11, go).
prereqs:
	@command -v node >/dev/null || { echo "missing prerequisite: node 20, 22 or 24 (install: https://nodejs.org or 'apt-get install nodejs npm')" >&2; exit 3; }
	@node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' || { echo "node $$(node --version) is too old: node >= 20 is required" >&2; exit 3; }
	@command -v npm >/dev/null || { echo "missing prerequisite: npm (comes with node; 'apt-get install npm')" >&2; exit 3; }

# npm ci only when package-lock.json changed since the last install (npm ci always wipes node_modules).
node-deps: prereqs
	@want=$$(sha256sum package-lock.json | cut -d' ' -f1); \
	if [ ! -f $(NODE_MARKER) ] || [ "$$(cat $(NODE_MARKER))" != "$$want" ]; then \
	  echo "installing node dependencies (npm ci)..."; \
	  npm ci --no-audit --no-fund --loglevel=error; \
	  echo "$$want" > $(NODE_MARKER); \
	else echo "node dependencies: up to date"; fi

setup: node-deps
	@$(WB) setup

# `local` does its own set-up (the same cached steps), so it is not listed twice in the output.
local: node-deps
	@$(WB) local

stop: node-deps
	@$(WB) stop

data: setup
	@$(WB) setup --data

typecheck: node-deps
	@npx --no-install tsc --noEmit -p .

# The figures in the docs against their sources (bench-results/, emr/sizing.ts, the price table): no set-up, no network.
docs-check: node-deps
	@$(WB) docs --check

test-unit: node-deps
	@npx --no-install vitest run --project unit

test-python: setup
	@py=$$($(WB) setup --print-python); \
	cd pipeline && PYTHONPATH=src "$$py" -m pytest -q -ra tests

# The report's browser test and the slides need Chromium (Debian's package): installed here, never assumed.
test-integration: setup
	@$(WB) setup --browser >/dev/null
	@npx --no-install vitest run --project integration

test: setup typecheck test-unit docs-check test-python test-integration test-releases

# The other supported releases (versions.json `releases` besides `defaultRelease`, e.g. EMR 7 / Spark 3.5 beside
# the default): each one's set-up, its pipeline tests, the YARN rehearsal on its Spark, and then parity of a local
# run on it against a local run on the default release (tests/releases). The rest of the suite runs on the default.
OTHER_RELEASES = node -p 'const v = require("./versions.json"); Object.keys(v.releases).filter((l) => l !== v.defaultRelease).join(" ")'
test-releases: setup
	@for rel in $$($(OTHER_RELEASES)); do \
	  echo "== release $$rel: set-up, pipeline tests, the YARN rehearsal"; \
	  $(WB) setup --release "$$rel"; \
	  py=$$($(WB) setup --release "$$rel" --print-python); \
	  (cd pipeline && WORKBENCH_RELEASE="$$rel" PYTHONPATH=src "$$py" -m pytest -q -ra tests); \
	  WORKBENCH_RELEASE="$$rel" npx --no-install vitest run --project integration workbench/test/integration/promote-rehearsal.test.ts; \
	done
	@echo "== parity across releases (tests/releases)"
	@npx --no-install vitest run --project releases

# Set-up only (venv, s3a jars) for the other releases: .ci/run starts it in the background while the default
# release's tests run, so its downloads overlap them; test-releases then finds it cached (or waits on its lock).
setup-releases: setup
	@for rel in $$($(OTHER_RELEASES)); do $(WB) setup --release "$$rel"; done

# The Node versions users run (versions.json node.ci: 22 and 24), besides the machine's Node that runs `make test`:
# the unit tests and `make local` in a fresh clone (tests/e2e) under each. .ci/node-versions.sh installs them from
# the npm registry's `node` package into the cache (outside the clone) once; the loop puts each first on PATH, so
# npx, vitest, and the clone's make, npm ci and tsx all run on it.
test-node-versions: setup
	@pins="$$(.ci/node-versions.sh)"; mapfile -t nodes <<< "$$pins"; \
	for line in "$${nodes[@]}"; do \
	  bin="$${line#* }"; \
	  echo "== Node $$("$$bin" --version): unit tests, then make local in a fresh clone"; \
	  PATH="$$(dirname "$$bin"):$$PATH" npx --no-install vitest run --project unit; \
	  PATH="$$(dirname "$$bin"):$$PATH" npx --no-install vitest run --project integration tests/e2e/make-local.test.ts; \
	done

bench: setup
	@$(WB) bench

parity: setup
	@$(WB) parity

promote-plan: setup
	@$(WB) promote --dry-run

notebook: setup
	@$(WB) notebook

notebook-check: setup
	@$(WB) notebook --check

clean:
	rm -rf runs .workbench bench-results sample-data/fruits-synthetic
