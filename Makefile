# Everyday verbs over CMake + Ninja. `make demo` and `make test` work on a fresh
# Debian 12 machine: both first install whatever Debian packages are missing.

JOBS        ?= $(shell nproc)
RELEASE_DIR ?= build/release
TEST_DIR    ?= build/test
BENCH_DIR   ?= build/bench
CMAKE_FLAGS ?=
DEMO_CUSTOMERS ?= 20000

.PHONY: all deps sdk-deps build test unit demo bench bench-segments bench-collect bench-deliver fuzz format clean

all: build

deps:
	@bash scripts/install-deps.sh

$(RELEASE_DIR)/build.ninja:
	cmake -S . -B $(RELEASE_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release -DPATRON_BUILD_TESTS=OFF $(CMAKE_FLAGS)

build: deps $(RELEASE_DIR)/build.ninja
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

test: deps sdk-deps $(TEST_DIR)/build.ninja
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
