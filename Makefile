# Everyday verbs over CMake + Ninja. `make demo` and `make test` work on a fresh
# Debian 12 machine: both first install whatever Debian packages are missing.

JOBS        ?= $(shell nproc)
RELEASE_DIR ?= build/release
TEST_DIR    ?= build/test
BENCH_DIR   ?= build/bench
CMAKE_FLAGS ?=
DEMO_CUSTOMERS ?= 20000

.PHONY: all deps sdk-deps web-deps browser-deps web-release web-test build test unit demo bench bench-segments bench-collect bench-deliver bench-campaign fuzz format clean

all: build

deps:
	@bash scripts/install-deps.sh

$(RELEASE_DIR)/build.ninja:
	cmake -S . -B $(RELEASE_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release -DPATRON_BUILD_TESTS=OFF $(CMAKE_FLAGS)

build: deps web-release $(RELEASE_DIR)/build.ninja
	cmake --build $(RELEASE_DIR) -j $(JOBS)

# Every test, in one configuration with AddressSanitizer and UBSan.
$(TEST_DIR)/build.ninja:
	cmake -S . -B $(TEST_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS="-O1 -g" \
	  -DPATRON_SANITIZE=ON $(CMAKE_FLAGS)

# The official Segment-spec SDKs the server is tested with (tests/sdk), from npm,
# at the versions of package-lock.json. `npm install --no-save` rather than
# `npm ci`: the registry lacks some platform builds of an optional dependency
# (msgpackr-extract for macOS/Windows), which npm ci counts as an unsynced lock.
sdk-deps: deps
	@cd tests/sdk && if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then \
	  npm install --no-save --no-audit --no-fund --loglevel=error; fi

# The web application (web/): npm packages at the lock's versions, then a Vite
# build into web/ beside the executable, which `patron serve` serves by default.
# Each asset is also written precompressed (.gz, .br); the build fails when the
# first load is over its 300 KB budget.
web-deps: deps
	@node -e 'process.exit(Number(process.versions.node.split(".")[0])>=18?0:1)' || \
	  { echo "web: the web build needs Node.js 18 or later (Debian 12's nodejs; node -v: $$(node -v))"; exit 1; }
	@cd web && if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then \
	  npm install --no-save --no-audit --no-fund --loglevel=error; fi

WEB_SOURCES := $(shell find web/src web/public web/index.html web/vite.config.ts web/tsconfig.json web/scripts -type f 2>/dev/null)
define web_build
	cd web && npx --no-install tsc --noEmit && npx --no-install vite build --logLevel warn --emptyOutDir --outDir "$(abspath $(1))"
	node web/scripts/compress.mjs "$(abspath $(1))"
endef
$(RELEASE_DIR)/web/index.html: $(WEB_SOURCES) web/package-lock.json
	$(call web_build,$(RELEASE_DIR)/web)
$(TEST_DIR)/web/index.html: $(WEB_SOURCES) web/package-lock.json
	$(call web_build,$(TEST_DIR)/web)
web-release: web-deps $(RELEASE_DIR)/web/index.html
web-test: web-deps $(TEST_DIR)/web/index.html

# The browser tests' driver (tests/browser: playwright-core, with Debian's chromium).
browser-deps: deps
	@cd tests/browser && if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then \
	  npm install --no-save --no-audit --no-fund --loglevel=error; fi

test: deps sdk-deps web-test browser-deps $(TEST_DIR)/build.ninja
	cmake --build $(TEST_DIR) -j $(JOBS)
	cd $(TEST_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 900

# Generates demo data, imports it and prints a tour (see scripts/demo.sh).
demo: build
	bash scripts/demo.sh $(RELEASE_DIR)/patron demo $(DEMO_CUSTOMERS)

$(BENCH_DIR)/build.ninja:
	cmake -S . -B $(BENCH_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release -DPATRON_BUILD_TESTS=OFF \
	  -DPATRON_BUILD_BENCH=ON $(CMAKE_FLAGS)

bench: deps $(BENCH_DIR)/build.ninja
	cmake --build $(BENCH_DIR) -j $(JOBS)
	bash bench/import_bench.sh $(BENCH_DIR)/patron

# Segments side by side: Patron's engine, SQLite, PostgreSQL 15 and DuckDB (npm)
# on the same generated data (SEGMENT_CUSTOMERS, SEGMENT_EVENTS).
SEGMENT_CUSTOMERS ?= 1000000
SEGMENT_EVENTS ?= 20000000
bench-segments: deps $(BENCH_DIR)/build.ninja
	bash scripts/install-deps.sh bench
	cmake --build $(BENCH_DIR) -j $(JOBS) --target gen_segment_data segment_compare
	bash bench/segment_compare.sh $(BENCH_DIR) $(SEGMENT_CUSTOMERS) $(SEGMENT_EVENTS)

# patron serve under load: /v1/batch throughput and p99 at 10k events/s, lookups at 2k/s.
bench-collect: deps $(BENCH_DIR)/build.ninja
	bash scripts/install-deps.sh bench
	cmake --build $(BENCH_DIR) -j $(JOBS) --target patron http_load
	bash bench/collect_bench.sh $(BENCH_DIR)

# SMTP delivery: DELIVER_MESSAGES composed, DKIM-signed emails to Postfix's smtp-sink.
DELIVER_MESSAGES ?= 20000
bench-deliver: deps $(BENCH_DIR)/build.ninja
	bash scripts/install-deps.sh bench
	cmake --build $(BENCH_DIR) -j $(JOBS) --target deliver_load
	$(BENCH_DIR)/deliver_load --messages $(DELIVER_MESSAGES) --connections 8 --dkim ed25519
	$(BENCH_DIR)/deliver_load --messages $(DELIVER_MESSAGES) --connections 8 --dkim rsa

# A campaign to CAMPAIGN_CUSTOMERS: plan, prepare, and CAMPAIGN_SEND messages to smtp-sink.
CAMPAIGN_CUSTOMERS ?= 1000000
CAMPAIGN_SEND ?= 20000
bench-campaign: deps $(BENCH_DIR)/build.ninja
	bash scripts/install-deps.sh bench
	cmake --build $(BENCH_DIR) -j $(JOBS) --target patron
	bash bench/campaign_bench.sh $(BENCH_DIR)/patron $(CAMPAIGN_CUSTOMERS) $(CAMPAIGN_SEND)

# Open-ended fuzzing of the readers with clang's libFuzzer (needs clang).
fuzz:
	cmake -S . -B build/fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DPATRON_LIBFUZZER=ON \
	  -DCMAKE_CXX_FLAGS="-O1 -g -fsanitize=address,undefined" -DPATRON_WERROR=OFF
	cmake --build build/fuzz -j $(JOBS) --target csv_fuzz jsonl_fuzz
	mkdir -p build/fuzz/corpus && build/fuzz/csv_fuzz -max_total_time=60 build/fuzz/corpus

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf build
