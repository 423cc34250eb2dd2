# DMARCWatch — see README.md. Every target installs what it needs on a fresh Debian machine.
SHELL := /bin/bash
export PATH := $(PATH):/opt/swift/usr/bin
DB ?= ./dmarcwatch.sqlite3
BIN_RELEASE := .build/release/dmarcwatch

.PHONY: all setup build release run test bench fuzz clean format

all: build

setup:
	@./scripts/setup.sh

build: setup
	swift build

release: setup
	swift build -c release --product dmarcwatch

LISTEN ?= 127.0.0.1:8080

# Build release binaries, import the bundled samples and 45 days of demo reports (dated up to
# today), make a first administrator if there is none, print the summary, then serve the UI.
run: setup
	swift build -c release --product dmarcwatch
	swift build -c release --product dmarcwatch-bench
	@rm -rf .build/demo-reports
	@.build/release/dmarcwatch-bench demo --out .build/demo-reports --days 45
	@echo "== importing samples/ and the demo reports into $(DB)"
	-$(BIN_RELEASE) --db $(DB) import samples .build/demo-reports
	@./scripts/first-admin.sh $(BIN_RELEASE) $(DB)
	@echo
	@echo "== summary"
	$(BIN_RELEASE) --db $(DB) summary
	@echo
	@echo "== open http://$(LISTEN)/ and sign in (see above); Ctrl-C stops the server"
	$(BIN_RELEASE) --db $(DB) serve --listen $(LISTEN)

# Build everything (the CLI tests run the built binary), then run every test.
test: setup
	swift build
	swift test

# Synthetic reports (100k and 1M records; plain, gzip, zip): parse and parse+store rates,
# peak memory, and xmllint --stream as the floor. Data goes to bench-data/ (not committed).
bench: setup
	swift build -c release --product dmarcwatch
	swift build -c release --product dmarcwatch-bench
	./scripts/bench.sh

# libFuzzer with AddressSanitizer over the intake and parser (any bytes, as `import` reads a file),
# seeded with the test fixtures; FUZZ_SECONDS (default 600). Inputs that crash land in fuzz/crashes/
# (not committed); `.build/debug/dmarcwatch-fuzz FILE` replays one. Built apart, in .build/fuzz.
FUZZ_SECONDS ?= 600
FUZZ_RUNTIME := $(shell dirname $$(dirname $$(readlink -f $$(command -v swiftc 2>/dev/null || echo /opt/swift/usr/bin/swiftc))))/lib/swift/clang/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a

fuzz: setup
	swift build -c release --scratch-path .build/fuzz --product dmarcwatch-fuzz \
		-Xswiftc -sanitize=address -Xswiftc -sanitize-coverage=edge,trace-cmp,inline-8bit-counters,pc-table \
		-Xswiftc -DFUZZING -Xlinker $(FUZZ_RUNTIME) -Xlinker -lstdc++
	@mkdir -p fuzz/corpus fuzz/crashes
	@find Tests/DMARCIngestTests/Fixtures -type f -size -200k ! -name '*.md' ! -name '*.jsonl' -exec cp {} fuzz/corpus/ \;
	ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 .build/fuzz/release/dmarcwatch-fuzz \
		-max_total_time=$(FUZZ_SECONDS) -max_len=32768 -timeout=10 -rss_limit_mb=3000 \
		-artifact_prefix=fuzz/crashes/ -print_final_stats=1 fuzz/corpus

format:
	swift format --in-place --recursive Sources Tests Package.swift

clean:
	rm -rf .build bench-data fuzz
